import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { RequestError } from '../common/errors/request-error.js';
import type { Search } from '../common/search/search-query.js';
import { buildSearchCondition, type SearchColumns } from '../common/search/search-sql.js';
import { queryPrepared } from '../database/prepared-statements.js';
import { type AuditRow, auditRowInsert } from '../logs/audit-row.js';
import { holdsRoleSql } from '../roles/role-holders-sql.js';
import type { ListPosition, UserSearchField } from './user-list-query.js';
import { User } from './user.entity.js';

/** Columns a client may write through some route; everything else is set by the database or the service. */
export type UserValues = Partial<
  Pick<
    User,
    | 'id'
    | 'username'
    | 'primaryEmail'
    | 'primaryPhone'
    | 'passwordEncrypted'
    | 'passwordEncryptionMethod'
    | 'passwordUpdatedAt'
    | 'name'
    | 'avatar'
    | 'profile'
    | 'customData'
    | 'isSuspended'
  >
>;

export interface PageQuery {
  limit: number;
  offset?: number;
  after?: ListPosition;
}

/** The column each searchable field is tested on. */
const SEARCH_COLUMNS: SearchColumns<UserSearchField> = {
  id: 'id',
  primary_email: 'primary_email',
  primary_phone: 'primary_phone',
  username: 'username',
  name: 'name',
};

type MergeableJsonColumn = 'custom_data' | 'profile';

/**
 * `{ [target]: { userId, details? } }` of the row's user, from the identities module's table.
 * Exported for the benchmark's raw baseline, which runs the same select list.
 */
export const IDENTITIES_MAP_SQL = `(
  SELECT coalesce(jsonb_object_agg(
    identity.target,
    CASE WHEN identity.details IS NULL THEN jsonb_build_object('userId', identity.identity_id)
         ELSE jsonb_build_object('userId', identity.identity_id, 'details', identity.details) END
  ), '{}'::jsonb)
  FROM user_identities AS identity WHERE identity.user_id = users.id
)`;

/** Which users a list reads: a search, and (Roster only) holders or non-holders of a role. */
export interface UserFilter {
  search: Search<UserSearchField>;
  holderOf?: string;
  notHolderOf?: string;
}

/** The WHERE conditions of `filter` and their parameters from `$1`; `isSearch` when the text varies with the client's input. */
function filterConditions({ search, holderOf, notHolderOf }: UserFilter): { conditions: string[]; params: unknown[]; isSearch: boolean } {
  const condition = buildSearchCondition(search, SEARCH_COLUMNS, 1);
  const params = [...(condition?.params ?? [])];
  const conditions = [condition?.sql ?? 'TRUE'];
  if (holderOf !== undefined) {
    params.push(holderOf);
    conditions.push(holdsRoleSql('users.id', `$${params.length}`));
  }
  if (notHolderOf !== undefined) {
    params.push(notHolderOf);
    conditions.push(`NOT ${holdsRoleSql('users.id', `$${params.length}`)}`);
  }
  return { conditions, params, isSearch: condition !== undefined };
}

/** PostgreSQL's errors for a search pattern it cannot compile (bad regex, bad escape). */
const INVALID_PATTERN_ERRORS = new Set(['2201B', '22025', '22019']);

/**
 * Every query on `users`, one method per purpose. Rows are selected with camelCase aliases taken
 * from the entity metadata, so raw SQL and the entity never drift apart. Runs inside the current
 * transaction when there is one.
 */
@Injectable()
export class UsersRepository {
  private selectListCache?: string;

  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get manager() {
    return this.txHost.tx;
  }

  /** Every column, plus the user's social identities as one JSON map (read in the same statement). */
  private get selectList(): string {
    this.selectListCache ??= [
      ...this.manager.connection.getMetadata(User).columns.map((column) => `"${column.databaseName}" AS "${column.propertyName}"`),
      `${IDENTITIES_MAP_SQL} AS "identities"`,
    ].join(', ');
    return this.selectListCache;
  }

  private hydrate(row: Record<string, unknown>): User {
    return Object.assign(new User(), row);
  }

  async findById(id: string): Promise<User | null> {
    const rows = await queryPrepared<Record<string, unknown>>(this.txHost, `SELECT ${this.selectList} FROM users WHERE id = $1`, [id]);
    return rows[0] ? this.hydrate(rows[0]) : null;
  }

  async findPasswordById(id: string): Promise<Pick<User, 'passwordEncrypted' | 'passwordEncryptionMethod'> | null> {
    const rows = await queryPrepared<Pick<User, 'passwordEncrypted' | 'passwordEncryptionMethod'>>(
      this.txHost,
      `SELECT password_encrypted AS "passwordEncrypted", password_encryption_method AS "passwordEncryptionMethod" FROM users WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  /**
   * Swaps the stored digest only if it is still the one that was verified, so an upgrade never
   * overwrites a password changed in the meantime. `password_updated_at` is left alone: the password
   * itself did not change.
   */
  async replacePasswordDigest(id: string, expectedDigest: string, argon2iDigest: string): Promise<boolean> {
    const rows = await queryPrepared<{ id: string }>(
      this.txHost,
      `UPDATE users SET password_encrypted = $3, password_encryption_method = 'Argon2i'
       WHERE id = $1 AND password_encrypted = $2 RETURNING id`,
      [id, expectedDigest, argon2iDigest],
    );
    return rows.length > 0;
  }

  async existsById(id: string): Promise<boolean> {
    const rows = await queryPrepared(this.txHost, 'SELECT 1 FROM users WHERE id = $1', [id]);
    return rows.length > 0;
  }

  /** The ids among `ids` that belong to a user. */
  async findExistingIds(ids: readonly string[]): Promise<string[]> {
    const rows = await queryPrepared<{ id: string }>(this.txHost, 'SELECT id FROM users WHERE id = ANY($1::varchar[])', [ids]);
    return rows.map(({ id }) => id);
  }

  private async exists(predicate: string, value: string, exceptUserId?: string): Promise<boolean> {
    const rows = await queryPrepared(this.txHost, `SELECT 1 FROM users WHERE ${predicate} AND ($2::varchar IS NULL OR id <> $2) LIMIT 1`, [
      value,
      exceptUserId ?? null,
    ]);
    return rows.length > 0;
  }

  isUsernameTaken(username: string, caseSensitive: boolean, exceptUserId?: string): Promise<boolean> {
    return this.exists(caseSensitive ? 'username = $1' : 'lower(username) = lower($1)', username, exceptUserId);
  }

  isEmailTaken(email: string, exceptUserId?: string): Promise<boolean> {
    return this.exists('lower(primary_email) = lower($1)', email, exceptUserId);
  }

  isPhoneTaken(normalizedPhone: string, exceptUserId?: string): Promise<boolean> {
    return this.exists('primary_phone = $1', normalizedPhone, exceptUserId);
  }

  /**
   * Serialises writers of usernames that differ only in letter case, until the transaction ends.
   * The unique index is case-sensitive, so with case-insensitive usernames this lock is what makes
   * "check, then write" race-free.
   */
  async lockUsernameIgnoringCase(username: string): Promise<void> {
    await queryPrepared(this.txHost, `SELECT pg_advisory_xact_lock(hashtextextended('users.username:' || lower($1), 0))`, [username]);
  }

  /** Column names and values of the defined entries of `values`, in one order. */
  private toColumns(values: UserValues): { columns: string[]; params: unknown[] } {
    const metadata = this.manager.connection.getMetadata(User);
    const entries = Object.entries(values).filter(([, value]) => value !== undefined);
    return {
      columns: entries.map(([property]) => `"${metadata.findColumnWithPropertyName(property)?.databaseName ?? property}"`),
      params: entries.map(([, value]) => value),
    };
  }

  /**
   * Inserts the user and its audit row in one statement, so a create is atomic without a
   * transaction and costs one round trip. Returns null, writing nothing, when the id or anything
   * unique (username, e-mail, phone) is taken, also by a create committing concurrently.
   */
  async insertUnlessTaken(values: UserValues & { id: string }, auditRow: AuditRow): Promise<User | null> {
    const { columns, params } = this.toColumns(values);
    const audit = auditRowInsert('created', auditRow, params.length + 1);
    const rows = await queryPrepared<Record<string, unknown>>(
      this.txHost,
      `WITH created AS (
         INSERT INTO users (${columns.join(', ')}) VALUES (${params.map((_, index) => `$${index + 1}`).join(', ')})
         ON CONFLICT DO NOTHING RETURNING ${this.selectList}
       ), audit AS (${audit.sql})
       SELECT * FROM created`,
      [...params, ...audit.params],
    );
    return rows[0] ? this.hydrate(rows[0]) : null;
  }

  /** Sets only the given columns, so concurrent updates of different fields never undo each other. */
  async update(id: string, values: UserValues): Promise<User | null> {
    const { columns, params } = this.toColumns(values);
    const rows = await queryPrepared<Record<string, unknown>>(
      this.txHost,
      `UPDATE users SET ${columns.map((column, index) => `${column} = $${index + 2}`).join(', ')}
       WHERE id = $1 RETURNING ${this.selectList}`,
      [id, ...params],
    );
    return rows[0] ? this.hydrate(rows[0]) : null;
  }

  /** Shallow-merges `patch` into a JSON column in one statement, so concurrent merges never lose keys. */
  async mergeJson(id: string, column: MergeableJsonColumn, patch: object): Promise<Record<string, unknown> | null> {
    const rows = await queryPrepared<{ merged: Record<string, unknown> }>(
      this.txHost,
      `UPDATE users SET ${column} = ${column} || $2::jsonb WHERE id = $1 RETURNING ${column} AS merged`,
      [id, JSON.stringify(patch)],
    );
    return rows[0]?.merged ?? null;
  }

  async deleteById(id: string): Promise<boolean> {
    const result = await this.manager.createQueryBuilder().delete().from(User).where('id = :id', { id }).execute();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Up to `limit` users matching `filter`, newest first with ties broken by id so pages never
   * overlap: from `offset`, or (keyset) strictly after the `after` position, which stays fast at any depth.
   */
  async findPage(filter: UserFilter, { limit, offset = 0, after }: PageQuery): Promise<User[]> {
    const { conditions, params, isSearch } = filterConditions(filter);
    if (after) {
      params.push(after.createdAtMs, after.id);
      conditions.push(`(created_at, id) < ('epoch'::timestamptz + $${params.length - 1} * interval '1 millisecond', $${params.length})`);
    }
    params.push(limit, offset);
    // The page's ids are cut first, then only its rows are read: PostgreSQL computes the select list
    // (with its identities subquery) for every row OFFSET skips, and selecting only `id` lets an
    // unfiltered page be an index-only scan instead of 40,000 heap fetches at page 2000.
    const text = `SELECT ${this.selectList} FROM users JOIN (
         SELECT id FROM users WHERE ${conditions.join(' AND ')}
         ORDER BY created_at DESC, id DESC LIMIT $${params.length - 1} OFFSET $${params.length}
       ) AS page USING (id) ORDER BY created_at DESC, id DESC`;
    // Pages without a search have one fixed text per paging style and role filter: worth preparing. Searches vary.
    const rows = isSearch
      ? await this.runSearch<Record<string, unknown>>(text, params)
      : await queryPrepared<Record<string, unknown>>(this.txHost, text, params);
    return rows.map((row) => this.hydrate(row));
  }

  /** The exact number of users, from the trigger-maintained counter: no table scan. */
  async countAll(): Promise<number> {
    const rows = await queryPrepared<{ total: string }>(
      this.txHost,
      `SELECT sum(count) AS total FROM row_counts WHERE table_name = 'users'`,
      [],
    );
    return Number(rows[0]?.total ?? 0);
  }

  /** Counts matches, but stops after `cap` rows: a broad search or role filter costs a bounded scan. */
  async countMatchingUpTo(filter: UserFilter, cap: number): Promise<number> {
    const { conditions, params } = filterConditions(filter);
    const rows = await this.runSearch<{ total: string }>(
      `SELECT count(*) AS total FROM (SELECT 1 FROM users WHERE ${conditions.join(' AND ')} LIMIT ${Math.trunc(cap)}) AS matches`,
      params,
    );
    return Number(rows[0]?.total ?? 0);
  }

  /** Client-supplied patterns reach PostgreSQL's regex engine; one it cannot compile is the client's mistake. */
  private async runSearch<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    try {
      return await this.manager.query<Row[]>(sql, params);
    } catch (error) {
      const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
      if (code && INVALID_PATTERN_ERRORS.has(code)) {
        throw new RequestError('request.invalid_input', { interpolation: { details: 'The search pattern is invalid.' }, data: {} });
      }
      throw error;
    }
  }
}
