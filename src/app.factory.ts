import { type INestApplication, type LoggerService, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ClsService } from 'nestjs-cls';
import { AppModule } from './app.module.js';
import { setHashConcurrency } from './common/cpu-bound.js';
import { Metrics } from './common/metrics.js';
import { answerClientError, answerFrameworkError } from './common/http/framework-errors.js';
import { generateRequestId, registerBodyParsers, registerRequestHooks } from './common/http/request-hooks.js';
import { BODY_LIMIT_BYTES } from './common/http/http-limits.js';
import { registerShutdownHooks, ShutdownState } from './common/http/shutdown.js';
import type { AppConfig } from './config/app-config.js';
import { setupSwagger } from './openapi.js';

/** Every route under `/api`, except the OAuth routes under `/oidc` (as in Logto). */
export function setRoutePrefix(app: INestApplication): void {
  app.setGlobalPrefix('api', { exclude: [{ path: 'oidc/{*path}', method: RequestMethod.ALL }] });
}

/** Builds the whole HTTP application on Fastify, ready to listen (`main.ts` starts it). */
export async function createApp(config: AppConfig, databaseUrl: string, logger: LoggerService): Promise<NestFastifyApplication> {
  setHashConcurrency(config.hashConcurrency);
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Fastify routes no path parameter over 100 characters by default; identity targets may be 256
    // (their column), and the route's own check then answers a longer one with Logto's error.
    maxParamLength: 512,
    // `request.ip` (audit rows, the token endpoint's per-address limit) is the socket's peer unless
    // TRUST_PROXY names the proxies in front, whose X-Forwarded-For is then believed.
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    genReqId: () => generateRequestId(),
    requestIdHeader: false,
    logger: false,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, databaseUrl), adapter, {
    logger,
    abortOnError: false,
    // Our own parsers replace Nest's (see registerBodyParsers).
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerBodyParsers(fastify);
  registerRequestHooks(fastify, logger, app.get(ClsService), app.get(Metrics));
  registerShutdownHooks(fastify, app.get(ShutdownState));
  setRoutePrefix(app);
  setupSwagger(app, config.endpoint);
  await app.init();
  return app;
}
