import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { RequestError } from '../common/errors/request-error.js';
import type { Pagination } from '../common/http/pagination.js';
import { generateStandardId } from '../common/ids.js';
import type { Search } from '../common/search/search-query.js';
import { LogsService } from '../logs/logs.service.js';
import type { CreateResourceDto, CreateScopeDto, UpdateResourceDto, UpdateScopeDto } from './dto/resource.dto.js';
import type { Resource } from './resource.entity.js';
import { ResourcesRepository } from './resources.repository.js';
import type { RoleSearchField } from './role-search-fields.js';
import { MANAGEMENT_API_RESOURCE_ID } from './roles.service.js';
import type { ResourceScope } from './scope.entity.js';

const ID_ATTEMPTS = 5;
const DEFAULT_ACCESS_TOKEN_TTL = 3600;

export const resourceNotFound = (id: string): RequestError =>
  new RequestError('entity.not_exists_with_id', { interpolation: { name: 'resources', id } });

/** Roster refuses whitespace anywhere in a scope name, as Logto does. */
function assertScopeName(name: string | undefined): void {
  if (name !== undefined && /\s/.test(name)) throw new RequestError('scope.name_with_space');
}

export interface ResourcePage {
  resources: (Resource & { scopes?: ResourceScope[] })[];
  /** Absent when the list was not paged. */
  total?: number;
}

/**
 * API resources and their scopes. The seeded Management API (matched by id) cannot be changed or
 * deleted, nor can its scopes. A scope is reached only through its own resource's path.
 */
@Injectable()
export class ResourcesService {
  constructor(
    private readonly resources: ResourcesRepository,
    private readonly logs: LogsService,
  ) {}

  async list(includeScopes: boolean, pagination?: Pagination): Promise<ResourcePage> {
    const page = pagination && { limit: pagination.pageSize, offset: pagination.offset };
    const [resources, total] = await Promise.all([
      this.resources.findResources(page),
      pagination ? this.resources.countResources() : undefined,
    ]);
    if (!includeScopes) return { resources, total };
    const scopes = await this.resources.findScopesOfResources(resources.map(({ id }) => id));
    return {
      resources: resources.map((resource) => ({ ...resource, scopes: scopes.filter((scope) => scope.resourceId === resource.id) })),
      total,
    };
  }

  async getById(id: string): Promise<Resource> {
    return (await this.resources.findResourceById(id)) ?? this.throwNotFound(id);
  }

  @Transactional()
  async create({ name, indicator, accessTokenTtl = DEFAULT_ACCESS_TOKEN_TTL }: CreateResourceDto): Promise<Resource> {
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt += 1) {
      if (await this.resources.isIndicatorTaken(indicator)) {
        throw new RequestError('resource.resource_identifier_in_use', { interpolation: { indicator } });
      }
      const resource = await this.resources.insertResource({
        id: generateStandardId(21),
        name,
        indicator,
        isDefault: false,
        accessTokenTtl: String(accessTokenTtl),
      });
      if (resource) {
        await this.logs.record('ManagementApi.Resource.Create', { params: { id: resource.id, name, indicator, accessTokenTtl } });
        return resource;
      }
    }
    throw new Error(`No free resource id after ${ID_ATTEMPTS} attempts`);
  }

  @Transactional()
  async update(id: string, values: UpdateResourceDto): Promise<Resource> {
    this.assertNotManagementApi(id, 'resource.cannot_modify_management_api');
    const resource = (await this.resources.updateResource(id, values)) ?? this.throwNotFound(id);
    if (Object.keys(values).length > 0) await this.logs.record('ManagementApi.Resource.Update', { params: { ...values, id } });
    return resource;
  }

  @Transactional()
  async setDefault(id: string, isDefault: boolean): Promise<Resource> {
    const resource = (await this.resources.setDefault(id, isDefault)) ?? this.throwNotFound(id);
    await this.logs.record('ManagementApi.Resource.Update', { params: { id, isDefault } });
    return resource;
  }

  @Transactional()
  async delete(id: string): Promise<void> {
    this.assertNotManagementApi(id, 'resource.cannot_delete_management_api');
    if (!(await this.resources.deleteResource(id))) this.throwNotFound(id);
    await this.logs.record('ManagementApi.Resource.Delete', { params: { id } });
  }

  /** Roster answers 404 for an unknown resource (Logto: an empty list). */
  async listScopes(
    resourceId: string,
    search: Search<RoleSearchField>,
    { pageSize, offset }: Pagination,
  ): Promise<{ scopes: ResourceScope[]; total: number }> {
    await this.getById(resourceId);
    const [scopes, total] = await Promise.all([
      this.resources.findScopePage(resourceId, search, { limit: pageSize, offset }),
      this.resources.countScopes(resourceId, search),
    ]);
    return { scopes, total };
  }

  /** Logto's order: the resource, the Management API, the name's spaces, then a taken name. */
  @Transactional()
  async createScope(resourceId: string, { name, description = null }: CreateScopeDto): Promise<ResourceScope> {
    await this.getById(resourceId);
    this.assertNotManagementApi(resourceId, 'resource.cannot_modify_management_api');
    assertScopeName(name);
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt += 1) {
      if (await this.resources.isScopeNameTaken(resourceId, name)) throw new RequestError('scope.name_exists', { interpolation: { name } });
      const scope = await this.resources.insertScope({ id: generateStandardId(21), resourceId, name, description });
      if (scope) {
        await this.logs.record('ManagementApi.Resource.Scope.Create', { params: { resourceId, id: scope.id, name, description } });
        return scope;
      }
    }
    throw new Error(`No free scope id after ${ID_ATTEMPTS} attempts`);
  }

  @Transactional()
  async updateScope(resourceId: string, scopeId: string, values: UpdateScopeDto): Promise<ResourceScope> {
    await this.getById(resourceId);
    this.assertNotManagementApi(resourceId, 'resource.cannot_modify_management_api');
    assertScopeName(values.name);
    const scope = (await this.resources.updateScope(resourceId, scopeId, values)) ?? this.throwScopeNotFound();
    if (Object.keys(values).length > 0) {
      await this.logs.record('ManagementApi.Resource.Scope.Update', { params: { ...values, resourceId, id: scopeId } });
    }
    return scope;
  }

  /** Takes the scope off every role that carried it (cascade). */
  @Transactional()
  async deleteScope(resourceId: string, scopeId: string): Promise<void> {
    await this.getById(resourceId);
    this.assertNotManagementApi(resourceId, 'resource.cannot_modify_management_api');
    if (!(await this.resources.deleteScope(resourceId, scopeId))) this.throwScopeNotFound();
    await this.logs.record('ManagementApi.Resource.Scope.Delete', { params: { resourceId, id: scopeId } });
  }

  private assertNotManagementApi(
    id: string,
    code: 'resource.cannot_modify_management_api' | 'resource.cannot_delete_management_api',
  ): void {
    if (id === MANAGEMENT_API_RESOURCE_ID) throw new RequestError(code);
  }

  private throwNotFound(id: string): never {
    throw resourceNotFound(id);
  }

  /** Also for a scope of another resource: each path reaches only its own resource's scopes. */
  private throwScopeNotFound(): never {
    throw new RequestError('entity.not_exists', { interpolation: { name: 'scope' } });
  }
}
