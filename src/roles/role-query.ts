import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { RequestError } from '../common/errors/request-error.js';
import { type Pagination, parsePagination } from '../common/http/pagination.js';
import { ApiPagination } from '../common/http/pagination.decorators.js';
import { ParsedQuery } from '../common/http/parsed-query.js';
import { parseSearch, type Search } from '../common/search/search-query.js';
import { IdParam } from '../common/http/id-param.js';
import { isYes } from '../common/yes-flag.js';
import { ROLE_TYPES, type RoleType } from './role.entity.js';
import { ROLE_SEARCH_FIELDS, type RoleSearchField } from './role-search-fields.js';
import type { RoleFilter } from './roles.repository.js';
import { roleNotFound } from './roles.service.js';
import { resourceNotFound } from './resources.service.js';

/** The `:id` path parameter of `/api/resources/:id…` (`resources.id` is varchar(21)). */
export const ResourceIdParam = (name: string): ParameterDecorator => IdParam(name, 21, resourceNotFound);

/** The `:id` path parameter of `/api/roles/:id…` (`roles.id` is varchar(21)). */
export const RoleIdParam = (): ParameterDecorator => IdParam('id', 21, roleNotFound);

/** An id in a link's path (role, scope): any link that cannot exist is Logto's plain 404 `entity.not_found`. */
export const LinkIdParam = (name: string): ParameterDecorator => IdParam(name, 21, () => new RequestError('entity.not_found'));

/** A repeated key arrives as an array; its first value counts. */
function firstValue(raw: unknown): string | undefined {
  const first: unknown = Array.isArray(raw) ? raw[0] : raw;
  return typeof first === 'string' ? first : undefined;
}

function parseType(raw: unknown): RoleType | undefined {
  if (raw === undefined) return undefined;
  const type = firstValue(raw);
  if (!ROLE_TYPES.includes(type as RoleType)) throw new RequestError('guard.invalid_input', { interpolation: { type: 'query' } });
  return type as RoleType;
}

export interface RoleListQuery {
  filter: RoleFilter;
  pagination: Pagination;
}

/** `GET /api/roles`: paging errors first, then the type, then the search, as Logto answers them. */
export function parseRoleListQuery(query: Record<string, unknown>): RoleListQuery {
  const pagination = parsePagination(query);
  const type = parseType(query.type);
  const excludeUserId = firstValue(query.excludeUserId);
  return { pagination, filter: { search: parseSearch(query, ROLE_SEARCH_FIELDS), type, excludeUserId } };
}

export interface SearchPageQuery {
  search: Search<RoleSearchField>;
  pagination: Pagination;
}

/** A paged list searched over role or scope fields (`id`, `name`, `description`). */
export function parseSearchPageQuery(query: Record<string, unknown>): SearchPageQuery {
  const pagination = parsePagination(query);
  return { pagination, search: parseSearch(query, ROLE_SEARCH_FIELDS) };
}

export interface OptionalPageQuery {
  search: Search<RoleSearchField>;
  /** Absent when neither `page` nor `page_size` was given: the whole list, without paging headers. */
  pagination?: Pagination;
}

/** Logto pages these lists only when `page` or `page_size` is given. */
function parseOptionalPagination(query: Record<string, unknown>): Pagination | undefined {
  return query.page !== undefined || query.page_size !== undefined ? parsePagination(query) : undefined;
}

export function parseOptionalPageQuery(query: Record<string, unknown>): OptionalPageQuery {
  const pagination = parseOptionalPagination(query);
  return { pagination, search: parseSearch(query, ROLE_SEARCH_FIELDS) };
}

export interface ResourceListQuery {
  pagination?: Pagination;
  includeScopes: boolean;
}

export function parseResourceListQuery(query: Record<string, unknown>): ResourceListQuery {
  return { pagination: parseOptionalPagination(query), includeScopes: isYes(query.includeScopes) };
}

export const RoleListQueryParam = (): ParameterDecorator => ParsedQuery(parseRoleListQuery);
export const SearchPageQueryParam = (): ParameterDecorator => ParsedQuery(parseSearchPageQuery);
export const OptionalPageQueryParam = (): ParameterDecorator => ParsedQuery(parseOptionalPageQuery);
export const ResourceListQueryParam = (): ParameterDecorator => ParsedQuery(parseResourceListQuery);

const textQuery = (name: string, description: string) => ApiQuery({ name, required: false, description, schema: { type: 'string' } });

/** Documents Logto's search keys over `id`, `name` and `description`. */
export function ApiRoleSearch(): MethodDecorator {
  return applyDecorators(
    textQuery('search', 'Value matched against `id`, `name` and `description`; `search.<field>` for one field.'),
    ApiQuery({ name: 'mode', required: false, schema: { type: 'string', enum: ['like', 'exact', 'similar_to', 'posix'] } }),
    ApiQuery({ name: 'joint', required: false, schema: { type: 'string', enum: ['or', 'and'] } }),
    textQuery('isCaseSensitive', 'Yes-flag; required for `similar_to`.'),
  );
}

/** Documents every parameter `parseRoleListQuery` reads. */
export function ApiRoleListQuery(): MethodDecorator {
  return applyDecorators(
    ApiPagination(),
    ApiRoleSearch(),
    ApiQuery({ name: 'type', required: false, schema: { type: 'string', enum: [...ROLE_TYPES] } }),
    textQuery('excludeUserId', 'Leave out the roles this user holds.'),
  );
}
