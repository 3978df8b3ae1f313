import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { customAlphabet } from 'nanoid';
import type { ClsService } from 'nestjs-cls';
import { type Metrics, UNMATCHED_ROUTE } from '../metrics.js';
import type { RequestContextStore } from '../request-context.js';
import { parseFormBody, parseJsonBody, UnparsableBody } from './json-body.js';

const REQUEST_ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Request ids look like Logto's: 16 characters, sent back as `Logto-Core-Request-Id`. */
export const generateRequestId = customAlphabet(REQUEST_ID_ALPHABET, 16);

function withoutQuery(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

type BodyParser = (request: unknown, body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => void;

function textParser(parse: (text: string) => unknown): BodyParser {
  return (_request, body, done) => {
    try {
      done(null, parse(body.toString()));
    } catch (error) {
      done(null, new UnparsableBody(error as Error));
    }
  };
}

/** Replaces Fastify's body parsers with ones that behave like Logto's (see `parseJsonBody`). */
export function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser(['application/json']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, textParser(parseJsonBody));
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, textParser(parseFormBody));
}

/** Headers on every answer, errors included: the request id, no sniffing, no caching of API data. */
export function setStandardHeaders(request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('Logto-Core-Request-Id', request.id).header('X-Content-Type-Options', 'nosniff');
  if (!request.url.startsWith('/api/docs')) void reply.header('Cache-Control', 'no-store');
}

/**
 * Response headers every answer carries, one structured log line per request and its duration in
 * the metrics. Only the method, the path without its query string, the status and timings are
 * logged: never bodies or headers, so passwords, digests and tokens cannot reach the log. The
 * metrics label a request by its route's template (`/api/users/:userId`), never by its path, so
 * neither ids nor a scanner's paths can multiply the series.
 */
export function registerRequestHooks(
  fastify: FastifyInstance,
  logger: LoggerService,
  cls: ClsService<RequestContextStore>,
  metrics: Metrics,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    setStandardHeaders(request, reply);
    // A request context for services and audit logging (see RequestContextStore); the auth guard
    // adds the caller. Entered in a plain hook: cheaper than mounting it as Express-style middleware.
    cls.enterWith({ ip: request.ip, userAgent: request.headers['user-agent'] });
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logger.log(
      {
        requestId: request.id,
        method: request.method,
        path: withoutQuery(request.url),
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'HTTP',
    );
    metrics.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
