import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { ApiPagedResponse } from '../common/http/pagination.decorators.js';
import { isYes } from '../common/yes-flag.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { ProfileDto } from './dto/profile.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import {
  HasPasswordResponseDto,
  UpdateCustomDataDto,
  UpdatePasswordDto,
  UpdateProfileDto,
  UpdateSuspensionDto,
  VerifyPasswordDto,
} from './dto/user-subresources.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { UserIdParam } from './user-id.param.js';
import type { UserListQuery } from './user-list-query.js';
import { ApiUserListQuery, INCLUDE_PASSWORD_HASH_QUERY, INCLUDE_ROLES_QUERY, UserListQueryParam } from './user-list-query.param.js';
import { toUserResponse } from './user.mapper.js';
import { setUserPageHeaders } from './user-page.js';
import { SEARCH_COUNT_CAP, UsersService } from './users.service.js';

@ApiTags('Users')
@ApiExtraModels(ProfileDto, UpdateUserDto)
@Controller('users')
export class UsersController {
  constructor(
    private readonly usersService: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScope('users:read')
  @ApiOperation({
    summary: 'List and search users',
    description:
      'Newest first (`createdAt` then `id`, descending). Search with `search` (all fields) or `search.<field>` ' +
      '(`id`, `primaryEmail`, `primaryPhone`, `username`, `name`), match with `mode`/`mode.<field>` ' +
      '(`like` default, `exact`, `similar_to`, `posix`), combine groups with `joint` (`or`/`and`) and `isCaseSensitive`. ' +
      'In `like` mode the value is a SQL LIKE pattern: add `%` yourself. Repeat `search.<field>` for several exact values. ' +
      `Without a search, \`Total-Number\` is exact; with one, it is exact up to ${SEARCH_COUNT_CAP} and beyond reads ` +
      `${SEARCH_COUNT_CAP + 1} with \`Total-Number-Is-Capped: true\` (no \`last\` link). ` +
      'For deep paging send `cursor` (empty for the first page) instead of `page`, and follow the `next` link.',
  })
  @ApiUserListQuery()
  @ApiPagedResponse(UserResponseDto, { capped: true })
  @ApiErrorResponses('guard.invalid_pagination', 'request.invalid_input')
  async list(
    @UserListQueryParam() query: UserListQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<UserResponseDto[]> {
    const page = await this.usersService.list(query);
    setUserPageHeaders(reply, request, this.config.endpoint, query.paging, page);
    const roles = query.includeRoles ? await this.usersService.rolesOfUsers(page.users) : undefined;
    return page.users.map((user) => toUserResponse(user, { includePasswordHash: query.includePasswordHash, roles: roles?.get(user.id) }));
  }

  /** Get a user */
  @Get(':userId')
  @RequireScope('users:read')
  @ApiQuery(INCLUDE_PASSWORD_HASH_QUERY)
  @ApiQuery({
    name: 'includeSsoIdentities',
    required: false,
    description: 'Yes-flag: add `ssoIdentities` (always `[]`).',
    schema: { type: 'string' },
  })
  @ApiQuery(INCLUDE_ROLES_QUERY)
  @ApiErrorResponses('entity.not_found')
  async get(
    @UserIdParam() userId: string,
    @Query('includePasswordHash') includePasswordHash?: string,
    @Query('includeSsoIdentities') includeSsoIdentities?: string,
    @Query('includeRoles') includeRoles?: string,
  ): Promise<UserResponseDto> {
    const user = await this.usersService.getById(userId);
    const roles = isYes(includeRoles) ? await this.usersService.rolesOfUsers([user]) : undefined;
    return toUserResponse(user, {
      includePasswordHash: isYes(includePasswordHash),
      includeSsoIdentities: isYes(includeSsoIdentities),
      roles: roles?.get(user.id),
    });
  }

  @Post()
  @RequireScope('users:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create a user', description: 'Answers 200 (not 201), as Logto does. Unknown body fields are ignored.' })
  @ApiErrorResponses(
    'guard.invalid_input',
    'user.password_and_digest',
    'user.password_algorithm_required',
    'password.unsupported_encryption_method',
    'password.invalid_legacy_password_format',
    'password.unsupported_legacy_hash_algorithm',
    'user.username_already_in_use',
    'user.email_already_in_use',
    'user.phone_already_in_use',
    'user.invalid_phone',
    'entity.value_too_long',
  )
  async create(@Body() body: CreateUserDto): Promise<UserResponseDto> {
    return toUserResponse(await this.usersService.create(body));
  }

  @Patch(':userId')
  @RequireScope('users:write')
  @ApiOperation({
    summary: 'Update a user',
    description: '`""` or `null` clears a field; `customData` and `profile` replace the stored objects.',
  })
  @ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(UpdateUserDto) }], minProperties: 1, description: 'At least one field.' } })
  @ApiErrorResponses(
    'guard.invalid_input',
    'entity.not_found',
    'entity.invalid_input',
    'user.email_already_in_use',
    'user.phone_already_in_use',
    'user.username_already_in_use',
    'user.invalid_phone',
    'entity.value_too_long',
  )
  async update(@UserIdParam() userId: string, @Body() body: UpdateUserDto): Promise<UserResponseDto> {
    return toUserResponse(await this.usersService.update(userId, body));
  }

  @Patch(':userId/password')
  @RequireScope('users:write')
  @ApiOperation({ summary: "Set a user's password", description: 'Stored as an Argon2i hash. No password policy is applied.' })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_found')
  async updatePassword(@UserIdParam() userId: string, @Body() body: UpdatePasswordDto): Promise<UserResponseDto> {
    return toUserResponse(await this.usersService.updatePassword(userId, body.password));
  }

  @Post(':userId/password/verify')
  @RequireScope('users:write')
  @HttpCode(204)
  @ApiOperation({
    summary: "Verify a user's password",
    description:
      '204 when the password matches. A match against any hash but Argon2i re-hashes it as Argon2i. Every checked ' +
      'password is logged (`ManagementApi.User.Password.Verify`, `Success` or `Error`) and every attempt counted: by default 10 attempts per user per 5 minutes ' +
      '(`PASSWORD_VERIFY_MAX_ATTEMPTS`, `PASSWORD_VERIFY_WINDOW_SECONDS`); a success resets the count.',
  })
  @ApiNoContentResponse({ description: 'The password matches.' })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_found', 'session.invalid_credentials', 'request.too_many_requests')
  async verifyPassword(@UserIdParam() userId: string, @Body() body: VerifyPasswordDto): Promise<void> {
    await this.usersService.verifyPassword(userId, body.password);
  }

  /** Suspend or reinstate a user */
  @Patch(':userId/is-suspended')
  @RequireScope('users:write')
  @ApiErrorResponses('guard.invalid_input', 'entity.not_found')
  async updateSuspension(@UserIdParam() userId: string, @Body() body: UpdateSuspensionDto): Promise<UserResponseDto> {
    return toUserResponse(await this.usersService.updateSuspension(userId, body.isSuspended));
  }

  /** Delete a user */
  @Delete(':userId')
  @RequireScope('users:write')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrorResponses('entity.not_found')
  async delete(@UserIdParam() userId: string): Promise<void> {
    await this.usersService.delete(userId);
  }

  /** Get a user's custom data */
  @Get(':userId/custom-data')
  @RequireScope('users:read')
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  @ApiErrorResponses('entity.not_found')
  getCustomData(@UserIdParam() userId: string): Promise<Record<string, unknown>> {
    return this.usersService.getCustomData(userId);
  }

  @Patch(':userId/custom-data')
  @RequireScope('users:write')
  @ApiOperation({
    summary: "Merge into a user's custom data",
    description: 'Shallow merge: top-level keys overwrite; keys are never removed.',
  })
  @ApiOkResponse({ description: 'The whole merged custom data.', schema: { type: 'object', additionalProperties: true } })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_found')
  mergeCustomData(@UserIdParam() userId: string, @Body() body: UpdateCustomDataDto): Promise<Record<string, unknown>> {
    return this.usersService.mergeCustomData(userId, body.customData);
  }

  @Patch(':userId/profile')
  @RequireScope('users:write')
  @ApiOperation({ summary: "Merge into a user's profile", description: 'Shallow merge: `address` is replaced as a whole.' })
  @ApiBody({ type: UpdateProfileDto })
  @ApiOkResponse({ description: 'The whole merged profile.', schema: { $ref: getSchemaPath(ProfileDto) } })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_found')
  mergeProfile(@UserIdParam() userId: string, @Body() body: UpdateProfileDto): Promise<Record<string, unknown>> {
    return this.usersService.mergeProfile(userId, body.profile);
  }

  /** Tell whether a user has a password */
  @Get(':userId/has-password')
  @RequireScope('users:read')
  @ApiErrorResponses('entity.not_found')
  async hasPassword(@UserIdParam() userId: string): Promise<HasPasswordResponseDto> {
    return { hasPassword: await this.usersService.hasPassword(userId) };
  }
}
