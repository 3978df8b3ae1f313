import { Body, Controller, Delete, Get, Put, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireScope } from '../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { RequestError } from '../common/errors/request-error.js';
import { IdParam } from '../common/http/id-param.js';
import { AllIdentitiesResponseDto, IdentityResponseDto, PutIdentityDto } from './dto/identity.dto.js';
import { IdentityDto } from '../users/dto/identity.dto.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { toUserResponse } from '../users/user.mapper.js';
import { UserIdParam } from '../users/user-id.param.js';
import { IdentitiesService } from './identities.service.js';

/** `user_identities.target` is varchar(256): a longer or NUL-holding target names no identity. */
const TARGET_MAX_LENGTH = 256;
const TargetParam = (): ParameterDecorator => IdParam('target', TARGET_MAX_LENGTH, () => new RequestError('user.identity_not_exist'));
/** A target to link must fit its column: a longer one is 422, one with NUL (PostgreSQL text cannot hold it) 400. */
const NewTargetParam = (): ParameterDecorator =>
  IdParam('target', TARGET_MAX_LENGTH, (target) =>
    target.length > TARGET_MAX_LENGTH
      ? new RequestError('entity.value_too_long')
      : new RequestError('request.invalid_input', { interpolation: { details: 'The target must not contain NUL characters.' }, data: {} }),
  );
const IDENTITIES_MAP_SCHEMA = { type: 'object', additionalProperties: { $ref: getSchemaPath(IdentityDto) } } as const;

@ApiTags('User social identities')
@ApiExtraModels(IdentityDto)
@Controller('users/:userId')
export class IdentitiesController {
  constructor(private readonly identitiesService: IdentitiesService) {}

  /** Get one of a user's social identities */
  @Get('identities/:target')
  @RequireScope('users:read')
  @ApiQuery({
    name: 'includeTokenSecret',
    required: false,
    description: 'Accepted for compatibility; no token secrets are stored.',
    schema: { type: 'string' },
  })
  @ApiErrorResponses('entity.not_found', 'user.identity_not_exist')
  async get(@UserIdParam() userId: string, @TargetParam() target: string): Promise<IdentityResponseDto> {
    return { identity: await this.identitiesService.get(userId, target) };
  }

  @Put('identities/:target')
  @RequireScope('users:write')
  @ApiOperation({
    summary: 'Link or replace a social identity',
    description:
      'Answers 201 when `target` was new for the user, 200 when its identity was replaced. The body is the whole identities map.',
  })
  @ApiCreatedResponse({ description: 'Linked a new target.', schema: IDENTITIES_MAP_SCHEMA })
  @ApiOkResponse({ description: 'Replaced the identity of an existing target.', schema: IDENTITIES_MAP_SCHEMA })
  @ApiErrorResponses(
    'guard.invalid_input',
    'request.invalid_input',
    'entity.not_found',
    'user.identity_already_in_use',
    'entity.value_too_long',
  )
  async put(
    @UserIdParam() userId: string,
    @NewTargetParam() target: string,
    @Body() body: PutIdentityDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, IdentityDto>> {
    const { created, identities } = await this.identitiesService.link(userId, target, { userId: body.userId, details: body.details });
    void reply.status(created ? 201 : 200);
    return identities;
  }

  @Delete('identities/:target')
  @RequireScope('users:write')
  @ApiOperation({ summary: 'Unlink a social identity', description: 'Answers 200 with the whole updated user.' })
  @ApiErrorResponses('entity.not_found', 'user.identity_not_exist')
  async delete(@UserIdParam() userId: string, @TargetParam() target: string): Promise<UserResponseDto> {
    return toUserResponse(await this.identitiesService.unlink(userId, target));
  }

  @Get('all-identities')
  @RequireScope('users:read')
  @ApiOperation({ summary: "List all of a user's identities", description: '`ssoIdentities` is always empty.' })
  @ApiQuery({
    name: 'includeTokenSecret',
    required: false,
    description: 'Accepted for compatibility; no token secrets are stored.',
    schema: { type: 'string' },
  })
  @ApiErrorResponses('entity.not_found')
  async all(@UserIdParam() userId: string): Promise<AllIdentitiesResponseDto> {
    return { socialIdentities: await this.identitiesService.listOfUser(userId), ssoIdentities: [] };
  }
}
