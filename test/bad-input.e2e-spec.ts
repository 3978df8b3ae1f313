import { request, type RawResponse } from './support/clients.js';
import { classifyErrorBody, databaseSnapshot, percentEncode, rawHttp, type RawHttpResponse } from './support/bad-input.js';
import { expectError, expectInvalidBody } from './support/expect-errors.js';
import { uniqueName } from './support/factories.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { ERROR_MESSAGES, type ErrorBody, type User } from './support/wire.js';
import { at } from './support/at.js';

/**
 * Explicit bad-input cases ("Bad input" in docs/reliability.md), next to the fuzzing in fuzz.e2e-spec.ts. Cases
 * already covered elsewhere are not repeated: bodies over 1 MB, NUL and lone surrogates in bodies,
 * prototype keys (http-platform.e2e-spec.ts); a 129-character username on create, page/page_size
 * 0, -1, 1.5, 1e20, abc on /api/users and SQL-looking search values (users-crud, users-search).
 */

/** The `customData` limit: the object itself is level 1 (README, Compatibility: "`customData` nesting"). */
const MAX_CUSTOM_DATA_LEVELS = 32;

/** `levels` nested objects (or arrays inside one object), the innermost holding a leaf value. */
function nestedObject(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < levels; level += 1) value = { next: value };
  return value;
}

function objectHoldingNestedArrays(levels: number): Record<string, unknown> {
  let value: unknown = ['leaf'];
  for (let level = 2; level < levels; level += 1) value = [value];
  return { list: value };
}

const TOO_LONG = 129;

describe('bad input: explicit cases', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const call = <Body = unknown>(method: string, path: string, json?: unknown): Promise<RawResponse<Body>> =>
    request<Body>(server.baseUrl, method, path, json === undefined ? {} : { json });

  async function createUser(body: Record<string, unknown> = {}): Promise<User> {
    const response = await call<User>('POST', '/api/users', body);
    expect(response.status).toBe(200);
    return response.body;
  }

  /**
   * Runs `send` and, when it was rejected (4xx), checks that the database did not change at all.
   * Callers assert the exact status themselves.
   */
  async function rejectedWithoutChange<T extends { status: number }>(send: () => Promise<T>): Promise<T> {
    const before = await databaseSnapshot(server);
    const response = await send();
    const after = await databaseSnapshot(server);
    if (response.status >= 400 && response.status < 500) expect(after).toEqual(before);
    return response;
  }

  describe(`customData nesting (at most ${MAX_CUSTOM_DATA_LEVELS} levels)`, () => {
    it('builds the test values as intended: the helpers nest exactly the asked number of levels', () => {
      const depth = (value: unknown): number =>
        value === null || typeof value !== 'object' ? 0 : 1 + Math.max(0, ...Object.values(value).map((child) => depth(child)));
      expect(depth(nestedObject(MAX_CUSTOM_DATA_LEVELS))).toBe(MAX_CUSTOM_DATA_LEVELS);
      expect(depth(objectHoldingNestedArrays(MAX_CUSTOM_DATA_LEVELS + 1))).toBe(MAX_CUSTOM_DATA_LEVELS + 1);
    });

    it.each([
      ['objects', nestedObject],
      ['arrays inside the object', objectHoldingNestedArrays],
    ])(
      'POST /api/users accepts 32 levels of %s and stores them, and rejects 33 with 400 guard.invalid_input writing nothing',
      async (_kind, build) => {
        const accepted = await call<User>('POST', '/api/users', {
          username: uniqueName('deep'),
          customData: build(MAX_CUSTOM_DATA_LEVELS),
        });
        expect(accepted.status).toBe(200);
        expect((await call(`GET`, `/api/users/${accepted.body.id}/custom-data`)).body).toEqual(build(MAX_CUSTOM_DATA_LEVELS));

        const rejected = await rejectedWithoutChange(() =>
          call('POST', '/api/users', { username: uniqueName('deep'), customData: build(MAX_CUSTOM_DATA_LEVELS + 1) }),
        );
        expectInvalidBody(rejected, 'customData');
      },
    );

    it('PATCH /api/users/:id replaces customData with 32 levels, and rejects 33 with 400 guard.invalid_input leaving the user unchanged', async () => {
      const user = await createUser({ customData: { kept: true } });
      const rejected = await rejectedWithoutChange(() =>
        call('PATCH', `/api/users/${user.id}`, { customData: nestedObject(MAX_CUSTOM_DATA_LEVELS + 1) }),
      );
      expectInvalidBody(rejected, 'customData');

      const accepted = await call<User>('PATCH', `/api/users/${user.id}`, { customData: nestedObject(MAX_CUSTOM_DATA_LEVELS) });
      expect({ status: accepted.status, customData: accepted.body.customData }).toEqual({
        status: 200,
        customData: nestedObject(MAX_CUSTOM_DATA_LEVELS),
      });
    });

    it('PATCH /api/users/:id/custom-data merges 32 levels, and rejects 33 with 400 guard.invalid_input leaving the data unchanged', async () => {
      const user = await createUser({ customData: { kept: true } });
      const rejected = await rejectedWithoutChange(() =>
        call('PATCH', `/api/users/${user.id}/custom-data`, { customData: nestedObject(MAX_CUSTOM_DATA_LEVELS + 1) }),
      );
      expectInvalidBody(rejected, 'customData');

      const accepted = await call('PATCH', `/api/users/${user.id}/custom-data`, { customData: nestedObject(MAX_CUSTOM_DATA_LEVELS) });
      expect({ status: accepted.status, body: accepted.body }).toEqual({
        status: 200,
        body: { kept: true, ...nestedObject(MAX_CUSTOM_DATA_LEVELS) },
      });
    });

    it('PUT …/identities/:target takes details of 32 levels (201), and rejects 33 with 400 guard.invalid_input linking nothing', async () => {
      const user = await createUser();
      const rejected = await rejectedWithoutChange(() =>
        call('PUT', `/api/users/${user.id}/identities/github`, {
          userId: uniqueName('gh'),
          details: nestedObject(MAX_CUSTOM_DATA_LEVELS + 1),
        }),
      );
      expectInvalidBody(rejected, 'details');

      const accepted = await call<Record<string, { details?: unknown }>>('PUT', `/api/users/${user.id}/identities/github`, {
        userId: uniqueName('gh'),
        details: nestedObject(MAX_CUSTOM_DATA_LEVELS),
      });
      expect({ status: accepted.status, details: accepted.body.github?.details }).toEqual({
        status: 201,
        details: nestedObject(MAX_CUSTOM_DATA_LEVELS),
      });
    });
  });

  describe(`${TOO_LONG}-character values (columns hold 128)`, () => {
    it('PATCH /api/users/:id takes a 128-character username and answers 129 with 422 entity.value_too_long, changing nothing', async () => {
      const user = await createUser({ username: uniqueName('long') });
      const rejected = await rejectedWithoutChange(() =>
        call('PATCH', `/api/users/${user.id}`, { username: `u${'x'.repeat(TOO_LONG - 1)}` }),
      );
      expectError(rejected, 422, 'entity.value_too_long');

      const accepted = await call<User>('PATCH', `/api/users/${user.id}`, { username: `u${'x'.repeat(127)}` });
      expect({ status: accepted.status, length: accepted.body.username?.length }).toEqual({ status: 200, length: 128 });
    });

    it('POST /api/users answers a 129-character e-mail with 422 entity.value_too_long and writes nothing', async () => {
      const email = `${'e'.repeat(TOO_LONG - '@example.io'.length)}@example.io`;
      expect(email).toHaveLength(TOO_LONG);
      const rejected = await rejectedWithoutChange(() => call('POST', '/api/users', { primaryEmail: email }));
      expectError(rejected, 422, 'entity.value_too_long');
    });

    it('PATCH /api/users/:id answers a 129-character e-mail with 422 entity.value_too_long and changes nothing', async () => {
      const user = await createUser();
      const email = `${'p'.repeat(TOO_LONG - '@example.io'.length)}@example.io`;
      const rejected = await rejectedWithoutChange(() => call('PATCH', `/api/users/${user.id}`, { primaryEmail: email }));
      expectError(rejected, 422, 'entity.value_too_long');
    });
  });

  describe('pagination values that are not positive integers (400 guard.invalid_pagination)', () => {
    const NOT_POSITIVE_INTEGERS = ['0', '-1', '1.5', '1e20', 'abc', '-0', '1e309'];

    it.each(['page', 'page_size'])('GET /api/logs rejects %s = 0, -1, 1.5, 1e20, abc, -0 and 1e309', async (key) => {
      const answers = [];
      for (const value of NOT_POSITIVE_INTEGERS) {
        const response = await call<ErrorBody>('GET', `/api/logs?${key}=${value}`);
        answers.push({ value, status: response.status, body: response.body });
      }
      expect(answers).toEqual(
        NOT_POSITIVE_INTEGERS.map((value) => ({
          value,
          status: 400,
          body: { code: 'guard.invalid_pagination', message: 'The request pagination value is invalid.' },
        })),
      );
    });

    it.each(['page', 'page_size'])('GET /api/users rejects %s = -0 and 1e309 too', async (key) => {
      for (const value of ['-0', '1e309']) {
        expectError(await call('GET', `/api/users?${key}=${value}`), 400, 'guard.invalid_pagination');
      }
    });
  });

  describe('SQL-looking values are data, never SQL', () => {
    const INJECTIONS = ["' OR '1'='1", "x' OR 1=1 --", "'; DROP TABLE logs; --", '%', '_%', "\\' OR 1=1 --"];

    it.each(['userId', 'applicationId', 'logKey'])(
      'GET /api/logs?%s= with SQL-looking values matches nothing, and the table survives',
      async (key) => {
        const user = await createUser({ username: uniqueName('sql') });
        const literal = await call<unknown[]>('GET', `/api/logs?userId=${user.id}`);
        expect({ status: literal.status, count: literal.body.length }).toEqual({ status: 200, count: 1 });

        for (const injection of INJECTIONS) {
          const value = key === 'userId' ? `${user.id}${injection}` : injection;
          const response = await call<unknown[]>('GET', `/api/logs?${key}=${encodeURIComponent(value)}`);
          expect({ injection, status: response.status, body: response.body, total: response.headers.get('total-number') }).toEqual({
            injection,
            status: 200,
            body: [],
            total: '0',
          });
        }
        const { rows } = at(await server.query<{ rows: number }>('SELECT count(*)::int AS rows FROM logs'), 0);
        expect(rows).toBeGreaterThan(0);
      },
    );

    it('GET /api/logs?start_time= with SQL appended answers 400 guard.invalid_input', async () => {
      const response = await call<ErrorBody>('GET', `/api/logs?start_time=${encodeURIComponent('0; DROP TABLE logs')}`);
      expect({ status: response.status, code: response.body.code }).toEqual({ status: 400, code: 'guard.invalid_input' });
    });

    it('finds a user whose name is literally SQL by that exact name, and only that user', async () => {
      const name = `Robert'); DROP TABLE users; -- ${uniqueName('n')}`;
      const robert = await createUser({ name });
      await createUser({ name: 'Robert' });
      const response = await call<User[]>('GET', `/api/users?search.name=${encodeURIComponent(name)}&mode.name=exact`);
      expect({ status: response.status, ids: response.body.map(({ id }) => id) }).toEqual({ status: 200, ids: [robert.id] });
    });
  });

  describe('odd ids in paths: 404 or 400 with a Logto body, never 5xx', () => {
    const ODD_IDS: [string, string][] = [
      ['an encoded slash', '%2F'],
      ['an encoded slash inside the id', 'a%2Fb'],
      ['a literal ..', '..'],
      ['an encoded ..', '%2E%2E'],
      ['an encoded NUL', '%00'],
      ['a NUL inside the id', 'a%00b'],
      ['a 10 KB id', 'a'.repeat(10 * 1024)],
      ['an encoded lone surrogate', '%ED%A0%80'],
    ];
    const USER_ROUTES: [string, string][] = [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['PATCH', '/password'],
      ['POST', '/password/verify'],
      ['PATCH', '/is-suspended'],
      ['GET', '/custom-data'],
      ['PATCH', '/custom-data'],
      ['PATCH', '/profile'],
      ['GET', '/has-password'],
      ['GET', '/identities/github'],
      ['PUT', '/identities/github'],
      ['DELETE', '/identities/github'],
      ['GET', '/all-identities'],
    ];
    /** A body the route would accept, so that only the id can be what is wrong. */
    const VALID_BODIES: Record<string, unknown> = {
      'PATCH ': { name: 'n' },
      'PATCH /password': { password: 'Secret-1' },
      'POST /password/verify': { password: 'Secret-1' },
      'PATCH /is-suspended': { isSuspended: true },
      'PATCH /custom-data': { customData: { a: 1 } },
      'PATCH /profile': { profile: { nickname: 'n' } },
      'PUT /identities/github': { userId: 'gh-odd-id' },
    };

    async function send(method: string, path: string, json: unknown): Promise<RawHttpResponse> {
      const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
      return rawHttp(server.baseUrl, { method, path, body, headers: body ? { 'content-type': 'application/json' } : {} });
    }

    function expectNotFoundOrBadRequest(response: RawHttpResponse, label: string): void {
      expect({
        label,
        status: [400, 404].includes(response.status) ? '400 or 404' : response.status,
        body: classifyErrorBody(response.text),
      }).toEqual({
        label,
        status: '400 or 404',
        body: 'logto',
      });
    }

    it.each(USER_ROUTES)('%s /api/users/{odd id}%s answers every odd id with 404 or 400 and changes nothing', async (method, suffix) => {
      for (const [label, id] of ODD_IDS) {
        const response = await rejectedWithoutChange(() => send(method, `/api/users/${id}${suffix}`, VALID_BODIES[`${method} ${suffix}`]));
        expectNotFoundOrBadRequest(response, label);
      }
    });

    it.each([
      ['13 characters', 'a'.repeat(13)],
      ['a NUL inside', 'a%00b'],
      ['10 KB', 'a'.repeat(10 * 1024)],
    ])('an id that cannot exist (%s) is exactly 404 entity.not_found on GET and PATCH /api/users/{id}', async (_, id) => {
      for (const method of ['GET', 'PATCH']) {
        const response = await rejectedWithoutChange(() => send(method, `/api/users/${id}`, VALID_BODIES[`${method} `]));
        expect({ method, status: response.status, body: JSON.parse(response.text) as unknown }).toEqual({
          method,
          status: 404,
          body: { code: 'entity.not_found', message: ERROR_MESSAGES['entity.not_found'] },
        });
      }
    });

    it.each(['GET', 'DELETE'])('%s …/identities/{target over 256 characters} is exactly 404 user.identity_not_exist', async (method) => {
      const user = await createUser();
      const response = await rejectedWithoutChange(() => send(method, `/api/users/${user.id}/identities/${'t'.repeat(257)}`, undefined));
      expect({ status: response.status, body: JSON.parse(response.text) as unknown }).toEqual({
        status: 404,
        body: { code: 'user.identity_not_exist', message: ERROR_MESSAGES['user.identity_not_exist'] },
      });
    });

    it('GET /api/logs/{odd id} answers every odd id with 404 or 400', async () => {
      for (const [label, id] of ODD_IDS) expectNotFoundOrBadRequest(await send('GET', `/api/logs/${id}`, undefined), label);
    });

    it.each(['GET', 'DELETE'])('%s …/identities/{odd target} of a real user answers 404 or 400 and changes nothing', async (method) => {
      const user = await createUser();
      expect((await call('PUT', `/api/users/${user.id}/identities/github`, { userId: uniqueName('gh') })).status).toBe(201);
      for (const [label, target] of ODD_IDS) {
        const response = await rejectedWithoutChange(() => send(method, `/api/users/${user.id}/identities/${target}`, undefined));
        expectNotFoundOrBadRequest(response, label);
      }
    });

    it.each([
      ['an encoded NUL', '%00'],
      ['a NUL inside the target', 'git%00hub'],
      ['a 10 KB target', 'a'.repeat(10 * 1024)],
    ])('PUT …/identities/{target} with %s answers 400 or 404 and links nothing', async (label, target) => {
      const user = await createUser();
      const response = await rejectedWithoutChange(() =>
        send('PUT', `/api/users/${user.id}/identities/${target}`, { userId: uniqueName('gh') }),
      );
      expectNotFoundOrBadRequest(response, label);
    });
  });

  describe('text PostgreSQL cannot store, in query strings (never 5xx)', () => {
    /** No stored value can contain NUL: an empty result, or a 400 naming the input. */
    function expectNoMatchOrRejected(response: RawResponse, label: string): void {
      const outcome =
        response.status === 200
          ? { status: 200, body: response.body }
          : { status: response.status, body: classifyErrorBody(response.text) };
      expect({ label, outcome }).toEqual({
        label,
        outcome: response.status === 200 ? { status: 200, body: [] } : { status: 400, body: 'logto' },
      });
    }

    it.each([
      ['userId', '/api/logs?userId=a%00b'],
      ['applicationId', '/api/logs?applicationId=a%00b'],
      ['logKey', '/api/logs?logKey=ManagementApi.User.Create%00'],
      ['search', '/api/users?search=a%00b'],
      ['search.name (exact)', '/api/users?search.name=a%00b&mode.name=exact'],
      ['search.id (repeated exact values)', '/api/users?search.id=a%00&search.id=b&mode.id=exact'],
      ['search.username (posix)', '/api/users?search.username=a%00&mode.username=posix'],
    ])('a NUL in %s matches nothing or is rejected with 400', async (label, path) => {
      await createUser({ name: 'a' });
      expectNoMatchOrRejected(await call('GET', path), label);
    });
  });

  describe('GET /api/logs time bounds beyond what PostgreSQL can represent (never 5xx)', () => {
    it.each([
      ['start_time', '1e20'],
      ['start_time', '99999999999999999999999'],
      ['start_time', '9224318015999998'],
      ['end_time', '-1e20'],
    ])('%s=%s matches nothing (200 []) or is rejected with 400 guard.invalid_input', async (key, value) => {
      await createUser();
      const response = await call<unknown>('GET', `/api/logs?${key}=${value}`);
      const outcome =
        response.status === 200
          ? { status: 200, body: response.body }
          : { status: response.status, code: (response.body as ErrorBody).code };
      expect(outcome).toEqual(response.status === 200 ? { status: 200, body: [] } : { status: 400, code: 'guard.invalid_input' });
    });

    it.each([
      ['end_time', '1e20'],
      ['end_time', '9224318015999998'],
      ['start_time', '-1e20'],
      ['start_time', '-1e15'],
    ])('%s=%s matches every entry (200) or is rejected with 400 guard.invalid_input', async (key, value) => {
      const user = await createUser();
      const response = await call<unknown>('GET', `/api/logs?userId=${user.id}&${key}=${value}`);
      const outcome =
        response.status === 200
          ? { status: 200, count: (response.body as unknown[]).length }
          : { status: response.status, code: (response.body as ErrorBody).code };
      expect(outcome).toEqual(response.status === 200 ? { status: 200, count: 1 } : { status: 400, code: 'guard.invalid_input' });
    });
  });

  describe('keys named like Object.prototype members are ordinary JSON keys', () => {
    const MEMBER_KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];
    const VALUES: unknown[] = [{}, [], 'x', 1, null];

    it.each(MEMBER_KEYS)('POST /api/users stores customData.%s (top level and nested) exactly as sent', async (key) => {
      for (const value of VALUES) {
        const customData = { [key]: value, nested: { [key]: value } };
        const response = await call<User>('POST', '/api/users', { customData });
        expect({ key, value, status: response.status, customData: response.body.customData }).toEqual({
          key,
          value,
          status: 200,
          customData,
        });
        const stored = await call('GET', `/api/users/${response.body.id}/custom-data`);
        expect(stored.body).toEqual(customData);
      }
    });

    it('PATCH /api/users/:id, PATCH …/custom-data and PUT …/identities/:target store such keys exactly as sent', async () => {
      const user = await createUser();
      const data = { constructor: { a: 1 }, toString: 'text', valueOf: [1] };

      const replaced = await call<User>('PATCH', `/api/users/${user.id}`, { customData: data });
      expect({ status: replaced.status, customData: replaced.body.customData }).toEqual({ status: 200, customData: data });

      const merged = await call('PATCH', `/api/users/${user.id}/custom-data`, { customData: { hasOwnProperty: true } });
      expect({ status: merged.status, body: merged.body }).toEqual({ status: 200, body: { ...data, hasOwnProperty: true } });

      const linked = await call<Record<string, unknown>>('PUT', `/api/users/${user.id}/identities/github`, {
        userId: uniqueName('gh'),
        details: data,
      });
      expect({ status: linked.status, details: (linked.body.github as { details?: unknown } | undefined)?.details }).toEqual({
        status: 201,
        details: data,
      });
    });

    it('ignores an unknown top-level key holding { constructor } instead of failing (PATCH …/is-suspended, …/profile)', async () => {
      const user = await createUser();
      const suspended = await request<User>(server.baseUrl, 'PATCH', `/api/users/${user.id}/is-suspended`, {
        body: '{"isSuspended":true,"extra":{"constructor":1}}',
        headers: { 'content-type': 'application/json' },
      });
      expect({ status: suspended.status, isSuspended: suspended.body.isSuspended }).toEqual({ status: 200, isSuspended: true });
      const profile = await request(server.baseUrl, 'PATCH', `/api/users/${user.id}/profile`, {
        body: '{"profile":{"nickname":"n"},"prototype":{"constructor":"x"}}',
        headers: { 'content-type': 'application/json' },
      });
      expect({ status: profile.status, body: profile.body }).toEqual({ status: 200, body: { nickname: 'n' } });
    });
  });

  describe('request lines Node rejects before routing still get a Logto error body', () => {
    it('answers raw non-UTF-8 bytes in the path with 400 and { code, message }', async () => {
      const response = await rawHttp(server.baseUrl, { method: 'GET', path: '/api/users/\u00ff\u00fe' });
      expect({ status: response.status, body: classifyErrorBody(response.text) }).toEqual({ status: 400, body: 'logto' });
    });

    it('answers a request line over 16 KB with 414 or 431 and { code, message }', async () => {
      const response = await rawHttp(server.baseUrl, { method: 'GET', path: `/api/users?search=${percentEncode('x'.repeat(20 * 1024))}` });
      expect({
        status: [414, 431].includes(response.status) ? '414 or 431' : response.status,
        body: classifyErrorBody(response.text),
      }).toEqual({
        status: '414 or 431',
        body: 'logto',
      });
    });
  });
});
