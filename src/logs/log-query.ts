import { RequestError } from '../common/errors/request-error.js';
import type { LogFilter } from './logs.repository.js';

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
export function parseLogQuery(query: Record<string, unknown>): LogFilter {
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
