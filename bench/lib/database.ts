/** The embedded PostgreSQL cluster and the migrations of the production build. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { log } from './cli.js';
import { importBuilt } from './paths.js';
import type { Cleanups } from './processes.js';

export interface EmbeddedDatabase {
  url: string;
  adminUrl: string;
  stop(): Promise<void>;
}

interface EmbeddedModule {
  startEmbeddedPostgres: (options: { dataDir: string; ephemeral?: boolean; onLog?: (line: string) => void }) => Promise<EmbeddedDatabase>;
}

interface MigrateModule {
  runMigrations: (url: string) => Promise<string[]>;
}

export async function startEmbedded(dataDir: string, ephemeral: boolean): Promise<EmbeddedDatabase> {
  const { startEmbeddedPostgres } = await importBuilt<EmbeddedModule>('src/database/embedded-postgres.js');
  return startEmbeddedPostgres({ dataDir, ephemeral });
}

export async function migrate(url: string): Promise<string[]> {
  const { runMigrations } = await importBuilt<MigrateModule>('src/database/migrate.js');
  return runMigrations(url);
}

/**
 * The database of a run, migrated: `DATABASE_URL` when set, otherwise an embedded cluster in
 * `dataDir` (kept and reused) or in a temporary folder (deleted by the clean-ups).
 */
export async function openDatabase(
  options: { dataDir?: string; ephemeral: boolean },
  cleanups: Cleanups,
): Promise<{ url: string; embedded: boolean }> {
  let url = process.env.DATABASE_URL;
  let embedded = false;
  if (!url) {
    const dataDir = options.dataDir ?? (await mkdtemp(join(os.tmpdir(), 'roster-bench-')));
    if (!options.dataDir) cleanups.add(() => rm(dataDir, { recursive: true, force: true }));
    const database = await startEmbedded(dataDir, options.ephemeral);
    cleanups.add(() => database.stop());
    url = database.url;
    embedded = true;
    log(`embedded PostgreSQL, data in ${dataDir}${options.dataDir ? ' (kept)' : ' (temporary)'}`);
  }
  const applied = await migrate(url);
  if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
  return { url, embedded };
}
