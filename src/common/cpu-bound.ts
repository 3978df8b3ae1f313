import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';

/**
 * The default number of hashes that may run at once: one per core plus one, but at most one less
 * than libuv's thread pool. Hashes run on that pool, off the event loop, yet still take CPU: four at
 * once on two cores left the event loop a fifth of it. With one per core the cores idled about a
 * tenth of the time between hashes (bench/RESULTS.md, Passwords); the extra one covers that gap.
 */
export const DEFAULT_HASH_CONCURRENCY = Math.max(1, Math.min(availableParallelism() + 1, threadPoolSize() - 1));

/**
 * libuv's thread pool (`UV_THREADPOOL_SIZE`, default 4) also resolves host names and reads files:
 * the default leaves it one thread, so a connection to a `DATABASE_URL` host never waits behind Argon2.
 */
export function threadPoolSize(): number {
  const configured = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isInteger(configured) && configured > 0 ? configured : 4;
}

/** Runs a CPU-bound job when a slot is free; the rest queue without blocking anything. */
export const runCpuBound = pLimit(DEFAULT_HASH_CONCURRENCY);

/** Applies `HASH_CONCURRENCY` at start-up. */
export function setHashConcurrency(concurrency: number): void {
  runCpuBound.concurrency = concurrency;
}
