import { errors } from 'jose';
import { RequestError } from '../common/errors/request-error.js';

/**
 * Whether a failed token check is the token's fault (401): jose's own errors, or the unknown-key
 * answer of the key lookup. Anything else, such as a key lookup that could not reach the database,
 * is not the client's mistake and must reach the exception filter (503).
 */
export function isTokenRejection(error: unknown): boolean {
  return error instanceof errors.JOSEError || error instanceof RequestError;
}
