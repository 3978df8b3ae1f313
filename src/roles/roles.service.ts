import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { RequestError } from '../common/errors/request-error.js';
import type { Pagination } from '../common/http/pagination.js';
import { generateStandardId } from '../common/ids.js';
import type { Search } from '../common/search/search-query.js';
import { LogsService } from '../logs/logs.service.js';
import type { CreateRoleDto, UpdateRoleDto } from './dto/role.dto.js';
import type { Role } from './role.entity.js';
import type { RoleSearchField } from './role-search-fields.js';
import { type RoleFilter, type RoleHolders, RolesRepository, type RoleScopeRow } from './roles.repository.js';
import type { ResourceScope } from './scope.entity.js';

const ID_ATTEMPTS = 5;
/** Roster's own Management API resource, matched by id (not by an indicator pattern, as Logto does). */
export const MANAGEMENT_API_RESOURCE_ID = 'management-api';

export const roleNotFound = (id: string): RequestError =>
  new RequestError('entity.not_exists_with_id', { interpolation: { name: 'roles', id } });

interface UserRolePair {
  userId: string;
  roleId: string;
}

/** Repeats removed, first occurrence kept. */
const unique = (ids: readonly string[]): string[] => [...new Set(ids)];

export interface RoleListPage {
  roles: (Role & Omit<RoleHolders, 'roleId'>)[];
  total: number;
}

export interface RoleScopePage {
  scopes: RoleScopeRow[];
  /** Absent when the list was not paged. */
  total?: number;
}

/**
 * The role catalogue, the scopes roles carry, and who holds which role. Users are known here only
 * by id: checking that a user exists is the caller's part (the users module), inside the same
 * transaction. Every change writes its audit rows in its transaction; an assignment change writes
 * one row per user-role pair.
 */
@Injectable()
export class RolesService {
  constructor(
    private readonly roles: RolesRepository,
    private readonly logs: LogsService,
  ) {}

  async list(filter: RoleFilter, { pageSize, offset }: Pagination): Promise<RoleListPage> {
    const [roles, total] = await Promise.all([this.roles.findRolePage(filter, { limit: pageSize, offset }), this.roles.countRoles(filter)]);
    const holders = new Map((await this.roles.findHolders(roles.map(({ id }) => id))).map((row) => [row.roleId, row]));
    return {
      roles: roles.map((role) => ({
        ...role,
        usersCount: holders.get(role.id)?.usersCount ?? 0,
        featuredUsers: holders.get(role.id)?.featuredUsers ?? [],
      })),
      total,
    };
  }

  async getById(id: string): Promise<Role> {
    return (await this.roles.findRoleById(id)) ?? this.throwRoleNotFound(id);
  }

  /** Logto's order: the name, then each scope; nothing is left behind when a scope is refused. */
  @Transactional()
  async create(input: CreateRoleDto): Promise<Role> {
    const role = await this.insertRole(input);
    if (input.scopeIds !== undefined) await this.linkScopes(role, unique(input.scopeIds));
    await this.logs.record('ManagementApi.Role.Create', { params: { ...input, id: role.id } });
    return role;
  }

  private async insertRole({ name, description, type = 'User', isDefault = false }: CreateRoleDto): Promise<Role> {
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt += 1) {
      if (await this.roles.isRoleNameTaken(name)) throw new RequestError('role.name_in_use', { interpolation: { name } });
      // A concurrent create of the same name makes this insert wait for it and then insert nothing.
      const role = await this.roles.insertRole({ id: generateStandardId(21), name, description, type, isDefault });
      if (role) return role;
    }
    throw new Error(`No free role id after ${ID_ATTEMPTS} attempts`);
  }

  @Transactional()
  async update(id: string, input: UpdateRoleDto): Promise<Role> {
    const role = (await this.roles.updateRole(id, input)) ?? this.throwRoleNotFound(id);
    // `{}` (Logto's 422, Roster's unchanged 200) changes nothing, so there is nothing to audit.
    if (Object.keys(input).length > 0) await this.logs.record('ManagementApi.Role.Update', { params: { ...input, id } });
    return role;
  }

  /** Its holders lose it and its scope links go, by cascade, in the same statement. */
  @Transactional()
  async delete(id: string): Promise<void> {
    if (!(await this.roles.deleteRole(id))) this.throwRoleNotFound(id);
    await this.logs.record('ManagementApi.Role.Delete', { params: { id } });
  }

  async listScopes(roleId: string, search: Search<RoleSearchField>, pagination?: Pagination): Promise<RoleScopePage> {
    await this.getById(roleId);
    if (!pagination) return { scopes: await this.roles.findScopesOfRole(roleId, search) };
    const page = { limit: pagination.pageSize, offset: pagination.offset };
    const [scopes, total] = await Promise.all([
      this.roles.findScopesOfRole(roleId, search, page),
      this.roles.countScopesOfRole(roleId, search),
    ]);
    return { scopes, total };
  }

  /** Logto's order: the role, ids already linked, unknown scopes, Management API scopes on a `User` role. */
  @Transactional()
  async addScopes(roleId: string, scopeIds: readonly string[]): Promise<ResourceScope[]> {
    const role = await this.getById(roleId);
    const ids = unique(scopeIds);
    const [linked] = await this.roles.findLinkedScopeIds(roleId, ids);
    if (linked !== undefined) throw new RequestError('role.scope_exists', { interpolation: { scopeId: linked } });
    const added = await this.linkScopes(role, ids);
    // A concurrent request linked some of them first.
    const raced = ids.find((id) => !added.includes(id));
    if (raced !== undefined) throw new RequestError('role.scope_exists', { interpolation: { scopeId: raced } });
    return this.roles.findAllScopesOfRole(roleId);
  }

  @Transactional()
  async removeScope(roleId: string, scopeId: string): Promise<void> {
    if (!(await this.roles.deleteRoleScope(roleId, scopeId))) throw new RequestError('entity.not_found');
    await this.logs.record('ManagementApi.Role.Scope.Delete', { params: { roleId, scopeId } });
  }

  private async linkScopes(role: Role, scopeIds: string[]): Promise<string[]> {
    const scopes = new Map((await this.roles.findScopesByIds(scopeIds)).map((scope) => [scope.id, scope]));
    for (const id of scopeIds) {
      const scope = scopes.get(id);
      if (!scope) throw new RequestError('entity.not_exists_with_id', { interpolation: { name: 'scopes', id } });
      if (role.type === 'User' && scope.resourceId === MANAGEMENT_API_RESOURCE_ID) {
        throw new RequestError('role.management_api_scopes_not_assignable_to_user_role');
      }
    }
    const added = await this.roles.insertRoleScopes(role.id, scopeIds);
    for (const scopeId of added) await this.logs.record('ManagementApi.Role.Scope.Create', { params: { roleId: role.id, scopeId } });
    return added;
  }

  async listRolesOfUser(
    userId: string,
    search: Search<RoleSearchField>,
    { pageSize, offset }: Pagination,
  ): Promise<{ roles: Role[]; total: number }> {
    const [roles, total] = await Promise.all([
      this.roles.findRolesOfUser(userId, search, { limit: pageSize, offset }),
      this.roles.countRolesOfUser(userId, search),
    ]);
    return { roles, total };
  }

  /** Every role of each user, for user reads that embed them. */
  async rolesOfUsers(userIds: readonly string[]): Promise<Map<string, Role[]>> {
    const byUser = new Map<string, Role[]>(userIds.map((id) => [id, []]));
    for (const { userId, ...role } of await this.roles.findRolesOfUsers(userIds)) byUser.get(userId)?.push(role);
    return byUser;
  }

  countHolders(roleId: string): Promise<number> {
    return this.roles.countHoldersOf(roleId);
  }

  /**
   * Gives the user the roles it lacks and returns those. Logto's order: roles already held are
   * skipped, then a machine-to-machine role is refused before an unknown id is.
   */
  @Transactional()
  async addRolesToUser(userId: string, roleIds: readonly string[]): Promise<string[]> {
    await this.roles.lockUserRoles(userId);
    const held = new Set(await this.roles.findHeldRoleIds(userId, roleIds));
    const wanted = unique(roleIds).filter((id) => !held.has(id));
    await this.assertUserRoles(wanted);
    return (await this.link(wanted.map((roleId) => ({ userId, roleId })))).map(({ roleId }) => roleId);
  }

  /** Makes `roleIds` the user's whole set of roles; concurrent replacements for one user run one after the other. */
  @Transactional()
  async replaceRolesOfUser(userId: string, roleIds: readonly string[]): Promise<string[]> {
    await this.roles.lockUserRoles(userId);
    const wanted = unique(roleIds);
    await this.assertUserRoles(wanted);
    for (const roleId of await this.roles.deleteUserRolesExcept(userId, wanted)) {
      await this.logs.record('ManagementApi.User.Role.Delete', { userId, params: { roleId } });
    }
    await this.link(wanted.map((roleId) => ({ userId, roleId })));
    return wanted;
  }

  /** Any link that does not exist, whatever the reason, is Logto's 404 `entity.not_found`. */
  @Transactional()
  async removeRoleFromUser(userId: string, roleId: string): Promise<void> {
    if (!(await this.roles.deleteUserRole(userId, roleId))) throw new RequestError('entity.not_found');
    await this.logs.record('ManagementApi.User.Role.Delete', { userId, params: { roleId } });
  }

  /** 422 `role.user_exists` naming the first of `userIds` that holds the role already. */
  async assertNoneHold(roleId: string, userIds: readonly string[]): Promise<void> {
    const holders = new Set(await this.roles.findHolderIds(roleId, userIds));
    const holder = userIds.find((id) => holders.has(id));
    if (holder !== undefined) throw new RequestError('role.user_exists', { interpolation: { userId: holder } });
  }

  /**
   * Gives the role to users who exist and do not hold it (the caller checked both). A
   * machine-to-machine role is Logto's 422 `entity.db_constraint_violated` on this route, and a
   * holder that a concurrent request added first is 422 `role.user_exists`.
   */
  @Transactional()
  async addUsersToRole(role: Role, userIds: readonly string[]): Promise<void> {
    if (role.type !== 'User') throw new RequestError('entity.db_constraint_violated');
    const wanted = unique(userIds);
    const added = new Set((await this.link(wanted.map((userId) => ({ userId, roleId: role.id })))).map(({ userId }) => userId));
    const raced = wanted.find((userId) => !added.has(userId));
    if (raced !== undefined) throw new RequestError('role.user_exists', { interpolation: { userId: raced } });
  }

  /** Links every default `User` role to each new user, in the caller's transaction. */
  @Transactional()
  async assignDefaultRoles(userIds: readonly string[]): Promise<void> {
    for (const { userId, roleId } of await this.roles.insertDefaultRoles(userIds)) {
      await this.logs.record('ManagementApi.User.Role.Create', { userId, params: { roleId, isDefault: true } });
    }
  }

  /** A machine-to-machine role is refused before an unknown id, in Logto's order. */
  private async assertUserRoles(roleIds: string[]): Promise<void> {
    const roles = new Map((await this.roles.findRolesByIds(roleIds)).map((role) => [role.id, role]));
    if ([...roles.values()].some((role) => role.type !== 'User')) throw new RequestError('user.invalid_role_type');
    const unknown = roleIds.find((id) => !roles.has(id));
    if (unknown !== undefined) throw roleNotFound(unknown);
  }

  /** Inserts the pairs not linked yet, audits each, and returns them. */
  private async link(pairs: UserRolePair[]): Promise<UserRolePair[]> {
    const added = await this.roles.insertUserRoles(pairs);
    for (const { userId, roleId } of added) await this.logs.record('ManagementApi.User.Role.Create', { userId, params: { roleId } });
    return added;
  }

  private throwRoleNotFound(id: string): never {
    throw roleNotFound(id);
  }
}
