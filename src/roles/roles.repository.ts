import { Injectable } from '@nestjs/common';
import { RequestError } from '../common/errors/request-error.js';
import type { Search } from '../common/search/search-query.js';
import type { SearchColumns } from '../common/search/search-sql.js';
import type { Resource } from './resource.entity.js';
import type { Role, RoleType } from './role.entity.js';
import type { RoleSearchField } from './role-search-fields.js';
import type { ResourceScope } from './scope.entity.js';
import { assignments, Conditions, isUniqueViolation, SqlRepository } from './sql.repository.js';

const ROLE_COLUMNS: SearchColumns<RoleSearchField> = { id: 'roles.id', name: 'roles.name', description: 'roles.description' };
export const SCOPE_COLUMNS: SearchColumns<RoleSearchField> = { id: 'scopes.id', name: 'scopes.name', description: 'scopes.description' };

const ROLE_SELECT = `roles.id, roles.name, roles.description, roles.type, roles.is_default AS "isDefault"`;
export const SCOPE_SELECT = `scopes.id, scopes.resource_id AS "resourceId", scopes.name, scopes.description, scopes.created_at AS "createdAt"`;

export interface RoleFilter {
  search: Search<RoleSearchField>;
  type?: RoleType;
  excludeUserId?: string;
}

export interface RolePage {
  limit: number;
  offset: number;
}

export interface RoleHolders {
  roleId: string;
  usersCount: number;
  featuredUsers: { id: string; avatar: string | null; name: string | null }[];
}

export type RoleScopeRow = ResourceScope & { resource: Resource };

export type RoleValues = Partial<Pick<Role, 'name' | 'description' | 'isDefault'>>;

function roleFilterConditions({ search, type, excludeUserId }: RoleFilter): Conditions {
  const where = new Conditions();
  if (type) where.add(`roles.type = ${where.bind(type)}`);
  if (excludeUserId !== undefined) {
    where.add(
      `NOT EXISTS (SELECT 1 FROM users_roles WHERE users_roles.role_id = roles.id AND users_roles.user_id = ${where.bind(excludeUserId)})`,
    );
  }
  where.addSearch(search, ROLE_COLUMNS);
  return where;
}

/**
 * Every query on `roles`, `users_roles`, `resources`, `scopes` and `roles_scopes`, one method per
 * purpose. Runs inside the current transaction when there is one. Lists are ordered by the hidden
 * creation sequence (roles, resources) or `created_at` (scopes), then id, so pages never overlap.
 */
@Injectable()
export class RolesRepository extends SqlRepository {
  /** Inserts unless the id or the name is taken (also by a create committing concurrently); null then. */
  async insertRole(role: Role): Promise<Role | null> {
    const rows = await this.query<Role>(
      `INSERT INTO roles (id, name, description, type, is_default) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING ${ROLE_SELECT}`,
      [role.id, role.name, role.description, role.type, role.isDefault],
    );
    return rows[0] ?? null;
  }

  async isRoleNameTaken(name: string): Promise<boolean> {
    return (await this.query(`SELECT 1 FROM roles WHERE name = $1`, [name])).length > 0;
  }

  async findRoleById(id: string): Promise<Role | null> {
    return (await this.query<Role>(`SELECT ${ROLE_SELECT} FROM roles WHERE id = $1`, [id]))[0] ?? null;
  }

  /** The roles among `ids` that exist, in no particular order. */
  findRolesByIds(ids: readonly string[]): Promise<Role[]> {
    return this.query<Role>(`SELECT ${ROLE_SELECT} FROM roles WHERE id = ANY($1::varchar[])`, [ids]);
  }

  /** Sets only the given columns; a name held by another role is 422 `role.name_in_use`. */
  async updateRole(id: string, values: RoleValues): Promise<Role | null> {
    const set = assignments(values, { name: 'name', description: 'description', isDefault: 'is_default' }, 2);
    const params = [id, ...set.params];
    try {
      const rows =
        set.sql.length > 0
          ? await this.change<Role>(`UPDATE roles SET ${set.sql.join(', ')} WHERE id = $1 RETURNING ${ROLE_SELECT}`, params)
          : await this.query<Role>(`SELECT ${ROLE_SELECT} FROM roles WHERE id = $1`, params);
      return rows[0] ?? null;
    } catch (error) {
      if (isUniqueViolation(error)) throw new RequestError('role.name_in_use', { interpolation: { name: values.name ?? '' } });
      throw error;
    }
  }

  /** Deletes the role and, by cascade, who holds it and which scopes it carries. */
  async deleteRole(id: string): Promise<boolean> {
    return (await this.change(`DELETE FROM roles WHERE id = $1 RETURNING id`, [id])).length > 0;
  }

  async findRolePage(filter: RoleFilter, { limit, offset }: RolePage): Promise<Role[]> {
    const where = roleFilterConditions(filter);
    const sql = `SELECT ${ROLE_SELECT} FROM roles WHERE ${where.sql}
      ORDER BY roles.seq, roles.id LIMIT ${where.bind(limit)} OFFSET ${where.bind(offset)}`;
    return this.search<Role>(sql, where.params);
  }

  /** Roles are few (a catalogue, not per-user data): an exact count is cheap. */
  async countRoles(filter: RoleFilter): Promise<number> {
    const where = roleFilterConditions(filter);
    const rows = await this.search<{ total: string }>(`SELECT count(*) AS total FROM roles WHERE ${where.sql}`, where.params);
    return Number(rows[0]?.total ?? 0);
  }

  /**
   * For each role, how many users hold it and the three most recently assigned, in two index
   * scans per role. `users` is read here for the holders' name and avatar only; the foreign key
   * already ties this module's links to that table.
   */
  async findHolders(roleIds: readonly string[]): Promise<RoleHolders[]> {
    return this.query<RoleHolders>(
      `SELECT wanted.id AS "roleId",
         (SELECT count(*)::int FROM users_roles WHERE users_roles.role_id = wanted.id) AS "usersCount",
         (SELECT coalesce(jsonb_agg(jsonb_build_object('id', users.id, 'avatar', users.avatar, 'name', users.name)
                    ORDER BY featured.created_at DESC, featured.user_id DESC), '[]'::jsonb)
            FROM (SELECT user_id, created_at FROM users_roles WHERE users_roles.role_id = wanted.id
                  ORDER BY created_at DESC, user_id DESC LIMIT 3) AS featured
            JOIN users ON users.id = featured.user_id) AS "featuredUsers"
       FROM unnest($1::varchar[]) AS wanted (id)`,
      [roleIds],
    );
  }

  /** The ids among `roleIds` that `userId` holds. */
  async findHeldRoleIds(userId: string, roleIds: readonly string[]): Promise<string[]> {
    const rows = await this.query<{ roleId: string }>(
      `SELECT role_id AS "roleId" FROM users_roles WHERE user_id = $1 AND role_id = ANY($2::varchar[])`,
      [userId, roleIds],
    );
    return rows.map(({ roleId }) => roleId);
  }

  /** The ids among `userIds` that hold `roleId`. */
  async findHolderIds(roleId: string, userIds: readonly string[]): Promise<string[]> {
    const rows = await this.query<{ userId: string }>(
      `SELECT user_id AS "userId" FROM users_roles WHERE role_id = $1 AND user_id = ANY($2::varchar[])`,
      [roleId, userIds],
    );
    return rows.map(({ userId }) => userId);
  }

  /**
   * Links each pair that is not linked yet; a concurrent identical link makes this one a no-op
   * instead of a unique violation. Returns the pairs it linked.
   */
  insertUserRoles(pairs: readonly { userId: string; roleId: string }[]): Promise<{ userId: string; roleId: string }[]> {
    return this.query(
      `INSERT INTO users_roles (user_id, role_id)
       SELECT * FROM unnest($1::varchar[], $2::varchar[])
       ON CONFLICT DO NOTHING RETURNING user_id AS "userId", role_id AS "roleId"`,
      [pairs.map(({ userId }) => userId), pairs.map(({ roleId }) => roleId)],
    );
  }

  /** Links every default `User` role to each of `userIds`; returns the pairs it linked. */
  insertDefaultRoles(userIds: readonly string[]): Promise<{ userId: string; roleId: string }[]> {
    return this.query(
      `INSERT INTO users_roles (user_id, role_id)
       SELECT user_id, roles.id FROM unnest($1::varchar[]) AS user_id CROSS JOIN roles
       WHERE roles.is_default AND roles.type = 'User'
       ORDER BY user_id, roles.seq
       ON CONFLICT DO NOTHING RETURNING user_id AS "userId", role_id AS "roleId"`,
      [userIds],
    );
  }

  async deleteUserRole(userId: string, roleId: string): Promise<boolean> {
    return (
      (await this.change(`DELETE FROM users_roles WHERE user_id = $1 AND role_id = $2 RETURNING role_id`, [userId, roleId])).length > 0
    );
  }

  /** Removes the user's links to roles not in `keepRoleIds`; returns the role ids it removed. */
  async deleteUserRolesExcept(userId: string, keepRoleIds: readonly string[]): Promise<string[]> {
    const rows = await this.change<{ roleId: string }>(
      `DELETE FROM users_roles WHERE user_id = $1 AND NOT (role_id = ANY($2::varchar[])) RETURNING role_id AS "roleId"`,
      [userId, keepRoleIds],
    );
    return rows.map(({ roleId }) => roleId);
  }

  /**
   * Serialises changes to one user's set of roles until the transaction ends, so two replacements
   * cannot interleave their deletes and inserts into a mix of both sets.
   */
  async lockUserRoles(userId: string): Promise<void> {
    await this.query(`SELECT pg_advisory_xact_lock(hashtextextended('users_roles:' || $1, 0))`, [userId]);
  }

  async findRolesOfUser(userId: string, search: Search<RoleSearchField>, { limit, offset }: RolePage): Promise<Role[]> {
    const where = new Conditions();
    where.add(`users_roles.user_id = ${where.bind(userId)}`);
    where.addSearch(search, ROLE_COLUMNS);
    return this.search<Role>(
      `SELECT ${ROLE_SELECT} FROM users_roles JOIN roles ON roles.id = users_roles.role_id WHERE ${where.sql}
       ORDER BY roles.seq, roles.id LIMIT ${where.bind(limit)} OFFSET ${where.bind(offset)}`,
      where.params,
    );
  }

  async countRolesOfUser(userId: string, search: Search<RoleSearchField>): Promise<number> {
    const where = new Conditions();
    where.add(`users_roles.user_id = ${where.bind(userId)}`);
    where.addSearch(search, ROLE_COLUMNS);
    const rows = await this.search<{ total: string }>(
      `SELECT count(*) AS total FROM users_roles JOIN roles ON roles.id = users_roles.role_id WHERE ${where.sql}`,
      where.params,
    );
    return Number(rows[0]?.total ?? 0);
  }

  /** Every role of each of `userIds`, in catalogue order. */
  findRolesOfUsers(userIds: readonly string[]): Promise<(Role & { userId: string })[]> {
    return this.query(
      `SELECT users_roles.user_id AS "userId", ${ROLE_SELECT} FROM users_roles JOIN roles ON roles.id = users_roles.role_id
       WHERE users_roles.user_id = ANY($1::varchar[]) ORDER BY roles.seq, roles.id`,
      [userIds],
    );
  }

  /** How many users hold `roleId`, from the `(role_id, user_id)` index. */
  async countHoldersOf(roleId: string): Promise<number> {
    const rows = await this.query<{ total: string }>(`SELECT count(*) AS total FROM users_roles WHERE role_id = $1`, [roleId]);
    return Number(rows[0]?.total ?? 0);
  }

  /** The scopes among `ids` that exist, each with its resource id. */
  findScopesByIds(ids: readonly string[]): Promise<ResourceScope[]> {
    return this.query<ResourceScope>(`SELECT ${SCOPE_SELECT} FROM scopes WHERE id = ANY($1::varchar[])`, [ids]);
  }

  async findLinkedScopeIds(roleId: string, scopeIds: readonly string[]): Promise<string[]> {
    const rows = await this.query<{ scopeId: string }>(
      `SELECT scope_id AS "scopeId" FROM roles_scopes WHERE role_id = $1 AND scope_id = ANY($2::varchar[])`,
      [roleId, scopeIds],
    );
    return rows.map(({ scopeId }) => scopeId);
  }

  /** Links the scopes; returns those newly linked (a concurrent identical link is a no-op here). */
  async insertRoleScopes(roleId: string, scopeIds: readonly string[]): Promise<string[]> {
    const rows = await this.query<{ scopeId: string }>(
      `INSERT INTO roles_scopes (role_id, scope_id) SELECT $1, scope_id FROM unnest($2::varchar[]) AS scope_id
       ON CONFLICT DO NOTHING RETURNING scope_id AS "scopeId"`,
      [roleId, scopeIds],
    );
    return rows.map(({ scopeId }) => scopeId);
  }

  async deleteRoleScope(roleId: string, scopeId: string): Promise<boolean> {
    return (
      (await this.change(`DELETE FROM roles_scopes WHERE role_id = $1 AND scope_id = $2 RETURNING scope_id`, [roleId, scopeId])).length > 0
    );
  }

  /** The role's scopes, each with its resource; a page of them, or all when `page` is absent. */
  async findScopesOfRole(roleId: string, search: Search<RoleSearchField>, page?: RolePage): Promise<RoleScopeRow[]> {
    const where = new Conditions();
    where.add(`roles_scopes.role_id = ${where.bind(roleId)}`);
    where.addSearch(search, SCOPE_COLUMNS);
    const limit = page ? ` LIMIT ${where.bind(page.limit)} OFFSET ${where.bind(page.offset)}` : '';
    return this.search<RoleScopeRow>(
      `SELECT ${SCOPE_SELECT}, jsonb_build_object('id', resources.id, 'name', resources.name, 'indicator', resources.indicator,
         'isDefault', resources.is_default, 'accessTokenTtl', resources.access_token_ttl::text) AS resource
       FROM roles_scopes JOIN scopes ON scopes.id = roles_scopes.scope_id JOIN resources ON resources.id = scopes.resource_id
       WHERE ${where.sql} ORDER BY scopes.created_at, scopes.id${limit}`,
      where.params,
    );
  }

  async countScopesOfRole(roleId: string, search: Search<RoleSearchField>): Promise<number> {
    const where = new Conditions();
    where.add(`roles_scopes.role_id = ${where.bind(roleId)}`);
    where.addSearch(search, SCOPE_COLUMNS);
    const rows = await this.search<{ total: string }>(
      `SELECT count(*) AS total FROM roles_scopes JOIN scopes ON scopes.id = roles_scopes.scope_id WHERE ${where.sql}`,
      where.params,
    );
    return Number(rows[0]?.total ?? 0);
  }

  /** Every scope the role carries, without resources, in list order. */
  findAllScopesOfRole(roleId: string): Promise<ResourceScope[]> {
    return this.query<ResourceScope>(
      `SELECT ${SCOPE_SELECT} FROM roles_scopes JOIN scopes ON scopes.id = roles_scopes.scope_id
       WHERE roles_scopes.role_id = $1 ORDER BY scopes.created_at, scopes.id`,
      [roleId],
    );
  }
}
