import type { Pagination } from '../common/http/pagination.js';
import type { Search } from '../common/search/search-query.js';

/** Logto's searchable user fields, in the snake_case spelling its search language uses. */
export const USER_SEARCH_FIELDS = ['id', 'primary_email', 'primary_phone', 'username', 'name'] as const;
export type UserSearchField = (typeof USER_SEARCH_FIELDS)[number];

/** Where a keyset page starts: strictly after this user in list order. */
export interface ListPosition {
  createdAtMs: number;
  id: string;
}

/** Logto's numbered pages, or Roster's keyset paging, which stays fast at any depth. */
export type UserListPaging = ({ kind: 'numbered' } & Pagination) | { kind: 'keyset'; pageSize: number; after?: ListPosition };

/**
 * Logto's exclusion flags, of which only one may be given: `roleId` leaves out the role's holders;
 * `organizationId` is accepted for compatibility and excludes nobody (there are no organizations).
 */
export type UserListExclusion = { roleId: string } | { organizationId: string };

/** `GET /api/users` as parsed at the edge. */
export interface UserListQuery {
  search: Search<UserSearchField>;
  paging: UserListPaging;
  exclusion?: UserListExclusion;
  /** Only the holders of this role (Roster only). */
  roleId?: string;
  /** Add each user's `roles` (Roster only). */
  includeRoles: boolean;
  includePasswordHash: boolean;
}
