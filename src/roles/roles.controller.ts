import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { setPageHeaders } from '../common/http/pagination.js';
import { ApiPagedResponse, ApiPagination } from '../common/http/pagination.decorators.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { CreateRoleDto, RoleListItemDto, RoleResponseDto, ScopeIdsDto, UpdateRoleDto } from './dto/role.dto.js';
import { RoleScopeResponseDto, ScopeResponseDto } from './dto/scope.dto.js';
import { toRoleListItem, toRoleResponse, toRoleScopeResponse, toScopeResponse } from './role.mapper.js';
import {
  ApiRoleListQuery,
  ApiRoleSearch,
  type OptionalPageQuery,
  OptionalPageQueryParam,
  LinkIdParam,
  RoleIdParam,
  type RoleListQuery,
  RoleListQueryParam,
} from './role-query.js';
import { RolesService } from './roles.service.js';

@ApiTags('Roles')
@Controller('roles')
export class RolesController {
  constructor(
    private readonly rolesService: RolesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScope('roles:read')
  @ApiOperation({
    summary: 'List roles',
    description: 'In creation order. Each role carries `usersCount` and its three most recently assigned holders (`featuredUsers`).',
  })
  @ApiRoleListQuery()
  @ApiPagedResponse(RoleListItemDto, { capped: false })
  @ApiErrorResponses('guard.invalid_pagination', 'guard.invalid_input', 'request.invalid_input')
  async list(
    @RoleListQueryParam() { filter, pagination }: RoleListQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoleListItemDto[]> {
    const { roles, total } = await this.rolesService.list(filter, pagination);
    setPageHeaders(reply, request, this.config.endpoint, pagination, total);
    return roles.map(toRoleListItem);
  }

  @Post()
  @RequireScope('roles:write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a role',
    description: 'Answers 200 (not 201), as Logto does. With `scopeIds`, the role and its scopes are created together or not at all.',
  })
  @ApiOkResponse({ type: RoleResponseDto })
  @ApiErrorResponses(
    'guard.invalid_input',
    'role.name_in_use',
    'entity.not_exists_with_id',
    'role.management_api_scopes_not_assignable_to_user_role',
  )
  async create(@Body() body: CreateRoleDto): Promise<RoleResponseDto> {
    return toRoleResponse(await this.rolesService.create(body));
  }

  /** Get a role */
  @Get(':id')
  @RequireScope('roles:read')
  @ApiErrorResponses('entity.not_exists_with_id')
  async get(@RoleIdParam() id: string): Promise<RoleResponseDto> {
    return toRoleResponse(await this.rolesService.getById(id));
  }

  @Patch(':id')
  @RequireScope('roles:write')
  @ApiOperation({ summary: 'Update a role', description: '`{}` answers the role unchanged. `type` cannot change.' })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_exists_with_id', 'role.name_in_use')
  async update(@RoleIdParam() id: string, @Body() body: UpdateRoleDto): Promise<RoleResponseDto> {
    return toRoleResponse(await this.rolesService.update(id, body));
  }

  @Delete(':id')
  @RequireScope('roles:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a role', description: 'Its holders lose it; its scope links go with it.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrorResponses('entity.not_exists_with_id')
  async delete(@RoleIdParam() id: string): Promise<void> {
    await this.rolesService.delete(id);
  }

  @Get(':id/scopes')
  @RequireScope('roles:read')
  @ApiOperation({
    summary: "List a role's scopes",
    description: 'Oldest first, each with its resource. Paged only when `page` or `page_size` is given.',
  })
  @ApiPagination()
  @ApiRoleSearch()
  @ApiOkResponse({
    type: [RoleScopeResponseDto],
    headers: {
      'Total-Number': { description: 'Only when paged.', schema: { type: 'string' } },
      Link: { description: 'Only when paged.', schema: { type: 'string' } },
    },
  })
  @ApiErrorResponses('entity.not_exists_with_id', 'guard.invalid_pagination', 'request.invalid_input')
  async listScopes(
    @RoleIdParam() id: string,
    @OptionalPageQueryParam() { search, pagination }: OptionalPageQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoleScopeResponseDto[]> {
    const { scopes, total } = await this.rolesService.listScopes(id, search, pagination);
    if (pagination && total !== undefined) setPageHeaders(reply, request, this.config.endpoint, pagination, total);
    return scopes.map(toRoleScopeResponse);
  }

  @Post(':id/scopes')
  @RequireScope('roles:write')
  @ApiOperation({ summary: 'Give a role scopes', description: 'Answers every scope the role now carries.' })
  @ApiCreatedResponse({ type: [ScopeResponseDto] })
  @ApiErrorResponses(
    'guard.invalid_input',
    'entity.not_exists_with_id',
    'role.scope_exists',
    'role.management_api_scopes_not_assignable_to_user_role',
  )
  async addScopes(@RoleIdParam() id: string, @Body() body: ScopeIdsDto): Promise<ScopeResponseDto[]> {
    return (await this.rolesService.addScopes(id, body.scopeIds)).map(toScopeResponse);
  }

  @Delete(':id/scopes/:scopeId')
  @RequireScope('roles:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Take a scope from a role' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiErrorResponses('entity.not_found')
  async removeScope(@LinkIdParam('id') id: string, @LinkIdParam('scopeId') scopeId: string): Promise<void> {
    await this.rolesService.removeScope(id, scopeId);
  }
}
