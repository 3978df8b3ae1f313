import { createManagementApi } from '@logto/api/management';

/** The Management API resource indicator the test servers run with (the default). */
export const MANAGEMENT_API_RESOURCE = 'https://default.logto.app/api';

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/**
 * Credentials of the bootstrap application of each running test server, by base URL, so that
 * `createSdk(baseUrl)` and `request(baseUrl, …)` authenticate like a real client would.
 */
const credentialsByServer = new Map<string, ClientCredentials>();
const tokensByServer = new Map<string, Promise<string>>();
const sdksByServer = new Map<string, Sdk>();

export function registerServerCredentials(baseUrl: string, credentials: ClientCredentials | undefined): void {
  tokensByServer.delete(baseUrl);
  sdksByServer.delete(baseUrl);
  if (credentials) credentialsByServer.set(baseUrl, credentials);
  else credentialsByServer.delete(baseUrl);
}

function credentialsOf(baseUrl: string): ClientCredentials {
  const credentials = credentialsByServer.get(baseUrl);
  if (!credentials) throw new Error(`No bootstrap credentials known for ${baseUrl}`);
  return credentials;
}

/** The official Logto SDK (`createManagementApi`), fetching its own token with client credentials. */
export function createSdk(baseUrl: string) {
  const { clientId, clientSecret } = credentialsOf(baseUrl);
  return createManagementApi('default', { clientId, clientSecret, baseUrl, apiIndicator: MANAGEMENT_API_RESOURCE }).apiClient;
}

export type Sdk = ReturnType<typeof createSdk>;

/**
 * One SDK client per server, so its token is fetched once: SDK clients created per call would each
 * ask `/oidc/token` at the same time and meet its rate limit.
 */
export function sdkFor(baseUrl: string): Sdk {
  let sdk = sdksByServer.get(baseUrl);
  if (!sdk) {
    sdk = createSdk(baseUrl);
    sdksByServer.set(baseUrl, sdk);
  }
  return sdk;
}

/** The form fields of a client-credentials token request for the Management API. */
export function clientCredentialsGrant({ clientId, clientSecret }: ClientCredentials, scope = 'all'): Record<string, string> {
  return { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, resource: MANAGEMENT_API_RESOURCE, scope };
}

/** A client-credentials token (scope `all`) of the server's bootstrap application, fetched once per server. */
export function tokenFor(baseUrl: string): Promise<string> {
  let token = tokensByServer.get(baseUrl);
  if (!token) {
    token = fetch(`${baseUrl}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(clientCredentialsGrant(credentialsOf(baseUrl))),
    }).then(async (response) => {
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
      return body.access_token;
    });
    tokensByServer.set(baseUrl, token);
  }
  return token;
}

export interface RawResponse<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
  text: string;
}

export interface RequestOptions {
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Send the bootstrap application's bearer token (default), or no Authorization header at all. */
  auth?: boolean;
}

/**
 * Raw HTTP for what the SDK hides: headers, exact error bodies, malformed input. Authenticated with
 * the server's bootstrap token unless `auth: false` or an explicit `authorization` header is given.
 */
export async function request<Body = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<RawResponse<Body>> {
  const headers: Record<string, string> = { ...options.headers };
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (options.auth !== false && !hasAuthorization && path.startsWith('/api/')) headers.authorization = `Bearer ${await tokenFor(baseUrl)}`;
  let body: string | Buffer | undefined = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, headers: response.headers, body: parsed as Body, text };
}
