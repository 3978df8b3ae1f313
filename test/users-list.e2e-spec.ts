import { request, type RawResponse, sdkFor } from './support/clients.js';
import { expectError } from './support/expect-errors.js';
import { uniqueLetters } from './support/factories.js';
import { linkPages as linkPagesOf, parseLinks, type QueryPairs, totals } from './support/links.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, type User } from './support/wire.js';
import { at } from './support/at.js';

/**
 * `GET /api/users` on a growing table (the fixed-data-set ordering and search tests are in
 * users-search.e2e-spec.ts): the trigger-kept user counter behind the unfiltered Total-Number,
 * keyset (`cursor`) paging, and search totals capped at 10 000 matches.
 */

type UsersResponse = RawResponse<User[] | ErrorBody>;

const SEARCH_CAP = 10_000;

const tag = (length = 10): string => uniqueLetters(length);

function usersPath(pairs: QueryPairs = []): string {
  const query = new URLSearchParams(pairs.map(([key, value]): [string, string] => [key, value])).toString();
  return `/api/users${query ? `?${query}` : ''}`;
}

/** rel → page number of each link of a response (offset paging). */
const linkPages = (response: RawResponse): Record<string, number> => linkPagesOf(response.headers.get('link'));

async function listUsers(server: TestServer, pairs: QueryPairs): Promise<{ users: User[]; response: UsersResponse }> {
  const response = await request<User[] | ErrorBody>(server.baseUrl, 'GET', usersPath(pairs));
  expect({ status: response.status, isArray: Array.isArray(response.body) }).toEqual({ status: 200, isArray: true });
  return { users: response.body as User[], response };
}

function createUser(server: TestServer, body: Record<string, unknown>): Promise<RawResponse<User | ErrorBody>> {
  return request<User | ErrorBody>(server.baseUrl, 'POST', '/api/users', { json: body });
}

/** Creates users through the SDK (the first alone, so the token is fetched once), concurrently. */
async function createUsers(server: TestServer, usernames: readonly string[]): Promise<string[]> {
  const sdk = sdkFor(server.baseUrl);
  const create = (username: string) => sdk.POST('/api/users', { body: { username } });
  const [first, ...rest] = usernames;
  const created = first === undefined ? [] : [await create(first), ...(await Promise.all(rest.map(create)))];
  expect(created.map(({ response }) => response.status)).toEqual(usernames.map(() => 200));
  return created.map(({ data }) => {
    expect(data?.id).toEqual(expect.any(String));
    return data!.id;
  });
}

/** `count(*)` of users and the trigger-kept counter, straight from the database. */
async function databaseCounts(server: TestServer): Promise<{ rows: number; counter: number }> {
  const [row] = await server.query<{ rows: string; counter: string }>(
    `SELECT (SELECT count(*) FROM users) AS rows, (SELECT sum(count) FROM row_counts WHERE table_name = 'users') AS counter`,
  );
  return { rows: Number(row?.rows), counter: Number(row?.counter) };
}

/** User ids in list order (`created_at DESC, id DESC`), optionally only these ids. */
async function idsInListOrder(server: TestServer, onlyIds?: readonly string[]): Promise<string[]> {
  const rows = onlyIds
    ? await server.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1) ORDER BY created_at DESC, id DESC', [onlyIds])
    : await server.query<{ id: string }>('SELECT id FROM users ORDER BY created_at DESC, id DESC');
  return rows.map(({ id }) => id);
}

interface CursorWalk {
  ids: string[];
  pages: UsersResponse[];
}

/**
 * Starts with `cursor=` and follows each `rel="next"` link until there is none. Every link must
 * point back at this server, keep the other parameters, and never carry `page`.
 */
async function walkWithCursor(server: TestServer, pairs: QueryPairs, pageSize: number, maxPages = 10_000): Promise<CursorWalk> {
  const walk: CursorWalk = { ids: [], pages: [] };
  let path: string | undefined = usersPath([...pairs, ['cursor', ''], ['page_size', String(pageSize)]]);
  while (path !== undefined) {
    if (walk.pages.length >= maxPages) throw new Error(`cursor walk did not end after ${maxPages} pages`);
    const response = await request<User[] | ErrorBody>(server.baseUrl, 'GET', path);
    expect({ status: response.status, isArray: Array.isArray(response.body) }).toEqual({ status: 200, isArray: true });
    const users = response.body as User[];
    walk.pages.push(response);
    walk.ids.push(...users.map((user) => user.id));
    const links = parseLinks(response.headers.get('link'));
    for (const url of links.values()) {
      expect(url.origin).toBe(new URL(server.baseUrl).origin);
      expect(url.pathname).toBe('/api/users');
      expect(url.searchParams.has('page')).toBe(false);
      expect(url.searchParams.get('page_size')).toBe(String(pageSize));
      for (const [key, value] of pairs) expect(url.searchParams.get(key)).toBe(value);
    }
    expect(links.get('first')?.searchParams.get('cursor')).toBe('');
    const next = links.get('next');
    if (next) {
      expect(users).toHaveLength(pageSize);
      expect(next.searchParams.get('cursor')).not.toBe('');
    }
    path = next ? `${next.pathname}${next.search}` : undefined;
  }
  return walk;
}

describe('GET /api/users on a growing table: counter, cursor paging, capped totals', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe('the user counter (unfiltered Total-Number)', () => {
    it('equals count(*) after concurrent creates, deletes and failing creates', async () => {
      const run = tag();
      const toDelete = await createUsers(
        server,
        Array.from({ length: 10 }, (_, index) => `counterdel${run}_${index}`),
      );
      const takenEmail = `taken${run}@example.com`;
      expect((await createUser(server, { username: `countertaken${run}`, primaryEmail: takenEmail })).status).toBe(200);

      const creates = Array.from({ length: 30 }, (_, index) =>
        createUser(server, { username: `counter${run}_${index}`, primaryEmail: `counter${run}_${index}@example.com` }),
      );
      // Fail at the pre-check: the email (in another case) already belongs to a user.
      const takenCreates = Array.from({ length: 5 }, (_, index) =>
        createUser(server, { username: `countertk${run}_${index}`, primaryEmail: takenEmail.toUpperCase() }),
      );
      // Race for one fresh email: one wins, the others may fail only at the unique index (rolled back).
      const racingCreates = Array.from({ length: 5 }, (_, index) =>
        createUser(server, { username: `counterrace${run}_${index}`, primaryEmail: `race${run}@example.com` }),
      );
      const deletes = toDelete.map((id) => request(server.baseUrl, 'DELETE', `/api/users/${id}`));
      const [created, taken, racing, deleted] = await Promise.all([
        Promise.all(creates),
        Promise.all(takenCreates),
        Promise.all(racingCreates),
        Promise.all(deletes),
      ]);

      expect(created.map(({ status }) => status)).toEqual(created.map(() => 200));
      const emailTaken = { status: 422, code: 'user.email_already_in_use' };
      expect(taken.map(({ status, body }) => ({ status, code: (body as ErrorBody).code }))).toEqual(taken.map(() => emailTaken));
      expect(racing.map(({ status }) => status).sort()).toEqual([200, 422, 422, 422, 422]);
      expect(deleted.map(({ status }) => status)).toEqual(deleted.map(() => 204));

      const { users, response } = await listUsers(server, []);
      const { rows, counter } = await databaseCounts(server);
      expect(counter).toBe(rows);
      expect(totals(response)).toEqual({ total: String(rows), capped: null });
      expect(users.length).toBe(Math.min(rows, 20));
      const ownRows = await server.query<{ total: string }>(`SELECT count(*) AS total FROM users WHERE username LIKE $1`, [
        `counter%${run}%`,
      ]);
      // 30 created + 1 holder of the taken email + 1 race winner; the 10 deleted are gone.
      expect(ownRows.map(({ total }) => Number(total))).toEqual([32]);
    });
  });

  describe('keyset pages (cursor)', () => {
    const run = tag();
    let ids: string[];

    beforeAll(async () => {
      ids = await createUsers(
        server,
        Array.from({ length: 25 }, (_, index) => `keyset${run}_${String(index).padStart(2, '0')}`),
      );
      // Groups larger than a page, so page boundaries fall inside runs of equal timestamps.
      await server.query(`UPDATE users SET created_at = '2001-02-03T04:05:06.007Z' WHERE id = ANY($1)`, [ids.slice(0, 9)]);
      await server.query(`UPDATE users SET created_at = '2001-02-03T04:05:06.008Z' WHERE id = ANY($1)`, [ids.slice(9, 16)]);
      await server.query(`UPDATE users SET created_at = '2001-02-03T04:05:06.009Z' WHERE id = ANY($1)`, [ids.slice(16, 19)]);
    });

    /** Follows `next` links from `path`, returning the ids seen. */
    async function walkFrom(path: string): Promise<string[]> {
      const seen: string[] = [];
      let current: string | undefined = path;
      while (current !== undefined) {
        const response: RawResponse<User[]> = await request<User[]>(server.baseUrl, 'GET', current);
        expect(response.status).toBe(200);
        seen.push(...response.body.map((user) => user.id));
        const next: URL | undefined = parseLinks(response.headers.get('link')).get('next');
        current = next ? `${next.pathname}${next.search}` : undefined;
      }
      return seen;
    }

    it('visits every user exactly once, in created_at DESC, id DESC order, with the exact total on every page', async () => {
      const walk = await walkWithCursor(server, [], 4);
      const expected = await idsInListOrder(server);
      expect(walk.ids).toEqual(expected);
      expect(new Set(walk.ids).size).toBe(walk.ids.length);
      expect(walk.pages).toHaveLength(Math.max(1, Math.ceil(expected.length / 4)));
      const { rows, counter } = await databaseCounts(server);
      expect(counter).toBe(rows);
      for (const page of walk.pages) expect(totals(page)).toEqual({ total: String(rows), capped: null });
    });

    it('with a search (search=%term%), visits exactly the matching users, each once, in list order', async () => {
      const walk = await walkWithCursor(server, [['search', `%${run}%`]], 4);
      expect(walk.ids).toEqual(await idsInListOrder(server, ids));
      expect(walk.pages).toHaveLength(7);
      for (const page of walk.pages) expect(totals(page)).toEqual({ total: '25', capped: null });
    });

    it('answers the first page of an empty search with [] and no next link', async () => {
      const walk = await walkWithCursor(server, [['search', `%nomatch${run}%`]], 4);
      expect(walk.ids).toEqual([]);
      expect(walk.pages).toHaveLength(1);
      expect(totals(at(walk.pages, 0))).toEqual({ total: '0', capped: null });
    });

    it('continues after the user at the cursor position was deleted, skipping and repeating nobody', async () => {
      const extra = await createUsers(
        server,
        Array.from({ length: 8 }, (_, index) => `keysetdel${run}_${index}`),
      );
      await server.query(`UPDATE users SET created_at = '2001-02-03T04:05:06.007Z' WHERE id = ANY($1)`, [extra]);
      const pairs = [
        ['search', `%keysetdel${run}%`],
        ['page_size', '3'],
      ] as const;
      const first = await listUsers(server, [...pairs, ['cursor', '']]);
      const next = parseLinks(first.response.headers.get('link')).get('next')!;
      const lastSeen = first.users.at(-1)!.id;
      expect((await request(server.baseUrl, 'DELETE', `/api/users/${lastSeen}`)).status).toBe(204);

      const rest = await walkFrom(`${next.pathname}${next.search}`);
      const expected = await idsInListOrder(server, extra);
      expect([...first.users.map((user) => user.id), ...rest].filter((id) => id !== lastSeen)).toEqual(expected);
    });

    it('visits users with equal sub-millisecond timestamps (rows imported from Logto, whose default is now()) exactly once', async () => {
      const micro = tag();
      const imported = await createUsers(
        server,
        Array.from({ length: 9 }, (_, index) => `keysetmicro${micro}_${index}`),
      );
      await server.query(`UPDATE users SET created_at = '2001-02-03T04:05:06.007500Z' WHERE id = ANY($1)`, [imported.slice(0, 6)]);
      await server.query(`UPDATE users SET created_at = '2001-02-03T04:05:06.007900Z' WHERE id = ANY($1)`, [imported.slice(6)]);
      const walk = await walkWithCursor(server, [['search', `%keysetmicro${micro}%`]], 4);
      expect(walk.ids).toEqual(await idsInListOrder(server, imported));
    });

    it.each([
      ['cursor=garbage', [['cursor', 'garbage']]],
      ['a cursor that is not base64url of a position', [['cursor', Buffer.from('123.abc!').toString('base64url')]]],
      [
        'cursor= together with page=2',
        [
          ['cursor', ''],
          ['page', '2'],
        ],
      ],
      [
        'cursor= together with page=1',
        [
          ['page', '1'],
          ['cursor', ''],
        ],
      ],
      [
        'a repeated cursor',
        [
          ['cursor', ''],
          ['cursor', ''],
        ],
      ],
    ] as const)('answers 400 guard.invalid_pagination to %s', async (_name, pairs) => {
      expectError(await request(server.baseUrl, 'GET', usersPath(pairs)), 400, 'guard.invalid_pagination');
    });

    it('answers 400 guard.invalid_pagination to a next link whose page was added by hand', async () => {
      const first = await listUsers(server, [
        ['search', `%${run}%`],
        ['cursor', ''],
        ['page_size', '4'],
      ]);
      const next = parseLinks(first.response.headers.get('link')).get('next')!;
      next.searchParams.set('page', '2');
      expectError(await request(server.baseUrl, 'GET', `${next.pathname}${next.search}`), 400, 'guard.invalid_pagination');
    });
  });

  describe('capped search totals (more than 10 000 matches)', () => {
    const BULK = 10_050;
    const run = tag();
    const prefix = `capped${run}_`;
    const idPrefix = tag(2);

    beforeAll(async () => {
      await server.query(
        `INSERT INTO users (id, username) SELECT $1 || lpad(n::text, 10, '0'), $2 || n FROM generate_series(1, $3::int) AS n`,
        [idPrefix, prefix, BULK],
      );
    }, 120_000);

    it('keeps the counter equal to count(*) through a set-based INSERT', async () => {
      const { rows, counter } = await databaseCounts(server);
      expect(counter).toBe(rows);
      expect(rows).toBeGreaterThanOrEqual(BULK);
    });

    it('reads Total-Number: 10001 with Total-Number-Is-Capped: true, and links first and next but no last', async () => {
      const { users, response } = await listUsers(server, [['search', `${prefix}%`]]);
      expect(users).toHaveLength(20);
      expect(totals(response)).toEqual({ total: String(SEARCH_CAP + 1), capped: 'true' });
      expect(linkPages(response)).toEqual({ first: 1, next: 2 });
    });

    it('still serves the final page (503 of 20) with the last rows, a prev link and no next', async () => {
      const pairs = [
        ['search', `${prefix}%`],
        ['page_size', '20'],
      ] as const;
      const last = await listUsers(server, [...pairs, ['page', '503']]);
      expect(totals(last.response)).toEqual({ total: String(SEARCH_CAP + 1), capped: 'true' });
      expect(linkPages(last.response)).toEqual({ first: 1, prev: 502 });
      const [row] = await server.query<{ ids: string[] }>(
        `SELECT array_agg(id) AS ids FROM (SELECT id FROM users WHERE username LIKE $1 ORDER BY created_at DESC, id DESC OFFSET 10040) AS tail`,
        [`${prefix}%`],
      );
      expect(last.users.map((user) => user.id)).toEqual(row?.ids);
      expect(last.users).toHaveLength(10);

      const before = await listUsers(server, [...pairs, ['page', '502']]);
      expect(before.users).toHaveLength(20);
      expect(linkPages(before.response)).toEqual({ first: 1, prev: 501, next: 503 });
      const beyond = await listUsers(server, [...pairs, ['page', '504']]);
      expect(beyond.users).toEqual([]);
      expect(linkPages(beyond.response)).toEqual({ first: 1, prev: 503 });
    });

    it('keeps the unfiltered total exact (count(*)), without the capped header', async () => {
      const { response } = await listUsers(server, []);
      const { rows } = await databaseCounts(server);
      expect(rows).toBeGreaterThan(SEARCH_CAP);
      expect(totals(response)).toEqual({ total: String(rows), capped: null });
      expect(linkPages(response)).toEqual({ first: 1, next: 2, last: Math.ceil(rows / 20) });
    });

    it('counts a search with fewer matches exactly, with a last link and no capped header', async () => {
      // capped…_1000 and capped…_10000 to capped…_10009.
      const { users, response } = await listUsers(server, [['search', `${prefix}1000%`]]);
      expect(users).toHaveLength(11);
      expect(totals(response)).toEqual({ total: '11', capped: null });
      expect(linkPages(response)).toEqual({ first: 1, last: 1 });
    });

    it('counts exactly 10 000 matches as exact (no capped header, last link), and 10 001 as capped', async () => {
      const posix = (pattern: string): QueryPairs => [
        ['search.username', pattern],
        ['mode.username', 'posix'],
        ['isCaseSensitive', 'true'],
      ];
      const exact = await listUsers(server, posix(`^${prefix}([0-9]{1,4}|10000)$`));
      expect(totals(exact.response)).toEqual({ total: String(SEARCH_CAP), capped: null });
      expect(linkPages(exact.response)).toEqual({ first: 1, next: 2, last: 500 });
      const over = await listUsers(server, posix(`^${prefix}([0-9]{1,4}|1000[01])$`));
      expect(totals(over.response)).toEqual({ total: String(SEARCH_CAP + 1), capped: 'true' });
      expect(linkPages(over.response)).toEqual({ first: 1, next: 2 });
    });

    it('walks all 10 050 matches with the cursor exactly once (many equal timestamps), reporting the capped total', async () => {
      const walk = await walkWithCursor(server, [['search', `${prefix}%`]], 100);
      const [row] = await server.query<{ ids: string[] }>(
        `SELECT array_agg(id ORDER BY created_at DESC, id DESC) AS ids FROM users WHERE username LIKE $1`,
        [`${prefix}%`],
      );
      expect(walk.ids.length).toBe(BULK);
      expect(walk.ids).toEqual(row?.ids);
      expect(walk.pages).toHaveLength(Math.ceil(BULK / 100));
      for (const page of walk.pages) expect(totals(page)).toEqual({ total: String(SEARCH_CAP + 1), capped: 'true' });
    }, 120_000);
  });
});
