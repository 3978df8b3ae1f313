import { createApiClient } from '@logto/api/management';

/** The official Logto SDK pointed at a test server. */
export function createSdk(baseUrl: string) {
  return createApiClient({ baseUrl, getToken: () => Promise.resolve('no-auth-yet') });
}

export interface RawResponse<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
  text: string;
}

/** Raw HTTP for what the SDK hides: headers, exact error bodies, malformed input. */
export async function request<Body = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  options: { json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<RawResponse<Body>> {
  const headers: Record<string, string> = { ...options.headers };
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
