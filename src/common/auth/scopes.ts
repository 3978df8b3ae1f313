/**
 * Scopes an application can hold. `all` is Logto's full Management API access; the narrower ones
 * are Roster's own, for services that need only part of the API. Each is also a scope of the seeded
 * `management-api` resource (see the roles migration).
 */
export const SCOPES = [
  'all',
  'users:read',
  'users:write',
  'logs:read',
  'roles:read',
  'roles:write',
  'resources:read',
  'resources:write',
] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** A route needing `required` accepts a token carrying it, or carrying `all`. */
export function grantsAccess(granted: readonly string[], required: Scope): boolean {
  return granted.includes('all') || granted.includes(required);
}
