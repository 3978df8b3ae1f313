import { callWithAuthorization, fetchAccessToken } from './support/auth.js';
import { createApplication } from './support/cli.js';
import { createSdk, request, type RawResponse } from './support/clients.js';
import { expectAuthError, expectError, expectInvalidBody } from './support/expect-errors.js';
import { uniqueName } from './support/factories.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, expectedNewUser, type User, USER_KEYS } from './support/wire.js';
import { at } from './support/at.js';

/** A linked social account as the API shows it: `details` only when it was given. */
interface LinkedIdentity {
  userId: string;
  details?: Record<string, unknown>;
}

type IdentitiesMap = Record<string, LinkedIdentity>;

interface IdentityResponse {
  identity: LinkedIdentity;
}

interface AllIdentitiesResponse {
  socialIdentities: { target: string; identity: LinkedIdentity }[];
  ssoIdentities: unknown[];
}

const PARALLEL = 20;
const RACE_ROUNDS = 10;

/** `"201"`, `"200"` or `"<status> <code>"`, to compare outcomes of parallel requests at a glance. */
function outcome(response: RawResponse): string {
  if (response.status === 200 || response.status === 201) return String(response.status);
  return `${response.status} ${(response.body as ErrorBody | undefined)?.code}`;
}

const byTarget = (left: { target: string }, right: { target: string }): number => left.target.localeCompare(right.target);

describe('user social identities (/api/users/:userId/identities, /all-identities)', () => {
  let server: TestServer;
  let sdk: ReturnType<typeof createSdk>;

  beforeAll(async () => {
    server = await startTestServer();
    sdk = createSdk(server.baseUrl);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const identityPath = (userId: string, target: string): string =>
    `/api/users/${encodeURIComponent(userId)}/identities/${encodeURIComponent(target)}`;
  const allIdentitiesPath = (userId: string): string => `/api/users/${encodeURIComponent(userId)}/all-identities`;

  async function createUser(): Promise<User> {
    const { data, response } = await sdk.POST('/api/users', { body: { username: uniqueName('user') } });
    expect(response.status).toBe(200);
    return data as unknown as User;
  }

  /** `PUT …/identities/:target` through the SDK; the status tells linked (201) from replaced (200). */
  async function link(
    userId: string,
    target: string,
    body: { userId: string; details?: Record<string, unknown> },
  ): Promise<{ status: number; identities: IdentitiesMap; headers: Headers }> {
    const { data, response } = await sdk.PUT('/api/users/{userId}/identities/{target}', { params: { path: { userId, target } }, body });
    return { status: response.status, identities: data as IdentitiesMap, headers: response.headers };
  }

  /** Raw `PUT …/identities/:target`, for error bodies and parallel requests. */
  const rawPut = (userId: string, target: string, json: unknown): Promise<RawResponse<IdentitiesMap | ErrorBody>> =>
    request<IdentitiesMap | ErrorBody>(server.baseUrl, 'PUT', identityPath(userId, target), { json });

  const rawGet = (userId: string, target: string): Promise<RawResponse<IdentityResponse | ErrorBody>> =>
    request<IdentityResponse | ErrorBody>(server.baseUrl, 'GET', identityPath(userId, target));

  async function getIdentity(userId: string, target: string): Promise<IdentityResponse> {
    const { data, response } = await sdk.GET('/api/users/{userId}/identities/{target}', { params: { path: { userId, target } } });
    expect(response.status).toBe(200);
    return data as IdentityResponse;
  }

  async function getUser(userId: string): Promise<User> {
    const { data, response } = await sdk.GET('/api/users/{userId}', { params: { path: { userId } } });
    expect(response.status).toBe(200);
    return data as unknown as User;
  }

  async function identityRowCount(userId: string): Promise<number> {
    const rows = await server.query<{ count: string }>('SELECT count(*) FROM user_identities WHERE user_id = $1', [userId]);
    return Number(at(rows, 0).count);
  }

  /** An id of the right shape (12 characters) that no user has. */
  const UNKNOWN_USER_ID = 'nosuchuser00';

  describe('PUT /api/users/:userId/identities/:target', () => {
    it('answers 201 with the whole identities map when the target is new for the user', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      const identity = { userId: uniqueName('gh'), details: { id: '42', email: 'octo@example.com' } };

      const { status, identities, headers } = await link(user.id, target, identity);

      expect(status).toBe(201);
      expect(identities).toEqual({ [target]: identity });
      expect(headers.get('content-type')).toMatch(/^application\/json/);
      expect(headers.get('cache-control')).toBe('no-store');
    });

    it('answers 200 and replaces userId and details when the target is already linked', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      expect((await link(user.id, target, { userId: uniqueName('gh'), details: { login: 'old', plan: 'free' } })).status).toBe(201);
      const replacement = { userId: uniqueName('gh'), details: { login: 'new' } };

      const { status, identities } = await link(user.id, target, replacement);

      expect(status).toBe(200);
      expect(identities).toEqual({ [target]: replacement });
      expect(await getIdentity(user.id, target)).toEqual({ identity: replacement });
    });

    it('drops the earlier details when the replacement has none', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      await link(user.id, target, { userId: uniqueName('gh'), details: { login: 'old' } });
      const externalId = uniqueName('gh');

      const { status, identities } = await link(user.id, target, { userId: externalId });

      expect(status).toBe(200);
      expect(identities).toEqual({ [target]: { userId: externalId } });
      expect(Object.keys(identities[target] ?? {})).toEqual(['userId']);
    });

    it('answers 201 for a second target and keeps the first', async () => {
      const user = await createUser();
      const [github, google] = [uniqueName('github'), uniqueName('google')];
      const first = { userId: uniqueName('gh'), details: { id: 1 } };
      const second = { userId: uniqueName('go'), details: { sub: 'abc' } };
      await link(user.id, github, first);

      const { status, identities } = await link(user.id, google, second);

      expect(status).toBe(201);
      expect(identities).toEqual({ [github]: first, [google]: second });
      expect((await getUser(user.id)).identities).toEqual({ [github]: first, [google]: second });
    });

    it('stores an identity without a details key when details are left out', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      const externalId = uniqueName('gh');

      const { status, identities } = await link(user.id, target, { userId: externalId });

      expect(status).toBe(201);
      expect(identities).toEqual({ [target]: { userId: externalId } });
      expect(Object.keys(identities[target] ?? {})).toEqual(['userId']);
      const fetched = await getIdentity(user.id, target);
      expect(fetched).toEqual({ identity: { userId: externalId } });
      expect(Object.keys(fetched.identity)).toEqual(['userId']);
      expect(Object.keys((await getUser(user.id)).identities[target] as object)).toEqual(['userId']);
    });

    it('stores nested details with nulls, arrays and unicode exactly as given', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      const details = {
        id: '42',
        name: null,
        profile: { avatar: null, emails: [{ value: 'a@example.com', verified: true }, null], empty: {} },
        rawData: { count: 0, ratio: 1.5, negative: -7, flag: false, list: [], text: 'Grüße 😀', nested: { deeper: { value: null } } },
      };
      const identity = { userId: uniqueName('gh'), details };

      const { status, identities } = await link(user.id, target, identity);

      expect(status).toBe(201);
      expect(identities[target]).toStrictEqual(identity);
      expect((await getIdentity(user.id, target)).identity).toStrictEqual(identity);
      expect((await getUser(user.id)).identities[target]).toStrictEqual(identity);
    });

    it('shows the same identities map on GET /api/users/:id and in the list GET /api/users', async () => {
      const user = await createUser();
      const [github, google] = [uniqueName('github'), uniqueName('google')];
      await link(user.id, github, { userId: uniqueName('gh'), details: { id: 1 } });
      const { identities } = await link(user.id, google, { userId: uniqueName('go') });

      expect((await getUser(user.id)).identities).toEqual(identities);
      const list = await request<User[]>(server.baseUrl, 'GET', `/api/users?search.id=${user.id}&mode.id=exact`);
      expect(list.status).toBe(200);
      expect(list.body.map(({ id, identities: listed }) => ({ id, identities: listed }))).toEqual([{ id: user.id, identities }]);
    });

    it('ignores unknown body fields', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      const externalId = uniqueName('gh');

      const response = await rawPut(user.id, target, {
        userId: externalId,
        details: { id: 1 },
        identityId: 'other',
        target: 'other',
        extra: true,
      });

      expect(response.status).toBe(201);
      expect(response.body).toEqual({ [target]: { userId: externalId, details: { id: 1 } } });
      expect(await getIdentity(user.id, target)).toEqual({ identity: { userId: externalId, details: { id: 1 } } });
    });

    it('answers 404 entity.not_found for an unknown user', async () => {
      expectError(await rawPut(UNKNOWN_USER_ID, uniqueName('github'), { userId: uniqueName('gh') }), 404, 'entity.not_found');
    });

    describe('body validation', () => {
      it.each<[string, Record<string, unknown>, string]>([
        ['a missing userId', { details: { id: 1 } }, 'userId'],
        ['an empty userId', { userId: '' }, 'userId'],
        ['a numeric userId', { userId: 42 }, 'userId'],
        ['a null userId', { userId: null }, 'userId'],
        ['an object userId', { userId: { id: 'x' } }, 'userId'],
        ['details that are an array', { userId: 'ext', details: [{ id: 1 }] }, 'details'],
        ['details that are a string', { userId: 'ext', details: 'github' }, 'details'],
        ['details that are null', { userId: 'ext', details: null }, 'details'],
      ])('answers 400 guard.invalid_input for %s and links nothing', async (_, body, keyPath) => {
        const user = await createUser();
        const target = uniqueName('github');
        const json = typeof body.userId === 'string' && body.userId !== '' ? { ...body, userId: uniqueName(body.userId) } : body;

        expectInvalidBody(await rawPut(user.id, target, json), keyPath);

        expectError(await rawGet(user.id, target), 404, 'user.identity_not_exist');
        expect(await identityRowCount(user.id)).toBe(0);
      });

      it('answers 400 guard.invalid_input for a userId over 256 characters and links nothing', async () => {
        const user = await createUser();
        expectInvalidBody(await rawPut(user.id, uniqueName('github'), { userId: 'u'.repeat(257) }), 'userId');
        expect(await identityRowCount(user.id)).toBe(0);
      });

      it('answers 422 entity.value_too_long for a target over 256 characters and links nothing', async () => {
        const user = await createUser();
        expectError(await rawPut(user.id, 't'.repeat(257), { userId: uniqueName('gh') }), 422, 'entity.value_too_long');
        expect(await identityRowCount(user.id)).toBe(0);
      });

      it('links a target of exactly 256 characters', async () => {
        const user = await createUser();
        const target = uniqueName('t').padEnd(256, 't');
        const identity = { userId: uniqueName('gh') };
        expect(await link(user.id, target, identity)).toMatchObject({ status: 201, identities: { [target]: identity } });
      });

      it('answers 400 request.invalid_input for a target holding a NUL character and links nothing', async () => {
        const user = await createUser();
        const response = await rawPut(user.id, `git\u0000hub`, { userId: uniqueName('gh') });
        expect({ status: response.status, body: response.body }).toEqual({
          status: 400,
          body: { code: 'request.invalid_input', message: 'Input is invalid. The target must not contain NUL characters.', data: {} },
        });
        expect(await identityRowCount(user.id)).toBe(0);
      });

      it('answers 400 guard.invalid_input for a body that is a JSON array', async () => {
        const user = await createUser();
        const response = await rawPut(user.id, uniqueName('github'), [{ userId: 'ext' }]);
        expect({ status: response.status, code: (response.body as ErrorBody).code }).toEqual({ status: 400, code: 'guard.invalid_input' });
        expect(await identityRowCount(user.id)).toBe(0);
      });
    });

    describe('ownership of a social account', () => {
      it('answers 422 user.identity_already_in_use when another user holds the same target and external id', async () => {
        const [holder, other] = await Promise.all([createUser(), createUser()]);
        const target = uniqueName('github');
        const identity = { userId: uniqueName('gh'), details: { id: 1 } };
        expect((await link(holder.id, target, identity)).status).toBe(201);

        expectError(await rawPut(other.id, target, { userId: identity.userId, details: { id: 2 } }), 422, 'user.identity_already_in_use');

        expectError(await rawGet(other.id, target), 404, 'user.identity_not_exist');
        expect(await getIdentity(holder.id, target)).toEqual({ identity });
      });

      it('answers 422 and keeps the earlier identity when a user would switch its target to an account another user holds', async () => {
        const [holder, other] = await Promise.all([createUser(), createUser()]);
        const target = uniqueName('github');
        const held = { userId: uniqueName('gh') };
        const own = { userId: uniqueName('gh'), details: { mine: true } };
        await link(holder.id, target, held);
        await link(other.id, target, own);

        expectError(await rawPut(other.id, target, held), 422, 'user.identity_already_in_use');

        expect(await getIdentity(other.id, target)).toEqual({ identity: own });
        expect(await getIdentity(holder.id, target)).toEqual({ identity: held });
      });

      it('answers 200 when the holder re-puts its own identity', async () => {
        const user = await createUser();
        const target = uniqueName('github');
        const identity = { userId: uniqueName('gh'), details: { id: 1 } };
        await link(user.id, target, identity);

        const { status, identities } = await link(user.id, target, identity);

        expect(status).toBe(200);
        expect(identities).toEqual({ [target]: identity });
      });

      it('lets another user hold the same external id under a different target', async () => {
        const [first, second] = await Promise.all([createUser(), createUser()]);
        const externalId = uniqueName('shared');
        await link(first.id, uniqueName('github'), { userId: externalId });

        expect((await link(second.id, uniqueName('google'), { userId: externalId })).status).toBe(201);
      });
    });
  });

  describe('GET /api/users/:userId/identities/:target', () => {
    it('answers 200 with { identity: { userId, details } }', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      const identity = { userId: uniqueName('gh'), details: { login: 'octo' } };
      await link(user.id, target, identity);

      const response = await rawGet(user.id, target);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ identity });
      expect(Object.keys(response.body as object)).toEqual(['identity']);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await getIdentity(user.id, target)).toEqual({ identity });
    });

    it('answers 404 user.identity_not_exist for a target the user has not linked', async () => {
      const user = await createUser();
      await link(user.id, uniqueName('github'), { userId: uniqueName('gh') });

      expectError(await rawGet(user.id, uniqueName('google')), 404, 'user.identity_not_exist');
    });

    it('answers 404 user.identity_not_exist for a target only another user has linked', async () => {
      const [holder, other] = await Promise.all([createUser(), createUser()]);
      const target = uniqueName('github');
      await link(holder.id, target, { userId: uniqueName('gh') });

      expectError(await rawGet(other.id, target), 404, 'user.identity_not_exist');
    });

    it('answers 404 entity.not_found for an unknown user', async () => {
      expectError(await rawGet(UNKNOWN_USER_ID, uniqueName('github')), 404, 'entity.not_found');
    });
  });

  describe('DELETE /api/users/:userId/identities/:target', () => {
    it('answers 200 with the full user object without that target', async () => {
      const user = await createUser();
      const [removed, kept] = [uniqueName('github'), uniqueName('google')];
      const keptIdentity = { userId: uniqueName('go'), details: { sub: 'x' } };
      await link(user.id, removed, { userId: uniqueName('gh'), details: { id: 1 } });
      await link(user.id, kept, keptIdentity);

      const { data, response } = await sdk.DELETE('/api/users/{userId}/identities/{target}', {
        params: { path: { userId: user.id, target: removed } },
      });

      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = data as unknown as User;
      expect(Object.keys(body)).toEqual(USER_KEYS);
      expect(body).toEqual(
        expectedNewUser({ id: user.id, username: user.username, createdAt: user.createdAt, identities: { [kept]: keptIdentity } }),
      );
      expect(body).not.toHaveProperty('passwordDigest');
      expect((await getUser(user.id)).identities).toEqual({ [kept]: keptIdentity });
      expectError(await rawGet(user.id, removed), 404, 'user.identity_not_exist');
    });

    it('answers 404 user.identity_not_exist when the target is deleted again', async () => {
      const user = await createUser();
      const target = uniqueName('github');
      await link(user.id, target, { userId: uniqueName('gh') });
      expect((await request(server.baseUrl, 'DELETE', identityPath(user.id, target))).status).toBe(200);

      expectError(await request(server.baseUrl, 'DELETE', identityPath(user.id, target)), 404, 'user.identity_not_exist');
    });

    it('answers 404 entity.not_found for an unknown user', async () => {
      expectError(await request(server.baseUrl, 'DELETE', identityPath(UNKNOWN_USER_ID, uniqueName('github'))), 404, 'entity.not_found');
    });

    it('frees the social account for another user', async () => {
      const [first, second] = await Promise.all([createUser(), createUser()]);
      const target = uniqueName('github');
      const identity = { userId: uniqueName('gh') };
      await link(first.id, target, identity);
      expect((await request(server.baseUrl, 'DELETE', identityPath(first.id, target))).status).toBe(200);

      expect((await link(second.id, target, identity)).status).toBe(201);
    });
  });

  describe('GET /api/users/:userId/all-identities', () => {
    it('answers { socialIdentities: [{ target, identity }], ssoIdentities: [] }', async () => {
      const user = await createUser();
      const [github, google] = [uniqueName('github'), uniqueName('google')];
      const withDetails = { userId: uniqueName('gh'), details: { id: 1, name: null } };
      const withoutDetails = { userId: uniqueName('go') };
      await link(user.id, github, withDetails);
      await link(user.id, google, withoutDetails);

      const { data, response } = await sdk.GET('/api/users/{userId}/all-identities', { params: { path: { userId: user.id } } });

      expect(response.status).toBe(200);
      const body = data as unknown as AllIdentitiesResponse;
      expect(Object.keys(body)).toEqual(['socialIdentities', 'ssoIdentities']);
      expect(body.ssoIdentities).toEqual([]);
      expect([...body.socialIdentities].sort(byTarget)).toStrictEqual(
        [
          { target: github, identity: withDetails },
          { target: google, identity: withoutDetails },
        ].sort(byTarget),
      );
    });

    it('answers empty lists for a user without identities', async () => {
      const user = await createUser();

      const response = await request(server.baseUrl, 'GET', allIdentitiesPath(user.id));

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ socialIdentities: [], ssoIdentities: [] });
    });

    it('answers 404 entity.not_found for an unknown user', async () => {
      expectError(await request(server.baseUrl, 'GET', allIdentitiesPath(UNKNOWN_USER_ID)), 404, 'entity.not_found');
    });
  });

  describe('under concurrency', () => {
    it(`keeps all ${PARALLEL} distinct targets linked in parallel on one user, each answered 201`, async () => {
      const user = await createUser();
      const expected: IdentitiesMap = Object.fromEntries(
        Array.from({ length: PARALLEL }, (_, index) => [uniqueName(`target${index}`), { userId: uniqueName('ext'), details: { index } }]),
      );

      const responses = await Promise.all(Object.entries(expected).map(([target, identity]) => rawPut(user.id, target, identity)));

      expect(responses.map(outcome)).toEqual(Array.from({ length: PARALLEL }, () => '201'));
      responses.forEach((response, index) => {
        const [target, identity] = at(Object.entries(expected), index);
        expect((response.body as IdentitiesMap)[target]).toEqual(identity);
      });
      expect((await getUser(user.id)).identities).toEqual(expected);
      expect(await identityRowCount(user.id)).toBe(PARALLEL);
    });

    it(`lets exactly one of two users win each of ${RACE_ROUNDS} parallel races for one social account; the other gets 422`, async () => {
      const [alice, bob] = await Promise.all([createUser(), createUser()]);
      const rounds = Array.from({ length: RACE_ROUNDS }, () => ({ target: uniqueName('race'), externalId: uniqueName('ext') }));

      const results = await Promise.all(
        rounds.map(({ target, externalId }) =>
          Promise.all([alice, bob].map((user) => rawPut(user.id, target, { userId: externalId, details: { claimedBy: user.id } }))),
        ),
      );

      for (const [index, [aliceResponse, bobResponse]] of results.entries()) {
        if (!aliceResponse || !bobResponse) throw new Error(`round ${index}: expected two answers`);
        expect([outcome(aliceResponse), outcome(bobResponse)].sort()).toEqual(['201', '422 user.identity_already_in_use']);
        const [winner, loser] = aliceResponse.status === 201 ? [alice, bob] : [bob, alice];
        const { target, externalId } = at(rounds, index);
        expect(await getIdentity(winner.id, target)).toEqual({ identity: { userId: externalId, details: { claimedBy: winner.id } } });
        expectError(await rawGet(loser.id, target), 404, 'user.identity_not_exist');
      }
      const rows = await server.query<{ count: string }>('SELECT count(*) FROM user_identities WHERE target = ANY($1)', [
        rounds.map(({ target }) => target),
      ]);
      expect(rows.map(({ count }) => Number(count))).toEqual([RACE_ROUNDS]);
    });

    it(`answers exactly one 201 and otherwise 200 to ${PARALLEL} parallel PUTs of one target, leaving one consistent value`, async () => {
      const user = await createUser();
      const target = uniqueName('github');
      const candidates = Array.from({ length: PARALLEL }, (_, index) => ({ userId: uniqueName('ext'), details: { index } }));

      const responses = await Promise.all(candidates.map((identity) => rawPut(user.id, target, identity)));

      const outcomes = responses.map(outcome);
      expect(outcomes.filter((value) => value === '201')).toHaveLength(1);
      expect(outcomes.filter((value) => value === '200')).toHaveLength(PARALLEL - 1);
      for (const response of responses) expect(candidates).toContainEqual((response.body as IdentitiesMap)[target]);
      const final = (await getIdentity(user.id, target)).identity;
      expect(candidates).toContainEqual(final);
      expect((await getUser(user.id)).identities).toEqual({ [target]: final });
      expect(await identityRowCount(user.id)).toBe(1);
    });
  });

  describe('deleting a user', () => {
    it('deletes its identities, so another user can link the same social account', async () => {
      const [departing, successor] = await Promise.all([createUser(), createUser()]);
      const [github, google] = [uniqueName('github'), uniqueName('google')];
      const identity = { userId: uniqueName('gh'), details: { id: 1 } };
      await link(departing.id, github, identity);
      await link(departing.id, google, { userId: uniqueName('go') });

      const { response } = await sdk.DELETE('/api/users/{userId}', { params: { path: { userId: departing.id } } });
      expect(response.status).toBe(204);

      expect(await identityRowCount(departing.id)).toBe(0);
      const { status, identities } = await link(successor.id, github, identity);
      expect(status).toBe(201);
      expect(identities).toEqual({ [github]: identity });
    });
  });

  describe('authorization', () => {
    /** Every identities route, with a body where it takes one. */
    type Route = { method: string; path: string; json?: unknown };
    const routes = (userId: string, target: string): [read: Route, put: Route, remove: Route, readAll: Route] => [
      { method: 'GET', path: identityPath(userId, target) },
      { method: 'PUT', path: identityPath(userId, target), json: { userId: uniqueName('ext') } },
      { method: 'DELETE', path: identityPath(userId, target) },
      { method: 'GET', path: allIdentitiesPath(userId) },
    ];

    let user: User;
    let target: string;
    beforeAll(async () => {
      user = await createUser();
      target = uniqueName('github');
      await link(user.id, target, { userId: uniqueName('gh') });
    });

    it('answers 401 auth.authorization_header_missing without a token on every route, and changes nothing', async () => {
      for (const { method, path, json } of routes(user.id, target)) {
        const response = await callWithAuthorization(server.baseUrl, method, path, undefined, json);
        expectAuthError(response, 401, 'auth.authorization_header_missing');
      }
      expect(await identityRowCount(user.id)).toBe(1);
    });

    it('answers 403 auth.forbidden on every route to a token that holds only logs:read, and changes nothing', async () => {
      const app = await createApplication(server, uniqueName('logs-reader'), ['logs:read']);
      const token = await fetchAccessToken(server.baseUrl, app.id, app.secret, 'logs:read');

      for (const { method, path, json } of routes(user.id, target)) {
        const response = await callWithAuthorization(server.baseUrl, method, path, `Bearer ${token}`, json);
        expectAuthError(response, 403, 'auth.forbidden');
      }
      expect(await getIdentity(user.id, target)).toEqual({ identity: { userId: expect.any(String) } });
    });

    it('lets a users:read token read identities but answers 403 to its PUT and DELETE', async () => {
      const app = await createApplication(server, uniqueName('users-reader'), ['users:read']);
      const authorization = `Bearer ${await fetchAccessToken(server.baseUrl, app.id, app.secret, 'users:read')}`;
      const [read, put, remove, readAll] = routes(user.id, target);

      expect((await callWithAuthorization(server.baseUrl, read.method, read.path, authorization)).status).toBe(200);
      expect((await callWithAuthorization(server.baseUrl, readAll.method, readAll.path, authorization)).status).toBe(200);
      expectAuthError(await callWithAuthorization(server.baseUrl, put.method, put.path, authorization, put.json), 403, 'auth.forbidden');
      expectAuthError(await callWithAuthorization(server.baseUrl, remove.method, remove.path, authorization), 403, 'auth.forbidden');
      expect(await identityRowCount(user.id)).toBe(1);
    });
  });
});
