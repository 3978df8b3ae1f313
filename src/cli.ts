import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { AppModule } from './app.module.js';
import { ApplicationsService, UnknownScopeError } from './auth/applications/applications.service.js';
import { SCOPES } from './common/auth/scopes.js';
import { SigningKeysService } from './auth/signing-keys/signing-keys.service.js';
import { ConfigValidationError, loadConfig } from './config/app-config.js';
import { readEmbeddedDatabaseUrl, startEmbeddedPostgres, type EmbeddedDatabase } from './database/embedded-postgres.js';
import { runMigrations } from './database/migrate.js';

const USAGE = `Usage: npm run --silent cli -- <command>

Commands (each prints JSON):
  applications:create --name <name> [--scopes <scope,...>]   create a machine-to-machine application;
                                                            the secret is printed once. Scopes: ${SCOPES.join(', ')} (default: all)
  applications:list                                         list applications (never secrets)
  applications:disable <id>                                 reject its credentials and tokens from now on
  applications:enable <id>                                  accept them again
  keys:rotate                                               sign new tokens with a new key; tokens signed with
                                                            the previous key stay valid until they expire

The database is DATABASE_URL, else the embedded PostgreSQL of a running "npm start" (DATA_DIR),
else the CLI starts the embedded PostgreSQL itself for the duration of the command.`;

class UsageError extends Error {}

const COMMANDS = ['applications:create', 'applications:list', 'applications:disable', 'applications:enable', 'keys:rotate'];

type Services = { applications: ApplicationsService; signingKeys: SigningKeysService };

async function run(command: string, args: string[], services: Services): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args,
    options: { name: { type: 'string' }, scopes: { type: 'string', default: 'all' } },
    allowPositionals: true,
  });
  switch (command) {
    case 'applications:create':
      if (!values.name) throw new UsageError('applications:create needs --name');
      return services.applications.create(
        values.name,
        values.scopes
          .split(',')
          .map((scope) => scope.trim())
          .filter(Boolean),
      );
    case 'applications:list':
      return services.applications.list();
    case 'applications:disable':
    case 'applications:enable': {
      const [id] = positionals;
      if (!id) throw new UsageError(`${command} needs an application id`);
      const isDisabled = command === 'applications:disable';
      if (!(await services.applications.setDisabled(id, isDisabled))) throw new UsageError(`No application with id ${id}`);
      return { id, isDisabled };
    }
    case 'keys:rotate':
      return services.signingKeys.rotate();
    default:
      throw new UsageError(`Unknown command: ${command}`);
  }
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!COMMANDS.includes(command)) throw new UsageError(`Unknown command: ${command}`);
  const config = loadConfig();
  const runningUrl = config.databaseUrl ?? (await readEmbeddedDatabaseUrl(config.dataDir));
  const embedded: EmbeddedDatabase | undefined = runningUrl ? undefined : await startEmbeddedPostgres({ dataDir: config.dataDir });
  const databaseUrl = runningUrl ?? embedded!.url;
  try {
    await runMigrations(databaseUrl);
    const context = await NestFactory.createApplicationContext(AppModule.register(config, databaseUrl), { logger: ['error'] });
    try {
      const result = await run(command, args, {
        applications: context.get(ApplicationsService),
        signingKeys: context.get(SigningKeysService),
      });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await context.close();
    }
  } finally {
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  const expected = error instanceof UsageError || error instanceof UnknownScopeError || error instanceof ConfigValidationError;
  const detail = error instanceof Error ? (expected ? error.message : (error.stack ?? error.message)) : String(error);
  process.stderr.write(`${detail}\n`);
  if (error instanceof UsageError) process.stderr.write(`\n${USAGE}\n`);
  process.exitCode = 1;
});
