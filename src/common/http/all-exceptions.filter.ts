import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Metrics } from '../metrics.js';
import { toErrorResponseFor } from './error-mapping.js';

/** Errors raised inside Nest (guards, pipes, handlers). Fastify's router errors use the same mapping. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly metrics: Metrics) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const { status, body, headers = {}, unavailableCause } = toErrorResponseFor(http.getRequest<FastifyRequest>(), exception);
    if (unavailableCause) this.metrics.serviceUnavailable(unavailableCause);
    void http.getResponse<FastifyReply>().headers(headers).status(status).send(body);
  }
}
