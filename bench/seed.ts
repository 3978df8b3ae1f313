/**
 * Fills a migrated Roster database with a reproducible data set, fast: set-based
 * `INSERT … SELECT … FROM generate_series` in batches, secondary indexes and constraints dropped
 * during the load and rebuilt once at the end (sorting beats millions of random B-tree and GIN
 * insertions), row triggers off during the load (the generated rows already satisfy what they
 * enforce, such as millisecond timestamps) and counter tables recomputed afterwards. The whole load
 * is one transaction: a failure leaves the database as it was.
 *
 *   node bench/dist/seed.js --users 1000000 --logs 10000000 --data-dir /tmp/roster-bench-1m
 *   DATABASE_URL=postgres://… node bench/dist/seed.js --users 100000 --logs 1000000 [--reseed]
 */
import { hash as argon2Hash } from '@node-rs/argon2';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { formatCount, formatDuration, isMain, log, numberOption, ProgressBar } from './lib/cli.js';
import { migrate, startEmbedded } from './lib/database.js';
import { required } from './lib/required.js';
import {
  APPLICATION_IDS,
  BENCH_ROLES,
  benchRoleIdSql,
  MAX_ROLES_PER_USER,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  hash,
  HISTORY_END,
  IDENTITY_TARGETS,
  LAST_NAMES,
  LOCALES,
  logCreatedAtSql,
  logIdSql,
  MAX_USERS,
  PHONE_PLANS,
  PLANS,
  SEED_SCHEME,
  SIGNUP_SOURCES,
  textArray,
  USER_AGENTS,
  userCreatedAtSql,
  userIdSql,
  WEIGHTED_LOG_KEYS,
} from './dataset.js';

export interface SeedOptions {
  users: number;
  logs: number;
  /** Empty tables that hold data the bench did not seed (refused otherwise). */
  reseed?: boolean;
  usersPerBatch?: number;
  logsPerBatch?: number;
}

export interface PhaseReport {
  rows: number;
  ms: number;
  rowsPerSecond: number;
}

export interface SeedReport {
  skipped: boolean;
  users?: PhaseReport;
  identities?: number;
  userRoles?: number;
  logs?: PhaseReport;
  indexesMs?: number;
  vacuumMs?: number;
  totalMs: number;
  counters: string[];
}

/** The tables the seeder fills (and empties first). `users_roles` references users, so it is emptied with them. */
const SEEDED_TABLES = ['users', 'user_identities', 'users_roles', 'logs'];
/** The roles the seeder adds beside the seeded Management API role (which it leaves alone). */
const BENCH_ROLE_PATTERN = 'bench-role-%';
/** Seeded rows are older than this; anything newer was written by a benchmark run. */
export const SEEDED_BEFORE = new Date(Date.parse(HISTORY_END) + 366 * 24 * 3600 * 1000);

const PASSWORD = 'bench-password-1';
/** Logto's Argon2i parameters, as Roster hashes new passwords. */
const ARGON2I = 1;

type Client = pg.Client;

interface SeedState {
  users: string;
  logs: string;
  scheme: number;
}

async function readState(client: Client): Promise<SeedState | undefined> {
  await client.query('CREATE SCHEMA IF NOT EXISTS roster_bench');
  await client.query(`
    CREATE TABLE IF NOT EXISTS roster_bench.seed_state (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      users bigint NOT NULL,
      logs bigint NOT NULL,
      scheme integer NOT NULL,
      seeded_at timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query<SeedState>('SELECT users, logs, scheme FROM roster_bench.seed_state');
  return rows[0];
}

async function hasRows(client: Client, table: string): Promise<boolean> {
  const { rowCount } = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
  return (rowCount ?? 0) > 0;
}

// ---------------------------------------------------------------------------------------------
// Generated rows

const FIRST = `(${textArray(FIRST_NAMES)})[1 + ${hash('n', 2, FIRST_NAMES.length)}]`;
const LAST = `(${textArray(LAST_NAMES)})[1 + ${hash('n', 3, LAST_NAMES.length)}]`;

function pick(values: readonly string[], row: string, seed: number): string {
  return `(${textArray(values)})[1 + ${hash(row, seed, values.length)}]`;
}

function usersInsertSql(total: number): string {
  const n = 'n';
  const first = 'base.first';
  const last = 'base.last';
  const createdAt = 'base.created_at';
  const usernameBody = `CASE ${hash(n, 6, 3)}
      WHEN 0 THEN lower(${first}) || '_' || lower(${last}) || ${n}
      WHEN 1 THEN lower(${first}) || ${n}
      ELSE lower(left(${first}, 1)) || lower(${last}) || '_' || ${n} END`;
  const emailLocal = `CASE ${hash(n, 11, 3)}
      WHEN 0 THEN lower(${first}) || '.' || lower(${last}) || ${n}
      WHEN 1 THEN lower(left(${first}, 1)) || lower(${last}) || ${n}
      ELSE lower(${first}) || '_' || ${n} END`;
  const domain = pick(EMAIL_DOMAINS, n, 12);
  const plan = (field: 'cc' | 'prefix') => textArray(PHONE_PLANS.map((entry) => entry[field]));
  const planIndex = `1 + ${n} % ${PHONE_PLANS.length}`;
  const digits = `(ARRAY[${PHONE_PLANS.map((entry) => entry.digits).join(', ')}])[${planIndex}]`;
  const modulus = `(ARRAY[${PHONE_PLANS.map((entry) => `${10 ** entry.digits}`).join(', ')}]::bigint[])[${planIndex}]`;
  // (n / plans) * M + offset is a bijection modulo 10^digits (M is coprime with 10).
  const offset = `(ARRAY[${PHONE_PLANS.map((_, index) => (index * 7_654_321 + 1_234_567).toString()).join(', ')}]::bigint[])[${planIndex}]`;
  const phone = `(${plan('cc')})[${planIndex}] || (${plan('prefix')})[${planIndex}]
      || lpad((((${n} / ${PHONE_PLANS.length}) * 2654435761 + ${offset}) % ${modulus})::text, ${digits}, '0')`;
  const hasPassword = `${hash(n, 13, 100)} < 75`;
  const millis = (expression: string) => `${expression} * interval '1 millisecond'`;
  return `
    INSERT INTO users (id, username, primary_email, primary_phone, password_encrypted, password_encryption_method,
                       name, avatar, profile, custom_data, is_suspended, last_sign_in_at, password_updated_at,
                       created_at, updated_at)
    SELECT
      base.id,
      CASE WHEN ${hash(n, 5, 100)} < 90 THEN
        CASE WHEN ${hash(n, 7, 10)} = 0 THEN initcap(${usernameBody}) ELSE ${usernameBody} END
      END,
      CASE WHEN ${hash(n, 8, 100)} < 85 THEN
        (CASE WHEN ${hash(n, 9, 10)} < 3 THEN initcap(${emailLocal}) ELSE ${emailLocal} END)
        || '@' || (CASE WHEN ${hash(n, 10, 20)} = 0 THEN upper(${domain}) ELSE ${domain} END)
      END,
      CASE WHEN ${hash(n, 14, 100)} < 60 THEN ${phone} END,
      CASE WHEN ${hasPassword} THEN $3::text END,
      CASE WHEN ${hasPassword} THEN 'Argon2i'::users_password_encryption_method END,
      CASE WHEN ${hash(n, 15, 100)} < 90 THEN ${first} || ' ' || ${last} END,
      CASE WHEN ${hash(n, 16, 100)} < 30 THEN 'https://cdn.example.com/avatars/u' || ${n} || '.png' END,
      CASE WHEN ${hash(n, 17, 100)} < 20
        THEN jsonb_build_object('givenName', ${first}, 'familyName', ${last}, 'locale', ${pick(LOCALES, n, 18)})
        ELSE '{}'::jsonb END,
      CASE WHEN ${hash(n, 19, 100)} < 70
        THEN jsonb_build_object(
          'plan', ${pick(PLANS, n, 20)},
          'signupSource', ${pick(SIGNUP_SOURCES, n, 21)},
          'marketingOptIn', ${hash(n, 22, 2)} = 0,
          'score', ${hash(n, 23, 1000)},
          'preferences', jsonb_build_object('theme', CASE WHEN ${hash(n, 24, 2)} = 0 THEN 'dark' ELSE 'light' END,
                                            'language', ${pick(LOCALES, n, 25)}))
        ELSE '{}'::jsonb END,
      ${hash(n, 26, 50)} = 0,
      CASE WHEN ${hash(n, 27, 100)} < 60 THEN ${createdAt} + ${millis(hash(n, 28, 180 * 86_400_000))} END,
      CASE WHEN ${hasPassword} THEN ${createdAt} END,
      ${createdAt},
      CASE WHEN ${hash(n, 29, 3)} = 0 THEN ${createdAt} + ${millis(hash(n, 30, 30 * 86_400_000))} ELSE ${createdAt} END
    FROM (
      SELECT n, ${userIdSql('n')} AS id, ${FIRST} AS first, ${LAST} AS last, ${userCreatedAtSql('n', total)} AS created_at
      FROM generate_series($1::bigint, $2::bigint) AS n
    ) AS base`;
}

/** About 20% of users have one social identity, 2% a second one. */
function identitiesInsertSql(total: number): string {
  const n = 'n';
  const targetIndex = `((${hash(n, 32, IDENTITY_TARGETS.length)} + second) % ${IDENTITY_TARGETS.length})`;
  const target = `(${textArray(IDENTITY_TARGETS)})[1 + ${targetIndex}]`;
  // Unique per target: a function of the user row number alone.
  const identityId = `CASE ${targetIndex}
      WHEN 0 THEN (10000000 + ${n})::text
      WHEN 1 THEN '1' || lpad(${n}::text, 20, '0')
      WHEN 2 THEN (100000000000000 + ${n})::text
      ELSE '001' || lpad(${n}::text, 9, '0') || '.' || substr(md5(${n}::text), 1, 16) END`;
  return `
    INSERT INTO user_identities (user_id, target, identity_id, details, created_at, updated_at)
    SELECT ${userIdSql(n)}, ${target}, ${identityId},
      jsonb_build_object('id', ${identityId}, 'name', ${FIRST} || ' ' || ${LAST},
                         'email', lower(${FIRST}) || '.' || lower(${LAST}) || ${n} || '@' || ${target} || '.example',
                         'avatar', 'https://cdn.example.com/social/' || ${n} || '.png'),
      ${userCreatedAtSql(n, total)}, ${userCreatedAtSql(n, total)}
    FROM generate_series($1::bigint, $2::bigint) AS n, (VALUES (0), (1)) AS extra(second)
    WHERE ${hash(n, 31, 100)} < 20 AND (second = 0 OR ${hash(n, 33, 100)} < 10)`;
}

/** `BENCH_ROLES` user roles with fixed ids (`bench-role-000` …), inserted once per seed. */
function rolesInsertSql(): string {
  return `
    INSERT INTO roles (id, name, description)
    SELECT ${benchRoleIdSql('r')}, 'Bench role ' || lpad(r::text, 3, '0'), 'A role of the benchmark data set.'
    FROM generate_series(0, ${BENCH_ROLES - 1}) AS r`;
}

/**
 * Each user holds 0 to 6 roles (`MAX_ROLES_PER_USER`) (uniformly, so 3 on average), distinct ones: a
 * start drawn per user, then steps of 37 (coprime with 100) around the catalogue. Each role ends up
 * with about 3% of the users. Assigned when the user was created.
 */
function userRolesInsertSql(total: number): string {
  const n = 'n';
  return `
    INSERT INTO users_roles (user_id, role_id, created_at)
    SELECT ${userIdSql(n)}, ${benchRoleIdSql(`(${hash(n, 40, BENCH_ROLES)} + j * 37) % ${BENCH_ROLES}`)}, ${userCreatedAtSql(n, total)}
    FROM generate_series($1::bigint, $2::bigint) AS n, generate_series(0, ${MAX_ROLES_PER_USER - 1}) AS j
    WHERE j < ${hash(n, 41, MAX_ROLES_PER_USER + 1)}`;
}

/**
 * Log rows: 30% token exchanges (no user), the rest Management API calls about a user. Half of the
 * user events concern 1% of the users (busy accounts with hundreds of rows), the other half anyone.
 */
function logsInsertSql(totalLogs: number, totalUsers: number): string {
  const k = 'k';
  const busyUsers = Math.max(1, Math.ceil(totalUsers / 100));
  const userRow = `(CASE WHEN ${hash(k, 5, 2)} = 0 THEN ${hash(k, 6, Math.max(1, totalUsers))}
      ELSE (${hash(k, 7, busyUsers)} * 100) % ${Math.max(1, totalUsers)} END)`;
  const ip = `(${hash(k, 8, 223)} + 1) || '.' || ${hash(k, 9, 256)} || '.' || ${hash(k, 10, 256)} || '.' || ${hash(k, 11, 254)} + 1`;
  const userPart =
    totalUsers > 0
      ? `CASE WHEN base.key <> 'ExchangeTokenBy.ClientCredentials' THEN jsonb_build_object('userId', ${userIdSql(userRow)}) ELSE '{}'::jsonb END`
      : `'{}'::jsonb`;
  return `
    INSERT INTO logs (id, key, payload, created_at)
    SELECT ${logIdSql(k)}, base.key,
      jsonb_build_object('key', base.key,
                         'result', CASE WHEN ${hash(k, 3, 33)} = 0 THEN 'Error' ELSE 'Success' END,
                         'applicationId', ${pick(APPLICATION_IDS, k, 4)},
                         'ip', ${ip},
                         'userAgent', ${pick(USER_AGENTS, k, 12)}) || ${userPart},
      ${logCreatedAtSql(k, totalLogs)}
    FROM (SELECT k, ${pick(WEIGHTED_LOG_KEYS, k, 1)} AS key FROM generate_series($1::bigint, $2::bigint) AS k) AS base`;
}

// ---------------------------------------------------------------------------------------------
// Indexes and constraints: dropped for the load, rebuilt from their own definitions afterwards

interface Definition {
  table: string;
  name: string;
  definition: string;
  kind: 'foreign key' | 'constraint' | 'index';
}

async function secondaryStructures(client: Client, tables: string[]): Promise<Definition[]> {
  const { rows: constraints } = await client.query<{ table: string; name: string; definition: string; contype: string }>(
    `SELECT c.conrelid::regclass::text AS table, quote_ident(c.conname) AS name, pg_get_constraintdef(c.oid) AS definition,
            c.contype::text AS contype
       FROM pg_constraint c
      WHERE c.contype IN ('p', 'u', 'x', 'f')
        AND (c.conrelid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) AS t)
             OR c.confrelid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) AS t))
      ORDER BY c.oid`,
    [tables],
  );
  const { rows: indexes } = await client.query<{ table: string; name: string; definition: string }>(
    `SELECT i.indrelid::regclass::text AS table, i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i
      WHERE i.indrelid = ANY (SELECT to_regclass(t) FROM unnest($1::text[]) AS t)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
      ORDER BY i.indexrelid`,
    [tables],
  );
  return [
    ...constraints.map((row) => ({ ...row, kind: row.contype === 'f' ? ('foreign key' as const) : ('constraint' as const) })),
    ...indexes.map((row) => ({ ...row, kind: 'index' as const })),
  ];
}

async function dropStructures(client: Client, structures: Definition[]): Promise<void> {
  const order: Definition['kind'][] = ['foreign key', 'constraint', 'index'];
  for (const kind of order) {
    for (const item of structures.filter((entry) => entry.kind === kind)) {
      await client.query(kind === 'index' ? `DROP INDEX ${item.name}` : `ALTER TABLE ${item.table} DROP CONSTRAINT ${item.name}`);
    }
  }
}

async function rebuildStructures(client: Client, structures: Definition[]): Promise<number> {
  const started = Date.now();
  const order: Definition['kind'][] = ['constraint', 'index', 'foreign key'];
  for (const kind of order) {
    for (const item of structures.filter((entry) => entry.kind === kind)) {
      const itemStarted = Date.now();
      await client.query(kind === 'index' ? item.definition : `ALTER TABLE ${item.table} ADD CONSTRAINT ${item.name} ${item.definition}`);
      log(`  rebuilt ${kind} ${item.name} on ${item.table} in ${formatDuration(Date.now() - itemStarted)}`);
    }
  }
  return Date.now() - started;
}

// ---------------------------------------------------------------------------------------------
// Counter tables (such as `row_counts`): recomputed from count(*) after any bulk change

const COUNTER_TABLES = ['row_counts', 'row_count', 'table_counts', 'user_counts', 'users_count', 'counters'];

/**
 * Recomputes counter tables from `count(*)`. Understands `(table_name[, slot], count)` rows (the
 * total goes into the lowest slot, the others become 0) and single-row tables named after a table
 * (`user_counts.count`). Returns a line per counter it set; warns about shapes it does not know.
 */
export async function refreshCounters(client: Client): Promise<string[]> {
  const done: string[] = [];
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
    [COUNTER_TABLES],
  );
  for (const { name } of tables) {
    const { rows: columnRows } = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
      [name],
    );
    const columns = columnRows.map((row) => row.column_name);
    const keyColumn = ['table_name', 'name', 'relation', 'entity'].find((column) => columns.includes(column));
    const countColumn = ['count', 'total', 'value', 'rows', 'row_count'].find((column) => columns.includes(column));
    const slotColumn = ['slot', 'shard', 'bucket'].find((column) => columns.includes(column));
    if (!countColumn) {
      log(`warning: counter table ${name} has no count column this seeder knows (${columns.join(', ')}); not refreshed`);
      continue;
    }
    if (keyColumn) {
      const { rows: keys } = await client.query<{ key: string }>(`SELECT DISTINCT ${keyColumn} AS key FROM ${name}`);
      for (const { key } of keys) {
        const exists = await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [key]);
        if (!(exists.rows[0] as { present: boolean }).present) continue;
        const { rows } = await client.query<{ total: string }>(`SELECT count(*) AS total FROM ${key}`);
        const total = required(rows[0], `row of count(*) FROM ${key}`).total;
        if (slotColumn) {
          await client.query(`UPDATE ${name} SET ${countColumn} = 0 WHERE ${keyColumn} = $1`, [key]);
          await client.query(
            `UPDATE ${name} SET ${countColumn} = $2 WHERE ${keyColumn} = $1
               AND ${slotColumn} = (SELECT min(${slotColumn}) FROM ${name} WHERE ${keyColumn} = $1)`,
            [key, total],
          );
        } else {
          await client.query(`UPDATE ${name} SET ${countColumn} = $2 WHERE ${keyColumn} = $1`, [key, total]);
        }
        done.push(`${name}[${key}] = ${formatCount(Number(total))}`);
      }
    } else {
      const counted = name.replace(/_?counts?$/, '');
      const target = [counted, `${counted}s`].find((candidate) => candidate.length > 0 && candidate !== name);
      const exists = target ? await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [target]) : undefined;
      if (!target || !(exists?.rows[0] as { present: boolean } | undefined)?.present) {
        log(`warning: cannot tell which table counter ${name} counts; not refreshed`);
        continue;
      }
      const { rows } = await client.query<{ total: string }>(`SELECT count(*) AS total FROM ${target}`);
      const total = required(rows[0], `row of count(*) FROM ${target}`).total;
      await client.query(`UPDATE ${name} SET ${countColumn} = $1`, [total]);
      done.push(`${name} = ${formatCount(Number(total))}`);
    }
  }
  return done;
}

/**
 * Removes what benchmark runs wrote (users created and log rows appended: both newer than the
 * seeded history) and recomputes the counters, so a reused cluster starts every run alike.
 */
export async function removeBenchmarkWrites(client: Client): Promise<{ users: number; logs: number }> {
  const users = await client.query('DELETE FROM users WHERE created_at >= $1', [SEEDED_BEFORE]);
  const logs = await client.query('DELETE FROM logs WHERE created_at >= $1', [SEEDED_BEFORE]);
  await refreshCounters(client);
  return { users: users.rowCount ?? 0, logs: logs.rowCount ?? 0 };
}

// ---------------------------------------------------------------------------------------------

async function insertInBatches(
  client: Client,
  label: string,
  total: number,
  perBatch: number,
  run: (from: number, to: number) => Promise<number>,
): Promise<PhaseReport> {
  const bar = new ProgressBar(label, total);
  let done = 0;
  for (let from = 0; from < total; from += perBatch) {
    const to = Math.min(total, from + perBatch) - 1;
    await run(from, to);
    done = to + 1;
    bar.update(done);
  }
  const { ms, rowsPerSecond } = bar.finish(done);
  return { rows: total, ms, rowsPerSecond };
}

/** Seeds `url` unless it already holds exactly this data set. */
export async function seed(url: string, options: SeedOptions): Promise<SeedReport> {
  const { users, logs, reseed = false, usersPerBatch = 50_000, logsPerBatch = 250_000 } = options;
  if (!Number.isInteger(users) || users < 0 || users > MAX_USERS) throw new Error(`--users must be an integer from 0 to ${MAX_USERS}`);
  if (!Number.isInteger(logs) || logs < 0) throw new Error('--logs must be a non-negative integer');
  const started = Date.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET statement_timeout = 0');
    const state = await readState(client);
    if (state && Number(state.users) === users && Number(state.logs) === logs && state.scheme === SEED_SCHEME) {
      const removed = await removeBenchmarkWrites(client);
      log(
        `database already seeded with ${formatCount(users)} users and ${formatCount(logs)} logs; ` +
          `removed ${formatCount(removed.users)} users and ${formatCount(removed.logs)} log rows left by earlier runs`,
      );
      return { skipped: true, totalMs: Date.now() - started, counters: [] };
    }
    if (!state && !reseed) {
      for (const table of SEEDED_TABLES) {
        if (await hasRows(client, table)) {
          throw new Error(
            `table ${table} already holds rows the benchmark did not seed; pass --reseed to empty ${SEEDED_TABLES.join(', ')} first`,
          );
        }
      }
    }

    log(`seeding ${formatCount(users)} users and ${formatCount(logs)} log rows`);
    const passwordDigest = await argon2Hash(PASSWORD, { algorithm: ARGON2I, memoryCost: 8192, timeCost: 8, parallelism: 1, outputLen: 32 });

    await client.query('BEGIN');
    await client.query(`SET LOCAL synchronous_commit = off`);
    await client.query(`SET LOCAL maintenance_work_mem = '1GB'`);
    await client.query(`SET LOCAL work_mem = '64MB'`);
    await client.query(`TRUNCATE ${SEEDED_TABLES.join(', ')}`);
    await client.query(`DELETE FROM roles WHERE id LIKE $1`, [BENCH_ROLE_PATTERN]);
    await client.query(rolesInsertSql());
    const structures = await secondaryStructures(client, SEEDED_TABLES);
    await dropStructures(client, structures);
    for (const table of SEEDED_TABLES) await client.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);

    const usersSql = usersInsertSql(users);
    const identitiesSql = identitiesInsertSql(users);
    const userRolesSql = userRolesInsertSql(users);
    let identities = 0;
    let userRoles = 0;
    const usersReport = await insertInBatches(client, 'users', users, usersPerBatch, async (from, to) => {
      const inserted = await client.query(usersSql, [from, to, passwordDigest]);
      const linked = await client.query(identitiesSql, [from, to]);
      identities += linked.rowCount ?? 0;
      const assigned = await client.query(userRolesSql, [from, to]);
      userRoles += assigned.rowCount ?? 0;
      return inserted.rowCount ?? 0;
    });
    const logsSql = logsInsertSql(logs, users);
    const logsReport = await insertInBatches(client, 'logs', logs, logsPerBatch, async (from, to) => {
      const inserted = await client.query(logsSql, [from, to]);
      return inserted.rowCount ?? 0;
    });

    log(`rebuilding ${structures.length} indexes and constraints`);
    const indexesMs = await rebuildStructures(client, structures);
    for (const table of SEEDED_TABLES) await client.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    const counters = await refreshCounters(client);
    await client.query('DELETE FROM roster_bench.seed_state');
    await client.query('INSERT INTO roster_bench.seed_state (users, logs, scheme) VALUES ($1, $2, $3)', [users, logs, SEED_SCHEME]);
    await client.query('COMMIT');

    const vacuumStarted = Date.now();
    log('VACUUM (ANALYZE) and CHECKPOINT');
    for (const table of [...SEEDED_TABLES, 'roles']) await client.query(`VACUUM (ANALYZE) ${table}`);
    await client.query('CHECKPOINT').catch(() => undefined);
    const vacuumMs = Date.now() - vacuumStarted;

    const report: SeedReport = {
      skipped: false,
      users: usersReport,
      identities,
      userRoles,
      logs: logsReport,
      indexesMs,
      vacuumMs,
      totalMs: Date.now() - started,
      counters,
    };
    log(
      `seeded ${formatCount(users)} users (${formatCount(usersReport.rowsPerSecond)}/s, with ${formatCount(identities)} identities and ${formatCount(userRoles)} role links), ` +
        `${formatCount(logs)} logs (${formatCount(logsReport.rowsPerSecond)}/s); indexes ${formatDuration(indexesMs)}, ` +
        `vacuum ${formatDuration(vacuumMs)}; total ${formatDuration(report.totalMs)}` +
        (counters.length > 0 ? `; counters: ${counters.join(', ')}` : ''),
    );
    return report;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      logs: { type: 'string' },
      'data-dir': { type: 'string' },
      ephemeral: { type: 'boolean', default: false },
      reseed: { type: 'boolean', default: false },
    },
  });
  const users = numberOption(values.users, 100_000, 'users');
  const logs = numberOption(values.logs, users * 10, 'logs');
  let url = process.env.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const dataDir = values['data-dir'];
    if (!dataDir) throw new Error('set DATABASE_URL or pass --data-dir DIR (an embedded PostgreSQL cluster is created there)');
    const database = await startEmbedded(dataDir, values.ephemeral);
    log(`embedded PostgreSQL in ${dataDir}`);
    url = database.url;
    stop = () => database.stop();
  }
  try {
    const applied = await migrate(url);
    if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
    await seed(url, { users, logs, reseed: values.reseed });
  } finally {
    await stop?.();
  }
}

if (isMain(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
