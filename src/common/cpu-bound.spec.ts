import { cpuBoundQueue, DEFAULT_HASH_CONCURRENCY, observeCpuBoundWaits, runCpuBound, setHashConcurrency } from './cpu-bound.js';

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
    expect(cpuBoundQueue()).toEqual({ active: 0, pending: 0 });
  });

  it("reports the jobs running and waiting, and each job's wait for a slot to its observers", async () => {
    setHashConcurrency(1);
    const waits: number[] = [];
    const stopObserving = observeCpuBoundWaits((seconds) => waits.push(seconds));
    let release = (): void => undefined;
    const first = runCpuBound(() => new Promise<void>((resolve) => (release = resolve)));
    const second = runCpuBound(() => Promise.resolve());
    await new Promise((resolve) => setImmediate(resolve));
    expect(cpuBoundQueue()).toEqual({ active: 1, pending: 1 });
    release();
    await Promise.all([first, second]);
    expect(cpuBoundQueue()).toEqual({ active: 0, pending: 0 });
    expect(waits).toHaveLength(2);
    // The second job started only once the first one ended.
    expect(waits[1]).toBeGreaterThan(waits[0] ?? Infinity);
    stopObserving();
    await runCpuBound(() => Promise.resolve());
    expect(waits).toHaveLength(2);
  });
});
