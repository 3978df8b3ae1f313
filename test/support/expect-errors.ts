import type { RawResponse } from './clients.js';
import { type AuthErrorCode, ERROR_MESSAGES, type ErrorBody, type ErrorCode } from './wire.js';

/** Exactly a Logto error `{ code, message }` (keys in Logto's order); the message defaults to Logto's for `code`. */
export function expectError(
  response: RawResponse,
  status: number,
  code: string,
  message: string = ERROR_MESSAGES[code as ErrorCode],
): void {
  expect({ status: response.status, body: response.body }).toEqual({ status, body: { code, message } });
  expect(Object.keys(response.body as ErrorBody)).toEqual(['code', 'message']);
}

/** The status and `code` of an error whose other fields (data, details) are not the point. */
export function expectErrorCode(response: RawResponse, status: number, code: string): void {
  expect({ status: response.status, code: (response.body as ErrorBody | undefined)?.code }).toEqual({ status, code });
}

/** A 401/403 from the guard: exactly `{ code, message }`, or `{ code, data, message }` where Logto gives data, keys in Logto's order. */
export function expectAuthError(response: RawResponse, status: 401 | 403, code: AuthErrorCode, data?: unknown): void {
  const message = ERROR_MESSAGES[code];
  const body = data === undefined ? { code, message } : { code, data, message };
  expect({ status: response.status, body: response.body }).toEqual({ status, body });
  expect(Object.keys(response.body as object)).toEqual(Object.keys(body));
}

/** 400 `guard.invalid_input` for the body, with `data`, and a `details` line about `keyPath`. */
export function expectInvalidBody(response: RawResponse, keyPath: string): void {
  const body = response.body as ErrorBody;
  expect({ status: response.status, code: body.code, message: body.message }).toEqual({
    status: 400,
    code: 'guard.invalid_input',
    message: ERROR_MESSAGES['guard.invalid_input'],
  });
  expect(Object.keys(body)).toEqual(['code', 'data', 'details', 'message']);
  const escaped = keyPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expect(body.details?.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^Error in key path "${escaped}": `)));
}
