import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';

/**
 * The default number of hashes that may run at once: one per core, plus one. Password and secret
 * hashing (Argon2, bcrypt, PBKDF2, scrypt) runs on libuv's thread pool, off the event loop, but it
 * still needs CPU: with the pool's four threads hashing on a two-core machine the event loop gets a
 * fifth of the CPU and every other request waits. With one job per core, the cores idled about a
 * tenth of the time between one hash ending and the event loop starting the next (bench/RESULTS.md,
 * Passwords); the extra job covers that gap.
 */
export const DEFAULT_HASH_CONCURRENCY = availableParallelism() + 1;

/** Runs a CPU-bound job when a slot is free; the rest queue without blocking anything. */
export const runCpuBound = pLimit(DEFAULT_HASH_CONCURRENCY);

/** Applies `HASH_CONCURRENCY` at start-up. */
export function setHashConcurrency(concurrency: number): void {
  runCpuBound.concurrency = concurrency;
}
