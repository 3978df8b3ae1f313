import { clientCredentialsGrant, request, type RawResponse } from './clients.js';

/** A successful `POST /oidc/token` answer (RFC 6749 §5.1). */
export interface TokenResponseBody {
  access_token: string;
  expires_in: number;
  token_type: string;
  scope?: string;
}

/** A token endpoint error: RFC 6749 §5.2 fields plus Logto's `code` and `message`. */
export interface OidcErrorBody {
  code: string;
  message: string;
  error: string;
  error_description: string;
}

export interface TokenRequestOptions {
  /** Send the fields as a JSON body instead of a form. */
  json?: boolean;
  /** HTTP Basic client authentication. */
  basic?: { clientId: string; clientSecret: string };
  /** More headers (such as `X-Forwarded-For` for a server that trusts a proxy). */
  headers?: Record<string, string>;
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
  const headers: Record<string, string> = { ...options.headers };
  if (options.basic) headers.authorization = basicAuthorization(options.basic.clientId, options.basic.clientSecret);
  if (options.json) return request<Body>(baseUrl, 'POST', '/oidc/token', { json: fields, headers });
  headers['content-type'] = 'application/x-www-form-urlencoded';
  return request<Body>(baseUrl, 'POST', '/oidc/token', { body: new URLSearchParams(fields).toString(), headers });
}

/** A client-credentials access token for the Management API; fails the test unless the server grants one. */
export async function fetchAccessToken(baseUrl: string, clientId: string, clientSecret: string, scope = 'all'): Promise<string> {
  const response = await postToken<TokenResponseBody>(baseUrl, clientCredentialsGrant({ clientId, clientSecret }, scope));
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
