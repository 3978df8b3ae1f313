import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { RequestError } from '../errors/request-error.js';

export interface RateLimit {
  /** Attempts allowed per window. */
  limit: number;
  windowSeconds: number;
}

/**
 * Counts attempts per (bucket, key) in PostgreSQL, in one atomic statement, so the limit holds
 * across replicas and under concurrency: an attempt is counted before it is made.
 */
@Injectable()
export class RateLimiterService {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  /** Counts one attempt; beyond the limit, 429 `request.too_many_requests` with `Retry-After`. */
  async consume(bucket: string, key: string, { limit, windowSeconds }: RateLimit): Promise<void> {
    const [row] = await this.txHost.tx.query<{ hits: number; retry_after: string }[]>(
      `INSERT INTO rate_limits AS limits (bucket, key, window_started_at, hits) VALUES ($1, $2, clock_timestamp(), 1)
       ON CONFLICT ON CONSTRAINT rate_limits__bucket_key DO UPDATE SET
         hits = CASE WHEN limits.window_started_at <= clock_timestamp() - make_interval(secs => $3) THEN 1 ELSE limits.hits + 1 END,
         window_started_at = CASE WHEN limits.window_started_at <= clock_timestamp() - make_interval(secs => $3)
                                  THEN clock_timestamp() ELSE limits.window_started_at END
       RETURNING hits, extract(epoch FROM limits.window_started_at + make_interval(secs => $3) - clock_timestamp()) AS retry_after`,
      [bucket, key, windowSeconds],
    );
    if (row && row.hits > limit) {
      const seconds = Math.max(1, Math.ceil(Number(row.retry_after)));
      throw new RequestError('request.too_many_requests', { interpolation: { seconds }, headers: { 'Retry-After': String(seconds) } });
    }
  }

  /** Forgets the attempts of a key (after a success). */
  async reset(bucket: string, key: string): Promise<void> {
    await this.txHost.tx.query('DELETE FROM rate_limits WHERE bucket = $1 AND key = $2', [bucket, key]);
  }
}
