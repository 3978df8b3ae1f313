import { applyDecorators } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import { RequestError } from '../common/errors/request-error.js';
import { type Pagination, parsePagination } from '../common/http/pagination.js';
import { ApiPagination } from '../common/http/pagination.decorators.js';
import { ParsedQuery } from '../common/http/parsed-query.js';
import type { LogFilter } from './logs.repository.js';

/** `GET /api/logs` as parsed at the edge. */
export interface LogListQuery {
  filter: LogFilter;
  pagination: Pagination;
}

const FILTER_KEYS = ['userId', 'applicationId', 'logKey', 'start_time', 'end_time', 'enableCap', 'page', 'page_size'] as const;

function invalidQuery(type: string): RequestError {
  return new RequestError('guard.invalid_input', { interpolation: { type } });
}

/**
 * PostgreSQL's timestamptz runs from 4713 BC to 294276 AD. Bounds beyond it select the same rows as
 * bounds at its ends, so they are clamped there rather than failing the query.
 */
const EARLIEST_MS = -210_000_000_000_000;
const LATEST_MS = 9_000_000_000_000_000;

/** Parsed like Logto: with `Number()`, so `""` is 0 and anything non-finite is a 400. */
function parseTime(raw: string | undefined, name: 'start_time' | 'end_time'): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw invalidQuery(name);
  return Math.min(Math.max(value, EARLIEST_MS), LATEST_MS);
}

/**
 * Reads `GET /api/logs` filters. Each parameter may appear once; empty ids mean "no filter".
 * `enableCap` is accepted for compatibility: totals are always capped (see `LogsService.list`).
 */
function parseLogFilter(query: Record<string, unknown>): LogFilter {
  for (const key of FILTER_KEYS) if (Array.isArray(query[key])) throw invalidQuery('query');
  const text = (key: (typeof FILTER_KEYS)[number]): string | undefined => query[key] as string | undefined;
  const startTime = parseTime(text('start_time'), 'start_time');
  const endTime = parseTime(text('end_time'), 'end_time');
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) throw new RequestError('log.invalid_time_window');
  return {
    userId: text('userId') || undefined,
    applicationId: text('applicationId') || undefined,
    key: text('logKey') || undefined,
    startTime,
    endTime,
  };
}

/** The filters first, then the page: a repeated `page` is the filters' 400 `guard.invalid_input`. */
export function parseLogListQuery(query: Record<string, unknown>): LogListQuery {
  const filter = parseLogFilter(query);
  return { filter, pagination: parsePagination(query) };
}

/** The `GET /api/logs` query, parsed into a `LogListQuery`. */
export const LogListQueryParam = (): ParameterDecorator => ParsedQuery(parseLogListQuery);

const textQuery = (name: string, description: string) => ApiQuery({ name, required: false, description, schema: { type: 'string' } });
const numberQuery = (name: string, description: string) => ApiQuery({ name, required: false, description, schema: { type: 'number' } });

/** Documents every parameter `parseLogListQuery` reads; `countCap` is where the service stops counting. */
export function ApiLogListQuery(countCap: number): MethodDecorator {
  return applyDecorators(
    textQuery('userId', 'Entries about this user (`payload.userId`).'),
    textQuery('applicationId', 'Entries caused by this application (`payload.applicationId`).'),
    textQuery('logKey', 'Exact key, e.g. `ManagementApi.User.Update`.'),
    numberQuery('start_time', 'Inclusive lower bound on `createdAt`, epoch milliseconds.'),
    numberQuery('end_time', 'Inclusive upper bound on `createdAt`, epoch milliseconds.'),
    textQuery('enableCap', `Accepted for compatibility; counting always stops past ${countCap}.`),
    ApiPagination(),
  );
}
