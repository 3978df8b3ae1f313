import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../errors/request-error.js';

export interface Pagination {
  page: number;
  pageSize: number;
  offset: number;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Keeps offsets far inside the safe-integer range. */
const MAX_PAGE = 1_000_000_000;

function parsePositiveInteger(raw: unknown, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'string' && /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new RequestError('guard.invalid_pagination');
  return value;
}

/** `page` (1-based) and `page_size`; anything but a positive integer within bounds is a 400. */
export function parsePagination(query: Record<string, unknown>): Pagination {
  const page = parsePositiveInteger(query.page, 1, MAX_PAGE);
  const pageSize = parsePositiveInteger(query.page_size, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { page, pageSize, offset: (page - 1) * pageSize };
}

function pageUrl(endpoint: string, request: FastifyRequest, page: number): string {
  const [path, rawQuery = ''] = request.url.split('?', 2);
  const query = new URLSearchParams(rawQuery);
  query.set('page', String(page));
  return `${endpoint}${path}?${query.toString()}`;
}

export interface PageHeadersOptions {
  /** The total saturated at a cap: no `last` link can be computed, nor `next` unless `hasNext` says. */
  capped?: boolean;
  /** Known from fetching one row more than the page (used when the total is capped). */
  hasNext?: boolean;
}

/**
 * `Total-Number` and an RFC 8288 `Link` header whose URLs are absolute and include `/api`
 * (Logto drops the mount prefix; these work when followed).
 */
export function setPageHeaders(
  reply: FastifyReply,
  request: FastifyRequest,
  endpoint: string,
  { page, pageSize }: Pagination,
  total: number,
  { capped = false, hasNext = false }: PageHeadersOptions = {},
): void {
  const links = [`<${pageUrl(endpoint, request, 1)}>; rel="first"`];
  if (page > 1) links.push(`<${pageUrl(endpoint, request, page - 1)}>; rel="prev"`);
  if (capped) {
    if (hasNext) links.push(`<${pageUrl(endpoint, request, page + 1)}>; rel="next"`);
  } else {
    const last = Math.max(1, Math.ceil(total / pageSize));
    if (page < last) links.push(`<${pageUrl(endpoint, request, page + 1)}>; rel="next"`);
    links.push(`<${pageUrl(endpoint, request, last)}>; rel="last"`);
  }
  setTotalHeaders(reply, total, capped);
  void reply.header('Link', links.join(', '));
}

function setTotalHeaders(reply: FastifyReply, total: number, capped: boolean): void {
  void reply.header('Total-Number', String(total));
  if (capped) void reply.header('Total-Number-Is-Capped', 'true');
}

function cursorUrl(endpoint: string, request: FastifyRequest, cursor: string): string {
  const [path, rawQuery = ''] = request.url.split('?', 2);
  const query = new URLSearchParams(rawQuery);
  query.delete('page');
  query.set('cursor', cursor);
  return `${endpoint}${path}?${query.toString()}`;
}

/** Keyset paging: `first` restarts with an empty cursor, `next` carries the position after this page. */
export function setCursorPageHeaders(
  reply: FastifyReply,
  request: FastifyRequest,
  endpoint: string,
  { total, capped, nextCursor }: { total: number; capped: boolean; nextCursor?: string },
): void {
  const links = [`<${cursorUrl(endpoint, request, '')}>; rel="first"`];
  if (nextCursor !== undefined) links.push(`<${cursorUrl(endpoint, request, nextCursor)}>; rel="next"`);
  setTotalHeaders(reply, total, capped);
  void reply.header('Link', links.join(', '));
}
