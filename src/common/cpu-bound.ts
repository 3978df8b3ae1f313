import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';

/**
 * The default number of hashes that may run at once: one per core, plus one, but at most one less
 * than libuv's thread pool. Password and secret hashing (Argon2, bcrypt, PBKDF2, scrypt) runs on
 * libuv's thread pool, off the event loop, but it still needs CPU: with the pool's four threads hashing on a two-core machine the event loop gets a
 * fifth of the CPU and every other request waits. With one job per core, the cores idled about a
 * tenth of the time between one hash ending and the event loop starting the next (bench/RESULTS.md,
 * Passwords); the extra job covers that gap.
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
