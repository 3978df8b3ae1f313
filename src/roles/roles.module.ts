import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LogsModule } from '../logs/logs.module.js';
import { Resource } from './resource.entity.js';
import { ResourcesController } from './resources.controller.js';
import { ResourcesRepository } from './resources.repository.js';
import { ResourcesService } from './resources.service.js';
import { RoleScope } from './role-scope.entity.js';
import { Role } from './role.entity.js';
import { RolesController } from './roles.controller.js';
import { RolesRepository } from './roles.repository.js';
import { RolesService } from './roles.service.js';
import { ResourceScope } from './scope.entity.js';
import { UserRole } from './user-role.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([Role, UserRole, Resource, ResourceScope, RoleScope]), LogsModule],
  controllers: [RolesController, ResourcesController],
  providers: [RolesService, RolesRepository, ResourcesService, ResourcesRepository],
  exports: [RolesService],
})
export class RolesModule {}
