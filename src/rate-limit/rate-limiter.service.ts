import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RequestError } from '../common/errors/request-error.js';
import { Metrics } from '../common/metrics.js';

function tooManyRequests(retryAfterSeconds: string): RequestError {
  const seconds = Math.max(1, Math.ceil(Number(retryAfterSeconds)));
  return new RequestError('request.too_many_requests', { interpolation: { seconds }, headers: { 'Retry-After': String(seconds) } });
}

export interface RateLimit {
  /** Attempts allowed per window. */
  limit: number;
  windowSeconds: number;
}

/** `rate_limits.key` is varchar(256). */
const MAX_STORED_KEY_LENGTH = 256;

/**
 * Keys come from clients (a `client_id` of any length): a longer key is stored as its SHA-256, so
 * it is still counted and never overflows the column.
 */
function storedKey(key: string): string {
  return key.length <= MAX_STORED_KEY_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

/**
 * Fixed-window counters per (bucket, key) in PostgreSQL, updated in one atomic statement, so a
 * limit holds across replicas and under concurrency. Each refusal is counted in the metrics under
 * its bucket (`roster_rate_limited_total{limiter}`).
 */
@Injectable()
export class RateLimiterService {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly metrics: Metrics,
  ) {}

  private refuse(bucket: string, retryAfterSeconds: string): RequestError {
    this.metrics.rateLimited(bucket);
    return tooManyRequests(retryAfterSeconds);
  }

  /**
   * Counts one attempt before it is made, so parallel attempts cannot slip past the limit; beyond
   * it, 429 `request.too_many_requests` with `Retry-After`.
   */
  async consume(bucket: string, key: string, { limit, windowSeconds }: RateLimit): Promise<void> {
    const row = await this.increment(bucket, key, windowSeconds);
    if (row && row.hits > limit) throw this.refuse(bucket, row.retry_after);
  }

  private async increment(bucket: string, key: string, windowSeconds: number): Promise<{ hits: number; retry_after: string } | undefined> {
    const [row] = await this.txHost.tx.query<{ hits: number; retry_after: string }[]>(
      `INSERT INTO rate_limits AS limits (bucket, key, window_started_at, hits) VALUES ($1, $2, clock_timestamp(), 1)
       ON CONFLICT ON CONSTRAINT rate_limits__bucket_key DO UPDATE SET
         hits = CASE WHEN limits.window_started_at <= clock_timestamp() - make_interval(secs => $3) THEN 1 ELSE limits.hits + 1 END,
         window_started_at = CASE WHEN limits.window_started_at <= clock_timestamp() - make_interval(secs => $3)
                                  THEN clock_timestamp() ELSE limits.window_started_at END
       RETURNING hits, extract(epoch FROM limits.window_started_at + make_interval(secs => $3) - clock_timestamp()) AS retry_after`,
      [bucket, storedKey(key), windowSeconds],
    );
    return row;
  }

  /**
   * For limits on failures only (where successes may come in parallel bursts): refuses with 429 once
   * `limit` failures were recorded in the current window, without counting this attempt.
   */
  async assertBelowLimit(bucket: string, key: string, { limit, windowSeconds }: RateLimit): Promise<void> {
    const [row] = await this.txHost.tx.query<{ hits: number; retry_after: string }[]>(
      `SELECT hits, extract(epoch FROM window_started_at + make_interval(secs => $3) - clock_timestamp()) AS retry_after
       FROM rate_limits WHERE bucket = $1 AND key = $2 AND window_started_at > clock_timestamp() - make_interval(secs => $3)`,
      [bucket, storedKey(key), windowSeconds],
    );
    if (row && row.hits >= limit) throw this.refuse(bucket, row.retry_after);
  }

  /** Counts one failure toward `assertBelowLimit`. */
  async recordFailure(bucket: string, key: string, limit: RateLimit): Promise<void> {
    await this.increment(bucket, key, limit.windowSeconds);
  }

  /** Forgets the attempts of a key (after a success). */
  async reset(bucket: string, key: string): Promise<void> {
    await this.txHost.tx.query('DELETE FROM rate_limits WHERE bucket = $1 AND key = $2', [bucket, storedKey(key)]);
  }
}
