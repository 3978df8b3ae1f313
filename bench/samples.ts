/**
 * The request parameters of the scenarios, drawn from the seeded data deterministically (the same
 * data set gives the same samples), so runs on different days ask for the same things.
 */
import type pg from 'pg';
import { userIdSql } from './dataset.js';
import { nonEmpty, required } from './lib/required.js';
import { encodeCursor, SEARCH_COLUMNS } from './queries.js';
import { SEEDED_BEFORE } from './seed.js';

export interface Samples {
  /** Existing users, spread over the table (at least one). */
  userIds: [string, ...string[]];
  /** Their display names (same order): the mixed load's PATCH writes the same name back, so data never drifts. */
  userNames: (string | null)[];
  /** Their e-mail addresses with the letter case scrambled (the exact search is case-insensitive; at least one). */
  emails: [string, ...string[]];
  /** `search=%term%` term: 4+ characters matching at most 1,000 users. */
  term: string;
  termMatches: number;
  /** Users with log rows: half of them busy accounts (hundreds of rows), half ordinary ones (at least one). */
  logUserIds: [string, ...string[]];
  /** A seeded role, for the `roleId` and `excludeRoleId` list scenarios, and how many users hold it. */
  roleId: string;
  roleHolders: number;
  logKey: string;
  logKeyRows: number;
  /** `cursor` of page 2000 (20 per page): the position of the last user of page 1999. */
  deepCursor: string;
}

export const DEEP_PAGE = 2000;
export const PAGE_SIZE = 20;

export const DEFAULT_LOG_KEY = 'ManagementApi.User.Update';
const MAX_TERM_MATCHES = 1000;

/** `maria.garcia12@gmail.com` → `MaRiA.GaRcIa12@gMaIl.cOm`. */
function scrambleCase(value: string): string {
  return [...value].map((char, index) => (index % 2 === 0 ? char.toUpperCase() : char.toLowerCase())).join('');
}

async function countLike(client: pg.Client, term: string): Promise<number> {
  const condition = SEARCH_COLUMNS.map((column) => `${column} ILIKE $1`).join(' OR ');
  const { rows } = await client.query<{ total: string }>(
    `SELECT count(*) AS total FROM (SELECT 1 FROM users WHERE ${condition} LIMIT ${MAX_TERM_MATCHES + 1}) AS matches`,
    [`%${term}%`],
  );
  return Number(required(rows[0], 'row of the search count').total);
}

/**
 * Seeded usernames end in the user's row number (`maria_garcia48213`): the last four letters plus
 * more and more of the digits narrow the matches. Of the first candidates that match at most 1,000
 * users, the one matching most is taken (a realistic "type a few characters" search, not a unique hit).
 */
async function chooseTerm(client: pg.Client, usernames: string[]): Promise<{ term: string; matches: number }> {
  let best: { term: string; matches: number } | undefined;
  for (const username of usernames.slice(0, 12)) {
    const match = /([a-z]{4})_?(\d+)$/i.exec(username);
    if (!match) continue;
    const letters = required(match[1], `letters of ${username}`);
    const digits = required(match[2], `digits of ${username}`);
    for (let used = 0; used <= digits.length; used += 1) {
      const term = `${letters.toLowerCase()}${digits.slice(0, used)}`;
      const matches = await countLike(client, term);
      if (matches <= MAX_TERM_MATCHES) {
        if (matches > 0 && (!best || matches > best.matches)) best = { term, matches };
        break;
      }
    }
  }
  if (!best) throw new Error('could not find a search term matching 1 to 1,000 users in the seeded data');
  return best;
}

export async function collectSamples(client: pg.Client, users: number, logKey = DEFAULT_LOG_KEY): Promise<Samples> {
  const { rows: sampled } = await client.query<{ id: string; username: string | null; primary_email: string | null; name: string | null }>(
    `SELECT id, username, primary_email, name FROM users WHERE created_at < $1 ORDER BY hashtext(id) LIMIT 1000`,
    [SEEDED_BEFORE],
  );
  if (sampled.length === 0) throw new Error('the users table is empty: seed it first');
  const userIds = nonEmpty(
    sampled.map((row) => row.id),
    'sampled user',
  );
  const userNames = sampled.map((row) => row.name);
  const emails = nonEmpty(
    sampled.flatMap((row) => (row.primary_email ? [scrambleCase(row.primary_email)] : [])),
    'sampled user with an e-mail address',
  );
  const { term, matches } = await chooseTerm(
    client,
    sampled.flatMap((row) => (row.username ? [row.username] : [])),
  );
  // Busy accounts are the users whose row number is a multiple of 100 (see seed.ts logsInsertSql).
  const { rows: busy } = await client.query<{ id: string }>(
    `SELECT ${userIdSql('m')} AS id FROM generate_series(0, $1::bigint - 1, 100) AS m ORDER BY hashint8(m) LIMIT 100`,
    [users],
  );
  const logUserIds = nonEmpty(
    busy.flatMap((row, index) => [row.id, userIds[index % userIds.length] ?? userIds[0]]),
    'user with log rows',
  );
  const { rows: keyRows } = await client.query<{ total: string }>('SELECT count(*) AS total FROM logs WHERE key = $1', [logKey]);
  const { rows: position } = await client.query<{ id: string; ms: string }>(
    `SELECT id, floor(extract(epoch FROM created_at) * 1000)::bigint AS ms FROM users
      ORDER BY created_at DESC, id DESC OFFSET least($1::bigint, (SELECT count(*) FROM users) - 1) LIMIT 1`,
    [(DEEP_PAGE - 1) * PAGE_SIZE - 1],
  );
  const deep = required(position[0], `user at page ${DEEP_PAGE}`);
  const deepCursor = encodeCursor({ createdAtMs: Number(deep.ms), id: deep.id });
  const logKeyRows = Number(required(keyRows[0], 'row of the log key count').total);
  // The first seeded role: about 3% of the users hold it (see seed.ts userRolesInsertSql).
  const { rows: roleRows } = await client.query<{ id: string; holders: string }>(
    `SELECT roles.id, (SELECT count(*) FROM users_roles WHERE role_id = roles.id) AS holders
       FROM roles WHERE id LIKE 'bench-role-%' ORDER BY id LIMIT 1`,
  );
  const role = required(roleRows[0], 'seeded bench role (re-seed with this seeder)');
  return {
    userIds,
    userNames,
    emails,
    term,
    termMatches: matches,
    logUserIds,
    logKey,
    logKeyRows,
    deepCursor,
    roleId: role.id,
    roleHolders: Number(role.holders),
  };
}
