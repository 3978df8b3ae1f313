/**
 * Scopes an application can hold. `all` is Logto's full Management API access; the narrower ones
 * are Roster's own, for services that only read users or only read logs.
 */
export const SCOPES = ['all', 'users:read', 'users:write', 'logs:read'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** A route needing `required` accepts a token carrying it, or carrying `all`. */
export function grantsAccess(granted: readonly string[], required: Scope): boolean {
  return granted.includes('all') || granted.includes(required);
}
