/**
 * The TypeORM CLI's data source (`npm run typeorm -- migration:run`, `migration:revert`, …).
 * Same options as the application (`buildDataSourceOptions`). With `DATABASE_URL` unset it reaches
 * the embedded PostgreSQL that a running `npm start` serves from `DATA_DIR`.
 */
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config.js';
import { buildDataSourceOptions } from './src/database/data-source-options.js';
import { readEmbeddedDatabaseUrl } from './src/database/embedded-postgres.js';

const config = loadConfig();
const url = config.databaseUrl ?? (await readEmbeddedDatabaseUrl(config.dataDir));
if (!url) {
  throw new Error(
    `No database to connect to: set DATABASE_URL, or start the service (npm start) so the embedded PostgreSQL in ${config.dataDir} is running.`,
  );
}

export default new DataSource(buildDataSourceOptions(url));
