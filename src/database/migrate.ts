import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options.js';

/** Any constant shared by all replicas: whoever holds it migrates, the others wait and find nothing to do. */
const MIGRATION_LOCK_KEY = 7_370_202_611;

/** Applies pending migrations, one replica at a time; returns the names of those applied. */
export async function runMigrations(url: string): Promise<string[]> {
  const dataSource = await new DataSource(buildDataSourceOptions(url, { poolSize: 2 })).initialize();
  const lockHolder = dataSource.createQueryRunner();
  try {
    await lockHolder.connect();
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    return applied.map((migration) => migration.name);
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockHolder.release();
    await dataSource.destroy();
  }
}
