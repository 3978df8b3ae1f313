import { Injectable } from '@nestjs/common';
import { RequestError } from '../common/errors/request-error.js';
import type { Search } from '../common/search/search-query.js';
import type { Resource } from './resource.entity.js';
import type { RoleSearchField } from './role-search-fields.js';
import { type RolePage, SCOPE_COLUMNS, SCOPE_SELECT } from './roles.repository.js';
import type { ResourceScope } from './scope.entity.js';
import { assignments, Conditions, isUniqueViolation, SqlRepository } from './sql.repository.js';

const RESOURCE_SELECT = `resources.id, resources.name, resources.indicator, resources.is_default AS "isDefault",
  resources.access_token_ttl AS "accessTokenTtl"`;

export type ResourceValues = Partial<{ name: string; accessTokenTtl: number }>;
export type ScopeValues = Partial<Pick<ResourceScope, 'name' | 'description'>>;

/** Every query on `resources` and `scopes`, one method per purpose. Lists in creation order, then id. */
@Injectable()
export class ResourcesRepository extends SqlRepository {
  /** Inserts unless the id or the indicator is taken; null then. */
  async insertResource(resource: Resource): Promise<Resource | null> {
    const rows = await this.query<Resource>(
      `INSERT INTO resources (id, name, indicator, access_token_ttl) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING ${RESOURCE_SELECT}`,
      [resource.id, resource.name, resource.indicator, resource.accessTokenTtl],
    );
    return rows[0] ?? null;
  }

  async isIndicatorTaken(indicator: string): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM resources WHERE indicator = $1`, [indicator])).length > 0;
  }

  async findResourceById(id: string): Promise<Resource | null> {
    return (await this.query<Resource>(`SELECT ${RESOURCE_SELECT} FROM resources WHERE id = $1`, [id]))[0] ?? null;
  }

  /** A page of resources, or all of them when `page` is absent. */
  findResources(page?: RolePage): Promise<Resource[]> {
    const limit = page ? ` LIMIT $1 OFFSET $2` : '';
    return this.query<Resource>(`SELECT ${RESOURCE_SELECT} FROM resources ORDER BY seq, id${limit}`, page ? [page.limit, page.offset] : []);
  }

  async countResources(): Promise<number> {
    return Number((await this.query<{ total: string }>(`SELECT count(*) AS total FROM resources`))[0]?.total ?? 0);
  }

  async updateResource(id: string, values: ResourceValues): Promise<Resource | null> {
    const set = assignments(values, { name: 'name', accessTokenTtl: 'access_token_ttl' }, 2);
    const rows =
      set.sql.length > 0
        ? await this.change<Resource>(`UPDATE resources SET ${set.sql.join(', ')} WHERE id = $1 RETURNING ${RESOURCE_SELECT}`, [
            id,
            ...set.params,
          ])
        : await this.query<Resource>(`SELECT ${RESOURCE_SELECT} FROM resources WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  /**
   * Makes the resource the default (clearing the previous one) or not. Serialised, so two
   * concurrent switches cannot both clear and then collide on the one-default index.
   */
  async setDefault(id: string, isDefault: boolean): Promise<Resource | null> {
    await this.query(`SELECT pg_advisory_xact_lock(hashtextextended('resources.is_default', 0))`);
    if (isDefault) await this.query(`UPDATE resources SET is_default = false WHERE is_default AND id <> $1`, [id]);
    const rows = await this.change<Resource>(`UPDATE resources SET is_default = $2 WHERE id = $1 RETURNING ${RESOURCE_SELECT}`, [
      id,
      isDefault,
    ]);
    return rows[0] ?? null;
  }

  /** Deletes the resource and, by cascade, its scopes and their links to roles. */
  async deleteResource(id: string): Promise<boolean> {
    return (await this.change(`DELETE FROM resources WHERE id = $1 RETURNING id`, [id])).length > 0;
  }

  /** Every scope of each resource, oldest first. */
  findScopesOfResources(resourceIds: readonly string[]): Promise<ResourceScope[]> {
    return this.query<ResourceScope>(`SELECT ${SCOPE_SELECT} FROM scopes WHERE resource_id = ANY($1::varchar[]) ORDER BY created_at, id`, [
      resourceIds,
    ]);
  }

  async findScopePage(resourceId: string, search: Search<RoleSearchField>, { limit, offset }: RolePage): Promise<ResourceScope[]> {
    const where = new Conditions();
    where.add(`scopes.resource_id = ${where.bind(resourceId)}`);
    where.addSearch(search, SCOPE_COLUMNS);
    return this.search<ResourceScope>(
      `SELECT ${SCOPE_SELECT} FROM scopes WHERE ${where.sql} ORDER BY created_at, id LIMIT ${where.bind(limit)} OFFSET ${where.bind(offset)}`,
      where.params,
    );
  }

  async countScopes(resourceId: string, search: Search<RoleSearchField>): Promise<number> {
    const where = new Conditions();
    where.add(`scopes.resource_id = ${where.bind(resourceId)}`);
    where.addSearch(search, SCOPE_COLUMNS);
    const rows = await this.search<{ total: string }>(`SELECT count(*) AS total FROM scopes WHERE ${where.sql}`, where.params);
    return Number(rows[0]?.total ?? 0);
  }

  /** Inserts unless the name is taken in this resource (or the id anywhere); null then. */
  async insertScope(scope: Omit<ResourceScope, 'createdAt'>): Promise<ResourceScope | null> {
    const rows = await this.query<ResourceScope>(
      `INSERT INTO scopes (id, resource_id, name, description) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING ${SCOPE_SELECT}`,
      [scope.id, scope.resourceId, scope.name, scope.description],
    );
    return rows[0] ?? null;
  }

  async isScopeNameTaken(resourceId: string, name: string): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM scopes WHERE resource_id = $1 AND name = $2`, [resourceId, name])).length > 0;
  }

  /** Only a scope of `resourceId` is changed; a name taken in the resource is 422 `scope.name_exists`. */
  async updateScope(resourceId: string, scopeId: string, values: ScopeValues): Promise<ResourceScope | null> {
    const set = assignments(values, { name: 'name', description: 'description' }, 3);
    try {
      const rows =
        set.sql.length > 0
          ? await this.change<ResourceScope>(
              `UPDATE scopes SET ${set.sql.join(', ')} WHERE id = $2 AND resource_id = $1 RETURNING ${SCOPE_SELECT}`,
              [resourceId, scopeId, ...set.params],
            )
          : await this.query<ResourceScope>(`SELECT ${SCOPE_SELECT} FROM scopes WHERE id = $2 AND resource_id = $1`, [resourceId, scopeId]);
      return rows[0] ?? null;
    } catch (error) {
      if (isUniqueViolation(error)) throw new RequestError('scope.name_exists', { interpolation: { name: values.name ?? '' } });
      throw error;
    }
  }

  /** Only a scope of `resourceId`; its links to roles go by cascade. */
  async deleteScope(resourceId: string, scopeId: string): Promise<boolean> {
    return (await this.change(`DELETE FROM scopes WHERE id = $2 AND resource_id = $1 RETURNING id`, [resourceId, scopeId])).length > 0;
  }
}
