import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';

export interface WindowCount {
  hits: number;
  /** Seconds until the window ends, as PostgreSQL's `numeric` text. */
  retry_after: string;
}

/**
 * Every query on `rate_limits`. Windows are measured with PostgreSQL's clock, so replicas with
 * skewed clocks share one count.
 */
@Injectable()
export class RateLimitsRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** Counts one hit in one atomic statement, starting a new window when the last one has ended. */
  async increment(bucket: string, key: string, windowSeconds: number): Promise<WindowCount | undefined> {
    const [row] = await this.txHost.tx.query<WindowCount[]>(
      `INSERT INTO rate_limits AS limits (bucket, key, window_started_at, expires_at, hits)
       VALUES ($1, $2, clock_timestamp(), clock_timestamp() + make_interval(secs => $3), 1)
       ON CONFLICT ON CONSTRAINT rate_limits__bucket_key DO UPDATE SET
         hits = CASE WHEN limits.window_started_at <= clock_timestamp() - make_interval(secs => $3) THEN 1 ELSE limits.hits + 1 END,
         window_started_at = CASE WHEN limits.window_started_at <= clock_timestamp() - make_interval(secs => $3)
                                  THEN clock_timestamp() ELSE limits.window_started_at END,
         expires_at = CASE WHEN limits.window_started_at <= clock_timestamp() - make_interval(secs => $3)
                           THEN clock_timestamp() + make_interval(secs => $3) ELSE limits.expires_at END
       RETURNING hits, extract(epoch FROM limits.window_started_at + make_interval(secs => $3) - clock_timestamp()) AS retry_after`,
      [bucket, key, windowSeconds],
    );
    return row;
  }

  /** The count of the current window, if one is running. */
  async current(bucket: string, key: string, windowSeconds: number): Promise<WindowCount | undefined> {
    const [row] = await this.txHost.tx.query<WindowCount[]>(
      `SELECT hits, extract(epoch FROM window_started_at + make_interval(secs => $3) - clock_timestamp()) AS retry_after
       FROM rate_limits WHERE bucket = $1 AND key = $2 AND window_started_at > clock_timestamp() - make_interval(secs => $3)`,
      [bucket, key, windowSeconds],
    );
    return row;
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.txHost.tx.query('DELETE FROM rate_limits WHERE bucket = $1 AND key = $2', [bucket, key]);
  }

  /**
   * Deletes up to `limit` rows whose window has ended, in one short statement, and returns how many.
   * A row being counted right now is locked and skipped, never waited for; the recheck under the
   * row lock keeps a window that was just restarted.
   */
  async deleteExpired(limit: number): Promise<number> {
    const [, deleted] = await this.txHost.tx.query<[unknown, number]>(
      `DELETE FROM rate_limits AS limits USING (
         SELECT bucket, key FROM rate_limits WHERE expires_at <= clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED
       ) AS ended
       WHERE limits.bucket = ended.bucket AND limits.key = ended.key`,
      [limit],
    );
    return deleted;
  }
}
