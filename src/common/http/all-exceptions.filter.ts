import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponseFor } from './error-mapping.js';

/** Errors raised inside Nest (guards, pipes, handlers). Fastify's router errors use the same mapping. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const { status, body, headers = {} } = toErrorResponseFor(http.getRequest<FastifyRequest>(), exception);
    void http.getResponse<FastifyReply>().headers(headers).status(status).send(body);
  }
}
