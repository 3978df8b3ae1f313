import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Duplex } from 'node:stream';
import { RequestError } from '../errors/request-error.js';
import { toErrorResponseFor } from './error-mapping.js';
import { setStandardHeaders } from './request-hooks.js';

/**
 * Fastify's router rejects some URLs (bad percent-encoding, over-long parameters) before any hook
 * or Nest filter runs; this answers them like every other error.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  setStandardHeaders(request, reply);
  const { status, body } = toErrorResponseFor(request, error);
  void reply.status(status).send(body);
}

/**
 * Requests Node's HTTP parser rejects (bytes that are not HTTP, a request line or headers over
 * 16 KB) never reach Fastify's routing; they still get a Logto-style body.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const failure = new RequestError(tooLarge ? 'request.header_fields_too_large' : 'request.bad_request');
  const body = JSON.stringify(failure.toBody());
  socket.end(
    `HTTP/1.1 ${failure.status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}
