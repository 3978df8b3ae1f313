import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { RequestError } from '../common/errors/request-error.js';
import { type Pagination, parsePagination } from '../common/http/pagination.js';
import { ApiPagination } from '../common/http/pagination.decorators.js';
import { ParsedQuery } from '../common/http/parsed-query.js';
import { parseSearch } from '../common/search/search-query.js';
import { isYes } from '../common/yes-flag.js';
import { decodeCursor } from './list-cursor.js';
import { USER_SEARCH_FIELDS, type UserListExclusion, type UserListPaging, type UserListQuery } from './user-list-query.js';

export const INCLUDE_PASSWORD_HASH_QUERY = {
  name: 'includePasswordHash',
  required: false,
  description: 'Yes-flag (`1`, `true`, `y`, `yes`, `yep`, `yeah`): add `passwordDigest` and `passwordAlgorithm`.',
  schema: { type: 'string' },
} as const;

export const INCLUDE_ROLES_QUERY = {
  name: 'includeRoles',
  required: false,
  description: "Roster only. Yes-flag: add `roles`, the user's roles in catalogue order.",
  schema: { type: 'string' },
} as const;

/** A repeated key arrives as an array; its first value counts, as for Logto's yes-flags. */
function firstValue(raw: unknown): string {
  const first: unknown = Array.isArray(raw) ? raw[0] : raw;
  return typeof first === 'string' ? first : '';
}

function parsePaging(query: Record<string, unknown>, pagination: Pagination): UserListPaging {
  if (query.cursor === undefined) return { kind: 'numbered', ...pagination };
  if (query.page !== undefined || typeof query.cursor !== 'string') throw new RequestError('guard.invalid_pagination');
  return { kind: 'keyset', pageSize: pagination.pageSize, after: decodeCursor(query.cursor) };
}

function parseExclusion({ excludeRoleId, excludeOrganizationId }: Record<string, unknown>): UserListExclusion | undefined {
  if (excludeRoleId !== undefined && excludeOrganizationId !== undefined) {
    throw new RequestError('request.invalid_input', {
      interpolation: { details: 'Parameter `excludeRoleId` and `excludeOrganizationId` cannot be used at the same time.' },
      data: {},
    });
  }
  if (excludeRoleId !== undefined) return { roleId: firstValue(excludeRoleId) };
  if (excludeOrganizationId !== undefined) return { organizationId: firstValue(excludeOrganizationId) };
  return undefined;
}

/**
 * Reads `GET /api/users`. Errors come in the order Logto answers them: paging (400
 * `guard.invalid_pagination`) before the exclusion flags and the search (400 `request.invalid_input`).
 */
export function parseUserListQuery(query: Record<string, unknown>): UserListQuery {
  const paging = parsePaging(query, parsePagination(query));
  const exclusion = parseExclusion(query);
  const roleId = query.roleId === undefined ? undefined : firstValue(query.roleId);
  return {
    search: parseSearch(query, USER_SEARCH_FIELDS),
    paging,
    exclusion,
    roleId,
    includeRoles: isYes(query.includeRoles),
    includePasswordHash: isYes(query.includePasswordHash),
  };
}

/** The `GET /api/users` query, parsed into a `UserListQuery`. */
export const UserListQueryParam = (): ParameterDecorator => ParsedQuery(parseUserListQuery);

/** Documents every parameter `parseUserListQuery` reads. */
export function ApiUserListQuery(): MethodDecorator {
  return applyDecorators(
    ApiPagination(),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: 'Keyset paging (Roster only): empty for the first page, then the opaque value from the `next` link. Not with `page`.',
      schema: { type: 'string' },
    }),
    ApiQuery({ name: 'search', required: false, description: 'Value matched against every searchable field.', schema: { type: 'string' } }),
    ApiQuery({ name: 'mode', required: false, schema: { type: 'string', enum: ['like', 'exact', 'similar_to', 'posix'] } }),
    ApiQuery({ name: 'joint', required: false, schema: { type: 'string', enum: ['or', 'and'] } }),
    ApiQuery({ name: 'isCaseSensitive', required: false, description: 'Yes-flag; required for `similar_to`.', schema: { type: 'string' } }),
    ApiQuery({
      name: 'excludeRoleId',
      required: false,
      description: 'Leave out the holders of this role (an unknown role excludes nobody).',
      schema: { type: 'string' },
    }),
    ApiQuery({
      name: 'roleId',
      required: false,
      description: 'Roster only: just the holders of this role (an unknown role has none). Combines with the other filters.',
      schema: { type: 'string' },
    }),
    ApiQuery(INCLUDE_ROLES_QUERY),
    ApiQuery({
      name: 'excludeOrganizationId',
      required: false,
      description: 'Accepted for compatibility; excludes nobody. Not together with `excludeRoleId`.',
      schema: { type: 'string' },
    }),
    ApiQuery(INCLUDE_PASSWORD_HASH_QUERY),
  );
}
