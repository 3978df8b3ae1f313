import { jest } from '@jest/globals';
import { HttpException, Logger, NotFoundException } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { RequestError } from '../errors/request-error.js';
import { toErrorResponse, toErrorResponseFor } from './error-mapping.js';
import { MalformedJsonError } from './json-body.js';

function databaseError(driverError: Record<string, string>): QueryFailedError {
  return new QueryFailedError('INSERT INTO users …', [], Object.assign(new Error(), driverError));
}

describe('toErrorResponse', () => {
  let loggedErrors: unknown[];
  const loggedText = (): string => loggedErrors.map((message) => (message as { error: string }).error).join('\n');

  beforeEach(() => {
    loggedErrors = [];
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => {
      loggedErrors.push(message);
    });
  });

  afterEach(() => jest.restoreAllMocks());

  it('renders a RequestError with its status and Logto body, keys in Logto order', () => {
    const { status, body } = toErrorResponse(
      new RequestError('guard.invalid_input', { interpolation: { type: 'body' }, details: 'line', data: { issues: [] } }),
    );
    expect(status).toBe(400);
    expect(Object.keys(body)).toEqual(['code', 'data', 'details', 'message']);
    expect(body).toEqual({ code: 'guard.invalid_input', data: { issues: [] }, details: 'line', message: 'The request body is invalid.' });
  });

  it('answers malformed JSON with a bare message and no code', () => {
    expect(toErrorResponse(new MalformedJsonError('Unexpected token'))).toEqual({ status: 400, body: { message: 'Unexpected token' } });
  });

  it.each([
    ['users__username', 'user.username_already_in_use'],
    ['users__primary_email_lower', 'user.email_already_in_use'],
    ['users__primary_phone', 'user.phone_already_in_use'],
  ])('maps a unique violation of %s to 422 %s', (constraint, code) => {
    const { status, body } = toErrorResponse(databaseError({ code: '23505', constraint }));
    expect(status).toBe(422);
    expect(body.code).toBe(code);
  });

  it('maps a too-long value to 422 entity.value_too_long without database text', () => {
    const { status, body } = toErrorResponse(databaseError({ code: '22001', message: 'value too long for type character varying(128)' }));
    expect(status).toBe(422);
    expect(body).toEqual({ code: 'entity.value_too_long', message: 'The length of value is too long and exceeds the limit.' });
  });

  it('answers a statement timeout with 503 service.unavailable and Retry-After, like an outage', () => {
    const { status, body, headers } = toErrorResponse(
      databaseError({ code: '57014', message: 'canceling statement due to statement timeout' }),
    );
    expect({ status, body, headers }).toEqual({
      status: 503,
      body: { code: 'service.unavailable', message: 'The service is temporarily unavailable. Please retry later.' },
      headers: { 'Retry-After': '1' },
    });
  });

  it('maps an unknown route to a Logto-style 404', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { code: 'request.route_not_found', message: 'The requested route does not exist.' },
    });
  });

  it.each([
    ['an unmapped 4xx HttpException', new HttpException('I am a teapot', 418), 400, 'request.bad_request'],
    ['a 405 HttpException', new HttpException('Method Not Allowed', 405), 405, 'request.method_not_allowed'],
    ['a 413 HttpException', new HttpException('Payload Too Large', 413), 413, 'request.entity_too_large'],
    [
      'an unmapped Fastify client error',
      Object.assign(new Error('Request Header Fields Too Large'), { code: 'FST_ERR_NEW', statusCode: 431 }),
      400,
      'request.bad_request',
    ],
    [
      "Fastify's QUERY without Content-Type",
      new HttpException('Bad Request', 400, {
        cause: Object.assign(new Error('no type'), { code: 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE', statusCode: 400 }),
      }),
      404,
      'request.route_not_found',
    ],
  ])('keeps %s a client error, never a 500', (_label, error, status, code) => {
    const response = toErrorResponse(error);
    expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
    expect(loggedErrors).toEqual([]);
  });

  it('hides unexpected errors behind a generic 500 and logs the cause', () => {
    const { status, body } = toErrorResponse(databaseError({ code: '42P01', message: 'relation "users" does not exist' }));
    expect(status).toBe(500);
    expect(body).toEqual({ message: 'Internal server error.' });
    expect(JSON.stringify(body)).not.toContain('users');
    expect(loggedText()).toContain('relation "users" does not exist');
  });

  it('never includes a stack trace in a 500 body', () => {
    const { body } = toErrorResponse(new TypeError('boom at secret place'));
    expect(body).toEqual({ message: 'Internal server error.' });
    expect(loggedText()).toContain('boom at secret place');
  });

  it("logs a 500 as one line with the request's id and the error's stack", () => {
    const error = new TypeError('boom');
    toErrorResponseFor({ id: 'request-id-1', method: 'GET', url: '/api/users/u1' }, error);
    expect(loggedErrors).toEqual([{ requestId: 'request-id-1', error: error.stack }]);
    expect(error.stack).toMatch(/^TypeError: boom\n\s+at /);
  });

  it.each([
    [
      'a TypeORM query past the client-side deadline',
      new QueryFailedError('COMMIT', [], new Error('Query read timeout')),
      'statement_timeout',
    ],
    ['a pool.query() past the client-side deadline', new Error('Query read timeout'), 'statement_timeout'],
    ['a query queued behind it on the discarded client', new Error('Client was closed and is not queryable'), 'database_unavailable'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 'database_unavailable'],
  ])('answers %s (a hung database) with 503 service.unavailable and Retry-After, logging its request id', (_case, error, cause) => {
    const warnings: unknown[] = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warnings.push(message));
    const { status, body, headers, unavailableCause } = toErrorResponse(error, 'request-id-2');
    expect({ status, code: body.code, headers, unavailableCause }).toEqual({
      status: 503,
      code: 'service.unavailable',
      headers: { 'Retry-After': '1' },
      unavailableCause: cause,
    });
    expect(warnings).toEqual([{ requestId: 'request-id-2', error: error.stack }]);
    expect(loggedErrors).toEqual([]);
  });

  it("counts PostgreSQL's statement_timeout as a statement timeout", () => {
    expect(toErrorResponse(databaseError({ code: '57014', message: 'canceling statement due to statement timeout' }))).toMatchObject({
      status: 503,
      unavailableCause: 'statement_timeout',
    });
  });

  describe('on the token endpoint', () => {
    const tokenRequest = { method: 'POST', url: '/oidc/token?x=1' };

    it("adds RFC 6749's error fields to every 4xx, keeping Logto's", () => {
      expect(
        toErrorResponseFor(tokenRequest, new RequestError('request.too_many_requests', { interpolation: { seconds: 5 } })).body,
      ).toEqual({
        code: 'request.too_many_requests',
        message: 'Too many attempts. Retry after 5 seconds.',
        error: 'invalid_request',
        error_description: 'Too many attempts. Retry after 5 seconds.',
      });
      expect(toErrorResponseFor(tokenRequest, new MalformedJsonError('Unexpected token')).body).toEqual({
        message: 'Unexpected token',
        error: 'invalid_request',
        error_description: 'Unexpected token',
      });
    });

    it('leaves 5xx, other methods and other routes alone', () => {
      expect(toErrorResponseFor(tokenRequest, new TypeError('boom')).body).toEqual({ message: 'Internal server error.' });
      expect(toErrorResponseFor({ method: 'GET', url: '/oidc/token' }, new NotFoundException()).body).not.toHaveProperty('error');
      expect(
        toErrorResponseFor(
          { method: 'POST', url: '/api/users' },
          new RequestError('guard.invalid_input', { interpolation: { type: 'body' } }),
        ).body,
      ).not.toHaveProperty('error');
    });
  });
});
