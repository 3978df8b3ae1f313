import { Module } from '@nestjs/common';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';
import { LogsModule } from '../logs/logs.module.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [LogsModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, RateLimiterService],
  exports: [UsersService],
})
export class UsersModule {}
