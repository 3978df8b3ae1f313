import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { RequestError } from '../common/errors/request-error.js';
import type { Search } from '../common/search/search-query.js';
import { buildSearchCondition, type SearchColumns } from '../common/search/search-sql.js';

/** PostgreSQL's errors for a search pattern it cannot compile (bad regex, bad escape). */
const INVALID_PATTERN_ERRORS = new Set(['2201B', '22025', '22019']);

const driverCode = (error: unknown): string | undefined =>
  error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;

export const isUniqueViolation = (error: unknown): boolean => driverCode(error) === '23505';

/** `column = $n` for each given value, in `columns` order, numbered from `firstParam`; empty when nothing is given. */
export function assignments<Values extends object>(
  values: Values,
  columns: Record<keyof Values, string>,
  firstParam: number,
): { sql: string[]; params: unknown[] } {
  const keys = (Object.keys(columns) as (keyof Values)[]).filter((key) => values[key] !== undefined);
  return { sql: keys.map((key, index) => `${columns[key]} = $${firstParam + index}`), params: keys.map((key) => values[key]) };
}

/** A WHERE clause built piece by piece, with its parameters numbered from `$1`. */
export class Conditions {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];

  bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  add(sql: string): void {
    this.parts.push(sql);
  }

  addSearch<Field extends string>(search: Search<Field>, columns: SearchColumns<Field>): void {
    const condition = buildSearchCondition(search, columns, this.params.length + 1);
    if (!condition) return;
    this.params.push(...condition.params);
    this.parts.push(condition.sql);
  }

  get sql(): string {
    return this.parts.length > 0 ? this.parts.join(' AND ') : 'TRUE';
  }
}

/** What the roles module's repositories share: statements inside the current transaction when there is one. */
@Injectable()
export abstract class SqlRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  protected query<Row>(sql: string, params: unknown[] = []): Promise<Row[]> {
    return this.txHost.tx.query<Row[]>(sql, params);
  }

  /**
   * An UPDATE or DELETE with RETURNING: TypeORM answers those as `[rows, rowCount]` instead of the
   * rows, so the statement is read through a CTE, which makes it a SELECT.
   */
  protected change<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    return this.query<Row>(`WITH changed AS (${sql}) SELECT * FROM changed`, params);
  }

  /** Client-supplied patterns reach PostgreSQL's regex engine; one it cannot compile is the client's mistake. */
  protected async search<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    try {
      return await this.query<Row>(sql, params);
    } catch (error) {
      const code = driverCode(error);
      if (code && INVALID_PATTERN_ERRORS.has(code)) {
        throw new RequestError('request.invalid_input', { interpolation: { details: 'The search pattern is invalid.' }, data: {} });
      }
      throw error;
    }
  }
}
