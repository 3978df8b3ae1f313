import { randomBytes, randomInt } from 'node:crypto';
import { createSdk, request, type RawResponse } from './support/clients.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, type User } from './support/wire.js';

const PARALLEL = 20;

type Response = RawResponse<User | ErrorBody>;

/** Letters-only random tag, so it can sit anywhere in a username or an email. */
function tag(): string {
  return randomBytes(8)
    .toString('hex')
    .replace(/[0-9]/g, (digit) => String.fromCharCode(103 + Number(digit)));
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
      if (variant & (1 << bit)) characters[position] = characters[position].toUpperCase();
    });
    return characters.join('');
  });
}

/** A random Australian mobile number, in the international form without and with the trunk 0. */
function australianMobile(): { normalized: string; withTrunkZero: string } {
  const subscriber = String(randomInt(10_000_000, 100_000_000));
  return { normalized: `614${subscriber}`, withTrunkZero: `6104${subscriber}` };
}

/** Asserts exactly one request won (200) and every other one lost with 422 `code`; never a 5xx. */
function expectSingleWinner(responses: Response[], code: string): User {
  const summary = responses.map(({ status, body }) => (status === 200 ? '200' : `${status} ${(body as ErrorBody | undefined)?.code}`));
  const expected = ['200', ...Array.from({ length: responses.length - 1 }, () => `422 ${code}`)];
  expect(summary.sort()).toEqual(expected.sort());
  return responses.find(({ status }) => status === 200)!.body as User;
}

function createUser(server: TestServer, body: Record<string, unknown>): Promise<Response> {
  return request<User | ErrorBody>(server.baseUrl, 'POST', '/api/users', { json: body });
}

function patchUser(server: TestServer, userId: string, body: Record<string, unknown>): Promise<Response> {
  return request<User | ErrorBody>(server.baseUrl, 'PATCH', `/api/users/${userId}`, { json: body });
}

async function countRows(server: TestServer, where: string, params: unknown[]): Promise<number> {
  const rows = await server.query<{ total: string }>(`SELECT count(*) AS total FROM users WHERE ${where}`, params);
  return Number(rows[0].total);
}

describe('users under concurrency', () => {
  let server: TestServer;
  let caseInsensitiveServer: TestServer;

  beforeAll(async () => {
    [server, caseInsensitiveServer] = await Promise.all([startTestServer(), startTestServer({ USERNAME_CASE_SENSITIVE: 'false' })]);
  });

  afterAll(async () => {
    await Promise.all([server?.stop(), caseInsensitiveServer?.stop()]);
  });

  /** Creates a user through the SDK and returns its id. */
  async function seedUser(target: TestServer, body: { username?: string; customData?: Record<string, unknown> } = {}): Promise<string> {
    const created = await createSdk(target.baseUrl).POST('/api/users', { body });
    expect(created.response.status).toBe(200);
    return created.data!.id;
  }

  describe('parallel creates', () => {
    it('lets exactly one of 20 creates with case variants of one email win; the rest get 422 user.email_already_in_use', async () => {
      const emails = caseVariants(`race.${tag()}@example.io`, PARALLEL);
      expect(new Set(emails).size).toBe(PARALLEL);
      const responses = await Promise.all(emails.map((primaryEmail) => createUser(server, { primaryEmail })));

      const winner = expectSingleWinner(responses, 'user.email_already_in_use');
      expect(emails).toContain(winner.primaryEmail);
      expect(await countRows(server, 'lower(primary_email) = lower($1)', [emails[0]])).toBe(1);
    });

    it('lets exactly one of 20 creates with the same username win under the default (case-sensitive) policy', async () => {
      const username = `race_${tag()}`;
      const responses = await Promise.all(Array.from({ length: PARALLEL }, () => createUser(server, { username })));

      const winner = expectSingleWinner(responses, 'user.username_already_in_use');
      expect(winner.username).toBe(username);
      expect(await countRows(server, 'username = $1', [username])).toBe(1);
    });

    it('treats case variants of a username as different users under the default (case-sensitive) policy', async () => {
      const usernames = caseVariants(`sens_${tag()}`, 5);
      const responses = await Promise.all(usernames.map((username) => createUser(server, { username })));

      expect(responses.map(({ status }) => status)).toEqual(usernames.map(() => 200));
      expect(await countRows(server, 'lower(username) = lower($1)', [usernames[0]])).toBe(usernames.length);
    });

    it('lets exactly one of 20 creates with case variants of a username win when USERNAME_CASE_SENSITIVE=false', async () => {
      const usernames = caseVariants(`race_${tag()}`, PARALLEL);
      const responses = await Promise.all(usernames.map((username) => createUser(caseInsensitiveServer, { username })));

      const winner = expectSingleWinner(responses, 'user.username_already_in_use');
      expect(usernames).toContain(winner.username);
      expect(await countRows(caseInsensitiveServer, 'lower(username) = lower($1)', [usernames[0]])).toBe(1);
    });

    it('lets exactly one of 20 creates with both trunk-zero forms of one phone number win; the rest get 422 user.phone_already_in_use', async () => {
      const { normalized, withTrunkZero } = australianMobile();
      const phones = Array.from({ length: PARALLEL }, (_, index) => (index % 2 === 0 ? withTrunkZero : normalized));
      const responses = await Promise.all(phones.map((primaryPhone) => createUser(server, { primaryPhone })));

      const winner = expectSingleWinner(responses, 'user.phone_already_in_use');
      expect(winner.primaryPhone).toBe(normalized);
      expect(await countRows(server, 'primary_phone IN ($1, $2)', [normalized, withTrunkZero])).toBe(1);
    });
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
      return Promise.all(userIds.map((userId, index) => patchUser(target, userId, bodies[index])));
    }

    it('lets one of two concurrent PATCHes to the same new email win; the other gets 422 user.email_already_in_use', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const email = `shared.${tag()}@example.io`;
        // Odd rounds spell the address with different letter case: still the same email.
        const [first, second] = round % 2 === 0 ? [email, email] : caseVariants(email, 2).reverse();
        const responses = await patchTwoUsersConcurrently(server, [{ primaryEmail: first }, { primaryEmail: second }]);

        expectSingleWinner(responses, 'user.email_already_in_use');
        expect(await countRows(server, 'lower(primary_email) = lower($1)', [email])).toBe(1);
      }
    });

    it('lets one of two concurrent PATCHes to the same new username win; the other gets 422 user.username_already_in_use', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const username = `shared_${tag()}`;
        const responses = await patchTwoUsersConcurrently(server, [{ username }, { username }]);

        expectSingleWinner(responses, 'user.username_already_in_use');
        expect(await countRows(server, 'username = $1', [username])).toBe(1);
      }
    });

    it('lets one of two concurrent PATCHes to case variants of a username win when USERNAME_CASE_SENSITIVE=false', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const [first, second] = caseVariants(`shared_${tag()}`, 2);
        const responses = await patchTwoUsersConcurrently(caseInsensitiveServer, [{ username: first }, { username: second }]);

        expectSingleWinner(responses, 'user.username_already_in_use');
        expect(await countRows(caseInsensitiveServer, 'lower(username) = lower($1)', [first])).toBe(1);
      }
    });

    it('lets one of two concurrent PATCHes to the two forms of one phone number win; the other gets 422 user.phone_already_in_use', async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const { normalized, withTrunkZero } = australianMobile();
        const responses = await patchTwoUsersConcurrently(server, [{ primaryPhone: normalized }, { primaryPhone: withTrunkZero }]);

        expectSingleWinner(responses, 'user.phone_already_in_use');
        expect(await countRows(server, 'primary_phone IN ($1, $2)', [normalized, withTrunkZero])).toBe(1);
      }
    });
  });
});
