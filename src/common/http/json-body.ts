import secureJsonParse from 'secure-json-parse';
import { RequestError } from '../errors/request-error.js';

/** A body that is not JSON at all; answered like Logto as `400 { message }` without a code. */
export class MalformedJsonError extends Error {
  readonly status = 400;
}

/**
 * A body that could not be parsed. Fastify parses before Nest's guards run, but a request without
 * a valid token must get 401, not 400 (Logto authenticates first); so the parser hands this on and
 * the validation pipe, which runs after the guard, throws the error.
 */
export class UnparsableBody {
  constructor(readonly error: Error) {}
}

/** Beyond this, nesting only costs work; no documented field comes close. */
const MAX_BODY_DEPTH = 64;

function invalidBody(path: string, reason: string): RequestError {
  return new RequestError('guard.invalid_input', {
    interpolation: { type: 'body' },
    details: `Error in key path "${path}": ${reason}`,
    data: { issues: [{ code: 'invalid_string', path: path === '' ? [] : path.split('.'), message: reason }] },
  });
}

// PostgreSQL cannot store NUL in text or jsonb, nor an unpaired UTF-16 surrogate in jsonb.
// eslint-disable-next-line no-control-regex
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text PostgreSQL cannot store (NUL, or an unpaired surrogate). */
export function isUnstorableText(text: string): boolean {
  return UNSTORABLE_TEXT.test(text);
}

/** Walks a parsed body once, rejecting what the database could not store and absurd nesting. */
function assertStorable(value: unknown, path: string, depth: number): void {
  if (depth > MAX_BODY_DEPTH) throw invalidBody(path, `nesting deeper than ${MAX_BODY_DEPTH} levels`);
  if (typeof value === 'string') {
    if (UNSTORABLE_TEXT.test(value)) throw invalidBody(path, 'NUL characters and unpaired surrogates are not allowed');
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (UNSTORABLE_TEXT.test(key)) throw invalidBody(childPath, 'NUL characters and unpaired surrogates are not allowed');
    assertStorable(child, childPath, depth + 1);
  }
}

/**
 * Parses a JSON request body: an empty body counts as `{}`, only objects and arrays are accepted,
 * prototype-polluting keys are dropped, and text PostgreSQL cannot store is rejected up front.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = secureJsonParse.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  } catch (error) {
    throw new MalformedJsonError(error instanceof Error ? error.message : 'Invalid JSON');
  }
  if (value === null || typeof value !== 'object') {
    throw new MalformedJsonError('invalid JSON, only supports object and array');
  }
  assertStorable(value, '', 0);
  return value;
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** `application/x-www-form-urlencoded` bodies, with repeated keys as arrays (OAuth clients send forms). */
export function parseFormBody(text: string): Record<string, string | string[]> {
  const body: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (PROTOTYPE_KEYS.has(key)) continue;
    const existing = body[key];
    if (existing === undefined) body[key] = value;
    else body[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  assertStorable(body, '', 0);
  return body;
}
