import { MANAGEMENT_API_RESOURCE, request, type RawResponse } from './clients.js';

/** A successful `POST /oidc/token` answer (spec §9.1). */
export interface TokenResponseBody {
  access_token: string;
  expires_in: number;
  token_type: string;
  scope?: string;
}

/** A token endpoint error: RFC 6749 §5.2 fields plus Logto's `code` and `message` (spec §9.1). */
export interface OidcErrorBody {
  code: string;
  message: string;
  error: string;
  error_description: string;
}

/** English messages of the guard's error codes (spec §8). */
export const AUTH_ERROR_MESSAGES = {
  'auth.authorization_header_missing': 'Authorization header is missing.',
  'auth.authorization_token_type_not_supported': 'Authorization type is not supported.',
  'auth.unauthorized': 'Unauthorized. Please check credentials and its scope.',
  'auth.jwt_sub_missing': 'Missing `sub` in JWT.',
  'auth.forbidden': 'Forbidden. Please check your user roles and permissions.',
} as const;

export type AuthErrorCode = keyof typeof AUTH_ERROR_MESSAGES;

export interface TokenRequestOptions {
  /** Send the fields as a JSON body instead of a form. */
  json?: boolean;
  /** HTTP Basic client authentication. */
  basic?: { clientId: string; clientSecret: string };
}

/** `Basic base64(urlencode(id):urlencode(secret))`, as RFC 6749 §2.3.1 defines it. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

/** A raw `POST /oidc/token` with exactly these fields (form-encoded unless `json`). */
export function postToken<Body = TokenResponseBody | OidcErrorBody>(
  baseUrl: string,
  fields: Record<string, string>,
  options: TokenRequestOptions = {},
): Promise<RawResponse<Body>> {
  const headers: Record<string, string> = {};
  if (options.basic) headers.authorization = basicAuthorization(options.basic.clientId, options.basic.clientSecret);
  if (options.json) return request<Body>(baseUrl, 'POST', '/oidc/token', { json: fields, headers });
  headers['content-type'] = 'application/x-www-form-urlencoded';
  return request<Body>(baseUrl, 'POST', '/oidc/token', { body: new URLSearchParams(fields).toString(), headers });
}

/** A client-credentials access token for the Management API; fails the test unless the server grants one. */
export async function fetchAccessToken(baseUrl: string, clientId: string, clientSecret: string, scope = 'all'): Promise<string> {
  const response = await postToken<TokenResponseBody>(baseUrl, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    resource: MANAGEMENT_API_RESOURCE,
    scope,
  });
  if (response.status !== 200) throw new Error(`token request for ${clientId} failed: ${response.status} ${response.text}`);
  return response.body.access_token;
}

/** Calls a Management API route with exactly this Authorization header (or none). */
export function callWithAuthorization(
  baseUrl: string,
  method: string,
  path: string,
  authorization: string | undefined,
  json?: unknown,
): Promise<RawResponse> {
  return request(baseUrl, method, path, {
    auth: false,
    headers: authorization === undefined ? {} : { authorization },
    ...(json === undefined ? {} : { json }),
  });
}
