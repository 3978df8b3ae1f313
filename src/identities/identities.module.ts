import { Module } from '@nestjs/common';
import { LogsModule } from '../logs/logs.module.js';
import { UsersModule } from '../users/users.module.js';
import { IdentitiesController } from './identities.controller.js';
import { IdentitiesRepository } from './identities.repository.js';
import { IdentitiesService } from './identities.service.js';

/** Social identities linked to users; reads users through `UsersService`. */
@Module({
  imports: [UsersModule, LogsModule],
  controllers: [IdentitiesController],
  providers: [IdentitiesService, IdentitiesRepository],
})
export class IdentitiesModule {}
