import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { toErrorResponse } from './error-mapping.js';

/** Errors raised inside Nest (guards, pipes, handlers). Fastify's own errors use `toErrorResponse` directly. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, body, headers = {} } = toErrorResponse(exception);
    void host.switchToHttp().getResponse<FastifyReply>().headers(headers).status(status).send(body);
  }
}
