import { request as httpRequest } from 'node:http';
import { tokenFor } from './clients.js';
import type { TestServer } from './test-server.js';

/**
 * Helpers for the bad-input suites (fuzzing and explicit cases): an HTTP client that sends paths,
 * headers and body bytes exactly as given, a fingerprint of everything a request could change in the
 * database, and a classifier for error bodies.
 */

export interface RawHttpRequest {
  method: string;
  /** Sent verbatim as the request target: no normalisation of `..`, no re-encoding. */
  path: string;
  headers?: Record<string, string>;
  /** Sent as is, with a Content-Length; no Content-Type is added. */
  body?: Buffer;
  /** Send the server's bootstrap token (default true for /api paths). */
  auth?: boolean;
}

export interface RawHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const RESPONSE_TIMEOUT_MS = 10_000;

/**
 * Sends one request with Node's http client. Unlike fetch it keeps `..` and `%2F` in the path, lets
 * latin-1 characters through as raw bytes (invalid UTF-8 in the request line) and never touches the body.
 */
export async function rawHttp(baseUrl: string, { method, path, headers = {}, body, auth }: RawHttpRequest): Promise<RawHttpResponse> {
  const { hostname, port } = new URL(baseUrl);
  const outgoing: Record<string, string> = { ...headers };
  if ((auth ?? path.startsWith('/api/')) && !('authorization' in outgoing)) outgoing.authorization = `Bearer ${await tokenFor(baseUrl)}`;
  if (body !== undefined) outgoing['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a socket the server closed after one request cannot leak into the next.
    // Responses may legitimately carry big headers (a Link header repeats the query string four times).
    const call = httpRequest({ hostname, port, method, path, headers: outgoing, agent: false, maxHeaderSize: 256 * 1024 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    });
    call.on('error', reject);
    // A request the server never answers is a finding too, not a stuck test run.
    call.setTimeout(RESPONSE_TIMEOUT_MS, () =>
      call.destroy(new Error(`no response to ${method} ${path.slice(0, 200)} within ${RESPONSE_TIMEOUT_MS} ms`)),
    );
    call.end(body);
  });
}

/**
 * Percent-encodes every byte of the UTF-8 form of `value` outside RFC 3986's unreserved set. Unlike
 * `encodeURIComponent` it never throws: a lone surrogate becomes U+FFFD's bytes.
 */
export function percentEncode(value: string): string {
  let encoded = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const character = String.fromCharCode(byte);
    encoded += /[A-Za-z0-9\-._~]/.test(character) ? character : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Log rows a rejected request must not add (see `databaseSnapshot`). */
const AUDITED_LOG_ROWS = `l.key NOT LIKE 'ExchangeTokenBy.%'
  AND NOT (l.key = 'ManagementApi.User.Password.Verify' AND l.payload->>'result' = 'Error')`;

/** Row counts and digests of every table a request could write (see `databaseSnapshot`). */
export type DatabaseSnapshot = Record<string, string>;

/**
 * Everything an API request may change, as counts and md5 digests: users (with their row counter),
 * identities, applications, signing keys, roles, resources, scopes and their links, and the audit log. Two kinds of log row are left out
 * because the server writes them on purpose for requests it rejects: token issuance
 * (`ExchangeTokenBy.*`, also written for refused secrets) and failed password verifications
 * (`ManagementApi.User.Password.Verify` with result `Error`, README "Audit log").
 */
export async function databaseSnapshot(server: TestServer): Promise<DatabaseSnapshot> {
  const [row] = await server.query<DatabaseSnapshot>(`
    SELECT
      (SELECT count(*) FROM users)::text AS users_count,
      (SELECT md5(coalesce(string_agg(u::text, '|' ORDER BY u.id), '')) FROM users u) AS users_md5,
      (SELECT coalesce(sum(count), 0) FROM row_counts WHERE table_name = 'users')::text AS users_counter,
      (SELECT count(*) FROM user_identities)::text AS identities_count,
      (SELECT md5(coalesce(string_agg(i::text, '|' ORDER BY i.user_id, i.target), '')) FROM user_identities i) AS identities_md5,
      (SELECT md5(coalesce(string_agg(a::text, '|' ORDER BY a.id), '')) FROM applications a) AS applications_md5,
      (SELECT md5(coalesce(string_agg(k::text, '|' ORDER BY k.id), '')) FROM signing_keys k) AS signing_keys_md5,
      (SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r.id), '')) FROM roles r) AS roles_md5,
      (SELECT md5(coalesce(string_agg(ur::text, '|' ORDER BY ur.user_id, ur.role_id), '')) FROM users_roles ur) AS users_roles_md5,
      (SELECT md5(coalesce(string_agg(rs::text, '|' ORDER BY rs.role_id, rs.scope_id), '')) FROM roles_scopes rs) AS roles_scopes_md5,
      (SELECT md5(coalesce(string_agg(s::text, '|' ORDER BY s.id), '')) FROM scopes s) AS scopes_md5,
      (SELECT md5(coalesce(string_agg(re::text, '|' ORDER BY re.id), '')) FROM resources re) AS resources_md5,
      (SELECT count(*) FROM logs l WHERE ${AUDITED_LOG_ROWS})::text AS logs_count,
      (SELECT md5(coalesce(string_agg(l::text, '|' ORDER BY l.id), '')) FROM logs l WHERE ${AUDITED_LOG_ROWS}) AS logs_md5
  `);
  if (!row) throw new Error('the snapshot query returned no row');
  return row;
}

/**
 * What an error body is: `logto` = `{ code, data?, details?, message }` in that key order (README "Errors");
 * `message-only` = exactly `{ message }` (malformed JSON, as Logto answers it); `oidc` = the token endpoint's,
 * either of those followed by RFC 6749's `error` and `error_description`; otherwise a description of what is
 * wrong with it.
 */
export type ErrorBodyKind = 'logto' | 'message-only' | 'oidc' | `not an error body: ${string}`;

const LOGTO_ERROR_KEYS = ['code', 'data', 'details', 'message'];
const OAUTH_ERROR_KEYS = ['error', 'error_description'];

function classifyFields(fields: Record<string, unknown>): 'logto' | 'message-only' | undefined {
  const keys = Object.keys(fields);
  const isText = (key: string): boolean => typeof fields[key] === 'string';
  if (keys.length === 1 && keys[0] === 'message' && isText('message')) return 'message-only';
  const hasCodeAndMessage = isText('code') && (fields.code as string).length > 0 && isText('message');
  const inLogtoOrder = keys.join() === LOGTO_ERROR_KEYS.filter((key) => key in fields).join();
  const isLogto = hasCodeAndMessage && keys.every((key) => LOGTO_ERROR_KEYS.includes(key)) && inLogtoOrder;
  return isLogto && (fields.details === undefined || isText('details')) ? 'logto' : undefined;
}

export function classifyErrorBody(text: string): ErrorBodyKind {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `not an error body: not JSON: ${JSON.stringify(text.slice(0, 200))}`;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return `not an error body: ${text.slice(0, 200)}`;
  const fields = body as Record<string, unknown>;
  const keys = Object.keys(fields);
  const oauthKeys = keys.slice(-OAUTH_ERROR_KEYS.length);
  if (oauthKeys.join() === OAUTH_ERROR_KEYS.join()) {
    const isOauth = OAUTH_ERROR_KEYS.every((key) => typeof fields[key] === 'string') && fields.error_description === fields.message;
    const rest = Object.fromEntries(keys.slice(0, -OAUTH_ERROR_KEYS.length).map((key) => [key, fields[key]]));
    if (isOauth && classifyFields(rest) !== undefined) return 'oidc';
  }
  return classifyFields(fields) ?? `not an error body: ${text.slice(0, 200)}`;
}

/** The `code` of a JSON error body, when it has one. */
export function errorCodeOf(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    const code: unknown = body !== null && typeof body === 'object' ? (body as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
