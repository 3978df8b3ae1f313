import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { LogsService } from '../logs/logs.service.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { HousekeepingLockRepository } from './housekeeping-lock.repository.js';

export interface HousekeepingRun {
  expiredRateLimits: number;
  /** Audit rows past `LOG_RETENTION_DAYS` (0 when it is unset). */
  expiredLogs: number;
}

/**
 * Purges what strangers can make grow (ended rate-limit windows) and audit rows past their
 * retention. Every replica keeps a timer, but a run first takes an advisory lock and is skipped
 * when another replica holds it, so purges never run twice at once; ages are measured with
 * PostgreSQL's clock, so replicas' clock skew cannot purge a row early.
 */
@Injectable()
export class HousekeepingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Housekeeping');
  private timer?: NodeJS.Timeout;
  private run?: Promise<unknown>;
  private stopping = false;

  constructor(
    private readonly lock: HousekeepingLockRepository,
    private readonly rateLimiter: RateLimiterService,
    private readonly logs: LogsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  /** Stops the timer and lets a run in progress end after its current batch, before the pool closes. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.run;
  }

  /** One run, unless another replica is running one (then `undefined`). */
  async runOnce(): Promise<HousekeepingRun | undefined> {
    const { batchSize } = this.config.housekeeping;
    const shouldStop = (): boolean => this.stopping;
    const retentionDays = this.config.logRetentionDays;
    return this.lock.whileHolding(async () => ({
      expiredRateLimits: await this.rateLimiter.purgeExpired(batchSize, shouldStop),
      expiredLogs: retentionDays === undefined ? 0 : await this.logs.purgeOlderThan(retentionDays, batchSize, shouldStop),
    }));
  }

  /** A timeout chain rather than an interval, so a slow run is never overlapped by the next. */
  private schedule(): void {
    if (this.stopping) return;
    // Unref'd: a pending run never keeps the process (or the CLI) alive.
    this.timer = setTimeout(() => {
      this.run = this.runOnce()
        .then((result) => {
          if (!result) this.logger.debug('Skipped: another replica is running housekeeping');
          else if (result.expiredRateLimits + result.expiredLogs > 0) this.logger.log(`Purged ${JSON.stringify(result)}`);
        })
        .catch((error: unknown) => this.logger.warn(`Housekeeping run failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => this.schedule());
    }, this.config.housekeeping.intervalMs).unref();
  }
}
