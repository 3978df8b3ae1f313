import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import { RequestError } from '../common/errors/request-error.js';
import { deleteInBatches } from '../common/batches.js';
import { generateStandardId } from '../common/ids.js';
import type { RequestContextStore } from '../common/request-context.js';
import type { Log } from './log.entity.js';
import type { LogKey } from './log-keys.js';
import type { LogListQuery } from './log-query.js';
import { maskSecrets } from './log-masking.js';
import type { AuditRow } from './audit-row.js';
import { LogsRepository } from './logs.repository.js';

/** As in Logto's capped log counts: beyond this the total reads 10001 and says it is capped. */
export const LOG_COUNT_CAP = 10_000;

export const logNotFound = (id: string): RequestError =>
  new RequestError('entity.not_exists_with_id', { interpolation: { name: 'logs', id } });

export interface LogEvent {
  result?: 'Success' | 'Error';
  /** The user the event is about (not the caller). */
  userId?: string;
  /** Defaults to the authenticated caller's application. */
  applicationId?: string;
  /** What the request asked for; secrets are masked before storage. */
  params?: object;
  error?: { message: string; code?: string };
}

export interface LogPage {
  logs: Log[];
  total: number;
  capped: boolean;
}

@Injectable()
export class LogsService {
  constructor(
    private readonly logs: LogsRepository,
    private readonly cls: ClsService<RequestContextStore>,
  ) {}

  /**
   * Writes one audit row. Called inside the mutation's transaction, so the row commits or rolls back
   * with the change it describes.
   */
  async record(key: LogKey, event: LogEvent = {}): Promise<void> {
    await this.logs.insert(this.buildAuditRow(key, event));
  }

  /**
   * Records an event that may come at flood rate (refused token requests): the events of one
   * `foldKey` within one `windowSeconds` bucket share one row, the first event's, which counts the
   * others in `payload.folded` (`count`, `lastAt` in epoch ms). Not for mutations: their rows are
   * one per change.
   */
  async recordFolded(key: LogKey, event: LogEvent, foldKey: string, windowSeconds: number): Promise<void> {
    const { key: rowKey, payload } = this.buildAuditRow(key, event);
    await this.logs.upsertFolded({ key: rowKey, payload }, foldKey, windowSeconds);
  }

  /**
   * Deletes rows older than `days` days, `batchSize` per statement, until none is left or
   * `shouldStop()`; returns how many were deleted.
   */
  async purgeOlderThan(days: number, batchSize: number, shouldStop: () => boolean = () => false): Promise<number> {
    return deleteInBatches(() => this.logs.deleteOlderThan(days, batchSize), batchSize, shouldStop);
  }

  /**
   * The audit row for `event`, for a caller that writes it in the same statement as its change. The
   * caller, client address and user agent come from the request.
   */
  buildAuditRow(key: LogKey, event: LogEvent = {}): AuditRow {
    const context = this.cls.isActive() ? this.cls.get() : undefined;
    const applicationId = event.applicationId ?? context?.caller?.applicationId;
    const payload: Record<string, unknown> = {
      key,
      result: event.result ?? 'Success',
      ...(event.userId === undefined ? {} : { userId: event.userId }),
      ...(applicationId === undefined ? {} : { applicationId }),
      ...(context?.ip === undefined ? {} : { ip: context.ip }),
      ...(context?.userAgent === undefined ? {} : { userAgent: context.userAgent }),
      ...(event.params === undefined ? {} : { params: maskSecrets(event.params) }),
      ...(event.error === undefined ? {} : { error: event.error }),
    };
    return { id: generateStandardId(21), key, payload };
  }

  /**
   * A page of entries and their total. Counting always stops past `LOG_COUNT_CAP`, with or without
   * Logto's `enableCap`: an exact count over millions of rows would take seconds (Logto added
   * `enableCap` after its counts hit statement timeouts). Small results are counted exactly.
   */
  async list({ filter, pagination: { pageSize, offset } }: LogListQuery): Promise<LogPage> {
    const [logs, counted] = await Promise.all([this.logs.findPage(filter, pageSize, offset), this.logs.count(filter, LOG_COUNT_CAP + 1)]);
    return { logs, total: counted, capped: counted > LOG_COUNT_CAP };
  }

  async getById(id: string): Promise<Log> {
    const log = await this.logs.findById(id);
    if (!log) throw logNotFound(id);
    return log;
  }
}
