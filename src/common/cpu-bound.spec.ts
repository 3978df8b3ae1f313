import { DEFAULT_HASH_CONCURRENCY, runCpuBound, setHashConcurrency } from './cpu-bound.js';

describe('runCpuBound', () => {
  afterEach(() => setHashConcurrency(DEFAULT_HASH_CONCURRENCY));

  it('runs at most the configured number of jobs at once and queues the rest', async () => {
    setHashConcurrency(2);
    let running = 0;
    let peak = 0;
    let finished = 0;
    const job = async (): Promise<number> => {
      running += 1;
      peak = Math.max(peak, running);
      // Yield to the event loop, so that every queued job that could start does.
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      finished += 1;
      return finished;
    };
    const results = await Promise.all(Array.from({ length: 7 }, () => runCpuBound(job)));
    expect(peak).toBe(2);
    // Queued, not dropped: every job ran to its end and its caller got that job's own answer.
    expect(results.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(runCpuBound.pendingCount).toBe(0);
  });
});
