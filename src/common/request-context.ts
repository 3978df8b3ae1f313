import type { ClsStore } from 'nestjs-cls';

/** Who is calling, as proven by the bearer token (set by the auth guard). */
export interface Caller {
  /** The machine-to-machine application (the token's `client_id`). */
  applicationId: string;
  /** The token's `sub`: equal to `applicationId` for client-credentials tokens. */
  subject: string;
  scopes: string[];
}

/**
 * What the current request carries through the CLS context, for services and audit logging:
 * filled per request by the CLS middleware (ip, user agent) and the auth guard (caller).
 */
export interface RequestContextStore extends ClsStore {
  ip?: string;
  userAgent?: string;
  caller?: Caller;
}
