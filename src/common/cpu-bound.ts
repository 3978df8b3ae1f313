import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
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

const limit = pLimit(DEFAULT_HASH_CONCURRENCY);

/** The queue is one per process; each app's metrics subscribe to its waits (see `observeCpuBoundWaits`). */
const waitObservers = new Set<(seconds: number) => void>();

/** Runs a CPU-bound job when a slot is free; the rest queue without blocking anything. */
export function runCpuBound<T>(job: () => Promise<T>): Promise<T> {
  const queuedAt = performance.now();
  return limit(() => {
    const waitedSeconds = (performance.now() - queuedAt) / 1000;
    for (const observe of waitObservers) observe(waitedSeconds);
    return job();
  });
}

/** Jobs running and jobs waiting for a slot, now. */
export function cpuBoundQueue(): { active: number; pending: number } {
  return { active: limit.activeCount, pending: limit.pendingCount };
}

/** Calls `observer` with each job's wait for a slot, in seconds, until the returned function is called. */
export function observeCpuBoundWaits(observer: (seconds: number) => void): () => void {
  waitObservers.add(observer);
  return () => waitObservers.delete(observer);
}

/** Applies `HASH_CONCURRENCY` at start-up. */
export function setHashConcurrency(concurrency: number): void {
  limit.concurrency = concurrency;
}
