import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';

/** Any constant shared by all replicas and used for nothing else (see database/migrate.ts for its neighbours). */
const HOUSEKEEPING_LOCK_KEY = 7_370_202_613;

/**
 * The session-level advisory lock that lets one replica at a time run housekeeping. It is held on a
 * connection of its own for the whole run while the purges run on the pool, so no transaction
 * stays open; if that connection dies, PostgreSQL releases the lock with it.
 */
@Injectable()
export class HousekeepingLockRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` while holding the lock and returns its result, or `undefined` at once when another session holds it. */
  async whileHolding<T>(work: () => Promise<T>): Promise<T | undefined> {
    const holder = this.dataSource.createQueryRunner();
    try {
      const connection = (await holder.connect()) as pg.PoolClient;
      const [row] = (await holder.query('SELECT pg_try_advisory_lock($1) AS locked', [HOUSEKEEPING_LOCK_KEY])) as { locked: boolean }[];
      if (!row?.locked) return undefined;
      try {
        return await work();
      } finally {
        // A connection that cannot say it unlocked must not go back to the pool still holding the
        // lock: pg-pool discards a client that is ending when it is released.
        await holder.query('SELECT pg_advisory_unlock($1)', [HOUSEKEEPING_LOCK_KEY]).catch(() => connection.end());
      }
    } finally {
      await holder.release();
    }
  }
}
