import { type FeaturedUserDto, type RoleListItemDto, type RoleResponseDto, TENANT_ID } from './dto/role.dto.js';
import type { ResourceResponseDto, RoleScopeResponseDto, ScopeResponseDto } from './dto/scope.dto.js';
import type { Resource } from './resource.entity.js';
import type { Role } from './role.entity.js';
import type { RoleScopeRow } from './roles.repository.js';
import type { ResourceScope } from './scope.entity.js';

/** Every key of a role on the wire, in Logto's order. */
export function toRoleResponse(role: Role): RoleResponseDto {
  return { tenantId: TENANT_ID, id: role.id, name: role.name, description: role.description, type: role.type, isDefault: role.isDefault };
}

export function toRoleListItem(role: Role & { usersCount: number; featuredUsers: FeaturedUserDto[] }): RoleListItemDto {
  return {
    ...toRoleResponse(role),
    usersCount: role.usersCount,
    featuredUsers: role.featuredUsers.map(({ id, avatar, name }) => ({ id, avatar, name })),
    applicationsCount: 0,
    featuredApplications: [],
  };
}

export function toScopeResponse(scope: ResourceScope): ScopeResponseDto {
  return {
    tenantId: TENANT_ID,
    id: scope.id,
    resourceId: scope.resourceId,
    name: scope.name,
    description: scope.description,
    createdAt: scope.createdAt.getTime(),
  };
}

export function toResourceResponse(resource: Resource): ResourceResponseDto {
  return {
    tenantId: TENANT_ID,
    id: resource.id,
    name: resource.name,
    indicator: resource.indicator,
    isDefault: resource.isDefault,
    accessTokenTtl: Number(resource.accessTokenTtl),
  };
}

export function toRoleScopeResponse(row: RoleScopeRow): RoleScopeResponseDto {
  return { ...toScopeResponse(row), resource: toResourceResponse(row.resource) };
}
