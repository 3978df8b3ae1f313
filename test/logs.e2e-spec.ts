import { basicAuthorization, callWithAuthorization, fetchAccessToken, postToken } from './support/auth.js';
import { createApplication } from './support/cli.js';
import { createSdk, MANAGEMENT_API_RESOURCE, request, type RawResponse } from './support/clients.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, type User } from './support/wire.js';
import { expectError, expectErrorCode } from './support/expect-errors.js';
import { uniqueLetters, uniqueName } from './support/factories.js';
import { linkPages, parseLinks, type QueryPairs, toQueryString, totals } from './support/links.js';
import { at } from './support/at.js';

/**
 * The audit trail (README "Audit log" and the "Audit trail" row of its Compatibility table): one log row per
 * Management API mutation, written in the mutation's own transaction; token issuance rows; and
 * `GET /api/logs` / `GET /api/logs/:id` with their filters, time window, pagination and count cap.
 */

interface LogPayload {
  key: string;
  result: 'Success' | 'Error';
  userId?: string;
  applicationId?: string;
  ip?: string;
  userAgent?: string;
  params?: Record<string, unknown>;
  error?: unknown;
  [extra: string]: unknown;
}

interface LogEntry {
  tenantId: string;
  id: string;
  key: string;
  payload: LogPayload;
  createdAt: number;
}

/** A `logs` row read straight from the database. */
interface LogRow {
  id: string;
  key: string;
  payload: LogPayload;
  /** The raw JSON text of `payload`, for "never stored in clear" checks. */
  raw: string;
  /** The id of the transaction that wrote the row. */
  xmin: string;
}

const LOG_ENTRY_KEYS = ['tenantId', 'id', 'key', 'payload', 'createdAt'];
const LOG_ID = /^[0-9a-z]{21}$/;
const MASK = '******';
const USER_AGENT = 'roster-audit-e2e/1.0 (+logs)';
const UA_HEADERS = { 'user-agent': USER_AGENT };
const LOOPBACK = /^(::1|(::ffff:)?127\.0\.0\.1)$/;
const TOKEN_KEY = 'ExchangeTokenBy.ClientCredentials';
const CAP = 10_000;

describe('audit logs (/api/logs and the rows mutations write)', () => {
  let server: TestServer;
  let sdk: ReturnType<typeof createSdk>;
  let clientId: string;

  beforeAll(async () => {
    server = await startTestServer();
    sdk = createSdk(server.baseUrl);
    clientId = server.credentials.clientId;
    // Both clients fetch their token now, so token-issuance rows never land inside a test's window.
    expect((await sdk.GET('/api/users')).response.status).toBe(200);
    expect((await request(server.baseUrl, 'GET', '/api/users')).status).toBe(200);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const userPath = (userId: string, suffix = ''): string => `/api/users/${encodeURIComponent(userId)}${suffix}`;

  const countRows = async (): Promise<number> => at(await server.query<{ n: number }>('SELECT count(*)::int AS n FROM logs'), 0).n;

  const rowsByIds = (ids: readonly string[]): Promise<LogRow[]> =>
    server.query<LogRow>(
      'SELECT id, key, payload, payload::text AS raw, xmin::text AS xmin FROM logs WHERE id = ANY($1) ORDER BY created_at, id',
      [ids],
    );

  /** The rows `action` wrote (by id set difference; tests of one file run one at a time). */
  async function rowsWrittenBy(action: () => Promise<unknown>): Promise<LogRow[]> {
    const before = new Set((await server.query<{ id: string }>('SELECT id FROM logs')).map((row) => row.id));
    await action();
    const after = (await server.query<{ id: string }>('SELECT id FROM logs')).map((row) => row.id);
    return rowsByIds(after.filter((id) => !before.has(id)));
  }

  /** Runs `action`, asserts it wrote exactly one row with `key`, returns that row. */
  async function theRowWrittenBy(key: string, action: () => Promise<unknown>): Promise<LogRow> {
    const rows = await rowsWrittenBy(action);
    expect(rows.map((row) => row.key)).toEqual([key]);
    return at(rows, 0);
  }

  /** Runs a failing request: asserts the log table did not change at all. */
  async function expectNoRowWrittenBy(action: () => Promise<RawResponse>): Promise<RawResponse> {
    const countBefore = await countRows();
    let response: RawResponse | undefined;
    const rows = await rowsWrittenBy(async () => {
      response = await action();
    });
    expect(rows.map((row) => row.key)).toEqual([]);
    expect(await countRows()).toBe(countBefore);
    return response!;
  }

  /** The audit payload of a successful mutation by the bootstrap application with `USER_AGENT`. */
  function expectAuditPayload(row: LogRow, key: string, userId: string): void {
    expect(row.payload).toEqual(
      expect.objectContaining({
        key,
        result: 'Success',
        userId,
        applicationId: clientId,
        ip: expect.stringMatching(LOOPBACK),
        userAgent: USER_AGENT,
      }),
    );
    expect(row.payload).not.toHaveProperty('error');
    expect(row.id).toMatch(LOG_ID);
  }

  async function xminOfUser(userId: string): Promise<string> {
    const rows = await server.query<{ xmin: string }>('SELECT xmin::text AS xmin FROM users WHERE id = $1', [userId]);
    expect(rows).toHaveLength(1);
    return at(rows, 0).xmin;
  }

  async function createUser(body: { username?: string; primaryEmail?: string; password?: string; name?: string } = {}): Promise<User> {
    const { data, response } = await sdk.POST('/api/users', { body: { username: uniqueName('u'), ...body } });
    expect(response.status).toBe(200);
    return data as unknown as User;
  }

  async function linkIdentity(userId: string, target: string, identityId: string): Promise<number> {
    const { response } = await sdk.PUT('/api/users/{userId}/identities/{target}', {
      params: { path: { userId, target } },
      body: { userId: identityId, details: { name: 'Linked Person', accessToken: 'social-access-token-value' } },
      headers: UA_HEADERS,
    });
    return response.status;
  }

  const listLogs = (pairs: QueryPairs = []): Promise<RawResponse<LogEntry[]>> => {
    const query = toQueryString(pairs);
    return request<LogEntry[]>(server.baseUrl, 'GET', `/api/logs${query ? `?${query}` : ''}`);
  };

  /** A successful list: 200, an array, a numeric `Total-Number`. */
  async function listOk(pairs: QueryPairs = []): Promise<{ entries: LogEntry[]; total: number; response: RawResponse<LogEntry[]> }> {
    const response = await listLogs(pairs);
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
    const total = response.headers.get('total-number');
    expect(total).toMatch(/^\d+$/);
    return { entries: response.body, total: Number(total), response };
  }

  const idsOf = (entries: readonly LogEntry[]): string[] => entries.map((entry) => entry.id);

  /** Newest first: `createdAt` descending, then `id` descending. */
  function expectNewestFirst(entries: readonly LogEntry[]): void {
    const sorted = [...entries].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    expect(idsOf(entries)).toEqual(idsOf(sorted));
  }

  /** Inserts one row directly; `createdAt` is an SQL expression (default: the current time). */
  async function insertRow(key: string, payload: Record<string, unknown>, createdAt?: string): Promise<string> {
    const id = `t${uniqueName('').replace(/[^0-9a-z]/g, '')}`.padEnd(21, '0').slice(0, 21);
    if (createdAt === undefined) {
      await server.query('INSERT INTO logs (id, key, payload) VALUES ($1, $2, $3)', [id, key, payload]);
    } else {
      await server.query(`INSERT INTO logs (id, key, payload, created_at) VALUES ($1, $2, $3, ${createdAt})`, [id, key, payload]);
    }
    return id;
  }

  describe('every mutation writes exactly one row, in its own transaction', () => {
    it('POST /api/users → ManagementApi.User.Create naming the fields, with the password masked and never stored in clear', async () => {
      const password = `Pw-${uniqueName('create')}-never-logged`;
      const username = uniqueName('created');
      const primaryEmail = `${username}@example.com`;
      let user: User | undefined;
      const row = await theRowWrittenBy('ManagementApi.User.Create', async () => {
        const { data, response } = await sdk.POST('/api/users', {
          body: { username, primaryEmail, password, name: 'Created Person' },
          headers: UA_HEADERS,
        });
        expect(response.status).toBe(200);
        user = data as unknown as User;
      });
      expectAuditPayload(row, 'ManagementApi.User.Create', user!.id);
      expect(row.payload.params).toEqual(expect.objectContaining({ username, primaryEmail, name: 'Created Person', password: MASK }));
      expect(row.raw).not.toContain(password);
      expect(row.xmin).toBe(await xminOfUser(user!.id));
      expect(await server.query('SELECT id FROM logs WHERE position($1 in payload::text) > 0', [password])).toEqual([]);
    });

    it('PATCH /api/users/:id → ManagementApi.User.Update naming the changed fields', async () => {
      const user = await createUser();
      const row = await theRowWrittenBy('ManagementApi.User.Update', async () => {
        const { response } = await sdk.PATCH('/api/users/{userId}', {
          params: { path: { userId: user.id } },
          body: { name: 'Renamed Person', customData: { tier: 'gold' } },
          headers: UA_HEADERS,
        });
        expect(response.status).toBe(200);
      });
      expectAuditPayload(row, 'ManagementApi.User.Update', user.id);
      expect(row.payload.params).toEqual(expect.objectContaining({ name: 'Renamed Person', customData: { tier: 'gold' } }));
      expect(row.xmin).toBe(await xminOfUser(user.id));
    });

    it('PATCH /api/users/:id/custom-data → ManagementApi.User.CustomData.Update naming the merged data', async () => {
      const user = await createUser();
      const row = await theRowWrittenBy('ManagementApi.User.CustomData.Update', async () => {
        const { response } = await sdk.PATCH('/api/users/{userId}/custom-data', {
          params: { path: { userId: user.id } },
          body: { customData: { plan: 'pro', seats: 3 } },
          headers: UA_HEADERS,
        });
        expect(response.status).toBe(200);
      });
      expectAuditPayload(row, 'ManagementApi.User.CustomData.Update', user.id);
      expect(JSON.stringify(row.payload.params)).toContain('"plan":"pro"');
      expect(JSON.stringify(row.payload.params)).toContain('"seats":3');
      expect(row.xmin).toBe(await xminOfUser(user.id));
    });

    it('PATCH /api/users/:id/profile → ManagementApi.User.Profile.Update naming the merged profile', async () => {
      const user = await createUser();
      const row = await theRowWrittenBy('ManagementApi.User.Profile.Update', async () => {
        const { response } = await sdk.PATCH('/api/users/{userId}/profile', {
          params: { path: { userId: user.id } },
          body: { profile: { nickname: 'Nick', locale: 'en-GB' } },
          headers: UA_HEADERS,
        });
        expect(response.status).toBe(200);
      });
      expectAuditPayload(row, 'ManagementApi.User.Profile.Update', user.id);
      expect(JSON.stringify(row.payload.params)).toContain('"nickname":"Nick"');
      expect(JSON.stringify(row.payload.params)).toContain('"locale":"en-GB"');
      expect(row.xmin).toBe(await xminOfUser(user.id));
    });

    it('PATCH /api/users/:id/password → ManagementApi.User.Password.Update with the password masked and never stored in clear', async () => {
      const user = await createUser();
      const password = `New-${uniqueName('pw')}-secret`;
      const row = await theRowWrittenBy('ManagementApi.User.Password.Update', async () => {
        const { response } = await sdk.PATCH('/api/users/{userId}/password', {
          params: { path: { userId: user.id } },
          body: { password },
          headers: UA_HEADERS,
        });
        expect(response.status).toBe(200);
      });
      expectAuditPayload(row, 'ManagementApi.User.Password.Update', user.id);
      expect(row.payload.params).toEqual(expect.objectContaining({ password: MASK }));
      expect(row.raw).not.toContain(password);
      expect(row.xmin).toBe(await xminOfUser(user.id));
      expect(await server.query('SELECT id FROM logs WHERE position($1 in payload::text) > 0', [password])).toEqual([]);
    });

    it('PATCH /api/users/:id/is-suspended → ManagementApi.User.SuspensionStatus.Update naming the new status', async () => {
      const user = await createUser();
      const row = await theRowWrittenBy('ManagementApi.User.SuspensionStatus.Update', async () => {
        const { response } = await sdk.PATCH('/api/users/{userId}/is-suspended', {
          params: { path: { userId: user.id } },
          body: { isSuspended: true },
          headers: UA_HEADERS,
        });
        expect(response.status).toBe(200);
      });
      expectAuditPayload(row, 'ManagementApi.User.SuspensionStatus.Update', user.id);
      expect(row.payload.params).toEqual(expect.objectContaining({ isSuspended: true }));
      expect(row.xmin).toBe(await xminOfUser(user.id));
    });

    it('DELETE /api/users/:id → ManagementApi.User.Delete about the deleted user', async () => {
      const user = await createUser();
      const row = await theRowWrittenBy('ManagementApi.User.Delete', async () => {
        const { response } = await sdk.DELETE('/api/users/{userId}', { params: { path: { userId: user.id } }, headers: UA_HEADERS });
        expect(response.status).toBe(204);
      });
      expectAuditPayload(row, 'ManagementApi.User.Delete', user.id);
      expect(await server.query('SELECT id FROM users WHERE id = $1', [user.id])).toEqual([]);
    });

    it('PUT /api/users/:id/identities/:target → ManagementApi.User.Identity.Update naming the target and social account, tokens masked', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      const identityId = uniqueName('gh-user');
      const row = await theRowWrittenBy('ManagementApi.User.Identity.Update', async () => {
        expect(await linkIdentity(user.id, target, identityId)).toBe(201);
      });
      expectAuditPayload(row, 'ManagementApi.User.Identity.Update', user.id);
      expect(row.payload.params).toEqual(expect.objectContaining({ target }));
      expect(JSON.stringify(row.payload.params)).toContain(identityId);
      expect(row.raw).not.toContain('social-access-token-value');
      const identityRows = await server.query<{ xmin: string }>(
        'SELECT xmin::text AS xmin FROM user_identities WHERE user_id = $1 AND target = $2',
        [user.id, target],
      );
      expect(identityRows.map((identity) => identity.xmin)).toEqual([row.xmin]);
    });

    it('PUT of an already linked target (200, replaced) also writes one ManagementApi.User.Identity.Update row', async () => {
      const user = await createUser();
      const target = uniqueName('google');
      expect(await linkIdentity(user.id, target, uniqueName('g-first'))).toBe(201);
      const replacement = uniqueName('g-second');
      const row = await theRowWrittenBy('ManagementApi.User.Identity.Update', async () => {
        expect(await linkIdentity(user.id, target, replacement)).toBe(200);
      });
      expectAuditPayload(row, 'ManagementApi.User.Identity.Update', user.id);
      expect(JSON.stringify(row.payload.params)).toContain(replacement);
    });

    it('DELETE /api/users/:id/identities/:target → ManagementApi.User.Identity.Delete naming the target', async () => {
      const user = await createUser();
      const target = uniqueName('gitlab');
      expect(await linkIdentity(user.id, target, uniqueName('gl-user'))).toBe(201);
      const row = await theRowWrittenBy('ManagementApi.User.Identity.Delete', async () => {
        const { response } = await sdk.DELETE('/api/users/{userId}/identities/{target}', {
          params: { path: { userId: user.id, target } },
          headers: UA_HEADERS,
        });
        expect(response.status).toBe(200);
      });
      expectAuditPayload(row, 'ManagementApi.User.Identity.Delete', user.id);
      expect(row.payload.params).toEqual(expect.objectContaining({ target }));
    });

    it('records the calling application: a second application’s mutations carry its id, and ?applicationId= finds exactly them', async () => {
      const application = await createApplication(server, uniqueName('auditor'), ['users:write', 'logs:read']);
      const token = await fetchAccessToken(server.baseUrl, application.id, application.secret, 'users:write logs:read');
      const asApplication = { headers: { authorization: `Bearer ${token}`, ...UA_HEADERS } };
      const username = uniqueName('by_app');
      let userId = '';
      const row = await theRowWrittenBy('ManagementApi.User.Create', async () => {
        const response = await request<User>(server.baseUrl, 'POST', '/api/users', { json: { username }, ...asApplication });
        expect(response.status).toBe(200);
        userId = response.body.id;
      });
      expect(row.payload).toEqual(
        expect.objectContaining({ result: 'Success', userId, applicationId: application.id, userAgent: USER_AGENT }),
      );

      const { entries, total } = await listOk([['applicationId', application.id]]);
      expect(entries.map((entry) => entry.key)).toEqual(['ManagementApi.User.Create', TOKEN_KEY]);
      expect(total).toBe(2);
      expect(entries.map((entry) => entry.payload.applicationId)).toEqual([application.id, application.id]);
      const ofBootstrap = await listOk([
        ['applicationId', clientId],
        ['page_size', '100'],
      ]);
      expect(ofBootstrap.entries.every((entry) => entry.payload.applicationId === clientId)).toBe(true);
      expect(idsOf(ofBootstrap.entries)).not.toContain(row.id);
    });
  });

  describe('a failed request writes no row', () => {
    const call = (method: string, path: string, json?: unknown): Promise<RawResponse> =>
      request(server.baseUrl, method, path, json === undefined ? {} : { json });

    it('POST /api/users with an invalid body (400 guard.invalid_input)', async () => {
      const response = await expectNoRowWrittenBy(() => call('POST', '/api/users', { username: 42, password: 'Never-Logged-1' }));
      expectErrorCode(response, 400, 'guard.invalid_input');
    });

    it('POST /api/users with a taken email (422 user.email_already_in_use)', async () => {
      const email = `${uniqueName('dupe')}@example.com`;
      await createUser({ primaryEmail: email });
      const response = await expectNoRowWrittenBy(() =>
        call('POST', '/api/users', { username: uniqueName('second'), primaryEmail: email.toUpperCase() }),
      );
      expectErrorCode(response, 422, 'user.email_already_in_use');
    });

    it('PATCH /api/users/:id to a taken email (422 user.email_already_in_use)', async () => {
      const email = `${uniqueName('taken')}@example.com`;
      await createUser({ primaryEmail: email });
      const other = await createUser();
      const response = await expectNoRowWrittenBy(() => call('PATCH', userPath(other.id), { primaryEmail: email }));
      expectErrorCode(response, 422, 'user.email_already_in_use');
    });

    it('an empty PATCH /api/users/:id (422 entity.invalid_input)', async () => {
      const user = await createUser();
      const response = await expectNoRowWrittenBy(() => call('PATCH', userPath(user.id), {}));
      expectErrorCode(response, 422, 'entity.invalid_input');
    });

    it.each([
      ['PATCH', '/password', { password: 42 }],
      ['PATCH', '/is-suspended', { isSuspended: 'yes please' }],
      ['PATCH', '/custom-data', { customData: 'not an object' }],
      ['PATCH', '/profile', { profile: { nickname: 42 } }],
      ['PATCH', '', { name: 42 }],
      ['PUT', '/identities/github', { details: {} }],
    ])('%s /api/users/:id%s with an invalid body (400 guard.invalid_input)', async (method, suffix, body) => {
      const user = await createUser();
      const response = await expectNoRowWrittenBy(() => call(method, userPath(user.id, suffix), body));
      expectErrorCode(response, 400, 'guard.invalid_input');
    });

    it.each([
      ['PATCH', '', { name: 'Nobody' }],
      ['PATCH', '/custom-data', { customData: { a: 1 } }],
      ['PATCH', '/profile', { profile: { nickname: 'Nobody' } }],
      ['PATCH', '/password', { password: 'Some-Password-1' }],
      ['PATCH', '/is-suspended', { isSuspended: true }],
      ['DELETE', '', undefined],
      ['PUT', '/identities/github', { userId: 'gh-nobody' }],
      ['DELETE', '/identities/github', undefined],
    ])('%s /api/users/<unknown>%s (404 entity.not_found)', async (method, suffix, body) => {
      const response = await expectNoRowWrittenBy(() => call(method, userPath('nosuchuser01', suffix), body));
      expectErrorCode(response, 404, 'entity.not_found');
    });

    it('PUT of a social account another user holds (422 user.identity_already_in_use)', async () => {
      const holder = await createUser();
      const target = uniqueName('apple');
      const identityId = uniqueName('apple-user');
      expect(await linkIdentity(holder.id, target, identityId)).toBe(201);
      const other = await createUser();
      const response = await expectNoRowWrittenBy(() => call('PUT', userPath(other.id, `/identities/${target}`), { userId: identityId }));
      expectErrorCode(response, 422, 'user.identity_already_in_use');
    });

    it('DELETE of a target the user has not linked (404 user.identity_not_exist)', async () => {
      const user = await createUser();
      const response = await expectNoRowWrittenBy(() => call('DELETE', userPath(user.id, '/identities/never-linked')));
      expectErrorCode(response, 404, 'user.identity_not_exist');
    });
  });

  describe("a user's whole history", () => {
    let userId: string;
    const history = [
      'ManagementApi.User.Delete',
      'ManagementApi.User.Identity.Delete',
      'ManagementApi.User.Identity.Update',
      'ManagementApi.User.SuspensionStatus.Update',
      'ManagementApi.User.Password.Update',
      'ManagementApi.User.Update',
      'ManagementApi.User.Create',
    ];

    beforeAll(async () => {
      userId = (await createUser({ password: 'First-Password-1' })).id;
      const path = { userId };
      expect((await sdk.PATCH('/api/users/{userId}', { params: { path }, body: { name: 'Historic' } })).response.status).toBe(200);
      expect(
        (await sdk.PATCH('/api/users/{userId}/password', { params: { path }, body: { password: 'Second-Password-2' } })).response.status,
      ).toBe(200);
      expect((await sdk.PATCH('/api/users/{userId}/is-suspended', { params: { path }, body: { isSuspended: true } })).response.status).toBe(
        200,
      );
      expect(await linkIdentity(userId, 'facebook', uniqueName('fb-user'))).toBe(201);
      expect(
        (await sdk.DELETE('/api/users/{userId}/identities/{target}', { params: { path: { userId, target: 'facebook' } } })).response.status,
      ).toBe(200);
      expect((await sdk.DELETE('/api/users/{userId}', { params: { path } })).response.status).toBe(204);
    });

    it('GET /api/logs?userId= lists create, update, password, suspension, link, unlink and delete, newest first, after the user is gone', async () => {
      expect((await request(server.baseUrl, 'GET', userPath(userId))).status).toBe(404);
      const { data, response } = await sdk.GET('/api/logs', { params: { query: { userId } } });
      expect(response.status).toBe(200);
      const entries = data as unknown as LogEntry[];
      expect(entries.map((entry) => entry.key)).toEqual(history);
      expect(response.headers.get('total-number')).toBe(String(history.length));
      expectNewestFirst(entries);
      for (const entry of entries) {
        expect(Object.keys(entry)).toEqual(LOG_ENTRY_KEYS);
        expect(entry).toEqual({
          tenantId: 'default',
          id: expect.stringMatching(LOG_ID),
          key: entry.payload.key,
          payload: expect.any(Object),
          createdAt: expect.any(Number),
        });
        expect(entry.payload).toEqual(expect.objectContaining({ result: 'Success', userId, applicationId: clientId }));
      }
      expect(JSON.stringify(entries)).not.toContain('First-Password-1');
      expect(JSON.stringify(entries)).not.toContain('Second-Password-2');
    });

    it('pages through the history with Total-Number and absolute /api/logs Link URLs (first, prev, next, last)', async () => {
      const seen: string[] = [];
      const expectedLinks = [
        { first: 1, next: 2, last: 3 },
        { first: 1, prev: 1, next: 3, last: 3 },
        { first: 1, prev: 2, last: 3 },
      ];
      for (const [index, links] of expectedLinks.entries()) {
        const page = String(index + 1);
        const { entries, total, response } = await listOk([
          ['userId', userId],
          ['page_size', '3'],
          ['page', page],
        ]);
        expect(total).toBe(history.length);
        expect(linkPages(response.headers.get('link'))).toEqual(links);
        for (const url of parseLinks(response.headers.get('link')).values()) {
          expect(`${url.origin}${url.pathname}`).toBe(`${server.baseUrl}/api/logs`);
          expect(url.searchParams.get('userId')).toBe(userId);
          expect(url.searchParams.get('page_size')).toBe('3');
        }
        seen.push(...entries.map((entry) => entry.key));
      }
      expect(seen).toEqual(history);
      const past = await listOk([
        ['userId', userId],
        ['page_size', '3'],
        ['page', '4'],
      ]);
      expect(past.entries).toEqual([]);
      expect(past.total).toBe(history.length);
    });

    it('follows the next links to the end, seeing each entry once', async () => {
      let next: string | undefined = `/api/logs?${toQueryString([
        ['userId', userId],
        ['page_size', '2'],
      ])}`;
      const ids: string[] = [];
      while (next !== undefined) {
        const response: RawResponse<LogEntry[]> = await request<LogEntry[]>(server.baseUrl, 'GET', next);
        expect(response.status).toBe(200);
        ids.push(...idsOf(response.body));
        const url = parseLinks(response.headers.get('link')).get('next');
        next = url ? `${url.pathname}${url.search}` : undefined;
      }
      expect(ids).toHaveLength(history.length);
      expect(new Set(ids).size).toBe(history.length);
    });

    it('answers 400 guard.invalid_pagination to page=0 and page_size=101', async () => {
      expectError(
        await listLogs([
          ['userId', userId],
          ['page', '0'],
        ]),
        400,
        'guard.invalid_pagination',
        'The request pagination value is invalid.',
      );
      expectError(await listLogs([['page_size', '101']]), 400, 'guard.invalid_pagination', 'The request pagination value is invalid.');
    });
  });

  describe('token issuance (POST /oidc/token)', () => {
    const tokenFields = (secret: string): Record<string, string> => ({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      resource: MANAGEMENT_API_RESOURCE,
      scope: 'all',
    });

    let successId: string;
    let errorId: string;

    it('logs a success as ExchangeTokenBy.ClientCredentials with the applicationId and the client_secret masked', async () => {
      const row = await theRowWrittenBy(TOKEN_KEY, async () => {
        expect((await postToken(server.baseUrl, tokenFields(server.credentials.clientSecret))).status).toBe(200);
      });
      successId = row.id;
      expect(row.payload).toEqual(expect.objectContaining({ key: TOKEN_KEY, result: 'Success', applicationId: clientId }));
      expect(row.payload).not.toHaveProperty('error');
      expect(row.payload.params).toEqual(
        expect.objectContaining({ grant_type: 'client_credentials', client_id: clientId, client_secret: MASK }),
      );
      expect(row.raw).not.toContain(server.credentials.clientSecret);
    });

    it('logs a wrong secret as an Error row with an error, the attempted secret masked', async () => {
      const wrongSecret = `wrong-${uniqueName('secret')}`;
      const row = await theRowWrittenBy(TOKEN_KEY, async () => {
        const response = await postToken(server.baseUrl, tokenFields(wrongSecret));
        expect({ status: response.status, error: (response.body as { error?: string }).error }).toEqual({
          status: 400,
          error: 'invalid_client',
        });
      });
      errorId = row.id;
      expect(row.payload).toEqual(expect.objectContaining({ key: TOKEN_KEY, result: 'Error', error: expect.anything() }));
      expect(row.payload.params).toEqual(expect.objectContaining({ client_id: clientId, client_secret: MASK }));
      expect(row.raw).not.toContain(wrongSecret);
    });

    it('never stores HTTP Basic credentials', async () => {
      const { clientSecret } = server.credentials;
      const authorization = basicAuthorization(clientId, clientSecret);
      const row = await theRowWrittenBy(TOKEN_KEY, async () => {
        const fields = { grant_type: 'client_credentials', resource: MANAGEMENT_API_RESOURCE, scope: 'all' };
        expect((await postToken(server.baseUrl, fields, { basic: { clientId, clientSecret } })).status).toBe(200);
      });
      expect(row.payload).toEqual(expect.objectContaining({ result: 'Success', applicationId: clientId }));
      expect(row.raw).not.toContain(clientSecret);
      expect(row.raw).not.toContain(authorization.slice('Basic '.length));
    });

    it('finds both rows with ?logKey=ExchangeTokenBy.ClientCredentials and the success with ?applicationId=', async () => {
      const byKey = await listOk([
        ['logKey', TOKEN_KEY],
        ['page_size', '100'],
      ]);
      expect(idsOf(byKey.entries)).toEqual(expect.arrayContaining([successId, errorId]));
      expect(byKey.entries.every((entry) => entry.key === TOKEN_KEY)).toBe(true);
      expect(byKey.total).toBe(byKey.entries.length);
      expectNewestFirst(byKey.entries);

      const byApplication = await listOk([
        ['applicationId', clientId],
        ['logKey', TOKEN_KEY],
        ['page_size', '100'],
      ]);
      expect(idsOf(byApplication.entries)).toContain(successId);
      expect(byApplication.entries.every((entry) => entry.payload.applicationId === clientId && entry.key === TOKEN_KEY)).toBe(true);
    });
  });

  describe('GET /api/logs filters and time window', () => {
    it('lists a non-empty array with Total-Number, Link first and last, and no Total-Number-Is-Capped', async () => {
      const { entries, total, response } = await listOk([['page_size', '5']]);
      expect(entries.length).toBeGreaterThan(0);
      expect(total).toBeGreaterThan(0);
      expect(response.headers.get('total-number-is-capped')).toBeNull();
      const links = linkPages(response.headers.get('link'));
      expect(links).toEqual(expect.objectContaining({ first: 1, last: Math.ceil(total / 5) }));
      expectNewestFirst(entries);
    });

    it('answers with enableCap=true on small data exactly as without it', async () => {
      const user = await createUser();
      const plain = await listOk([['userId', user.id]]);
      const capped = await listOk([
        ['userId', user.id],
        ['enableCap', 'true'],
      ]);
      expect(capped.entries).toEqual(plain.entries);
      expect(capped.response.headers.get('total-number')).toBe('1');
      expect(capped.response.headers.get('total-number-is-capped')).toBeNull();
      expect(linkPages(capped.response.headers.get('link'))).toEqual({ first: 1, last: 1 });
      expect(linkPages(plain.response.headers.get('link'))).toEqual({ first: 1, last: 1 });
    });

    it('ANDs userId, applicationId and logKey', async () => {
      const user = await createUser();
      expect(
        (await sdk.PATCH('/api/users/{userId}', { params: { path: { userId: user.id } }, body: { name: 'Filtered' } })).response.status,
      ).toBe(200);
      const update = await listOk([
        ['userId', user.id],
        ['applicationId', clientId],
        ['logKey', 'ManagementApi.User.Update'],
      ]);
      expect(update.entries.map((entry) => entry.key)).toEqual(['ManagementApi.User.Update']);
      expect(update.total).toBe(1);
      expect(
        (
          await listOk([
            ['userId', user.id],
            ['applicationId', 'another-application'],
          ])
        ).entries,
      ).toEqual([]);
      expect(
        (
          await listOk([
            ['userId', user.id],
            ['logKey', 'ManagementApi.User.Delete'],
          ])
        ).entries,
      ).toEqual([]);
    });

    it('ignores an empty userId= (no filter)', async () => {
      const all = await listOk([['page_size', '1']]);
      const emptyFilter = await listOk([
        ['userId', ''],
        ['page_size', '1'],
      ]);
      expect(emptyFilter.total).toBe(all.total);
      expect(emptyFilter.total).toBeGreaterThan(1);
    });

    it('answers 400 guard.invalid_input to a repeated query key', async () => {
      const response = await request<ErrorBody>(server.baseUrl, 'GET', '/api/logs?userId=a&userId=b');
      expectErrorCode(response, 400, 'guard.invalid_input');
    });

    it('treats start_time and end_time as inclusive bounds at millisecond granularity', async () => {
      const user = await createUser();
      const entry = at((await listOk([['userId', user.id]])).entries, 0);
      const createdAt = entry.createdAt;
      const window = async (start: number | undefined, end: number | undefined): Promise<string[]> => {
        const pairs: [string, string][] = [['userId', user.id]];
        if (start !== undefined) pairs.push(['start_time', String(start)]);
        if (end !== undefined) pairs.push(['end_time', String(end)]);
        return idsOf((await listOk(pairs)).entries);
      };
      expect(await window(createdAt - 60_000, createdAt + 60_000)).toEqual([entry.id]);
      expect(await window(createdAt, createdAt)).toEqual([entry.id]);
      expect(await window(undefined, createdAt)).toEqual([entry.id]);
      expect(await window(createdAt, undefined)).toEqual([entry.id]);
      expect(await window(undefined, createdAt - 1)).toEqual([]);
      expect(await window(createdAt + 1, undefined)).toEqual([]);
      expect(await window(createdAt + 60_000, createdAt + 120_000)).toEqual([]);
      const withKey = await listOk([
        ['start_time', String(createdAt - 1000)],
        ['end_time', String(createdAt + 1000)],
        ['logKey', 'ManagementApi.User.Create'],
      ]);
      expect(idsOf(withKey.entries)).toContain(entry.id);
    });

    it('counts a row at …999.5 ms as …999', async () => {
      const userId = uniqueName('half-ms');
      const at = 1784217599999;
      const id = await insertRow(
        'ManagementApi.User.Update',
        { key: 'ManagementApi.User.Update', result: 'Success', userId },
        `'${new Date(at).toISOString()}'::timestamptz + interval '500 microseconds'`,
      );
      const inWindow = async (end: number): Promise<string[]> =>
        idsOf(
          (
            await listOk([
              ['userId', userId],
              ['end_time', String(end)],
            ])
          ).entries,
        );
      expect(await inWindow(at)).toEqual([id]);
      expect(await inWindow(at - 1)).toEqual([]);
      const { entries } = await listOk([
        ['userId', userId],
        ['start_time', String(at)],
        ['end_time', String(at)],
      ]);
      expect(entries.map((entry) => entry.createdAt)).toEqual([at]);
    });

    it('accepts equal bounds', async () => {
      const { entries, total } = await listOk([
        ['start_time', '1000'],
        ['end_time', '1000'],
      ]);
      expect(entries).toEqual([]);
      expect(total).toBe(0);
    });

    it('answers 400 log.invalid_time_window when start_time is after end_time', async () => {
      expectError(
        await listLogs([
          ['start_time', '2000'],
          ['end_time', '1000'],
        ]),
        400,
        'log.invalid_time_window',
        '`end_time` must be after `start_time`.',
      );
    });

    it('answers 400 guard.invalid_input naming start_time or end_time when not a finite number', async () => {
      expectError(await listLogs([['start_time', 'abc']]), 400, 'guard.invalid_input', 'The request start_time is invalid.');
      expectError(await listLogs([['end_time', 'NaN']]), 400, 'guard.invalid_input', 'The request end_time is invalid.');
      expectError(
        await listLogs([
          ['start_time', '1000'],
          ['end_time', 'Infinity'],
        ]),
        400,
        'guard.invalid_input',
        'The request end_time is invalid.',
      );
    });

    it('never lists keys outside the audit families, even with logKey=, but GET /api/logs/:id returns them', async () => {
      const user = await createUser();
      const hookId = await insertRow('TriggerHook.User.Created', {
        key: 'TriggerHook.User.Created',
        result: 'Success',
        userId: user.id,
        hookId: 'hook1',
      });
      const byUser = await listOk([['userId', user.id]]);
      expect(byUser.entries.map((entry) => entry.key)).toEqual(['ManagementApi.User.Create']);
      expect(byUser.total).toBe(1);
      const byKey = await listOk([['logKey', 'TriggerHook.User.Created']]);
      expect(byKey.entries).toEqual([]);
      expect(byKey.total).toBe(0);

      const response = await request<LogEntry>(server.baseUrl, 'GET', `/api/logs/${hookId}`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        tenantId: 'default',
        id: hookId,
        key: 'TriggerHook.User.Created',
        payload: { key: 'TriggerHook.User.Created', result: 'Success', userId: user.id, hookId: 'hook1' },
        createdAt: expect.any(Number),
      });
    });
  });

  describe('GET /api/logs/:id', () => {
    it('returns the entry from the list, with exactly tenantId, id, key, payload and createdAt', async () => {
      const user = await createUser();
      const listed = at((await listOk([['userId', user.id]])).entries, 0);
      const { data, response } = await sdk.GET('/api/logs/{id}', { params: { path: { id: listed.id } } });
      expect(response.status).toBe(200);
      expect(data).toEqual(listed);
      expect(Object.keys(data as object)).toEqual(LOG_ENTRY_KEYS);
      const [row] = await server.query<{ ms: string }>(
        `SELECT floor(extract(epoch FROM created_at) * 1000)::bigint::text AS ms FROM logs WHERE id = $1`,
        [listed.id],
      );
      expect(listed).toEqual({
        tenantId: 'default',
        id: listed.id,
        key: 'ManagementApi.User.Create',
        payload: expect.any(Object),
        createdAt: Number(row?.ms),
      });
    });

    it('answers 404 entity.not_exists_with_id for an unknown id', async () => {
      expectError(
        await request(server.baseUrl, 'GET', '/api/logs/non-exist-log-id'),
        404,
        'entity.not_exists_with_id',
        'The logs with ID `non-exist-log-id` does not exist.',
      );
      const tooLong = 'x'.repeat(30);
      expectError(
        await request(server.baseUrl, 'GET', `/api/logs/${tooLong}`),
        404,
        'entity.not_exists_with_id',
        `The logs with ID \`${tooLong}\` does not exist.`,
      );
    });
  });

  describe('authentication', () => {
    it.each(['/api/logs', '/api/logs?userId=abc', '/api/logs/non-exist-log-id'])(
      'answers 401 auth.authorization_header_missing to GET %s without a token',
      async (path) => {
        const response = await callWithAuthorization(server.baseUrl, 'GET', path, undefined);
        expectError(response, 401, 'auth.authorization_header_missing');
      },
    );
  });

  describe('the count cap (enableCap) on more than 10 000 matches', () => {
    const bulkUserId = 'bulkuser0001';
    const BULK = CAP + 5;

    beforeAll(async () => {
      await server.query(
        `INSERT INTO logs (id, key, payload)
         SELECT 'bulk' || lpad(g::text, 17, '0'), 'ManagementApi.User.Update',
                jsonb_build_object('key', 'ManagementApi.User.Update', 'result', 'Success', 'userId', $1::text)
         FROM generate_series(1, $2::int) AS g`,
        [bulkUserId, BULK],
      );
    });

    it('saturates Total-Number at 10001 with Total-Number-Is-Capped: true and no next or last link', async () => {
      const { entries, response } = await listOk([
        ['userId', bulkUserId],
        ['enableCap', 'true'],
      ]);
      expect(entries).toHaveLength(20);
      expect(response.headers.get('total-number')).toBe(String(CAP + 1));
      expect(response.headers.get('total-number-is-capped')).toBe('true');
      expect(linkPages(response.headers.get('link'))).toEqual({ first: 1 });
      const second = await listOk([
        ['userId', bulkUserId],
        ['enableCap', 'yes'],
        ['page', '2'],
      ]);
      expect(second.response.headers.get('total-number')).toBe(String(CAP + 1));
      expect(second.response.headers.get('total-number-is-capped')).toBe('true');
      expect(linkPages(second.response.headers.get('link'))).toEqual({ first: 1, prev: 1 });
    });

    it('caps an unfiltered list too', async () => {
      const { response } = await listOk([['enableCap', '1']]);
      expect(response.headers.get('total-number')).toBe(String(CAP + 1));
      expect(response.headers.get('total-number-is-capped')).toBe('true');
    });

    it('caps without enableCap too (Roster always bounds the count), and still serves deep pages', async () => {
      for (const pairs of [
        [['userId', bulkUserId]],
        [
          ['userId', bulkUserId],
          ['enableCap', 'false'],
        ],
      ] as const) {
        const { response } = await listOk(pairs);
        expect(response.headers.get('total-number')).toBe(String(CAP + 1));
        expect(response.headers.get('total-number-is-capped')).toBe('true');
        expect(linkPages(response.headers.get('link'))).toEqual({ first: 1 });
      }
      const last = await listOk([
        ['userId', bulkUserId],
        ['page', String(Math.ceil(BULK / 20))],
      ]);
      expect(last.entries).toHaveLength(BULK % 20 || 20);
    });
  });

  describe('the count cap for one user’s rows (more than 10 000 matching rows)', () => {
    const BULK = CAP + 50;
    const userId = `lg${uniqueLetters(10)}`;
    const logsPath = (pairs: QueryPairs): string =>
      `/api/logs?${new URLSearchParams([['userId', userId], ...pairs.map(([key, value]): [string, string] => [key, value])]).toString()}`;

    beforeAll(async () => {
      await server.query(
        `INSERT INTO logs (id, key, payload)
         SELECT $1 || lpad(n::text, 21 - length($1), '0'), 'ManagementApi.User.Update',
                jsonb_build_object('key', 'ManagementApi.User.Update', 'result', 'Success', 'userId', $1::text)
         FROM generate_series(1, $2::int) AS n`,
        [userId, BULK],
      );
    }, 120_000);

    async function listUserLogs(pairs: QueryPairs): Promise<{ count: number; response: RawResponse }> {
      const response = await request<unknown[]>(server.baseUrl, 'GET', logsPath(pairs));
      expect(response.status).toBe(200);
      return { count: response.body.length, response };
    }

    it.each([
      ['without enableCap', []],
      ['with enableCap=false', [['enableCap', 'false']]],
      ['with enableCap=true', [['enableCap', 'true']]],
    ] as const)(
      '%s reads Total-Number: 10001 with Total-Number-Is-Capped: true and only a first link (Roster always caps)',
      async (_name, pairs) => {
        const { count, response } = await listUserLogs(pairs);
        expect(count).toBe(20);
        expect(totals(response)).toEqual({ total: String(CAP + 1), capped: 'true' });
        expect(linkPages(response.headers.get('link'))).toEqual({ first: 1 });
      },
    );

    it('still serves the last page of a capped list, with a prev link and no next or last', async () => {
      const lastPage = Math.ceil(BULK / 20);
      const last = await listUserLogs([['page', String(lastPage)]]);
      expect(last.count).toBe(BULK % 20 || 20);
      expect(totals(last.response)).toEqual({ total: String(CAP + 1), capped: 'true' });
      expect(linkPages(last.response.headers.get('link'))).toEqual({ first: 1, prev: lastPage - 1 });
    });

    it('counts 10 000 matches exactly: no capped header, a last link', async () => {
      // Runs last in this block: trims the bulk rows to exactly the cap.
      await server.query(`DELETE FROM logs WHERE id IN (SELECT id FROM logs WHERE payload->>'userId' = $1 ORDER BY id LIMIT $2)`, [
        userId,
        BULK - CAP,
      ]);
      const { response } = await listUserLogs([]);
      expect(totals(response)).toEqual({ total: String(CAP), capped: null });
      expect(linkPages(response.headers.get('link'))).toEqual({ first: 1, next: 2, last: CAP / 20 });
    });
  });
});
