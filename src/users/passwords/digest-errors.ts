import { RequestError } from '../../common/errors/request-error.js';

/** 400 `guard.invalid_input` about `passwordDigest`, shaped like every other validation error. */
export function invalidDigest(reason: string): RequestError {
  return new RequestError('guard.invalid_input', {
    interpolation: { type: 'body' },
    details: `Error in key path "passwordDigest": ${reason}`,
    data: { issues: [{ code: 'invalid_string', path: ['passwordDigest'], message: reason }] },
  });
}
