import 'reflect-metadata';
import { ConsoleLogger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { installGracefulShutdown, type RunningParts } from './common/http/shutdown.js';
import { type AppConfig, ConfigValidationError, loadConfig, type LogLevel } from './config/app-config.js';
import { startEmbeddedPostgres } from './database/embedded-postgres.js';
import { runMigrations } from './database/migrate.js';
import { MetricsServer } from './health/metrics-server.js';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
/** The API and the metrics listener alike. */
const HOST = '0.0.0.0';

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
  const running: RunningParts = {};
  const stopping = installGracefulShutdown(running, {
    drainMs: config.shutdownDrainMs,
    graceSeconds: config.shutdownGraceSeconds,
    logger,
  });

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const embedded = startEmbeddedPostgres({ dataDir: config.dataDir, onLog: (line) => logger.debug(line.trim(), 'EmbeddedPostgres') });
    running.embedded = embedded;
    databaseUrl = (await embedded).url;
    logger.log(`Embedded PostgreSQL started; data in ${config.dataDir}`, 'Database');
  }
  if (stopping()) return;

  const applied = await runMigrations(databaseUrl);
  if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`, 'Database');
  if (stopping()) return;

  const app = await createApp(config, databaseUrl, logger);
  running.app = app;
  if (stopping()) return;
  // Started here, not by the module: the CLI builds the same modules and must not take the port.
  // Before the API, so a taken port fails the start before any traffic is accepted.
  if (config.metricsPort !== undefined) await app.get(MetricsServer).listen(config.metricsPort, HOST);
  await app.listen({ port: config.port, host: HOST });
  const metrics = config.metricsPort === undefined ? '' : `, metrics on port ${config.metricsPort}`;
  logger.log(`Roster listening on port ${config.port} (${config.endpoint})${metrics}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Roster failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
