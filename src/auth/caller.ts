/** Who is calling the Management API, as proven by the bearer token. */
export interface Caller {
  /** The machine-to-machine application (the token's `client_id`). */
  applicationId: string;
  /** The token's `sub`: equal to `applicationId` for client-credentials tokens. */
  subject: string;
  scopes: string[];
}

/** Key of the caller in the request's CLS context, where services and audit logging read it. */
export const CALLER_CLS_KEY = 'caller';
