import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimitModule } from '../rate-limit/rate-limit.module.js';
import { LogsModule } from '../logs/logs.module.js';
import { RolesModule } from '../roles/roles.module.js';
import { UserIdentity } from './user-identity.entity.js';
import { User } from './user.entity.js';
import { UserIdentitiesRepository } from './user-identities.repository.js';
import { UserRolesController } from './user-roles.controller.js';
import { UserRolesService } from './user-roles.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User, UserIdentity]), LogsModule, RateLimitModule, RolesModule],
  controllers: [UsersController, UserRolesController],
  providers: [UsersService, UserRolesService, UsersRepository, UserIdentitiesRepository],
  exports: [UsersService],
})
export class UsersModule {}
