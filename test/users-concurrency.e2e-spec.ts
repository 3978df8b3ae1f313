import { request, type RawResponse } from './support/clients.js';
import { createUser, uniqueLetters as tag, uniqueNationalMobile } from './support/factories.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, type User } from './support/wire.js';
import { at } from './support/at.js';

/**
 * Users under concurrency: parallel creates of one identity, parallel updates of one user and of two
 * users to one value, and DELETE racing every kind of update. Besides the answers, the tests check
 * the audit log: each 2xx mutation wrote exactly one `ManagementApi.*` row about its user, and no
 * rejected request wrote any (README, "Audit trail").
 */

const CONCURRENT_CREATES = 50;
const PARALLEL = 20;

type Response = RawResponse<User | ErrorBody>;

interface AuditRow {
  key: string;
  result: string;
}

/**
 * `count` distinct spellings of `value` that differ only in letter case: variant `i` upper-cases
 * the letters whose position matches a set bit of `i`.
 */
function caseVariants(value: string, count: number): string[] {
  const letterPositions = [...value].flatMap((character, index) => (/[a-z]/i.test(character) ? [index] : []));
  if (2 ** letterPositions.length < count) throw new Error(`not enough letters in ${value} for ${count} variants`);
  return Array.from({ length: count }, (_, variant) => {
    const characters = [...value.toLowerCase()];
    letterPositions.forEach((position, bit) => {
      if (variant & (1 << bit)) characters[position] = characters[position]?.toUpperCase() ?? '';
    });
    return characters.join('');
  });
}

/** A fresh Australian mobile number, in the international form without and with the trunk 0. */
function australianMobile(): { normalized: string; withTrunkZero: string } {
  const national = uniqueNationalMobile();
  return { normalized: `61${national}`, withTrunkZero: `610${national}` };
}

const isSuccess = (response: { status: number }): boolean => response.status >= 200 && response.status < 300;

/** Asserts exactly one request won (200) and every other one lost with 422 `code`; never a 5xx. */
function expectSingleWinner(responses: Response[], code: string): User {
  const summary = responses.map(({ status, body }) => (status === 200 ? '200' : `${status} ${(body as ErrorBody | undefined)?.code}`));
  expect(summary.sort()).toEqual(['200', ...Array.from({ length: responses.length - 1 }, () => `422 ${code}`)].sort());
  const winner = responses.find(({ status }) => status === 200);
  expect(winner).toBeDefined();
  return winner!.body as User;
}

describe('users under concurrency', () => {
  let server: TestServer;
  let caseInsensitive: TestServer;

  beforeAll(async () => {
    [server, caseInsensitive] = await Promise.all([startTestServer(), startTestServer({ USERNAME_CASE_SENSITIVE: 'false' })]);
    // Fetch both tokens before any test measures the log.
    await Promise.all(
      [server, caseInsensitive].map(async (target) => expect((await request(target.baseUrl, 'GET', '/api/users')).status).toBe(200)),
    );
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), caseInsensitive?.stop()]);
  });

  const call = (target: TestServer, method: string, path: string, json?: unknown): Promise<Response> =>
    request<User | ErrorBody>(target.baseUrl, method, path, json === undefined ? {} : { json });

  /** Creates a user through the SDK and returns its id. */
  async function seedUser(target: TestServer, body: { username?: string; customData?: Record<string, unknown> } = {}): Promise<string> {
    return (await createUser(target, body)).id;
  }

  const patchUser = (target: TestServer, userId: string, body: Record<string, unknown>): Promise<Response> =>
    call(target, 'PATCH', `/api/users/${userId}`, body);

  /** Every `ManagementApi.*` row in the database (about any user). */
  async function auditRowCount(target: TestServer): Promise<number> {
    const { rows } = at(await target.query<{ rows: number }>(`SELECT count(*)::int AS rows FROM logs WHERE key LIKE 'ManagementApi.%'`), 0);
    return rows;
  }

  /** A user's `ManagementApi.*` rows, oldest first. */
  function auditTrail(target: TestServer, userId: string): Promise<AuditRow[]> {
    return target.query<AuditRow>(
      `SELECT key, payload->>'result' AS result FROM logs
       WHERE key LIKE 'ManagementApi.%' AND payload->>'userId' = $1 ORDER BY created_at, id`,
      [userId],
    );
  }

  async function usersWhere(target: TestServer, where: string, params: unknown[]): Promise<number> {
    const { rows } = at(await target.query<{ rows: number }>(`SELECT count(*)::int AS rows FROM users WHERE ${where}`, params), 0);
    return rows;
  }

  /**
   * Runs `race` and checks the audit log afterwards: exactly `expectedRows` new `ManagementApi.*`
   * rows in total (so rejected requests wrote none), and the winner's trail is one Create row.
   */
  async function createRace(target: TestServer, bodies: Record<string, unknown>[], code: string): Promise<User> {
    const rowsBefore = await auditRowCount(target);
    const responses = await Promise.all(bodies.map((body) => call(target, 'POST', '/api/users', body)));
    const winner = expectSingleWinner(responses, code);
    expect(await auditRowCount(target)).toBe(rowsBefore + 1);
    expect(await auditTrail(target, winner.id)).toEqual([{ key: 'ManagementApi.User.Create', result: 'Success' }]);
    return winner;
  }

  describe(`${CONCURRENT_CREATES} concurrent creates of one identity: exactly one 200, one user, one audit row`, () => {
    it('e-mail in 50 letter-case variants → one 200, 49 × 422 user.email_already_in_use', async () => {
      const emails = caseVariants(`race.${tag()}@example.io`, CONCURRENT_CREATES);
      expect(new Set(emails).size).toBe(CONCURRENT_CREATES);
      const winner = await createRace(
        server,
        emails.map((primaryEmail) => ({ primaryEmail })),
        'user.email_already_in_use',
      );
      expect(emails).toContain(winner.primaryEmail);
      expect(await usersWhere(server, 'lower(primary_email) = lower($1)', [emails[0]])).toBe(1);
    });

    it('one username 50 times (default, case-sensitive policy) → one 200, 49 × 422 user.username_already_in_use', async () => {
      const username = `race_${tag()}`;
      const winner = await createRace(
        server,
        Array.from({ length: CONCURRENT_CREATES }, () => ({ username })),
        'user.username_already_in_use',
      );
      expect(winner.username).toBe(username);
      expect(await usersWhere(server, 'username = $1', [username])).toBe(1);
    });

    it('a username in 50 letter-case variants with USERNAME_CASE_SENSITIVE=false → one 200, 49 × 422 user.username_already_in_use', async () => {
      const usernames = caseVariants(`race_${tag()}`, CONCURRENT_CREATES);
      expect(new Set(usernames).size).toBe(CONCURRENT_CREATES);
      const winner = await createRace(
        caseInsensitive,
        usernames.map((username) => ({ username })),
        'user.username_already_in_use',
      );
      expect(usernames).toContain(winner.username);
      expect(await usersWhere(caseInsensitive, 'lower(username) = lower($1)', [usernames[0]])).toBe(1);
    });

    it('25 × 610412345678 and 25 × 61412345678 (one number with and without the trunk zero) → one 200 storing 61412345678', async () => {
      const phones = Array.from({ length: CONCURRENT_CREATES }, (_, index) => (index % 2 === 0 ? '610412345678' : '61412345678'));
      const winner = await createRace(
        server,
        phones.map((primaryPhone) => ({ primaryPhone })),
        'user.phone_already_in_use',
      );
      expect(winner.primaryPhone).toBe('61412345678');
      expect(await usersWhere(server, 'primary_phone IN ($1, $2)', ['61412345678', '610412345678'])).toBe(1);
    });
  });

  describe('concurrent creates of distinct identities', () => {
    it('treats case variants of a username as different users under the default (case-sensitive) policy', async () => {
      const usernames = caseVariants(`sens_${tag()}`, 5);
      const responses = await Promise.all(usernames.map((username) => call(server, 'POST', '/api/users', { username })));

      expect(responses.map(({ status }) => status)).toEqual(usernames.map(() => 200));
      expect(await usersWhere(server, 'lower(username) = lower($1)', [usernames[0]])).toBe(usernames.length);
    });
  });

  describe('concurrent updates of different fields of one user', () => {
    const ROUNDS = 8;

    it(`keeps every change of ${ROUNDS} rounds of six concurrent updates, each with exactly one audit row`, async () => {
      const user = (await call(server, 'POST', '/api/users', { username: `multi_${tag()}` })).body as User;
      const rowsBefore = await auditRowCount(server);
      const userPath = `/api/users/${user.id}`;
      let successes = 0;
      for (let round = 1; round <= ROUNDS; round += 1) {
        const name = `Name ${round}`;
        const avatar = `https://example.io/avatar/${round}.png`;
        const isSuspended = round % 2 === 1;
        const responses = await Promise.all([
          call(server, 'PATCH', userPath, { name }),
          call(server, 'PATCH', userPath, { avatar }),
          call(server, 'PATCH', `${userPath}/profile`, { profile: { nickname: `nick${round}` } }),
          call(server, 'PATCH', `${userPath}/custom-data`, { customData: { [`round${round}`]: round } }),
          call(server, 'PATCH', `${userPath}/is-suspended`, { isSuspended }),
          call(server, 'PUT', `${userPath}/identities/target${round}`, { userId: `social_${round}_${tag()}` }),
        ]);
        expect(responses.map(({ status }) => status)).toEqual([200, 200, 200, 200, 200, 201]);
        successes += responses.length;

        const stored = (await call(server, 'GET', userPath)).body as User;
        expect(stored).toMatchObject({ name, avatar, isSuspended, profile: { nickname: `nick${round}` } });
        expect(stored.customData).toEqual(
          Object.fromEntries(Array.from({ length: round }, (_, index) => [`round${index + 1}`, index + 1])),
        );
        expect(Object.keys(stored.identities).sort()).toEqual(Array.from({ length: round }, (_, index) => `target${index + 1}`).sort());
      }

      expect(await auditRowCount(server)).toBe(rowsBefore + successes);
      const trail = await auditTrail(server, user.id);
      const perKey = trail.reduce<Record<string, number>>((counts, { key }) => ({ ...counts, [key]: (counts[key] ?? 0) + 1 }), {});
      expect(perKey).toEqual({
        'ManagementApi.User.Create': 1,
        'ManagementApi.User.Update': 2 * ROUNDS,
        'ManagementApi.User.Profile.Update': ROUNDS,
        'ManagementApi.User.CustomData.Update': ROUNDS,
        'ManagementApi.User.SuspensionStatus.Update': ROUNDS,
        'ManagementApi.User.Identity.Update': ROUNDS,
      });
      expect(trail.every(({ result }) => result === 'Success')).toBe(true);
    });
  });

  describe('DELETE racing an update of the same user', () => {
    /** Updates of every kind: route, body, the answer when it wins, and the audit row it then writes. */
    interface Update {
      label: string;
      method: string;
      suffix: string;
      body: () => Record<string, unknown>;
      okStatus: number;
      key: string;
    }
    const UPDATES: Update[] = [
      {
        label: 'PATCH /users/:id',
        method: 'PATCH',
        suffix: '',
        body: () => ({ name: 'late' }),
        okStatus: 200,
        key: 'ManagementApi.User.Update',
      },
      {
        label: 'PATCH …/custom-data',
        method: 'PATCH',
        suffix: '/custom-data',
        body: () => ({ customData: { late: true } }),
        okStatus: 200,
        key: 'ManagementApi.User.CustomData.Update',
      },
      {
        label: 'PATCH …/profile',
        method: 'PATCH',
        suffix: '/profile',
        body: () => ({ profile: { nickname: 'late' } }),
        okStatus: 200,
        key: 'ManagementApi.User.Profile.Update',
      },
      {
        label: 'PATCH …/is-suspended',
        method: 'PATCH',
        suffix: '/is-suspended',
        body: () => ({ isSuspended: true }),
        okStatus: 200,
        key: 'ManagementApi.User.SuspensionStatus.Update',
      },
      {
        label: 'PATCH …/password',
        method: 'PATCH',
        suffix: '/password',
        body: () => ({ password: 'Late-Password-1' }),
        okStatus: 200,
        key: 'ManagementApi.User.Password.Update',
      },
      {
        label: 'PUT …/identities/:target',
        method: 'PUT',
        suffix: '/identities/github',
        body: () => ({ userId: `late_${tag()}` }),
        okStatus: 201,
        key: 'ManagementApi.User.Identity.Update',
      },
    ];
    const ROUNDS_PER_UPDATE = 4;

    it.each(UPDATES.map((update) => [update.label, update] as const))(
      `DELETE vs %s, ${ROUNDS_PER_UPDATE} rounds: the user stays deleted, and the trail is Create, [the update,] Delete`,
      async (_label, update) => {
        for (let round = 0; round < ROUNDS_PER_UPDATE; round += 1) {
          const user = (await call(server, 'POST', '/api/users', { username: `doomed_${tag()}`, customData: { round } })).body as User;
          const rowsBefore = await auditRowCount(server);
          // Alternate which request leaves first, so both interleavings occur.
          const deleting = (): Promise<Response> => call(server, 'DELETE', `/api/users/${user.id}`);
          const updating = (): Promise<Response> => call(server, update.method, `/api/users/${user.id}${update.suffix}`, update.body());
          const [deleted, updated] =
            round % 2 === 0
              ? await Promise.all([deleting(), updating()])
              : await Promise.all([updating(), deleting()]).then(([first, second]) => [second, first] as const);

          expect(deleted.status).toBe(204);
          // The update either ran before the delete (its usual answer) or found the user gone (404).
          expect({ status: updated.status, code: isSuccess(updated) ? undefined : (updated.body as ErrorBody).code }).toEqual(
            isSuccess(updated) ? { status: update.okStatus, code: undefined } : { status: 404, code: 'entity.not_found' },
          );

          // Never resurrected: gone through the API and in the database, identities included.
          expect((await call(server, 'GET', `/api/users/${user.id}`)).status).toBe(404);
          expect((await call(server, 'GET', `/api/users/${user.id}/custom-data`)).status).toBe(404);
          expect(await usersWhere(server, 'id = $1', [user.id])).toBe(0);
          const identities = await server.query<{ identities: number }>(
            'SELECT count(*)::int AS identities FROM user_identities WHERE user_id = $1',
            [user.id],
          );
          expect(identities).toEqual([{ identities: 0 }]);

          // One row per 2xx mutation, none for the refused update, the update's row before the delete's.
          const successes = 1 + (isSuccess(updated) ? 1 : 0);
          expect(await auditRowCount(server)).toBe(rowsBefore + successes);
          const trail = (await auditTrail(server, user.id)).map(({ key }) => key);
          expect(trail).toEqual(['ManagementApi.User.Create', ...(isSuccess(updated) ? [update.key] : []), 'ManagementApi.User.Delete']);
        }
      },
    );
  });

  describe('parallel updates of one user', () => {
    it('keeps both changes when name, customData and avatar are patched concurrently, round after round', async () => {
      const userId = await seedUser(server);
      for (let round = 1; round <= 10; round += 1) {
        const name = `Name ${round}`;
        const customData = { round, marker: tag() };
        const avatar = `https://example.io/avatar/${round}.png`;
        const responses = await Promise.all([
          patchUser(server, userId, { name }),
          patchUser(server, userId, { customData }),
          patchUser(server, userId, { avatar }),
        ]);
        expect(responses.map(({ status }) => status)).toEqual([200, 200, 200]);

        const stored = await request<User>(server.baseUrl, 'GET', `/api/users/${userId}`);
        expect(stored.body).toMatchObject({ name, customData, avatar });
      }
    });

    it('keeps every key when 20 PATCH …/custom-data requests with different keys run concurrently', async () => {
      const userId = await seedUser(server, { customData: { existing: 'kept' } });
      const keys = Array.from({ length: PARALLEL }, (_, index) => `key${index}`);
      const responses = await Promise.all(
        keys.map((key, index) =>
          request(server.baseUrl, 'PATCH', `/api/users/${userId}/custom-data`, { json: { customData: { [key]: { index } } } }),
        ),
      );
      expect(responses.map(({ status }) => status)).toEqual(keys.map(() => 200));

      const stored = await request<Record<string, unknown>>(server.baseUrl, 'GET', `/api/users/${userId}/custom-data`);
      expect(stored.status).toBe(200);
      expect(stored.body).toEqual({ existing: 'kept', ...Object.fromEntries(keys.map((key, index) => [key, { index }])) });
    });
  });

  describe('parallel updates of two users to one value', () => {
    const ROUNDS = 5;

    /** Two fresh users patched concurrently with `bodies[0]` and `bodies[1]`. */
    async function patchTwoUsersConcurrently(
      target: TestServer,
      bodies: [Record<string, unknown>, Record<string, unknown>],
    ): Promise<Response[]> {
      const userIds = await Promise.all([seedUser(target), seedUser(target)]);
      return Promise.all(userIds.map((userId, index) => patchUser(target, userId, at(bodies, index))));
    }

    it('lets one of two concurrent PATCHes to the same new email win; the other gets 422 user.email_already_in_use', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const email = `shared.${tag()}@example.io`;
        // Odd rounds spell the address with different letter case: still the same email.
        const [first, second] = round % 2 === 0 ? [email, email] : caseVariants(email, 2).reverse();
        const responses = await patchTwoUsersConcurrently(server, [{ primaryEmail: first }, { primaryEmail: second }]);

        expectSingleWinner(responses, 'user.email_already_in_use');
        expect(await usersWhere(server, 'lower(primary_email) = lower($1)', [email])).toBe(1);
      }
    });

    it('lets one of two concurrent PATCHes to the same new username win; the other gets 422 user.username_already_in_use', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const username = `shared_${tag()}`;
        const responses = await patchTwoUsersConcurrently(server, [{ username }, { username }]);

        expectSingleWinner(responses, 'user.username_already_in_use');
        expect(await usersWhere(server, 'username = $1', [username])).toBe(1);
      }
    });

    it('lets one of two concurrent PATCHes to case variants of a username win when USERNAME_CASE_SENSITIVE=false', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const [first, second] = caseVariants(`shared_${tag()}`, 2);
        const responses = await patchTwoUsersConcurrently(caseInsensitive, [{ username: first }, { username: second }]);

        expectSingleWinner(responses, 'user.username_already_in_use');
        expect(await usersWhere(caseInsensitive, 'lower(username) = lower($1)', [first])).toBe(1);
      }
    });

    it('lets one of two concurrent PATCHes to the two forms of one phone number win; the other gets 422 user.phone_already_in_use', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const { normalized, withTrunkZero } = australianMobile();
        const responses = await patchTwoUsersConcurrently(server, [{ primaryPhone: normalized }, { primaryPhone: withTrunkZero }]);

        expectSingleWinner(responses, 'user.phone_already_in_use');
        expect(await usersWhere(server, 'primary_phone IN ($1, $2)', [normalized, withTrunkZero])).toBe(1);
      }
    });
  });
});
