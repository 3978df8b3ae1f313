import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { ConfigValidationError, loadConfig, type LogLevel } from './config/app-config.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';
import { runMigrations } from './database/migrate.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = new ConsoleLogger({ json: true, logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1) });

  const embedded = config.databaseUrl
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.dataDir, onLog: (line) => logger.debug(line.trim(), 'EmbeddedPostgres') });
  if (embedded) logger.log(`Embedded PostgreSQL started; data in ${config.dataDir}`, 'Database');
  const databaseUrl = config.databaseUrl ?? embedded!.url;

  const applied = await runMigrations(databaseUrl);
  if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`, 'Database');

  const app = await createApp(config, databaseUrl, logger);
  await app.listen({ port: config.port, host: '0.0.0.0' });
  logger.log(`Roster listening on port ${config.port} (${config.endpoint})`, 'Bootstrap');

  // On SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish, close the pool,
  // then stop the embedded PostgreSQL cleanly. Past the grace period, exit anyway (the exit
  // listener still signals PostgreSQL to stop).
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, shutting down (grace ${config.shutdownGraceSeconds} s)`, 'Bootstrap');
    setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownGraceSeconds} s; exiting`, 'Bootstrap');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000).unref();
    await app.close();
    await embedded?.stop();
    logger.log('Stopped', 'Bootstrap');
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Roster failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
