/**
 * The SQL Roster runs for each benchmark scenario, copied in shape from
 * src/users/users.repository.ts (+ the WHERE fragments src/common/search/search.ts builds for
 * users.service.ts's SEARCH_COLUMNS) and src/logs/logs.repository.ts. The raw baseline server runs
 * exactly these statements, and bench/explain.ts writes their plans to bench/plans/. When the
 * service's SQL changes for speed, change it here too, so the baseline stays "the same queries
 * without the framework".
 */
import type pg from 'pg';
import { importBuilt } from './lib/paths.js';

export interface Statement {
  /** Prepared-statement name (one per distinct SQL text). */
  name: string;
  text: string;
  values: unknown[];
}

/** src/users/users.service.ts SEARCH_COLUMNS: the general `search` tests all of them. */
export const SEARCH_COLUMNS = ['id', 'primary_email', 'primary_phone', 'username', 'name'];

// Constants and SQL fragments taken from the build, so the baseline cannot drift from the service.
const { SEARCH_COUNT_CAP } = await importBuilt<{ SEARCH_COUNT_CAP: number }>('src/users/users.service.js');
const { LOG_COUNT_CAP } = await importBuilt<{ LOG_COUNT_CAP: number }>('src/logs/logs.service.js');
const { LISTED_KEY_FAMILIES } = await importBuilt<{ LISTED_KEY_FAMILIES: string[] }>('src/logs/log-keys.js');
const { IDENTITIES_MAP_SQL } = await importBuilt<{ IDENTITIES_MAP_SQL: string }>('src/users/users.repository.js');

/** As the logs repository's LIKE patterns. */
const LISTED_KEY_PATTERNS = LISTED_KEY_FAMILIES.map((family) => `${family}%`);

function camelCase(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Every users column with a camelCase alias plus the identities map, like the repository's select list. */
export async function loadUserSelectList(client: pg.Pool | pg.Client): Promise<string> {
  const { rows } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position`,
  );
  return [...rows.map(({ column_name: column }) => `"${column}" AS "${camelCase(column)}"`), `${IDENTITIES_MAP_SQL} AS "identities"`].join(
    ', ',
  );
}

export type UserFilter =
  | { kind: 'all' }
  | { kind: 'like'; pattern: string }
  | { kind: 'email-exact'; email: string }
  | { kind: 'holder'; roleId: string }
  | { kind: 'non-holder'; roleId: string };

/** roles/role-holders-sql.ts holdsRoleSql. */
const HOLDS_ROLE = 'EXISTS (SELECT 1 FROM users_roles WHERE users_roles.user_id = users.id AND users_roles.role_id = $1)';
const HOLDERS = 'FROM users_roles WHERE role_id = $1';

/** The WHERE fragment buildSearchCondition produces for the filter (parameters from $1). */
function userCondition(filter: UserFilter): { sql: string; values: unknown[] } | undefined {
  switch (filter.kind) {
    case 'all':
      return undefined;
    case 'like':
      return { sql: `((${SEARCH_COLUMNS.map((column) => `${column} ILIKE $1`).join(' OR ')}))`, values: [filter.pattern] };
    case 'email-exact':
      return { sql: '(lower(primary_email) = lower($1))', values: [filter.email] };
    case 'holder':
      return { sql: HOLDS_ROLE, values: [filter.roleId] };
    case 'non-holder':
      return { sql: `NOT ${HOLDS_ROLE}`, values: [filter.roleId] };
  }
}

export function getUserStatement(selectList: string, id: string): Statement {
  return { name: 'user_by_id', text: `SELECT ${selectList} FROM users WHERE id = $1`, values: [id] };
}

/** A keyset position: the last user of the previous page (src/users/list-cursor.ts). */
export interface ListPosition {
  createdAtMs: number;
  id: string;
}

/** `cursor` query parameter: base64url of `<createdAt epoch ms>.<user id>` (src/users/list-cursor.ts). */
export function encodeCursor({ createdAtMs, id }: ListPosition): string {
  return Buffer.from(`${createdAtMs}.${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition | undefined {
  if (cursor === '') return undefined;
  const [, ms, id] = /^(\d{1,15})\.([\w-]{1,12})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8')) ?? [];
  return ms !== undefined && id !== undefined ? { createdAtMs: Number(ms), id } : undefined;
}

/**
 * users.repository.ts findPage: from `offset`, or (keyset) strictly after `after`; the service asks for
 * one row more than the page to know whether another follows.
 */
export function userPageStatement(selectList: string, filter: UserFilter, limit: number, offset: number, after?: ListPosition): Statement {
  const condition = userCondition(filter);
  const values = [...(condition?.values ?? [])];
  const conditions = [condition?.sql ?? 'TRUE'];
  if (after) {
    values.push(after.createdAtMs, after.id);
    conditions.push(`(created_at, id) < ('epoch'::timestamptz + $${values.length - 1} * interval '1 millisecond', $${values.length})`);
  }
  values.push(limit, offset);
  return {
    name: `users_page_${filter.kind}${after ? '_after' : ''}`,
    text: `SELECT ${selectList} FROM users JOIN (
         SELECT id FROM users WHERE ${conditions.join(' AND ')}
         ORDER BY created_at DESC, id DESC LIMIT $${values.length - 1} OFFSET $${values.length}
       ) AS page USING (id) ORDER BY created_at DESC, id DESC`,
    values,
  };
}

/**
 * users.service.ts count: the trigger-kept counter; a role's holders from the `(role_id, user_id)`
 * index, everyone else as the counter minus them; otherwise countMatchingUpTo (a capped count).
 */
export function userCountStatement(filter: UserFilter, hasCounter: boolean): Statement {
  if (filter.kind === 'holder') return { name: 'users_count_holder', text: `SELECT count(*) AS total ${HOLDERS}`, values: [filter.roleId] };
  if (filter.kind === 'non-holder') {
    const all = hasCounter ? `SELECT sum(count) FROM row_counts WHERE table_name = 'users'` : 'SELECT count(*) FROM users';
    return { name: 'users_count_non_holder', text: `SELECT (${all}) - (SELECT count(*) ${HOLDERS}) AS total`, values: [filter.roleId] };
  }
  const condition = userCondition(filter);
  if (!condition) {
    return hasCounter
      ? { name: 'users_count_all', text: `SELECT sum(count) AS total FROM row_counts WHERE table_name = 'users'`, values: [] }
      : { name: 'users_count_all_scan', text: 'SELECT count(*) AS total FROM users', values: [] };
  }
  return {
    name: `users_count_${filter.kind}`,
    text: `SELECT count(*) AS total FROM (SELECT 1 FROM users WHERE ${condition.sql} LIMIT ${SEARCH_COUNT_CAP + 1}) AS matches`,
    values: condition.values,
  };
}

export type LogFilter = { kind: 'user'; userId: string } | { kind: 'key'; key: string };

function logCondition(filter: LogFilter): { sql: string; values: unknown[] } {
  const family = 'key LIKE ANY($1::text[])';
  return filter.kind === 'user'
    ? { sql: `${family} AND payload->>'userId' = $2`, values: [LISTED_KEY_PATTERNS, filter.userId] }
    : { sql: `${family} AND key = $2`, values: [LISTED_KEY_PATTERNS, filter.key] };
}

/** logs.repository.ts findPage. */
export function logPageStatement(filter: LogFilter, limit: number, offset: number): Statement {
  const { sql, values } = logCondition(filter);
  return {
    name: `logs_page_${filter.kind}`,
    text: `SELECT id, key, payload, created_at AS "createdAt" FROM logs WHERE ${sql} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`,
    values: [...values, limit, offset],
  };
}

/** logs.repository.ts count: stops at LOG_COUNT_CAP + 1 rows (the total then reads 10001, flagged capped). */
export function logCountStatement(filter: LogFilter): Statement {
  const { sql, values } = logCondition(filter);
  return {
    name: `logs_count_${filter.kind}`,
    text: `SELECT count(*) AS total FROM (SELECT 1 FROM logs WHERE ${sql} LIMIT ${LOG_COUNT_CAP + 1}) AS capped`,
    values,
  };
}

export async function hasUsersCounter(client: pg.Pool | pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(`SELECT to_regclass('row_counts') IS NOT NULL AS present`);
  return rows[0]?.present ?? false;
}
