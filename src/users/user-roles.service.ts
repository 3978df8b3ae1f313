import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import type { Pagination } from '../common/http/pagination.js';
import type { Search } from '../common/search/search-query.js';
import type { Role } from '../roles/role.entity.js';
import type { RoleSearchField } from '../roles/role-search-fields.js';
import { RolesService } from '../roles/roles.service.js';
import type { UserListQuery } from './user-list-query.js';
import { type UserPage, UsersService } from './users.service.js';

/**
 * Who holds which role, seen from both ends (`/api/users/:userId/roles`, `/api/roles/:id/users`).
 * The roles module keeps the links and knows users only by id; this service checks the users in
 * Logto's order and in the same transaction as the change.
 */
@Injectable()
export class UserRolesService {
  constructor(
    private readonly users: UsersService,
    private readonly roles: RolesService,
  ) {}

  async listRolesOfUser(
    userId: string,
    search: Search<RoleSearchField>,
    pagination: Pagination,
  ): Promise<{ roles: Role[]; total: number }> {
    await this.users.assertExists(userId);
    return this.roles.listRolesOfUser(userId, search, pagination);
  }

  /** The ids newly given to the user. */
  @Transactional()
  async addRolesToUser(userId: string, roleIds: readonly string[]): Promise<string[]> {
    await this.users.assertExists(userId);
    return this.roles.addRolesToUser(userId, roleIds);
  }

  /** The user's roles afterwards. */
  @Transactional()
  async replaceRolesOfUser(userId: string, roleIds: readonly string[]): Promise<string[]> {
    await this.users.assertExists(userId);
    return this.roles.replaceRolesOfUser(userId, roleIds);
  }

  removeRoleFromUser(userId: string, roleId: string): Promise<void> {
    return this.roles.removeRoleFromUser(userId, roleId);
  }

  /** The role's holders, as the users list reads them (with each holder's roles when `includeRoles`). */
  async listUsersOfRole(roleId: string, query: UserListQuery): Promise<{ page: UserPage; roles?: Map<string, Role[]> }> {
    await this.roles.getById(roleId);
    const page = await this.users.list({ ...query, roleId });
    return { page, roles: query.includeRoles ? await this.users.rolesOfUsers(page.users) : undefined };
  }

  /** Logto's order: the role, users who hold it already, unknown users, then the role's type. */
  @Transactional()
  async addUsersToRole(roleId: string, userIds: readonly string[]): Promise<void> {
    const role = await this.roles.getById(roleId);
    await this.roles.assertNoneHold(roleId, userIds);
    await this.users.assertAllExist(userIds);
    await this.roles.addUsersToRole(role, userIds);
  }
}
