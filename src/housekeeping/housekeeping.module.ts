import { Module } from '@nestjs/common';
import { LogsModule } from '../logs/logs.module.js';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { HousekeepingLockRepository } from './housekeeping-lock.repository.js';
import { HousekeepingService } from './housekeeping.service.js';

/** Bounded storage: the periodic purges of rate-limit windows and old audit rows (README, "Housekeeping"). */
@Module({
  imports: [LogsModule, RateLimitModule],
  providers: [HousekeepingService, HousekeepingLockRepository],
})
export class HousekeepingModule {}
