import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { setRoutePrefix } from './app.factory.js';
import { AppModule } from './app.module.js';
import { loadConfig } from './config/app-config.js';
import { buildOpenApiDocument } from './openapi.js';

/**
 * Writes the OpenAPI document the service serves to docs/openapi.json, so contract changes show up
 * in review; with `--check`, fails when the committed file differs instead. The app is created in
 * preview mode: routes and metadata are scanned but no provider runs, so no database is needed.
 */
const DOCUMENT_PATH = resolve(import.meta.dirname, '../../docs/openapi.json');
/** The default endpoint, fixed so the file does not depend on the environment it is generated in. */
const SERVER_URL = 'http://localhost:3001';
/** Never connected to in preview mode. */
const UNUSED_DATABASE_URL = 'postgres://localhost/openapi-preview';

async function renderDocument(): Promise<string> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(loadConfig({}), UNUSED_DATABASE_URL),
    new FastifyAdapter(),
    {
      preview: true,
      logger: false,
    },
  );
  setRoutePrefix(app);
  const document = buildOpenApiDocument(app, SERVER_URL);
  await app.close();
  return format(JSON.stringify(document, null, 2), { ...(await resolveConfig(DOCUMENT_PATH)), parser: 'json' });
}

async function main(): Promise<void> {
  const rendered = await renderDocument();
  if (!process.argv.includes('--check')) {
    await writeFile(DOCUMENT_PATH, rendered);
    return;
  }
  const committed = await readFile(DOCUMENT_PATH, 'utf8').catch(() => '');
  if (committed !== rendered) {
    process.stderr.write('docs/openapi.json is out of date with the code: run `npm run openapi` and commit the result.\n');
    process.exitCode = 1;
  }
}

await main();
