import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Put, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { setPageHeaders } from '../common/http/pagination.js';
import { ApiPagedResponse, ApiPagination } from '../common/http/pagination.decorators.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { AddedRolesResponseDto, ReplacedRolesResponseDto, RoleIdsDto, RoleResponseDto, UserIdsDto } from '../roles/dto/role.dto.js';
import { toRoleResponse } from '../roles/role.mapper.js';
import { ApiRoleSearch, LinkIdParam, RoleIdParam, type SearchPageQuery, SearchPageQueryParam } from '../roles/role-query.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { UserIdParam } from './user-id.param.js';
import type { UserListQuery } from './user-list-query.js';
import { ApiUserListQuery, UserListQueryParam } from './user-list-query.param.js';
import { setUserPageHeaders } from './user-page.js';
import { toUserResponse } from './user.mapper.js';
import { UserRolesService } from './user-roles.service.js';

/** Granting and revoking roles is a privilege change: it needs `roles:write`, never `users:write` alone. */
@ApiTags('Roles')
@Controller()
export class UserRolesController {
  constructor(
    private readonly userRoles: UserRolesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('users/:userId/roles')
  @RequireScope('roles:read')
  @ApiOperation({ summary: "List a user's roles", description: 'In catalogue order; searchable over `id`, `name` and `description`.' })
  @ApiPagination()
  @ApiRoleSearch()
  @ApiPagedResponse(RoleResponseDto, { capped: false })
  @ApiErrorResponses('entity.not_found', 'guard.invalid_pagination', 'request.invalid_input')
  async listRolesOfUser(
    @UserIdParam() userId: string,
    @SearchPageQueryParam() { search, pagination }: SearchPageQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RoleResponseDto[]> {
    const { roles, total } = await this.userRoles.listRolesOfUser(userId, search, pagination);
    setPageHeaders(reply, request, this.config.endpoint, pagination, total);
    return roles.map(toRoleResponse);
  }

  @Post('users/:userId/roles')
  @RequireScope('roles:write')
  @ApiOperation({
    summary: 'Give a user roles',
    description: 'Roles the user holds already are skipped; `addedRoleIds` lists the rest. Repeated ids count once.',
  })
  @ApiCreatedResponse({ type: AddedRolesResponseDto })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_found', 'user.invalid_role_type', 'entity.not_exists_with_id')
  async addRolesToUser(@UserIdParam() userId: string, @Body() body: RoleIdsDto): Promise<AddedRolesResponseDto> {
    return { roleIds: body.roleIds, addedRoleIds: await this.userRoles.addRolesToUser(userId, body.roleIds) };
  }

  @Put('users/:userId/roles')
  @RequireScope('roles:write')
  @ApiOperation({
    summary: "Replace a user's roles",
    description: '`roleIds` becomes the whole set (`[]` removes every role), all at once or not at all.',
  })
  @ApiOkResponse({ type: ReplacedRolesResponseDto })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_found', 'user.invalid_role_type', 'entity.not_exists_with_id')
  async replaceRolesOfUser(@UserIdParam() userId: string, @Body() body: RoleIdsDto): Promise<ReplacedRolesResponseDto> {
    return { roleIds: await this.userRoles.replaceRolesOfUser(userId, body.roleIds) };
  }

  @Delete('users/:userId/roles/:roleId')
  @RequireScope('roles:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Take a role from a user' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiErrorResponses('entity.not_found')
  async removeRoleFromUser(@UserIdParam() userId: string, @LinkIdParam('roleId') roleId: string): Promise<void> {
    await this.userRoles.removeRoleFromUser(userId, roleId);
  }

  @Get('roles/:id/users')
  @RequireScope('roles:read')
  @ApiOperation({
    summary: "List a role's holders",
    description: 'The users list (`GET /api/users`) restricted to the role: the same order, search, paging and headers.',
  })
  @ApiUserListQuery()
  @ApiPagedResponse(UserResponseDto, { capped: true })
  @ApiErrorResponses('entity.not_exists_with_id', 'guard.invalid_pagination', 'request.invalid_input')
  async listUsersOfRole(
    @RoleIdParam() roleId: string,
    @UserListQueryParam() query: UserListQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto[]> {
    const { page, roles } = await this.userRoles.listUsersOfRole(roleId, query);
    setUserPageHeaders(reply, request, this.config.endpoint, query.paging, page);
    return page.users.map((user) => toUserResponse(user, { includePasswordHash: query.includePasswordHash, roles: roles?.get(user.id) }));
  }

  @Post('roles/:id/users')
  @RequireScope('roles:write')
  @ApiOperation({
    summary: 'Give a role to users',
    description: 'All or none. Answers 201 with an empty body (`Content-Length: 0`), which the SDK reads as `undefined`.',
  })
  @ApiCreatedResponse({ description: 'Assigned; no body.' })
  @ApiErrorResponses(
    'guard.invalid_input',
    'entity.not_exists_with_id',
    'role.user_exists',
    'entity.not_found',
    'entity.db_constraint_violated',
  )
  async addUsersToRole(
    @RoleIdParam() roleId: string,
    @Body() body: UserIdsDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.userRoles.addUsersToRole(roleId, body.userIds);
    void reply.header('Content-Length', '0');
  }

  @Delete('roles/:id/users/:userId')
  @RequireScope('roles:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Take a role from a user' })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiErrorResponses('entity.not_found')
  async removeUserFromRole(@LinkIdParam('id') roleId: string, @UserIdParam() userId: string): Promise<void> {
    await this.userRoles.removeRoleFromUser(userId, roleId);
  }
}
