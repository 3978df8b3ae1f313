import { createHash } from 'node:crypto';
import { createSdk, request, type RawResponse } from './support/clients.js';
import { expectError, expectInvalidBody } from './support/expect-errors.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, expectedNewUser, MD5_OF_PASSWORD, type Profile, type User, USER_KEYS } from './support/wire.js';
import { createUser, uniqueEmail, uniqueName, uniqueNationalMobile, uniquePhone } from './support/factories.js';

const ARGON2I_PREFIX = '$argon2i$v=19$m=8192,t=8,p=1$';

describe('users CRUD (/api/users/**)', () => {
  let server: TestServer;
  let sdk: ReturnType<typeof createSdk>;

  beforeAll(async () => {
    server = await startTestServer();
    sdk = createSdk(server.baseUrl);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const call = <Body = unknown>(method: string, path: string, json?: unknown): Promise<RawResponse<Body>> =>
    request<Body>(server.baseUrl, method, path, json === undefined ? {} : { json });

  const userPath = (userId: string, suffix = ''): string => `/api/users/${encodeURIComponent(userId)}${suffix}`;

  async function getUser(userId: string, query = ''): Promise<RawResponse<User>> {
    const response = await call<User>('GET', `${userPath(userId)}${query}`);
    expect(response.status).toBe(200);
    return response;
  }

  function expectNoStore(headers: Headers): void {
    expect(headers.get('cache-control')).toBe('no-store');
  }

  function expectNoPasswordHash(response: RawResponse): void {
    expect(response.text).not.toContain('passwordDigest');
    expect(response.text).not.toContain('passwordAlgorithm');
    expect(response.text).not.toContain('$argon2');
  }

  describe('POST /api/users', () => {
    it('lists a created user exactly as the create answered it', async () => {
      const created = await createUser(sdk, {
        username: uniqueName(),
        primaryEmail: uniqueEmail(),
        primaryPhone: uniquePhone(),
        password: 'secret-1',
        name: 'Listed',
        avatar: 'https://example.com/a.png',
        customData: { plan: 'pro' },
        profile: { nickname: 'lis' },
      });
      const listed = await call<User[]>('GET', `/api/users?search.id=${created.id}&mode.id=exact`);
      expect(listed.status).toBe(200);
      expect(listed.headers.get('total-number')).toBe('1');
      expect(listed.body).toEqual([created]);
    });

    it('answers 200 with the complete user object, keys in Logto order', async () => {
      const username = uniqueName();
      const primaryEmail = uniqueEmail();
      const primaryPhone = uniquePhone();
      const before = Date.now();
      const { data, response } = await sdk.POST('/api/users', {
        body: {
          username,
          primaryEmail,
          primaryPhone,
          password: 'secret-1',
          name: 'Alice',
          avatar: 'https://example.com/alice.png',
          customData: { level: 1, tags: ['a', 'b'], nested: { deep: { value: null } } },
          profile: { familyName: 'Doe', address: { formatted: '1 Main St' } },
        },
      });
      const after = Date.now();

      expect(response.status).toBe(200);
      expectNoStore(response.headers);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const user = data as unknown as User;
      expect(Object.keys(user)).toEqual(USER_KEYS);
      expect(user).toEqual(
        expectedNewUser({
          username,
          primaryEmail,
          primaryPhone,
          name: 'Alice',
          avatar: 'https://example.com/alice.png',
          customData: { level: 1, tags: ['a', 'b'], nested: { deep: { value: null } } },
          profile: { familyName: 'Doe', address: { formatted: '1 Main St' } },
          hasPassword: true,
        }),
      );
      for (const timestamp of [user.createdAt, user.updatedAt]) {
        expect(Number.isInteger(timestamp)).toBe(true);
        expect(timestamp).toBeGreaterThanOrEqual(before - 1000);
        expect(timestamp).toBeLessThanOrEqual(after + 1000);
      }
    });

    it('creates a user from an empty body with every optional field null or empty', async () => {
      const user = await createUser(sdk, {});
      expect(Object.keys(user)).toEqual(USER_KEYS);
      expect(user).toEqual(expectedNewUser());
    });

    it('is readable back through GET with the same id and contents, without ssoIdentities', async () => {
      const username = uniqueName();
      const user = await createUser(sdk, {
        username,
        password: 'secret-1',
        customData: { foo: 'bar' },
        profile: { gender: 'neutral' },
      });
      expect(user).toMatchObject({ username, hasPassword: true });
      const fetched = await getUser(user.id);
      expect(fetched.body).toEqual(user);
      expect(fetched.body).not.toHaveProperty('ssoIdentities');
      expect(fetched.body.customData).toEqual({ foo: 'bar' });
      expect(fetched.body.profile).toEqual({ gender: 'neutral' });
    });

    it('drops unknown and server-owned body fields instead of rejecting or applying them', async () => {
      const username = uniqueName();
      const response = await call<User>('POST', '/api/users', {
        username,
        id: 'aaaaaaaaaaaa',
        isSuspended: true,
        hasPassword: true,
        createdAt: 0,
        updatedAt: 0,
        lastSignInAt: 0,
        applicationId: 'app',
        identities: { github: { userId: '1' } },
        tenantId: 'other',
        passwordEncrypted: 'x',
        unknownField: 'dropped',
      });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body)).toEqual(USER_KEYS);
      expect(response.body).toMatchObject({
        username,
        isSuspended: false,
        hasPassword: false,
        lastSignInAt: null,
        applicationId: null,
        identities: {},
      });
      expect(response.body.id).not.toBe('aaaaaaaaaaaa');
      expect(response.body.createdAt).toBeGreaterThan(0);
      expect(response.text).not.toContain('unknownField');
    });

    it('stores an empty name as null', async () => {
      const user = await createUser(sdk, { name: '' });
      expect(user.name).toBeNull();
    });

    it('accepts a name of 128 characters and rejects 129 with 422 entity.value_too_long and no database text', async () => {
      const ok = await createUser(sdk, { name: 'n'.repeat(128) });
      expect(ok.name).toHaveLength(128);

      const tooLong = await call('POST', '/api/users', { name: 'n'.repeat(129) });
      expectError(tooLong, 422, 'entity.value_too_long');
    });

    it('rejects a 129-character username that matches the format with 422 entity.value_too_long', async () => {
      const response = await call('POST', '/api/users', { username: `u${'x'.repeat(128)}` });
      expectError(response, 422, 'entity.value_too_long');
    });

    it('drops unknown profile keys, also inside address', async () => {
      const response = await call<User>('POST', '/api/users', {
        profile: { gender: 'neutral', favouriteColour: 'blue', address: { formatted: '1 Main St', planet: 'Earth' } },
      });
      expect(response.status).toBe(200);
      expect(response.body.profile).toEqual({ gender: 'neutral', address: { formatted: '1 Main St' } });
    });

    it.each<[string, Record<string, unknown>]>([
      ['profile.familyName', { profile: { familyName: 42 } }],
      ['profile.address.country', { profile: { address: { country: true } } }],
    ])('rejects a non-string profile value at %s with 400 guard.invalid_input and details', async (keyPath, body) => {
      expectInvalidBody(await call('POST', '/api/users', body), keyPath);
    });

    it.each<[string, unknown]>([
      ['username', '1starts_with_digit'],
      ['username', 'has-dash'],
      ['username', 'has space'],
      ['username', ''],
      ['primaryEmail', 'not-an-email'],
      ['primaryEmail', 'a@b'],
      ['primaryEmail', 'spa ce@example.com'],
      ['primaryPhone', '+61412345678'],
      ['primaryPhone', '61 412 345 678'],
      ['primaryPhone', ''],
      ['username', 42],
      ['username', null],
      ['primaryEmail', null],
      ['primaryPhone', null],
      ['name', null],
      ['password', null],
      ['passwordDigest', null],
      ['passwordAlgorithm', null],
      ['customData', null],
      ['profile', null],
    ])('rejects %s %j with 400 guard.invalid_input', async (field, value) => {
      expectInvalidBody(await call('POST', '/api/users', { [field]: value }), field);
    });

    it.each(['not a url', '/relative/avatar.png', 'example.com/a.png'])(
      'rejects the avatar %j with 400 guard.invalid_input',
      async (avatar) => {
        expectInvalidBody(await call('POST', '/api/users', { avatar }), 'avatar');
      },
    );

    it.each<[string | null, string | null]>([
      ['mailto:x@y.z', 'mailto:x@y.z'],
      ['https://example.com/a.png?size=2', 'https://example.com/a.png?size=2'],
      ['', null],
      [null, null],
    ])('accepts the avatar %j and stores %j', async (avatar, stored) => {
      const user = await createUser(sdk, { avatar });
      expect(user.avatar).toBe(stored);
    });

    it('rejects an empty password with 400 guard.invalid_input', async () => {
      expectInvalidBody(await call('POST', '/api/users', { password: '' }), 'password');
    });

    it('applies no password policy', async () => {
      const user = await createUser(sdk, { password: 'abc' });
      expect(user.hasPassword).toBe(true);
    });

    it('rejects password together with passwordDigest with 400 user.password_and_digest', async () => {
      const response = await call('POST', '/api/users', { password: 'secret', passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      expectError(response, 400, 'user.password_and_digest');
    });

    it('checks password-and-digest before the missing algorithm', async () => {
      const response = await call('POST', '/api/users', { password: 'secret', passwordDigest: MD5_OF_PASSWORD });
      expectError(response, 400, 'user.password_and_digest');
    });

    it('validates the body before checking the password combination', async () => {
      const response = await call('POST', '/api/users', { username: '1bad', password: 'secret', passwordDigest: MD5_OF_PASSWORD });
      expectInvalidBody(response, 'username');
    });

    it('rejects passwordDigest without passwordAlgorithm with 400 user.password_algorithm_required', async () => {
      const response = await call('POST', '/api/users', { passwordDigest: MD5_OF_PASSWORD });
      expectError(response, 400, 'user.password_algorithm_required');
    });

    it('rejects an unknown passwordAlgorithm with 400 guard.invalid_input', async () => {
      const response = await call('POST', '/api/users', { passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'ROT13' });
      expectInvalidBody(response, 'passwordAlgorithm');
    });

    it('accepts a 256-character digest and rejects a 257-character one with 400 guard.invalid_input', async () => {
      // Only a Legacy expression can be that long and well-formed: pad its salt argument to size.
      const legacyDigestOfLength = (length: number): string => {
        const shell = (salt: string): string =>
          JSON.stringify(['sha256', [salt, '@'], createHash('sha256').update(`${salt}password`).digest('hex')]);
        return shell('s'.repeat(length - shell('').length));
      };
      const accepted = await createUser(sdk, { passwordDigest: legacyDigestOfLength(256), passwordAlgorithm: 'Legacy' });
      expect(accepted.hasPassword).toBe(true);

      const rejected = await call('POST', '/api/users', { passwordDigest: legacyDigestOfLength(257), passwordAlgorithm: 'Legacy' });
      expectInvalidBody(rejected, 'passwordDigest');
    });

    it('stores an imported MD5 digest verbatim with its algorithm', async () => {
      const user = await createUser(sdk, { passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      expect(user.hasPassword).toBe(true);
      const fetched = await getUser(user.id, '?includePasswordHash=true');
      expect(fetched.body).toMatchObject({ passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5', hasPassword: true });
    });

    it('ignores passwordAlgorithm without a password or digest', async () => {
      const user = await createUser(sdk, { passwordAlgorithm: 'MD5' });
      expect(user.hasPassword).toBe(false);
      const fetched = await getUser(user.id, '?includePasswordHash=true');
      expect(fetched.body).toMatchObject({ passwordDigest: null, passwordAlgorithm: null });
    });

    it('ignores passwordAlgorithm next to a plain password and hashes with Argon2i', async () => {
      const user = await createUser(sdk, { password: 'secret', passwordAlgorithm: 'MD5' });
      const fetched = await getUser(user.id, '?includePasswordHash=true');
      expect(fetched.body.passwordAlgorithm).toBe('Argon2i');
      expect(fetched.body.passwordDigest!.startsWith(ARGON2I_PREFIX)).toBe(true);
    });

    it('rejects customData that is not an object with 400 guard.invalid_input', async () => {
      expectInvalidBody(await call('POST', '/api/users', { customData: [1, 2] }), 'customData');
      expectInvalidBody(await call('POST', '/api/users', { customData: 'text' }), 'customData');
    });

    it('rejects a taken username with 422 user.username_already_in_use', async () => {
      const username = uniqueName();
      await createUser(sdk, { username });
      expectError(await call('POST', '/api/users', { username }), 422, 'user.username_already_in_use');
    });

    it('keeps the e-mail letter case and rejects any case variant as taken with 422 user.email_already_in_use', async () => {
      const primaryEmail = `Mixed.${uniqueName('Case')}@Example.COM`;
      const user = await createUser(sdk, { primaryEmail });
      expect(user.primaryEmail).toBe(primaryEmail);

      expectError(await call('POST', '/api/users', { primaryEmail }), 422, 'user.email_already_in_use');
      expectError(await call('POST', '/api/users', { primaryEmail: primaryEmail.toLowerCase() }), 422, 'user.email_already_in_use');
      expectError(await call('POST', '/api/users', { primaryEmail: primaryEmail.toUpperCase() }), 422, 'user.email_already_in_use');
    });

    it('rejects a taken phone with 422 user.phone_already_in_use', async () => {
      const primaryPhone = uniquePhone();
      await createUser(sdk, { primaryPhone });
      expectError(await call('POST', '/api/users', { primaryPhone }), 422, 'user.phone_already_in_use');
    });

    it('treats a phone with the trunk zero as taken by the same number without it', async () => {
      const national = uniqueNationalMobile();
      await createUser(sdk, { primaryPhone: `61${national}` });
      expectError(await call('POST', '/api/users', { primaryPhone: `610${national}` }), 422, 'user.phone_already_in_use');
    });

    it('treats a phone without the trunk zero as taken by the same number with it', async () => {
      const national = uniqueNationalMobile();
      await createUser(sdk, { primaryPhone: `610${national}` });
      expectError(await call('POST', '/api/users', { primaryPhone: `61${national}` }), 422, 'user.phone_already_in_use');
    });

    it('checks collisions in the order username, e-mail, phone', async () => {
      const taken = await createUser(sdk, { username: uniqueName(), primaryEmail: uniqueEmail(), primaryPhone: uniquePhone() });
      const all = { username: taken.username, primaryEmail: taken.primaryEmail, primaryPhone: taken.primaryPhone };
      expectError(await call('POST', '/api/users', all), 422, 'user.username_already_in_use');
      expectError(
        await call('POST', '/api/users', { primaryEmail: taken.primaryEmail, primaryPhone: taken.primaryPhone }),
        422,
        'user.email_already_in_use',
      );
    });

    it('answers a taken username before an unusable imported digest, and stores neither request', async () => {
      const taken = await createUser(sdk, { username: uniqueName() });
      const badDigest = { passwordDigest: 'not-a-bcrypt-hash', passwordAlgorithm: 'Bcrypt' };
      expectError(await call('POST', '/api/users', { username: taken.username, ...badDigest }), 422, 'user.username_already_in_use');
      const fresh = uniqueName();
      expectInvalidBody(await call('POST', '/api/users', { username: fresh, ...badDigest }), 'passwordDigest');
      const found = await call('GET', `/api/users?search.username=${fresh}&mode.username=exact`);
      expect(found.status).toBe(200);
      expect(found.body).toEqual([]);
      expect(found.headers.get('total-number')).toBe('0');
    });

    it('stores 610412345678 as 61412345678, also on re-fetch', async () => {
      const user = await createUser(sdk, { primaryPhone: '610412345678' });
      expect(user.primaryPhone).toBe('61412345678');
      expect((await getUser(user.id)).body.primaryPhone).toBe('61412345678');
    });

    it('stores 4407911123456 as 447911123456', async () => {
      const user = await createUser(sdk, { primaryPhone: '4407911123456' });
      expect(user.primaryPhone).toBe('447911123456');
    });

    it('stores both spellings of a number in the same normalised form', async () => {
      const withoutZero = uniqueNationalMobile();
      const withZero = uniqueNationalMobile();
      expect((await createUser(sdk, { primaryPhone: `61${withoutZero}` })).primaryPhone).toBe(`61${withoutZero}`);
      expect((await createUser(sdk, { primaryPhone: `610${withZero}` })).primaryPhone).toBe(`61${withZero}`);
    });

    it('rejects an unparseable phone with 422 user.invalid_phone', async () => {
      expectError(await call('POST', '/api/users', { primaryPhone: '12' }), 422, 'user.invalid_phone');
    });

    it('answers a taken username, then an unusable digest, before an unparseable phone (Logto order)', async () => {
      const taken = await createUser(sdk, { username: uniqueName() });
      expectError(await call('POST', '/api/users', { username: taken.username, primaryPhone: '12' }), 422, 'user.username_already_in_use');
      expectError(
        await call('POST', '/api/users', {
          username: uniqueName(),
          primaryPhone: '12',
          passwordDigest: 'not json',
          passwordAlgorithm: 'Legacy',
        }),
        400,
        'password.invalid_legacy_password_format',
        'Invalid legacy password format.',
      );
    });
  });

  describe('password hash visibility', () => {
    it('never shows the hash of a user with a password unless includePasswordHash is set', async () => {
      const username = uniqueName();
      const created = await call<User>('POST', '/api/users', { username, password: 'secret-1' });
      expect(created.status).toBe(200);
      expectNoPasswordHash(created);
      const userId = created.body.id;

      const fetched = await getUser(userId);
      expect(fetched.body.hasPassword).toBe(true);
      expect(fetched.body).not.toHaveProperty('passwordDigest');
      expect(fetched.body).not.toHaveProperty('passwordAlgorithm');
      expectNoPasswordHash(fetched);

      const listed = await call<User[]>('GET', `/api/users?search=${encodeURIComponent(username)}`);
      expect(listed.status).toBe(200);
      expect(listed.body.map((user) => user.id)).toContain(userId);
      for (const user of listed.body) expect(Object.keys(user)).toEqual(USER_KEYS);
      expectNoPasswordHash(listed);

      const patched = await call<User>('PATCH', userPath(userId), { name: 'renamed' });
      expect(patched.status).toBe(200);
      expectNoPasswordHash(patched);

      const passwordSet = await call<User>('PATCH', userPath(userId, '/password'), { password: 'secret-2' });
      expect(passwordSet.status).toBe(200);
      expectNoPasswordHash(passwordSet);

      const suspended = await call<User>('PATCH', userPath(userId, '/is-suspended'), { isSuspended: true });
      expect(suspended.status).toBe(200);
      expectNoPasswordHash(suspended);
    });

    it('does not add the hash to responses of routes that do not support includePasswordHash', async () => {
      const user = await createUser(sdk, { password: 'secret-1' });
      const patched = await call<User>('PATCH', `${userPath(user.id)}?includePasswordHash=true`, { name: 'x' });
      expect(patched.status).toBe(200);
      expectNoPasswordHash(patched);
      const passwordSet = await call<User>('PATCH', `${userPath(user.id, '/password')}?includePasswordHash=true`, { password: 'y' });
      expect(passwordSet.status).toBe(200);
      expectNoPasswordHash(passwordSet);
    });

    it('shows an Argon2i digest and algorithm with includePasswordHash=true', async () => {
      const user = await createUser(sdk, { password: 'secret-1' });
      const fetched = await getUser(user.id, '?includePasswordHash=true');
      expect(Object.keys(fetched.body).slice(0, USER_KEYS.length)).toEqual(USER_KEYS);
      expect(fetched.body.hasPassword).toBe(true);
      expect(fetched.body.passwordAlgorithm).toBe('Argon2i');
      expect(fetched.body.passwordDigest!.startsWith(ARGON2I_PREFIX)).toBe(true);
    });

    it('shows null digest and algorithm for a user without a password', async () => {
      const user = await createUser(sdk, { username: uniqueName() });
      const fetched = await getUser(user.id, '?includePasswordHash=true');
      expect(fetched.body).toMatchObject({ hasPassword: false, passwordDigest: null, passwordAlgorithm: null });
    });

    it.each(['1', 'yes', 'YEAH', 'y'])('treats includePasswordHash=%s as yes', async (flag) => {
      const user = await createUser(sdk, { password: 'secret-1' });
      const fetched = await getUser(user.id, `?includePasswordHash=${flag}`);
      expect(fetched.body.passwordAlgorithm).toBe('Argon2i');
    });

    it.each(['false', '0', 'no', ''])('treats includePasswordHash=%j as no', async (flag) => {
      const user = await createUser(sdk, { password: 'secret-1' });
      const fetched = await getUser(user.id, `?includePasswordHash=${flag}`);
      expect(fetched.body).not.toHaveProperty('passwordDigest');
      expectNoPasswordHash(fetched);
    });

    it('lists digests only with includePasswordHash=true, null for users without a password', async () => {
      const prefix = uniqueName('listhash');
      const withPassword = await createUser(sdk, { username: `${prefix}_a`, password: 'secret-1' });
      const withoutPassword = await createUser(sdk, { username: `${prefix}_b` });
      const search = `search=${encodeURIComponent(`%${prefix}%`)}`;

      const plain = await call<User[]>('GET', `/api/users?${search}`);
      expect(plain.status).toBe(200);
      expect(plain.body).toHaveLength(2);
      for (const user of plain.body) {
        expect(user).not.toHaveProperty('passwordDigest');
        expect(user).not.toHaveProperty('passwordAlgorithm');
      }

      const withHash = await call<User[]>('GET', `/api/users?${search}&includePasswordHash=true`);
      expect(withHash.status).toBe(200);
      expectNoStore(withHash.headers);
      const byId = new Map(withHash.body.map((user) => [user.id, user]));
      expect(byId.get(withPassword.id)?.passwordAlgorithm).toBe('Argon2i');
      expect(byId.get(withPassword.id)?.passwordDigest?.startsWith(ARGON2I_PREFIX)).toBe(true);
      expect(byId.get(withoutPassword.id)).toMatchObject({ passwordDigest: null, passwordAlgorithm: null });
    });
  });

  describe('GET /api/users/:userId', () => {
    it('adds ssoIdentities: [] with includeSsoIdentities=yes and omits it otherwise', async () => {
      const user = await createUser(sdk, { username: uniqueName() });
      const { data, response } = await sdk.GET('/api/users/{userId}', {
        params: { path: { userId: user.id }, query: { includeSsoIdentities: 'yes' } },
      });
      expect(response.status).toBe(200);
      expect(data).toMatchObject({ id: user.id, ssoIdentities: [] });

      expect((await getUser(user.id)).body).not.toHaveProperty('ssoIdentities');
      expect((await getUser(user.id, '?includeSsoIdentities=false')).body).not.toHaveProperty('ssoIdentities');
    });

    it('answers an unknown id with exactly 404 entity.not_found', async () => {
      const response = await call('GET', '/api/users/invalid-user-id');
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ code: 'entity.not_found', message: 'The resource does not exist.' });
      expect(Object.keys(response.body as ErrorBody)).toEqual(['code', 'message']);
    });

    it('sends Cache-Control: no-store', async () => {
      const user = await createUser(sdk, {});
      expectNoStore((await getUser(user.id)).headers);
    });
  });

  describe('PATCH /api/users/:userId', () => {
    it('updates every field and returns the whole user with a later updatedAt', async () => {
      const user = await createUser(sdk, { username: uniqueName() });
      const changes = {
        username: uniqueName(),
        primaryEmail: uniqueEmail(),
        primaryPhone: uniquePhone(),
        name: 'Updated Name',
        avatar: 'https://example.com/new.png',
        customData: { plan: 'pro', seats: 3 },
        profile: { givenName: 'Ada', address: { country: 'UK' } },
      };
      const { data, response } = await sdk.PATCH('/api/users/{userId}', { params: { path: { userId: user.id } }, body: changes });
      expect(response.status).toBe(200);
      expectNoStore(response.headers);
      const updated = data as unknown as User;
      expect(Object.keys(updated)).toEqual(USER_KEYS);
      expect(updated).toEqual({ ...user, ...changes, updatedAt: expect.any(Number) });
      expect(updated.updatedAt).toBeGreaterThan(user.updatedAt);
      expect(updated.createdAt).toBe(user.createdAt);
      expect((await getUser(user.id)).body).toEqual(updated);
    });

    it('increases updatedAt strictly on each update, even back to back', async () => {
      const user = await createUser(sdk, {});
      const first = await call<User>('PATCH', userPath(user.id), { name: 'one' });
      const second = await call<User>('PATCH', userPath(user.id), { name: 'two' });
      expect(first.body.updatedAt).toBeGreaterThan(user.updatedAt);
      expect(second.body.updatedAt).toBeGreaterThan(first.body.updatedAt);
    });

    it.each<[string, unknown]>([
      ['customData', null],
      ['profile', null],
      ['profile.nickname', null],
    ])('rejects %s = %j with 400 guard.invalid_input and leaves the user unchanged', async (keyPath, value) => {
      const user = await createUser(sdk, { customData: { kept: true }, profile: { nickname: 'nick' } });
      const [field = '', nested] = keyPath.split('.');
      const body = { [field]: nested ? { [nested]: value } : value };
      expectInvalidBody(await call('PATCH', userPath(user.id), body), keyPath);
      expect((await getUser(user.id)).body).toEqual(user);
    });

    it.each(['', null])('clears username, email, phone, name and avatar with %j', async (cleared) => {
      const user = await createUser(sdk, {
        username: uniqueName(),
        primaryEmail: uniqueEmail(),
        primaryPhone: uniquePhone(),
        name: 'Name',
        avatar: 'https://example.com/a.png',
      });
      const response = await call<User>('PATCH', userPath(user.id), {
        username: cleared,
        primaryEmail: cleared,
        primaryPhone: cleared,
        name: cleared,
        avatar: cleared,
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ username: null, primaryEmail: null, primaryPhone: null, name: null, avatar: null });
      expect((await getUser(user.id)).body).toMatchObject({
        username: null,
        primaryEmail: null,
        primaryPhone: null,
        name: null,
        avatar: null,
      });
    });

    it('replaces customData and profile as a whole', async () => {
      const user = await createUser(sdk, {
        customData: { a: 1, b: { c: 2 } },
        profile: { gender: 'neutral', address: { formatted: '1 Main St' } },
      });
      const response = await call<User>('PATCH', userPath(user.id), { customData: { d: 4 }, profile: { nickname: 'nick' } });
      expect(response.status).toBe(200);
      expect(response.body.customData).toEqual({ d: 4 });
      expect(response.body.profile).toEqual({ nickname: 'nick' });
    });

    it('normalises a phone number with the trunk zero', async () => {
      const user = await createUser(sdk, {});
      const national = uniqueNationalMobile();
      const response = await call<User>('PATCH', userPath(user.id), { primaryPhone: `610${national}` });
      expect(response.status).toBe(200);
      expect(response.body.primaryPhone).toBe(`61${national}`);
    });

    it('answers an empty body with 422 entity.invalid_input', async () => {
      const user = await createUser(sdk, {});
      expectError(await call('PATCH', userPath(user.id), {}), 422, 'entity.invalid_input');
    });

    it('answers a body of only unknown keys with 422 entity.invalid_input', async () => {
      const user = await createUser(sdk, {});
      expectError(await call('PATCH', userPath(user.id), { foo: 'bar', nickname: 'x' }), 422, 'entity.invalid_input');
    });

    it('ignores protected fields and treats a body of only those as empty', async () => {
      const user = await createUser(sdk, { username: uniqueName() });
      const protectedFields = {
        id: 'zzzzzzzzzzzz',
        createdAt: 1,
        updatedAt: 1,
        isSuspended: true,
        passwordDigest: MD5_OF_PASSWORD,
        passwordAlgorithm: 'MD5',
        hasPassword: true,
      };
      expectError(await call('PATCH', userPath(user.id), protectedFields), 422, 'entity.invalid_input');

      const response = await call<User>('PATCH', userPath(user.id), { ...protectedFields, name: 'only this' });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: user.id,
        createdAt: user.createdAt,
        name: 'only this',
        isSuspended: false,
        hasPassword: false,
      });
      expect((await getUser(user.id, '?includePasswordHash=1')).body).toMatchObject({
        isSuspended: false,
        hasPassword: false,
        passwordDigest: null,
        passwordAlgorithm: null,
      });
      expectError(await call('GET', userPath('zzzzzzzzzzzz')), 404, 'entity.not_found');
    });

    it('answers an unknown user with 404 entity.not_found', async () => {
      expectError(await call('PATCH', userPath('unknown-user'), { name: 'x' }), 404, 'entity.not_found');
    });

    it.each<[string, unknown]>([
      ['username', '9lives'],
      ['primaryEmail', 'nope'],
      ['primaryPhone', '+447911123456'],
      ['avatar', 'not a url'],
      ['name', 5],
    ])('rejects an invalid %s %j with 400 guard.invalid_input', async (field, value) => {
      const user = await createUser(sdk, {});
      expectInvalidBody(await call('PATCH', userPath(user.id), { [field]: value }), field);
    });

    it('rejects customData that is not an object and a non-string profile value with 400', async () => {
      const user = await createUser(sdk, {});
      expectInvalidBody(await call('PATCH', userPath(user.id), { customData: ['x'] }), 'customData');
      expectInvalidBody(await call('PATCH', userPath(user.id), { profile: { nickname: 1 } }), 'profile.nickname');
    });

    it('rejects an unparseable phone with 422 user.invalid_phone', async () => {
      const user = await createUser(sdk, {});
      expectError(await call('PATCH', userPath(user.id), { primaryPhone: '12' }), 422, 'user.invalid_phone');
    });

    it('rejects a 129-character name with 422 entity.value_too_long', async () => {
      const user = await createUser(sdk, {});
      expectError(await call('PATCH', userPath(user.id), { name: 'n'.repeat(129) }), 422, 'entity.value_too_long');
    });

    describe('collisions with another user', () => {
      let owner: User;
      let other: User;
      let ownerNational: string;

      beforeEach(async () => {
        ownerNational = uniqueNationalMobile();
        owner = await createUser(sdk, { username: uniqueName(), primaryEmail: uniqueEmail(), primaryPhone: `61${ownerNational}` });
        other = await createUser(sdk, { username: uniqueName(), primaryEmail: uniqueEmail(), primaryPhone: uniquePhone() });
      });

      it('rejects a taken e-mail, in any letter case, with 422 user.email_already_in_use', async () => {
        expectError(await call('PATCH', userPath(other.id), { primaryEmail: owner.primaryEmail }), 422, 'user.email_already_in_use');
        expectError(
          await call('PATCH', userPath(other.id), { primaryEmail: owner.primaryEmail!.toUpperCase() }),
          422,
          'user.email_already_in_use',
        );
      });

      it('rejects a taken phone in either trunk-zero spelling with 422 user.phone_already_in_use', async () => {
        expectError(await call('PATCH', userPath(other.id), { primaryPhone: `61${ownerNational}` }), 422, 'user.phone_already_in_use');
        expectError(await call('PATCH', userPath(other.id), { primaryPhone: `610${ownerNational}` }), 422, 'user.phone_already_in_use');
      });

      it('rejects a taken username with 422 user.username_already_in_use', async () => {
        expectError(await call('PATCH', userPath(other.id), { username: owner.username }), 422, 'user.username_already_in_use');
      });

      it('checks e-mail first, then phone, then username, and changes nothing on failure', async () => {
        const all = { username: owner.username, primaryEmail: owner.primaryEmail, primaryPhone: owner.primaryPhone, name: 'changed' };
        expectError(await call('PATCH', userPath(other.id), all), 422, 'user.email_already_in_use');
        expectError(
          await call('PATCH', userPath(other.id), { username: owner.username, primaryPhone: owner.primaryPhone }),
          422,
          'user.phone_already_in_use',
        );
        expect((await getUser(other.id)).body).toEqual(other);
      });

      it("accepts a user's own current values and the other spelling of its own phone", async () => {
        const same = await call<User>('PATCH', userPath(owner.id), {
          username: owner.username,
          primaryEmail: owner.primaryEmail,
          primaryPhone: owner.primaryPhone,
        });
        expect(same.status).toBe(200);
        expect(same.body).toMatchObject({ username: owner.username, primaryEmail: owner.primaryEmail, primaryPhone: owner.primaryPhone });

        const otherSpelling = await call<User>('PATCH', userPath(owner.id), { primaryPhone: `610${ownerNational}` });
        expect(otherSpelling.status).toBe(200);
        expect(otherSpelling.body.primaryPhone).toBe(`61${ownerNational}`);

        const emailCase = await call<User>('PATCH', userPath(owner.id), { primaryEmail: owner.primaryEmail!.toUpperCase() });
        expect(emailCase.status).toBe(200);
        expect(emailCase.body.primaryEmail).toBe(owner.primaryEmail!.toUpperCase());
      });
    });
  });

  describe('PATCH /api/users/:userId/password', () => {
    it('sets a password and returns the user with hasPassword true and a later updatedAt', async () => {
      const user = await createUser(sdk, { username: uniqueName() });
      expect(user.hasPassword).toBe(false);
      const { data, response } = await sdk.PATCH('/api/users/{userId}/password', {
        params: { path: { userId: user.id } },
        body: { password: 'new-secret' },
      });
      expect(response.status).toBe(200);
      expectNoStore(response.headers);
      const updated = data as unknown as User;
      expect(Object.keys(updated)).toEqual(USER_KEYS);
      expect(updated).toEqual({ ...user, hasPassword: true, updatedAt: expect.any(Number) });
      expect(updated.updatedAt).toBeGreaterThan(user.updatedAt);
    });

    it('replaces an existing hash with a fresh Argon2i one, without any password policy', async () => {
      const user = await createUser(sdk, { passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      const response = await call<User>('PATCH', userPath(user.id, '/password'), { password: 'abc' });
      expect(response.status).toBe(200);
      const fetched = await getUser(user.id, '?includePasswordHash=true');
      expect(fetched.body.passwordAlgorithm).toBe('Argon2i');
      expect(fetched.body.passwordDigest!.startsWith(ARGON2I_PREFIX)).toBe(true);
    });

    it('rejects an empty or missing password with 400 guard.invalid_input', async () => {
      const user = await createUser(sdk, {});
      expectInvalidBody(await call('PATCH', userPath(user.id, '/password'), { password: '' }), 'password');
      expectInvalidBody(await call('PATCH', userPath(user.id, '/password'), {}), 'password');
      expect((await getUser(user.id)).body.hasPassword).toBe(false);
    });

    it('answers an unknown user with 404 entity.not_found', async () => {
      expectError(await call('PATCH', userPath('unknown-user', '/password'), { password: 'x' }), 404, 'entity.not_found');
    });
  });

  describe('PATCH /api/users/:userId/is-suspended', () => {
    it('suspends and reinstates a user', async () => {
      const user = await createUser(sdk, { username: uniqueName() });
      const suspended = await sdk.PATCH('/api/users/{userId}/is-suspended', {
        params: { path: { userId: user.id } },
        body: { isSuspended: true },
      });
      expect(suspended.response.status).toBe(200);
      expectNoStore(suspended.response.headers);
      expect(Object.keys(suspended.data as object)).toEqual(USER_KEYS);
      expect(suspended.data).toEqual({ ...user, isSuspended: true, updatedAt: expect.any(Number) });
      expect((suspended.data as User).updatedAt).toBeGreaterThanOrEqual(user.updatedAt);
      expect((await getUser(user.id)).body.isSuspended).toBe(true);

      const reinstated = await sdk.PATCH('/api/users/{userId}/is-suspended', {
        params: { path: { userId: user.id } },
        body: { isSuspended: false },
      });
      expect(reinstated.response.status).toBe(200);
      expect(reinstated.data).toMatchObject({ id: user.id, isSuspended: false });
      expect((await getUser(user.id)).body.isSuspended).toBe(false);
    });

    it.each([{}, { isSuspended: 'true' }, { isSuspended: 1 }, { isSuspended: null }])(
      'rejects %j with 400 guard.invalid_input',
      async (body) => {
        const user = await createUser(sdk, {});
        expectInvalidBody(await call('PATCH', userPath(user.id, '/is-suspended'), body), 'isSuspended');
      },
    );

    it('answers an unknown user with 404 entity.not_found', async () => {
      expectError(await call('PATCH', userPath('unknown-user', '/is-suspended'), { isSuspended: true }), 404, 'entity.not_found');
    });
  });

  describe('DELETE /api/users/:userId', () => {
    it('answers 204 with an empty body, after which the user is gone', async () => {
      const username = uniqueName();
      const user = await createUser(sdk, { username, password: 'secret' });
      const response = await call('DELETE', userPath(user.id));
      expect(response.status).toBe(204);
      expect(response.text).toBe('');

      expectError(await call('GET', userPath(user.id)), 404, 'entity.not_found');
      expectError(await call('DELETE', userPath(user.id)), 404, 'entity.not_found');
      expectError(await call('GET', userPath(user.id, '/has-password')), 404, 'entity.not_found');
    });

    it('works through the SDK and frees the username for a new user', async () => {
      const username = uniqueName();
      const user = await createUser(sdk, { username });
      const { response } = await sdk.DELETE('/api/users/{userId}', { params: { path: { userId: user.id } } });
      expect(response.status).toBe(204);
      const again = await createUser(sdk, { username });
      expect(again.id).not.toBe(user.id);
    });

    it('answers an unknown user with 404 entity.not_found', async () => {
      expectError(await call('DELETE', userPath('unknown-user')), 404, 'entity.not_found');
    });
  });

  describe('custom data', () => {
    it('GET returns the customData object', async () => {
      const user = await createUser(sdk, { customData: { plan: 'free', limits: { seats: 1 } } });
      const { data, response } = await sdk.GET('/api/users/{userId}/custom-data', { params: { path: { userId: user.id } } });
      expect(response.status).toBe(200);
      expectNoStore(response.headers);
      expect(data).toEqual({ plan: 'free', limits: { seats: 1 } });
    });

    it('PATCH merges top-level keys shallowly, stores null values and returns the whole object', async () => {
      const user = await createUser(sdk, { customData: { keep: 1, overwrite: 'old', nested: { x: 1, y: 2 } } });
      const { data, response } = await sdk.PATCH('/api/users/{userId}/custom-data', {
        params: { path: { userId: user.id } },
        body: { customData: { overwrite: 'new', nested: { z: 3 }, cleared: null, added: [1, 2] } },
      });
      expect(response.status).toBe(200);
      expectNoStore(response.headers);
      const merged = { keep: 1, overwrite: 'new', nested: { z: 3 }, cleared: null, added: [1, 2] };
      expect(data).toEqual(merged);
      expect((await getUser(user.id)).body.customData).toEqual(merged);

      const nulled = await call('PATCH', userPath(user.id, '/custom-data'), { customData: { keep: null } });
      expect(nulled.status).toBe(200);
      expect(nulled.body).toEqual({ ...merged, keep: null });
    });

    it('PATCH rejects a body without an object customData with 400 guard.invalid_input', async () => {
      const user = await createUser(sdk, {});
      expectInvalidBody(await call('PATCH', userPath(user.id, '/custom-data'), {}), 'customData');
      expectInvalidBody(await call('PATCH', userPath(user.id, '/custom-data'), { customData: [1] }), 'customData');
      expectInvalidBody(await call('PATCH', userPath(user.id, '/custom-data'), { customData: null }), 'customData');
    });

    it('answers an unknown user with 404 entity.not_found on GET and PATCH', async () => {
      expectError(await call('GET', userPath('unknown-user', '/custom-data')), 404, 'entity.not_found');
      expectError(await call('PATCH', userPath('unknown-user', '/custom-data'), { customData: { a: 1 } }), 404, 'entity.not_found');
    });
  });

  describe('PATCH /api/users/:userId/profile', () => {
    it('merges shallowly: later patches keep the earlier address, a new address replaces it whole', async () => {
      const user = await createUser(sdk, {});
      const patchProfile = (profile: Profile) =>
        sdk.PATCH('/api/users/{userId}/profile', { params: { path: { userId: user.id } }, body: { profile } });

      const first = await patchProfile({ address: { formatted: '1 Main St', country: 'AU' } });
      expect(first.response.status).toBe(200);
      expectNoStore(first.response.headers);
      expect(first.data).toEqual({ address: { formatted: '1 Main St', country: 'AU' } });

      const second = await patchProfile({ familyName: 'Doe', website: 'https://doe.example' });
      expect(second.response.status).toBe(200);
      expect(second.data).toEqual({
        familyName: 'Doe',
        website: 'https://doe.example',
        address: { formatted: '1 Main St', country: 'AU' },
      });

      const third = await patchProfile({ address: { locality: 'Sydney' } });
      expect(third.data).toEqual({ familyName: 'Doe', website: 'https://doe.example', address: { locality: 'Sydney' } });
      expect((await getUser(user.id)).body.profile).toEqual(third.data);
    });

    it('drops unknown profile keys', async () => {
      const user = await createUser(sdk, {});
      const response = await call('PATCH', userPath(user.id, '/profile'), { profile: { nickname: 'n', shoeSize: '44' } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ nickname: 'n' });
    });

    it('rejects a non-string value or a missing profile with 400 guard.invalid_input', async () => {
      const user = await createUser(sdk, {});
      expectInvalidBody(await call('PATCH', userPath(user.id, '/profile'), { profile: { gender: 1 } }), 'profile.gender');
      expectInvalidBody(await call('PATCH', userPath(user.id, '/profile'), {}), 'profile');
    });

    it('answers an unknown user with 404 entity.not_found', async () => {
      expectError(await call('PATCH', userPath('unknown-user', '/profile'), { profile: { nickname: 'n' } }), 404, 'entity.not_found');
    });
  });

  describe('GET /api/users/:userId/has-password', () => {
    it('tells whether the user has a password', async () => {
      const user = await createUser(sdk, {});
      const before = await sdk.GET('/api/users/{userId}/has-password', { params: { path: { userId: user.id } } });
      expect(before.response.status).toBe(200);
      expectNoStore(before.response.headers);
      expect(before.data).toEqual({ hasPassword: false });

      await call('PATCH', userPath(user.id, '/password'), { password: 'secret' });
      const after = await call('GET', userPath(user.id, '/has-password'));
      expect(after.body).toEqual({ hasPassword: true });
    });

    it('answers true for an imported digest', async () => {
      const user = await createUser(sdk, { passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      expect((await call('GET', userPath(user.id, '/has-password'))).body).toEqual({ hasPassword: true });
    });

    it('answers an unknown user with 404 entity.not_found', async () => {
      expectError(await call('GET', userPath('unknown-user', '/has-password')), 404, 'entity.not_found');
    });
  });

  describe('Cache-Control', () => {
    it('sends no-store on every user route, errors included', async () => {
      const user = await createUser(sdk, { password: 'secret' });
      const responses = [
        await call('GET', '/api/users'),
        await call('GET', userPath(user.id)),
        await call('PATCH', userPath(user.id), { name: 'cached?' }),
        await call('PATCH', userPath(user.id, '/password'), { password: 'other' }),
        await call('PATCH', userPath(user.id, '/is-suspended'), { isSuspended: false }),
        await call('GET', userPath(user.id, '/custom-data')),
        await call('PATCH', userPath(user.id, '/custom-data'), { customData: { a: 1 } }),
        await call('PATCH', userPath(user.id, '/profile'), { profile: { nickname: 'n' } }),
        await call('GET', userPath(user.id, '/has-password')),
        await call('GET', userPath('unknown-user')),
        await call('DELETE', userPath(user.id)),
      ];
      for (const response of responses) expectNoStore(response.headers);
    });
  });
});
