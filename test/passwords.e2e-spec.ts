import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { createHash, pbkdf2Sync, randomBytes } from 'node:crypto';
import { callWithAuthorization, fetchAccessToken } from './support/auth.js';
import { createApplication } from './support/cli.js';
import { createSdk, request, type RawResponse } from './support/clients.js';
import { expectError, expectInvalidBody } from './support/expect-errors.js';
import { uniqueName } from './support/factories.js';
import {
  FIREBASE_VECTOR as FIREBASE,
  firebaseExpression as firebaseDigest,
  LEGACY_SHA512_OF_PASSWORD,
  pbkdf2Expression as pbkdf2Digest,
} from './support/password-vectors.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { ERROR_MESSAGES, type ErrorBody, MD5_OF_PASSWORD, type PasswordAlgorithm, type User } from './support/wire.js';

/**
 * Imported password hashes and `POST /api/users/:userId/password/verify` (README "Passwords"
 * and its Compatibility table): every algorithm verifies and is upgraded to Argon2i, digests and
 * their costs are checked at creation, verification is rate limited per user and logged.
 */

const LIMIT = 3;
const WINDOW_SECONDS = 60;
const VERIFY_LOG_KEY = 'ManagementApi.User.Password.Verify';
/** What the server stores for a new or upgraded password: Argon2i, 8 MiB, 8 passes, 1 lane (README "Passwords"). */
const UPGRADED_DIGEST = /^\$argon2i\$v=19\$m=8192,t=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
const INVALID_CREDENTIALS = { code: 'session.invalid_credentials', message: ERROR_MESSAGES['session.invalid_credentials'] };

/** `@node-rs/argon2`'s `Algorithm` const enum, which isolated modules cannot inline. */
const ARGON2_ALGORITHM = { Argon2d: 0, Argon2i: 1, Argon2id: 2 } as const;

const hexOf = (algorithm: string, password: string): string => createHash(algorithm).update(password, 'utf8').digest('hex');

/** A password no log row could contain by accident. */
const uniquePassword = (): string => `Pw-${randomBytes(9).toString('base64url')}`;

/** 257 bytes of UTF-8 in 129 characters (one ASCII, then 128 two-byte ones). */
const PASSWORD_257_BYTES = `a${'é'.repeat(128)}`;
/** Exactly 256 bytes of UTF-8. */
const PASSWORD_256_BYTES = 'é'.repeat(128);

interface ImportCase {
  name: string;
  algorithm: PasswordAlgorithm;
  password: string;
  digest: () => Promise<string> | string;
}

/** One importable user per algorithm, with published vectors where there are some and generated ones otherwise. */
const IMPORT_CASES: ImportCase[] = [
  {
    name: 'Argon2i',
    algorithm: 'Argon2i',
    password: 'argon2i-secret',
    digest: () => argon2Hash('argon2i-secret', { algorithm: ARGON2_ALGORITHM.Argon2i }),
  },
  {
    name: 'Argon2id',
    algorithm: 'Argon2id',
    password: 'argon2id-secret',
    digest: () => argon2Hash('argon2id-secret', { algorithm: ARGON2_ALGORITHM.Argon2id }),
  },
  {
    name: 'Argon2d',
    algorithm: 'Argon2d',
    password: 'argon2d-secret',
    digest: () => argon2Hash('argon2d-secret', { algorithm: ARGON2_ALGORITHM.Argon2d }),
  },
  { name: 'Bcrypt (cost 4)', algorithm: 'Bcrypt', password: 'bcrypt-secret', digest: () => bcryptHash('bcrypt-secret', 4) },
  { name: 'Bcrypt (cost 10)', algorithm: 'Bcrypt', password: 'bcrypt-secret-10', digest: () => bcryptHash('bcrypt-secret-10', 10) },
  { name: 'MD5 (known vector)', algorithm: 'MD5', password: 'password', digest: () => MD5_OF_PASSWORD },
  { name: 'SHA1', algorithm: 'SHA1', password: 'sha1-secret', digest: () => hexOf('sha1', 'sha1-secret') },
  { name: 'SHA256', algorithm: 'SHA256', password: 'sha256-secret', digest: () => hexOf('sha256', 'sha256-secret') },
  { name: 'Legacy sha512 (known vector)', algorithm: 'Legacy', password: 'password', digest: () => LEGACY_SHA512_OF_PASSWORD },
  {
    name: 'Legacy md5 with a salt around @',
    algorithm: 'Legacy',
    password: 'salted-secret',
    digest: () => JSON.stringify(['md5', ['pre-', '@', '-post'], hexOf('md5', 'pre-salted-secret-post')]),
  },
  {
    name: 'Legacy pbkdf2 (hex: salt)',
    algorithm: 'Legacy',
    password: 'pbkdf2-secret',
    digest: () =>
      pbkdf2Digest(
        'hex:00a1b2c3d4e5f6ff',
        '1000',
        '32',
        'sha256',
        pbkdf2Sync('pbkdf2-secret', Buffer.from('00a1b2c3d4e5f6ff', 'hex'), 1000, 32, 'sha256').toString('hex'),
      ),
  },
  {
    name: 'Legacy pbkdf2 (plain salt)',
    algorithm: 'Legacy',
    password: 'pbkdf2-plain',
    digest: () =>
      pbkdf2Digest('plain-salt', '2000', '64', 'sha512', pbkdf2Sync('pbkdf2-plain', 'plain-salt', 2000, 64, 'sha512').toString('hex')),
  },
  { name: 'Legacy firebase-scrypt (Firebase vector)', algorithm: 'Legacy', password: FIREBASE.password, digest: () => firebaseDigest() },
];

describe('passwords: imported hashes, verification and its limits', () => {
  let server: TestServer;
  let sdk: ReturnType<typeof createSdk>;

  beforeAll(async () => {
    server = await startTestServer({ PASSWORD_VERIFY_MAX_ATTEMPTS: String(LIMIT), PASSWORD_VERIFY_WINDOW_SECONDS: String(WINDOW_SECONDS) });
    sdk = createSdk(server.baseUrl);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const userPath = (userId: string, suffix = ''): string => `/api/users/${encodeURIComponent(userId)}${suffix}`;

  const call = <Body = unknown>(method: string, path: string, json?: unknown, target: TestServer = server): Promise<RawResponse<Body>> =>
    request<Body>(target.baseUrl, method, path, json === undefined ? {} : { json });

  interface CreateBody {
    password?: string;
    passwordDigest?: string;
    passwordAlgorithm?: PasswordAlgorithm;
  }

  async function createUser(body: CreateBody = {}): Promise<User> {
    const { data, response } = await sdk.POST('/api/users', { body: { username: uniqueName('pw'), ...body } });
    expect(response.status).toBe(200);
    return data as unknown as User;
  }

  /** The raw create request, for error bodies; a username lets the test check no user was stored. */
  function createRaw(body: Record<string, unknown>, username = uniqueName('rejected')): Promise<RawResponse<ErrorBody>> {
    return call<ErrorBody>('POST', '/api/users', { username, ...body });
  }

  async function expectNoUserNamed(username: string): Promise<void> {
    expect(await server.query('SELECT id FROM users WHERE username = $1', [username])).toEqual([]);
  }

  /** The stored digest and algorithm, read through the API. */
  async function storedHash(userId: string): Promise<{ passwordDigest: string | null; passwordAlgorithm: PasswordAlgorithm | null }> {
    const { data, response } = await sdk.GET('/api/users/{userId}', {
      params: { path: { userId }, query: { includePasswordHash: 'true' } },
    });
    expect(response.status).toBe(200);
    const user = data as unknown as User;
    return { passwordDigest: user.passwordDigest ?? null, passwordAlgorithm: user.passwordAlgorithm ?? null };
  }

  /** A successful verification through the official SDK: 204 and no body. */
  async function expectVerified(userId: string, password: string): Promise<void> {
    const { response } = await sdk.POST('/api/users/{userId}/password/verify', { params: { path: { userId } }, body: { password } });
    expect(response.status).toBe(204);
    expect(await response.text()).toBe('');
  }

  const verifyRaw = (userId: string, password: unknown, target: TestServer = server): Promise<RawResponse<ErrorBody>> =>
    call<ErrorBody>('POST', userPath(userId, '/password/verify'), { password }, target);

  async function expectInvalidCredentials(userId: string, password: string, target: TestServer = server): Promise<void> {
    const response = await verifyRaw(userId, password, target);
    expect({ status: response.status, body: response.body }).toEqual({ status: 422, body: INVALID_CREDENTIALS });
  }

  /** 429 `request.too_many_requests` with a `Retry-After` of whole seconds within the window. */
  function expectRateLimited(response: RawResponse<ErrorBody>): void {
    expect(response.status).toBe(429);
    expect(response.body).toEqual({ code: 'request.too_many_requests', message: expect.any(String) });
    expect(Object.keys(response.body)).toEqual(['code', 'message']);
    expect(response.body.message.length).toBeGreaterThan(0);
    const retryAfter = response.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(WINDOW_SECONDS);
  }

  /** The `result` of each verification log row of a user, oldest first. */
  async function verifyLogResults(userId: string): Promise<string[]> {
    const rows = await server.query<{ result: string }>(
      `SELECT payload->>'result' AS result FROM logs WHERE key = $1 AND payload->>'userId' = $2 ORDER BY created_at, id`,
      [VERIFY_LOG_KEY, userId],
    );
    return rows.map((row) => row.result);
  }

  describe('import on create, then verify (every algorithm)', () => {
    it.each(IMPORT_CASES)(
      'imports $name, stores it verbatim, verifies it and rejects a wrong password',
      async ({ algorithm, password, digest }) => {
        const passwordDigest = await digest();
        const user = await createUser({ passwordDigest, passwordAlgorithm: algorithm });
        expect(user.hasPassword).toBe(true);
        expect(await storedHash(user.id)).toEqual({ passwordDigest, passwordAlgorithm: algorithm });

        await expectInvalidCredentials(user.id, `${password}x`);
        await expectVerified(user.id, password);
      },
    );

    it.each(IMPORT_CASES.filter(({ algorithm }) => algorithm !== 'Argon2i'))(
      'upgrades $name to Argon2i on a successful verification, and the new digest verifies',
      async ({ algorithm, password, digest }) => {
        const user = await createUser({ passwordDigest: await digest(), passwordAlgorithm: algorithm });
        const [before] = await server.query<{ password_updated_at: Date }>('SELECT password_updated_at FROM users WHERE id = $1', [
          user.id,
        ]);
        await expectVerified(user.id, password);

        const upgraded = await storedHash(user.id);
        expect(upgraded.passwordAlgorithm).toBe('Argon2i');
        expect(upgraded.passwordDigest).toMatch(UPGRADED_DIGEST);
        const [after] = await server.query<{ password_updated_at: Date }>('SELECT password_updated_at FROM users WHERE id = $1', [user.id]);
        expect(after?.password_updated_at).toEqual(before?.password_updated_at);

        await expectVerified(user.id, password);
        await expectInvalidCredentials(user.id, `${password}x`);
        expect(await storedHash(user.id)).toEqual(upgraded);
      },
    );

    it('leaves an imported Argon2i digest unchanged after a successful verification', async () => {
      const passwordDigest = await argon2Hash('keep-me', { algorithm: ARGON2_ALGORITHM.Argon2i });
      expect(passwordDigest).not.toMatch(UPGRADED_DIGEST);
      const user = await createUser({ passwordDigest, passwordAlgorithm: 'Argon2i' });
      await expectVerified(user.id, 'keep-me');
      await expectVerified(user.id, 'keep-me');
      expect(await storedHash(user.id)).toEqual({ passwordDigest, passwordAlgorithm: 'Argon2i' });
    });

    it('leaves a server-made Argon2i digest unchanged after a successful verification', async () => {
      const user = await createUser({ password: 'plain-secret' });
      const before = await storedHash(user.id);
      expect(before.passwordAlgorithm).toBe('Argon2i');
      expect(before.passwordDigest).toMatch(UPGRADED_DIGEST);
      await expectVerified(user.id, 'plain-secret');
      expect(await storedHash(user.id)).toEqual(before);
    });

    it('accepts a password of exactly 256 UTF-8 bytes on create and verify', async () => {
      const user = await createUser({ password: PASSWORD_256_BYTES });
      await expectVerified(user.id, PASSWORD_256_BYTES);
    });

    it('hashes the password as UTF-8 for the fast digests', async () => {
      const password = 'pässwörd-✓';
      const user = await createUser({ passwordDigest: hexOf('sha256', password), passwordAlgorithm: 'SHA256' });
      await expectVerified(user.id, password);
    });

    it('never matches an MD5 digest against a differently-cased password', async () => {
      const user = await createUser({ passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      await expectInvalidCredentials(user.id, 'Password');
      expect(await storedHash(user.id)).toEqual({ passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
    });
  });

  describe('includePasswordHash round-trips', () => {
    it('re-imports a server-made Argon2i digest into a fresh user that verifies', async () => {
      const original = await createUser({ password: 'round-trip-secret' });
      const { passwordDigest, passwordAlgorithm } = await storedHash(original.id);
      expect(passwordAlgorithm).toBe('Argon2i');

      const copy = await createUser({ passwordDigest: passwordDigest!, passwordAlgorithm: passwordAlgorithm! });
      expect(copy.id).not.toBe(original.id);
      await expectVerified(copy.id, 'round-trip-secret');
      await expectInvalidCredentials(copy.id, 'round-trip-secreT');
    });

    const ROUND_TRIP_CASES = ['Bcrypt (cost 4)', 'SHA1', 'Legacy sha512 (known vector)', 'Legacy firebase-scrypt (Firebase vector)'];

    it.each(IMPORT_CASES.filter(({ name }) => ROUND_TRIP_CASES.includes(name)))(
      're-imports a stored $name digest (before and after its upgrade) into fresh users that verify',
      async ({ algorithm, password, digest }) => {
        const original = await createUser({ passwordDigest: await digest(), passwordAlgorithm: algorithm });
        const imported = await storedHash(original.id);
        await expectVerified(original.id, password);
        const upgraded = await storedHash(original.id);

        for (const stored of [imported, upgraded]) {
          const copy = await createUser({ passwordDigest: stored.passwordDigest!, passwordAlgorithm: stored.passwordAlgorithm! });
          await expectVerified(copy.id, password);
        }
      },
    );
  });

  describe('verification errors', () => {
    it('answers 422 session.invalid_credentials for a wrong password', async () => {
      const user = await createUser({ password: 'right-secret' });
      const response = await verifyRaw(user.id, 'wrong-secret');
      expectError(response, 422, INVALID_CREDENTIALS.code, INVALID_CREDENTIALS.message);
    });

    it('answers 422 session.invalid_credentials for a user without a password', async () => {
      const user = await createUser();
      expect(user.hasPassword).toBe(false);
      expectError(await verifyRaw(user.id, 'anything'), 422, INVALID_CREDENTIALS.code, INVALID_CREDENTIALS.message);
    });

    it('answers 422 for a user whose algorithm came without a digest (no password stored)', async () => {
      const user = await createUser({ passwordAlgorithm: 'MD5' });
      expect(user.hasPassword).toBe(false);
      expectError(await verifyRaw(user.id, 'password'), 422, INVALID_CREDENTIALS.code, INVALID_CREDENTIALS.message);
    });

    it('answers 400 guard.invalid_input for an empty, missing or non-string password', async () => {
      const user = await createUser({ password: 'some-secret' });
      expectInvalidBody(await verifyRaw(user.id, ''), 'password');
      expectInvalidBody(await call('POST', userPath(user.id, '/password/verify'), {}), 'password');
      expectInvalidBody(await verifyRaw(user.id, 12345), 'password');
      expect(await verifyLogResults(user.id)).toEqual([]);
    });

    it('answers 404 entity.not_found for an unknown user', async () => {
      expectError(await verifyRaw('nosuchuser00', 'anything'), 404, 'entity.not_found', ERROR_MESSAGES['entity.not_found']);
    });

    it('rejects a 257-byte password with 400 on create, PATCH …/password and verify', async () => {
      expect(Buffer.byteLength(PASSWORD_257_BYTES, 'utf8')).toBe(257);
      const username = uniqueName('toolong');
      expectInvalidBody(await createRaw({ password: PASSWORD_257_BYTES }, username), 'password');
      await expectNoUserNamed(username);

      const user = await createUser({ password: 'short-secret' });
      const before = await storedHash(user.id);
      expectInvalidBody(await call('PATCH', userPath(user.id, '/password'), { password: PASSWORD_257_BYTES }), 'password');
      expect(await storedHash(user.id)).toEqual(before);
      expectInvalidBody(await verifyRaw(user.id, PASSWORD_257_BYTES), 'password');
      expect(await verifyLogResults(user.id)).toEqual([]);
    });
  });

  describe('create: password and digest errors', () => {
    it('rejects password together with passwordDigest with 400 user.password_and_digest', async () => {
      const username = uniqueName('both');
      const response = await createRaw({ password: 'secret', passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' }, username);
      expectError(response, 400, 'user.password_and_digest', ERROR_MESSAGES['user.password_and_digest']);
      await expectNoUserNamed(username);
    });

    it('rejects passwordDigest without passwordAlgorithm with 400 user.password_algorithm_required', async () => {
      const username = uniqueName('noalg');
      const response = await createRaw({ passwordDigest: MD5_OF_PASSWORD }, username);
      expectError(response, 400, 'user.password_algorithm_required', ERROR_MESSAGES['user.password_algorithm_required']);
      await expectNoUserNamed(username);
    });

    it('rejects Legacy without a digest with 400 password.unsupported_encryption_method', async () => {
      const username = uniqueName('legacy');
      const response = await createRaw({ passwordAlgorithm: 'Legacy' }, username);
      expect({ status: response.status, code: response.body.code }).toEqual({
        status: 400,
        code: 'password.unsupported_encryption_method',
      });
      expect(response.body.message).toMatch(/^The encryption method .*is not supported\.$/);
      await expectNoUserNamed(username);
    });

    it.each([
      ['not JSON', 'not json'],
      ['wrong arity', JSON.stringify(['md5', ['@']])],
      ['no @ placeholder', JSON.stringify(['md5', ['salt'], MD5_OF_PASSWORD])],
      ['a bad hex: salt', pbkdf2Digest('hex:abc', '1000', '32', 'sha256')],
      ['non-integer iterations', pbkdf2Digest('salt', 'many', '32', 'sha256')],
    ])('rejects a Legacy digest with %s: 400 password.invalid_legacy_password_format', async (_, passwordDigest) => {
      const username = uniqueName('legacy');
      const response = await createRaw({ passwordDigest, passwordAlgorithm: 'Legacy' }, username);
      expectError(response, 400, 'password.invalid_legacy_password_format', 'Invalid legacy password format.');
      await expectNoUserNamed(username);
    });

    it.each([
      ['the digest', JSON.stringify(['sha4096', ['@'], 'ab']), 'sha4096'],
      ['the pbkdf2 digest argument', pbkdf2Digest('salt', '1000', '32', 'whirlpool9'), 'whirlpool9'],
    ])('rejects an unknown %s name: 400 password.unsupported_legacy_hash_algorithm', async (_, passwordDigest, algorithm) => {
      const response = await createRaw({ passwordDigest, passwordAlgorithm: 'Legacy' });
      expectError(response, 400, 'password.unsupported_legacy_hash_algorithm', `Unsupported legacy hash algorithm: ${algorithm}.`);
    });

    describe('cost bounds → 400 guard.invalid_input', () => {
      const cases: [string, PasswordAlgorithm, () => Promise<string> | string][] = [
        ['bcrypt cost 15', 'Bcrypt', async () => (await bcryptHash('secret', 4)).replace(/^\$2b\$04\$/, '$2b$15$')],
        ['PBKDF2 iterations 2,000,001', 'Legacy', () => pbkdf2Digest('salt', '2000001', '32', 'sha256')],
        ['PBKDF2 key length 129', 'Legacy', () => pbkdf2Digest('salt', '1000', '129', 'sha256')],
        ['firebase-scrypt memCost 18 (N = 2^18)', 'Legacy', () => firebaseDigest({ memCost: '18' })],
        ['firebase-scrypt rounds 17', 'Legacy', () => firebaseDigest({ rounds: '17' })],
        [
          'Argon2 memory 262,145 KiB',
          'Argon2id',
          async () => (await argon2Hash('secret', { algorithm: ARGON2_ALGORITHM.Argon2id })).replace(/m=\d+/, 'm=262145'),
        ],
        [
          'Argon2 time cost 11',
          'Argon2i',
          async () => (await argon2Hash('secret', { algorithm: ARGON2_ALGORITHM.Argon2i })).replace(/t=\d+/, 't=11'),
        ],
      ];

      it.each(cases)('rejects %s', async (_, passwordAlgorithm, digest) => {
        const username = uniqueName('costly');
        expectInvalidBody(await createRaw({ passwordDigest: await digest(), passwordAlgorithm }, username), 'passwordDigest');
        await expectNoUserNamed(username);
      });

      it('accepts the bounds themselves (bcrypt 14, PBKDF2 2,000,000 × 128, scrypt 2^17 × 16, Argon2 262,144 KiB × 10)', async () => {
        const argon2 = await argon2Hash('secret', { algorithm: ARGON2_ALGORITHM.Argon2id });
        const accepted: [PasswordAlgorithm, string][] = [
          ['Bcrypt', (await bcryptHash('secret', 4)).replace(/^\$2b\$04\$/, '$2b$14$')],
          ['Legacy', pbkdf2Digest('salt', '2000000', '128', 'sha256')],
          ['Legacy', firebaseDigest({ memCost: '17', rounds: '16' })],
          ['Argon2id', argon2.replace(/m=\d+/, 'm=262144').replace(/t=\d+/, 't=10')],
        ];
        for (const [passwordAlgorithm, passwordDigest] of accepted) {
          const user = await createUser({ passwordDigest, passwordAlgorithm });
          expect(user.hasPassword).toBe(true);
        }
      });
    });

    it.each([
      ['a bcrypt string of the wrong length', 'Bcrypt', async () => (await bcryptHash('secret', 4)).slice(0, -1)],
      ['a $2x$ bcrypt string', 'Bcrypt', async () => (await bcryptHash('secret', 4)).replace('$2b$', '$2x$')],
      ['bcrypt cost 03', 'Bcrypt', async () => (await bcryptHash('secret', 4)).replace(/^\$2b\$04\$/, '$2b$03$')],
      ['garbage as bcrypt', 'Bcrypt', () => 'not-a-bcrypt-hash'],
      ['garbage as Argon2i', 'Argon2i', () => 'not-an-argon2-hash'],
      ['an Argon2 string with an undecodable hash', 'Argon2id', async () => (await argon2Hash('secret')).replace(/\$[^$]+$/, '$!!!')],
      ['an Argon2 string of an unknown variant', 'Argon2d', async () => (await argon2Hash('secret')).replace('$argon2id$', '$argon2x$')],
      ['non-hex MD5', 'MD5', () => `${MD5_OF_PASSWORD.slice(0, -1)}z`],
      ['upper-case MD5', 'MD5', () => MD5_OF_PASSWORD.toUpperCase()],
      ['an MD5 digest as SHA1', 'SHA1', () => MD5_OF_PASSWORD],
      ['a short SHA256', 'SHA256', () => hexOf('sha256', 'secret').slice(2)],
    ] as [string, PasswordAlgorithm, () => Promise<string> | string][])(
      'rejects %s with 400 guard.invalid_input about passwordDigest',
      async (_, passwordAlgorithm, digest) => {
        const username = uniqueName('malformed');
        expectInvalidBody(await createRaw({ passwordDigest: await digest(), passwordAlgorithm }, username), 'passwordDigest');
        await expectNoUserNamed(username);
      },
    );
  });

  describe('rate limit (3 attempts per user per 60 s in this file)', () => {
    it('answers 422 to three wrong attempts, then 429 with Retry-After, even for the right password', async () => {
      const user = await createUser({ passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      for (let attempt = 0; attempt < LIMIT; attempt += 1) await expectInvalidCredentials(user.id, `wrong-${attempt}`);

      expectRateLimited(await verifyRaw(user.id, 'wrong-again'));
      expectRateLimited(await verifyRaw(user.id, 'password'));
      // No verification ran: the MD5 digest was not upgraded, and no further log row was written.
      expect(await storedHash(user.id)).toEqual({ passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      expect(await verifyLogResults(user.id)).toEqual(['Error', 'Error', 'Error']);
    });

    it('limits each user on its own', async () => {
      const limited = await createUser({ password: 'limited-secret' });
      const other = await createUser({ password: 'other-secret' });
      for (let attempt = 0; attempt < LIMIT; attempt += 1) await expectInvalidCredentials(limited.id, 'nope');
      expectRateLimited(await verifyRaw(limited.id, 'limited-secret'));

      await expectInvalidCredentials(other.id, 'nope');
      await expectVerified(other.id, 'other-secret');
    });

    it('resets the count after a success below the limit', async () => {
      const user = await createUser({ password: 'reset-secret' });
      for (let attempt = 0; attempt < LIMIT - 1; attempt += 1) await expectInvalidCredentials(user.id, 'nope');
      await expectVerified(user.id, 'reset-secret');

      for (let attempt = 0; attempt < LIMIT; attempt += 1) await expectInvalidCredentials(user.id, 'nope');
      expectRateLimited(await verifyRaw(user.id, 'nope'));
    });

    it('lets exactly 3 of 10 parallel wrong attempts verify (422 ×3, 429 ×7)', async () => {
      const user = await createUser({ password: 'parallel-secret' });
      const responses = await Promise.all(Array.from({ length: 10 }, () => verifyRaw(user.id, 'nope')));

      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([...Array(3).fill(422), ...Array(7).fill(429)]);
      for (const response of responses) {
        if (response.status === 422) expect(response.body).toEqual(INVALID_CREDENTIALS);
        else expectRateLimited(response);
      }
      expect(await verifyLogResults(user.id)).toEqual(['Error', 'Error', 'Error']);
    });

    it('counts attempts across replicas sharing the database', async () => {
      const replica = await startTestServer(
        { PASSWORD_VERIFY_MAX_ATTEMPTS: String(LIMIT), PASSWORD_VERIFY_WINDOW_SECONDS: String(WINDOW_SECONDS) },
        { replicaOf: server },
      );
      try {
        const user = await createUser({ password: 'replica-secret' });
        await expectInvalidCredentials(user.id, 'nope');
        await expectInvalidCredentials(user.id, 'nope', replica);
        await expectInvalidCredentials(user.id, 'nope');
        expectRateLimited(await verifyRaw(user.id, 'replica-secret', replica));
        expectRateLimited(await verifyRaw(user.id, 'replica-secret'));
      } finally {
        await replica.stop();
      }
    });

    it('does not limit unknown users into existence (404 every time)', async () => {
      for (let attempt = 0; attempt <= LIMIT; attempt += 1) {
        expectError(await verifyRaw('nosuchuser01', 'nope'), 404, 'entity.not_found', ERROR_MESSAGES['entity.not_found']);
      }
    });
  });

  describe('audit log', () => {
    it(`writes one ${VERIFY_LOG_KEY} row per verification: Success on match, Error on mismatch`, async () => {
      const password = uniquePassword();
      const user = await createUser({ password });
      await expectVerified(user.id, password);
      await expectInvalidCredentials(user.id, uniquePassword());
      await expectVerified(user.id, password);
      expect(await verifyLogResults(user.id)).toEqual(['Success', 'Error', 'Success']);

      const rows = await server.query<{ payload: Record<string, unknown> }>(
        `SELECT payload FROM logs WHERE key = $1 AND payload->>'userId' = $2 ORDER BY created_at, id`,
        [VERIFY_LOG_KEY, user.id],
      );
      for (const { payload } of rows) {
        expect(payload).toMatchObject({ key: VERIFY_LOG_KEY, userId: user.id, applicationId: server.credentials.clientId });
      }
    });

    it('logs an Error row for a user without a password and for an imported digest mismatch', async () => {
      const bare = await createUser();
      await expectInvalidCredentials(bare.id, 'anything');
      const imported = await createUser({ passwordDigest: LEGACY_SHA512_OF_PASSWORD, passwordAlgorithm: 'Legacy' });
      await expectInvalidCredentials(imported.id, 'not-the-password');
      await expectVerified(imported.id, 'password');
      expect(await verifyLogResults(bare.id)).toEqual(['Error']);
      expect(await verifyLogResults(imported.id)).toEqual(['Error', 'Success']);
    });

    it('never writes a password into any log row', async () => {
      const created = uniquePassword();
      const changed = uniquePassword();
      const wrong = uniquePassword();
      const imported = uniquePassword();
      const user = await createUser({ password: created });
      await expectVerified(user.id, created);
      const patched = await call('PATCH', userPath(user.id, '/password'), { password: changed });
      expect(patched.status).toBe(200);
      await expectInvalidCredentials(user.id, wrong);
      await expectVerified(user.id, changed);
      const sha = await createUser({ passwordDigest: hexOf('sha256', imported), passwordAlgorithm: 'SHA256' });
      await expectInvalidCredentials(sha.id, wrong);
      await expectVerified(sha.id, imported);

      const rows = await server.query<{ payload: string }>('SELECT payload::text AS payload FROM logs');
      expect(rows.length).toBeGreaterThan(0);
      for (const secret of [created, changed, wrong, imported]) {
        expect(rows.filter(({ payload }) => payload.includes(secret))).toEqual([]);
      }
    });
  });

  describe('authorization', () => {
    it('answers 401 without a token, before looking at the body, and counts no attempt', async () => {
      const user = await createUser({ password: 'auth-secret' });
      for (let attempt = 0; attempt <= LIMIT; attempt += 1) {
        const response = await callWithAuthorization(server.baseUrl, 'POST', userPath(user.id, '/password/verify'), undefined, {
          password: 'nope',
        });
        expectError(response, 401, 'auth.authorization_header_missing');
      }
      const empty = await callWithAuthorization(server.baseUrl, 'POST', userPath(user.id, '/password/verify'), undefined, { password: '' });
      expect(empty.status).toBe(401);
      expect(await verifyLogResults(user.id)).toEqual([]);
      await expectInvalidCredentials(user.id, 'nope');
    });

    it('answers 403 auth.forbidden to a users:read-only token, and counts no attempt', async () => {
      const reader = await createApplication(server, uniqueName('reader'), ['users:read']);
      const token = await fetchAccessToken(server.baseUrl, reader.id, reader.secret, 'users:read');
      const user = await createUser({ password: 'forbidden-secret' });
      for (let attempt = 0; attempt <= LIMIT; attempt += 1) {
        const response = await callWithAuthorization(server.baseUrl, 'POST', userPath(user.id, '/password/verify'), `Bearer ${token}`, {
          password: 'forbidden-secret',
        });
        expectError(response, 403, 'auth.forbidden');
      }
      expect(await verifyLogResults(user.id)).toEqual([]);
      await expectInvalidCredentials(user.id, 'nope');
      await expectVerified(user.id, 'forbidden-secret');
    });
  });
});
