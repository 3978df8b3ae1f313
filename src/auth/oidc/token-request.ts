import { OidcError } from './oidc-error.js';

export interface TokenRequest {
  grantType: string;
  clientId: string;
  clientSecret: string;
  resource?: string;
  scope?: string;
}

type Credentials = { clientId: string; clientSecret: string };

function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new OidcError('invalid_request', `'${name}' must be a single string`);
  return value;
}

/** RFC 6749 §2.3.1: both parts are form-encoded before being joined and base64-encoded. */
function decodeFormComponent(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}

function basicCredentials(authorization: string): Credentials {
  if (!/^basic /i.test(authorization)) {
    throw new OidcError('invalid_request', 'only Basic client authentication is supported in the Authorization header');
  }
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0) throw new OidcError('invalid_request', 'invalid Authorization header value format');
  try {
    return { clientId: decodeFormComponent(decoded.slice(0, separator)), clientSecret: decodeFormComponent(decoded.slice(separator + 1)) };
  } catch {
    throw new OidcError('invalid_request', 'invalid Authorization header value format');
  }
}

function clientCredentials(body: Record<string, unknown>, authorization: string | undefined): Credentials {
  const bodyClientId = field(body, 'client_id');
  const bodySecret = field(body, 'client_secret');
  if (authorization !== undefined) {
    const basic = basicCredentials(authorization);
    if (bodyClientId !== undefined && bodyClientId !== basic.clientId) throw new OidcError('invalid_request', 'client_id mismatch');
    if (bodySecret !== undefined) throw new OidcError('invalid_request', 'client authentication must only be provided using one mechanism');
    return basic;
  }
  if (bodyClientId === undefined || bodySecret === undefined) {
    throw new OidcError('invalid_request', 'no client authentication mechanism provided');
  }
  return { clientId: bodyClientId, clientSecret: bodySecret };
}

/**
 * Reads a token request from a form (or JSON) body and an optional HTTP Basic header. Shape errors
 * are `invalid_request`; whether the credentials are right is decided later.
 */
export function readTokenRequest(body: unknown, authorization: string | undefined): TokenRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new OidcError('invalid_request', 'the request body must be a form or a JSON object');
  }
  const fields = body as Record<string, unknown>;
  const grantType = field(fields, 'grant_type');
  if (grantType === undefined) throw new OidcError('invalid_request', "missing required parameter 'grant_type'");
  return { grantType, ...clientCredentials(fields, authorization), resource: field(fields, 'resource'), scope: field(fields, 'scope') };
}
