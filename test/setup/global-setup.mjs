import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One embedded PostgreSQL server for the whole run (each test file gets its own database on it).
 * Its data directory lives under the system temp folder, which the `postgres` OS user can reach.
 * Plain ESM so Jest loads it natively, using the same launcher as the built server.
 */
export default async function globalSetup() {
  if (!existsSync('dist/src/main.js')) {
    throw new Error('e2e tests run the built server: run "npm run build" first (npm test does).');
  }
  const { startEmbeddedPostgres } = await import('../../dist/src/database/embedded-postgres.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'roster-test-'));
  const database = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  process.env.ROSTER_TEST_ADMIN_URL = database.adminUrl;
  globalThis.rosterTestDatabase = { database, dataDir };
}
