import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { ShutdownState, stopAccepting } from './common/http/shutdown.js';
import { type AppConfig, ConfigValidationError, loadConfig, type LogLevel } from './config/app-config.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { runMigrations } from './database/migrate.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

function readConfig(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const logger = new ConsoleLogger({ json: true, logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1) });
  // What has been started so far, for the shutdown path.
  const running: { embedded?: Promise<EmbeddedDatabase>; app?: NestFastifyApplication } = {};

  // Signals are handled from the first moment, so a SIGTERM during start-up still stops the embedded
  // PostgreSQL. On a signal: report not ready but keep serving for the drain delay (load balancers
  // stop routing here meanwhile), stop accepting, let in-flight requests and those already sent
  // finish, close the pool, then stop PostgreSQL. Past the grace period, exit anyway (the exit
  // listener still signals PostgreSQL).
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(
      `${signal} received, shutting down (drain ${config.shutdownDrainMs} ms, grace ${config.shutdownGraceSeconds} s)`,
      'Bootstrap',
    );
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownGraceSeconds} s; exiting`, 'Bootstrap');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000).unref();
    if (running.app) {
      const server = running.app.getHttpServer();
      running.app.get(ShutdownState).startDraining();
      if (server.listening && config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
      const stopClosingIdle = await stopAccepting(server);
      await running.app.close();
      stopClosingIdle();
    }
    // A PostgreSQL still starting is waited for, then stopped (a failed start has nothing to stop).
    const embedded = await running.embedded?.catch(() => undefined);
    await embedded?.stop();
    logger.log('Stopped', 'Bootstrap');
    process.exit(0);
  };
  // `on`, not `once`: a second signal (a second Ctrl-C) must not take the default action and
  // orphan PostgreSQL; `shutdown` ignores repeats.
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    running.embedded = startEmbeddedPostgres({ dataDir: config.dataDir, onLog: (line) => logger.debug(line.trim(), 'EmbeddedPostgres') });
    databaseUrl = (await running.embedded).url;
    logger.log(`Embedded PostgreSQL started; data in ${config.dataDir}`, 'Database');
  }
  if (stopping) return;

  const applied = await runMigrations(databaseUrl);
  if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`, 'Database');
  if (stopping) return;

  const app = await createApp(config, databaseUrl, logger);
  running.app = app;
  if (stopping) return;
  await app.listen({ port: config.port, host: '0.0.0.0' });
  logger.log(`Roster listening on port ${config.port} (${config.endpoint})`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Roster failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
