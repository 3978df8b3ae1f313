import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { LogsModule } from '../logs/logs.module.js';
import { UserIdentity } from './user-identity.entity.js';
import { User } from './user.entity.js';
import { UserIdentitiesRepository } from './user-identities.repository.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User, UserIdentity]), LogsModule, RateLimitModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, UserIdentitiesRepository],
  exports: [UsersService],
})
export class UsersModule {}
