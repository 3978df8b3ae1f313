import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type pg from 'pg';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * Runs a hot, fixed-text query as a named prepared statement, which PostgreSQL parses and plans
 * once per connection instead of on every request (on the point read, planning cost more than the
 * lookup itself). Inside a transaction the query joins it as usual. `name` must be unique per text.
 */
export async function queryPrepared<Row>(
  txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  name: string,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  if (txHost.isTransactionActive()) return txHost.tx.query<Row[]>(text, values);
  const pool = (txHost.tx.connection.driver as PostgresDriver).master as pg.Pool;
  return (await pool.query<Row & pg.QueryResultRow>({ name, text, values })).rows;
}
