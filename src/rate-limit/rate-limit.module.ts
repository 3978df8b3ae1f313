import { Module } from '@nestjs/common';
import { RateLimitsRepository } from './rate-limits.repository.js';
import { RateLimiterService } from './rate-limiter.service.js';

@Module({
  providers: [RateLimiterService, RateLimitsRepository],
  exports: [RateLimiterService],
})
export class RateLimitModule {}
