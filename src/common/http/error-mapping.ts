import { HttpException, Logger } from '@nestjs/common';
import pg from 'pg';
import { QueryFailedError } from 'typeorm';
import { RequestError, type UnavailableCause } from '../errors/request-error.js';
import { MalformedJsonError } from './json-body.js';
import { BODY_LIMIT_BYTES } from './http-limits.js';

/**
 * Constraints whose violation is the client's conflict, by name: the races that pre-checks cannot
 * close end here (a unique index won by another request, a user deleted under a link).
 */
const CONSTRAINT_VIOLATIONS: Record<string, RequestError['code']> = {
  users__username: 'user.username_already_in_use',
  users__primary_email_lower: 'user.email_already_in_use',
  users__primary_phone: 'user.phone_already_in_use',
  user_identities__target_identity: 'user.identity_already_in_use',
  user_identities__user: 'entity.not_found',
  users_roles__user: 'entity.not_found',
  users_roles__role: 'entity.not_found',
  roles_scopes__role: 'entity.not_found',
  roles_scopes__scope: 'entity.not_found',
};
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

interface DriverError {
  code?: string;
  constraint?: string;
}

interface FastifyError {
  code?: string;
  statusCode?: number;
}

/** SQLSTATEs of a server that is going away, starting up or refusing connections. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const RELEASED_RUNNER_ERRORS = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);
// pg's messages: lost connections, the pool's wait for a connection, and the client-side query
// deadline of a hung server ("Query read timeout"; the client is then closed, see DeadlineClient).
const DISCONNECT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|Query read timeout|Client was closed and is not queryable/i;
/** pg's client-side deadline (`QUERY_READ_TIMEOUT` in database/), counted as a statement timeout. */
const CLIENT_DEADLINE_MESSAGE = 'Query read timeout';

/**
 * The database is down or restarting: answer 503 at once (the pool reconnects by itself), rather
 * than a 500 that reads like a bug, or a hang.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  // TypeORM's own errors when a connection dies under a running query (the transaction never committed).
  if (error instanceof Error && RELEASED_RUNNER_ERRORS.has(error.name)) return true;
  const code = ((error instanceof QueryFailedError ? error.driverError : error) as DriverError | undefined)?.code;
  if (code && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || NETWORK_ERROR_CODES.has(code))) return true;
  return error instanceof Error && DISCONNECT_MESSAGES.test(error.message);
}

/** PostgreSQL's error, whether TypeORM wrapped it or it came from the pool directly (prepared reads). */
function driverErrorOf(exception: unknown): DriverError | undefined {
  if (exception instanceof QueryFailedError) return exception.driverError as DriverError;
  if (exception instanceof pg.DatabaseError) return exception;
  return undefined;
}

function fromDatabaseError({ code, constraint }: DriverError): RequestError | undefined {
  const isConstraintViolation = code === UNIQUE_VIOLATION || code === FOREIGN_KEY_VIOLATION;
  if (isConstraintViolation && constraint && CONSTRAINT_VIOLATIONS[constraint]) return new RequestError(CONSTRAINT_VIOLATIONS[constraint]);
  if (code === '22001') return new RequestError('entity.value_too_long');
  if (code === '57014') return serviceUnavailable('statement_timeout');
  return undefined;
}

/** A statement timeout and a database outage alike: retry in a second. */
const serviceUnavailable = (unavailableCause: UnavailableCause): RequestError =>
  new RequestError('service.unavailable', { headers: { 'Retry-After': '1' }, unavailableCause });

const entityTooLarge = (): RequestError =>
  new RequestError('request.entity_too_large', { interpolation: { limit: `${BODY_LIMIT_BYTES} bytes` } });

const routeNotFound = (): RequestError => new RequestError('request.route_not_found');

const unsupportedMediaType = (): RequestError => new RequestError('request.unsupported_media_type');

const invalidBody = (): RequestError => new RequestError('guard.invalid_input', { interpolation: { type: 'body' } });

/** Fastify's body-handling errors, by their `code`. */
const FASTIFY_ERRORS: Record<string, () => RequestError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: entityTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: unsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: invalidBody,
  FST_ERR_CTP_EMPTY_TYPE: invalidBody,
  FST_ERR_CTP_INVALID_TYPE: invalidBody,
  FST_ERR_BAD_URL: () => new RequestError('guard.invalid_input', { interpolation: { type: 'params' } }),
  // Every id in a path is short; one past the router's parameter limit cannot name anything.
  FST_ERR_MAX_PARAM_LENGTH: () => new RequestError('entity.not_found'),
  // Fastify refuses a QUERY without Content-Type before routing; no route takes QUERY, so it is
  // answered like any other method no route declares.
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: routeNotFound,
};

/** Generic answers for a framework's client errors, by status; any other 4xx is a 400. */
const CLIENT_ERRORS_BY_STATUS: Record<number, () => RequestError> = {
  404: routeNotFound,
  405: () => new RequestError('request.method_not_allowed'),
  413: entityTooLarge,
  415: unsupportedMediaType,
};

/**
 * Fastify's own errors (body parsing, limits) arrive wrapped by Nest in an HttpException. A client
 * error the framework raises stays a client error even when it is not mapped one by one: a new
 * Fastify or Nest 4xx can never surface as a 500.
 */
function fromFrameworkError(error: unknown): RequestError | undefined {
  const cause = error instanceof HttpException ? error.cause : error;
  const fastifyCode = (cause as FastifyError | undefined)?.code;
  const mapped = fastifyCode === undefined ? undefined : FASTIFY_ERRORS[fastifyCode];
  if (mapped) return mapped();
  const status = error instanceof HttpException ? error.getStatus() : (cause as FastifyError | undefined)?.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  return (CLIENT_ERRORS_BY_STATUS[status] ?? (() => new RequestError('request.bad_request')))();
}

export interface ErrorResponse {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Why a 503 was answered, for the metrics. */
  unavailableCause?: UnavailableCause;
}

const logger = new Logger('Errors');

/**
 * A 5xx's log line: the request id a client can quote (`Logto-Core-Request-Id`) and the error's
 * stack. Only the error: the request's headers and body never reach the log.
 */
function describeFailure(requestId: string | undefined, exception: unknown): { requestId?: string; error: string } {
  const error = exception instanceof Error ? (exception.stack ?? `${exception.name}: ${exception.message}`) : String(exception);
  return { ...(requestId === undefined ? {} : { requestId }), error };
}

function fromRequestError(error: RequestError): ErrorResponse {
  return { status: error.status, body: error.toBody(), headers: error.headers, unavailableCause: error.unavailableCause };
}

/**
 * The single place where any thrown error becomes a Logto-style response. Unexpected errors are
 * logged with their cause (and `requestId`, when the error belongs to a request) and answered with
 * a generic 500, so no stack or SQL reaches a client.
 */
export function toErrorResponse(exception: unknown, requestId?: string): ErrorResponse {
  if (exception instanceof MalformedJsonError) return { status: exception.status, body: { message: exception.message } };
  const driverError = driverErrorOf(exception);
  const requestError =
    exception instanceof RequestError ? exception : driverError ? fromDatabaseError(driverError) : fromFrameworkError(exception);
  if (requestError) return fromRequestError(requestError);
  if (isDatabaseUnavailable(exception)) {
    logger.warn(describeFailure(requestId, exception));
    const deadline = exception instanceof Error && exception.message.includes(CLIENT_DEADLINE_MESSAGE);
    return fromRequestError(serviceUnavailable(deadline ? 'statement_timeout' : 'database_unavailable'));
  }
  logger.error(describeFailure(requestId, exception));
  return { status: 500, body: { message: 'Internal server error.' } };
}

/** Routes (`METHOD path`) that answer errors in RFC 6749's shape (section 5.2): the OAuth token endpoint. */
export const OAUTH_ERROR_ROUTES = new Set(['POST /oidc/token']);

/**
 * `toErrorResponse` for a request. On the token endpoint every 4xx also carries RFC 6749's `error`
 * and `error_description` beside Logto's `code` and `message`, whichever layer refused the request
 * (the body parser, the validation pipe, the rate limiter), so an OAuth client can read every
 * refusal; the token exchange's own errors already say which `error` they are.
 */
export function toErrorResponseFor({ id, method, url }: { id?: string; method: string; url: string }, exception: unknown): ErrorResponse {
  const response = toErrorResponse(exception, id);
  const isClientError = response.status >= 400 && response.status < 500;
  const route = `${method} ${url.split('?', 1)[0] ?? url}`;
  if (!isClientError || !OAUTH_ERROR_ROUTES.has(route) || 'error' in response.body) return response;
  return { ...response, body: { ...response.body, error: 'invalid_request', error_description: String(response.body.message) } };
}
