import { Body, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { RequestError } from '../common/errors/request-error.js';
import { IdParam } from '../common/http/id-param.js';
import { setPageHeaders } from '../common/http/pagination.js';
import { ApiPagedResponse, ApiPagination } from '../common/http/pagination.decorators.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import {
  CreateResourceDto,
  CreateScopeDto,
  ResourceIsDefaultDto,
  ResourceWithScopesResponseDto,
  UpdateResourceDto,
  UpdateScopeDto,
} from './dto/resource.dto.js';
import { ResourceResponseDto, ScopeResponseDto } from './dto/scope.dto.js';
import { toResourceResponse, toScopeResponse } from './role.mapper.js';
import {
  ApiRoleSearch,
  ResourceIdParam,
  type ResourceListQuery,
  ResourceListQueryParam,
  type SearchPageQuery,
  SearchPageQueryParam,
} from './role-query.js';
import { ResourcesService } from './resources.service.js';

/** `:scopeId` (varchar(21)): one that cannot exist is the same 404 as an unknown one. */
const ScopeIdParam = (): ParameterDecorator =>
  IdParam('scopeId', 21, () => new RequestError('entity.not_exists', { interpolation: { name: 'scope' } }));

const PAGED_WHEN_ASKED = {
  'Total-Number': { description: 'Only when paged.', schema: { type: 'string' } },
  Link: { description: 'Only when paged.', schema: { type: 'string' } },
};

@ApiTags('Resources')
@Controller('resources')
export class ResourcesController {
  constructor(
    private readonly resourcesService: ResourcesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @RequireScope('resources:read')
  @ApiOperation({ summary: 'List API resources', description: 'In creation order. Paged only when `page` or `page_size` is given.' })
  @ApiPagination()
  @ApiQuery({ name: 'includeScopes', required: false, description: 'Yes-flag: add each resource’s `scopes`.', schema: { type: 'string' } })
  @ApiOkResponse({ type: [ResourceWithScopesResponseDto], headers: PAGED_WHEN_ASKED })
  @ApiErrorResponses('guard.invalid_pagination')
  async list(
    @ResourceListQueryParam() { pagination, includeScopes }: ResourceListQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ResourceWithScopesResponseDto[]> {
    const { resources, total } = await this.resourcesService.list(includeScopes, pagination);
    if (pagination && total !== undefined) setPageHeaders(reply, request, this.config.endpoint, pagination, total);
    return resources.map((resource) => ({
      ...toResourceResponse(resource),
      ...(resource.scopes ? { scopes: resource.scopes.map(toScopeResponse) } : {}),
    }));
  }

  @Post()
  @RequireScope('resources:write')
  @ApiOperation({ summary: 'Create an API resource', description: '`isDefault` is ignored; see `PATCH /api/resources/{id}/is-default`.' })
  @ApiCreatedResponse({ type: ResourceWithScopesResponseDto })
  @ApiErrorResponses('guard.invalid_input', 'resource.resource_identifier_in_use')
  async create(@Body() body: CreateResourceDto): Promise<ResourceWithScopesResponseDto> {
    return { ...toResourceResponse(await this.resourcesService.create(body)), scopes: [] };
  }

  /** Get an API resource */
  @Get(':id')
  @RequireScope('resources:read')
  @ApiErrorResponses('entity.not_exists_with_id')
  async get(@ResourceIdParam('id') id: string): Promise<ResourceResponseDto> {
    return toResourceResponse(await this.resourcesService.getById(id));
  }

  @Patch(':id')
  @RequireScope('resources:write')
  @ApiOperation({ summary: 'Update an API resource', description: '`indicator` cannot change. The Management API cannot be modified.' })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_exists_with_id', 'resource.cannot_modify_management_api')
  async update(@ResourceIdParam('id') id: string, @Body() body: UpdateResourceDto): Promise<ResourceResponseDto> {
    return toResourceResponse(await this.resourcesService.update(id, body));
  }

  @Patch(':id/is-default')
  @RequireScope('resources:write')
  @ApiOperation({ summary: 'Make an API resource the default, or not', description: 'Setting one clears the previous default.' })
  @ApiErrorResponses('guard.invalid_input', 'entity.not_exists_with_id')
  async setDefault(@ResourceIdParam('id') id: string, @Body() body: ResourceIsDefaultDto): Promise<ResourceResponseDto> {
    return toResourceResponse(await this.resourcesService.setDefault(id, body.isDefault));
  }

  @Delete(':id')
  @RequireScope('resources:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an API resource', description: 'Its scopes go with it, and leave every role that carried them.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrorResponses('entity.not_exists_with_id', 'resource.cannot_delete_management_api')
  async delete(@ResourceIdParam('id') id: string): Promise<void> {
    await this.resourcesService.delete(id);
  }

  @Get(':resourceId/scopes')
  @RequireScope('resources:read')
  @ApiOperation({ summary: "List an API resource's scopes", description: 'Oldest first; searchable over `id`, `name` and `description`.' })
  @ApiPagination()
  @ApiRoleSearch()
  @ApiPagedResponse(ScopeResponseDto, { capped: false })
  @ApiErrorResponses('entity.not_exists_with_id', 'guard.invalid_pagination', 'request.invalid_input')
  async listScopes(
    @ResourceIdParam('resourceId') resourceId: string,
    @SearchPageQueryParam() { search, pagination }: SearchPageQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ScopeResponseDto[]> {
    const { scopes, total } = await this.resourcesService.listScopes(resourceId, search, pagination);
    setPageHeaders(reply, request, this.config.endpoint, pagination, total);
    return scopes.map(toScopeResponse);
  }

  @Post(':resourceId/scopes')
  @RequireScope('resources:write')
  @ApiOperation({ summary: 'Create a scope of an API resource' })
  @ApiCreatedResponse({ type: ScopeResponseDto })
  @ApiErrorResponses(
    'guard.invalid_input',
    'entity.not_exists_with_id',
    'resource.cannot_modify_management_api',
    'scope.name_with_space',
    'scope.name_exists',
  )
  async createScope(@ResourceIdParam('resourceId') resourceId: string, @Body() body: CreateScopeDto): Promise<ScopeResponseDto> {
    return toScopeResponse(await this.resourcesService.createScope(resourceId, body));
  }

  @Patch(':resourceId/scopes/:scopeId')
  @RequireScope('resources:write')
  @ApiOperation({ summary: 'Update a scope', description: 'Only a scope of this resource (404 `entity.not_exists` otherwise).' })
  @ApiErrorResponses(
    'guard.invalid_input',
    'entity.not_exists_with_id',
    'entity.not_exists',
    'resource.cannot_modify_management_api',
    'scope.name_with_space',
    'scope.name_exists',
  )
  async updateScope(
    @ResourceIdParam('resourceId') resourceId: string,
    @ScopeIdParam() scopeId: string,
    @Body() body: UpdateScopeDto,
  ): Promise<ScopeResponseDto> {
    return toScopeResponse(await this.resourcesService.updateScope(resourceId, scopeId, body));
  }

  @Delete(':resourceId/scopes/:scopeId')
  @RequireScope('resources:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a scope', description: 'Only a scope of this resource; it leaves every role that carried it.' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrorResponses('entity.not_exists_with_id', 'entity.not_exists', 'resource.cannot_modify_management_api')
  async deleteScope(@ResourceIdParam('resourceId') resourceId: string, @ScopeIdParam() scopeId: string): Promise<void> {
    await this.resourcesService.deleteScope(resourceId, scopeId);
  }
}
