import { Module } from '@nestjs/common';
import { LogsModule } from '../logs/logs.module.js';
import { UsersModule } from '../users/users.module.js';
import { IdentitiesController } from './identities.controller.js';
import { IdentitiesService } from './identities.service.js';

/** The social identity routes of users; the identities are stored with the user, through `UsersService`. */
@Module({
  imports: [UsersModule, LogsModule],
  controllers: [IdentitiesController],
  providers: [IdentitiesService],
})
export class IdentitiesModule {}
