import { jest } from '@jest/globals';
import type { AppConfig } from '../config/app-config.js';
import type { LogsService } from '../logs/logs.service.js';
import type { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import type { HousekeepingLockRepository } from './housekeeping-lock.repository.js';
import { HousekeepingService } from './housekeeping.service.js';

const INTERVAL_MS = 1000;

describe('HousekeepingService', () => {
  let lockFree: boolean;
  let lock: { whileHolding: jest.Mock<HousekeepingLockRepository['whileHolding']> };
  let rateLimiter: { purgeExpired: jest.Mock<RateLimiterService['purgeExpired']> };
  let logs: { purgeOlderThan: jest.Mock<LogsService['purgeOlderThan']> };

  const serviceWith = (logRetentionDays?: number): HousekeepingService =>
    new HousekeepingService(
      lock as unknown as HousekeepingLockRepository,
      rateLimiter as unknown as RateLimiterService,
      logs as unknown as LogsService,
      { logRetentionDays, housekeeping: { intervalMs: INTERVAL_MS, batchSize: 50 } } as AppConfig,
    );

  beforeEach(() => {
    lockFree = true;
    lock = {
      whileHolding: jest.fn(<T>(work: () => Promise<T>) => (lockFree ? work() : Promise.resolve(undefined))),
    };
    rateLimiter = { purgeExpired: jest.fn<RateLimiterService['purgeExpired']>().mockResolvedValue(4) };
    logs = { purgeOlderThan: jest.fn<LogsService['purgeOlderThan']>().mockResolvedValue(9) };
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('purges ended rate-limit windows and audit rows past the retention, in batches, under the lock', async () => {
    expect(await serviceWith(30).runOnce()).toEqual({ expiredRateLimits: 4, expiredLogs: 9 });
    expect(rateLimiter.purgeExpired).toHaveBeenCalledWith(50, expect.any(Function));
    expect(logs.purgeOlderThan).toHaveBeenCalledWith(30, 50, expect.any(Function));
    expect(lock.whileHolding).toHaveBeenCalledTimes(1);
  });

  it('keeps audit rows when no retention is set', async () => {
    expect(await serviceWith(undefined).runOnce()).toEqual({ expiredRateLimits: 4, expiredLogs: 0 });
    expect(logs.purgeOlderThan).not.toHaveBeenCalled();
  });

  it('purges nothing while another replica holds the lock', async () => {
    lockFree = false;
    expect(await serviceWith(30).runOnce()).toBeUndefined();
    expect(rateLimiter.purgeExpired).not.toHaveBeenCalled();
    expect(logs.purgeOlderThan).not.toHaveBeenCalled();
  });

  it('runs once per interval from start-up, and not after shutdown, which waits for the run in progress and stops its batches', async () => {
    jest.useFakeTimers();
    let finishRun: (deleted: number) => void = () => undefined;
    let shouldStop: () => boolean = () => false;
    rateLimiter.purgeExpired.mockImplementation((_batch, stop) => {
      shouldStop = stop ?? shouldStop;
      return new Promise((resolve) => (finishRun = resolve));
    });
    const service = serviceWith(undefined);
    service.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(lock.whileHolding).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(lock.whileHolding).toHaveBeenCalledTimes(1);

    // A slow run is not overlapped by the next one.
    await jest.advanceTimersByTimeAsync(3 * INTERVAL_MS);
    expect(lock.whileHolding).toHaveBeenCalledTimes(1);
    finishRun(0);
    await jest.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(lock.whileHolding).toHaveBeenCalledTimes(2);

    let destroyed = false;
    const destroying = service.onModuleDestroy().then(() => (destroyed = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(shouldStop()).toBe(true);
    expect(destroyed).toBe(false);
    finishRun(0);
    await destroying;
    await jest.advanceTimersByTimeAsync(10 * INTERVAL_MS);
    expect(lock.whileHolding).toHaveBeenCalledTimes(2);
  });
});
