import { request, type RawResponse } from './support/clients.js';
import { expectError } from './support/expect-errors.js';
import { createUser, type CreateUserBody } from './support/factories.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import type { User } from './support/wire.js';

let sequence = 0;
/**
 * A fresh lower-case username; its upper-case form is its case variant. The number sits between
 * letters, so `%abc3policy%` cannot match `abc13policy`.
 */
function uniqueLowerName(): string {
  sequence += 1;
  return `abc${sequence}policy`;
}

/** One server per policy; the helpers below talk to whichever server the suite started. */
function useServer(env: Record<string, string>) {
  let server: TestServer | undefined;

  beforeAll(async () => {
    server = await startTestServer(env);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const baseUrl = (): string => {
    if (!server) throw new Error('test server not started');
    return server.baseUrl;
  };

  return {
    call: <Body = unknown>(method: string, path: string, json?: unknown): Promise<RawResponse<Body>> =>
      request<Body>(baseUrl(), method, path, json === undefined ? {} : { json }),
    createUser: (body: CreateUserBody): Promise<User> => createUser({ baseUrl: baseUrl() }, body),
  };
}

describe.each([
  ['by default', {}],
  ['with USERNAME_CASE_SENSITIVE=true', { USERNAME_CASE_SENSITIVE: 'true' }],
])('case-sensitive usernames (%s)', (_label, env: Record<string, string>) => {
  const { call, createUser } = useServer(env);

  it('lets case variants coexist but rejects an exact duplicate with 422 user.username_already_in_use', async () => {
    const lower = uniqueLowerName();
    const upper = lower.toUpperCase();
    expect((await createUser({ username: lower })).username).toBe(lower);
    expect((await createUser({ username: upper })).username).toBe(upper);
    expectError(await call('POST', '/api/users', { username: upper }), 422, 'user.username_already_in_use');
    expectError(await call('POST', '/api/users', { username: lower }), 422, 'user.username_already_in_use');
  });

  it('finds both case variants with a case-insensitive search, newest first', async () => {
    const lower = uniqueLowerName();
    const older = await createUser({ username: lower });
    // The password is hashed before the insert, so the second user is created strictly later.
    const newer = await createUser({ username: lower.toUpperCase(), password: 'secret' });
    const response = await call<User[]>('GET', `/api/users?search=${encodeURIComponent(`%${lower}%`)}`);
    expect(response.status).toBe(200);
    expect(response.body.map((user) => user.id)).toEqual([newer.id, older.id]);
  });

  it('lets another user be renamed to a case variant of an existing username', async () => {
    const lower = uniqueLowerName();
    await createUser({ username: lower });
    const other = await createUser({ username: `${lower}_other` });
    const response = await call<User>('PATCH', `/api/users/${other.id}`, { username: lower.toUpperCase() });
    expect(response.status).toBe(200);
    expect(response.body.username).toBe(lower.toUpperCase());
  });

  it('rejects renaming another user to the exact existing username', async () => {
    const lower = uniqueLowerName();
    await createUser({ username: lower });
    const other = await createUser({ username: `${lower}_other` });
    expectError(await call('PATCH', `/api/users/${other.id}`, { username: lower }), 422, 'user.username_already_in_use');
  });

  it('applies no username length policy on admin create', async () => {
    sequence += 1;
    const short = `q${sequence}`;
    expect((await createUser({ username: short })).username).toBe(short);
  });
});

describe('case-insensitive usernames (USERNAME_CASE_SENSITIVE=false)', () => {
  const { call, createUser } = useServer({ USERNAME_CASE_SENSITIVE: 'false' });

  it('keeps the letter case as given', async () => {
    const mixed = `MiXeD_${uniqueLowerName()}`;
    expect((await createUser({ username: mixed })).username).toBe(mixed);
  });

  it('rejects creating a case variant of an existing username with 422 user.username_already_in_use', async () => {
    const lower = uniqueLowerName();
    await createUser({ username: lower });
    expectError(await call('POST', '/api/users', { username: lower.toUpperCase() }), 422, 'user.username_already_in_use');
    expectError(await call('POST', '/api/users', { username: lower }), 422, 'user.username_already_in_use');
  });

  it('rejects renaming another user to a case variant with 422 user.username_already_in_use', async () => {
    const lower = uniqueLowerName();
    await createUser({ username: lower });
    const other = await createUser({ username: `${lower}_other` });
    expectError(await call('PATCH', `/api/users/${other.id}`, { username: lower.toUpperCase() }), 422, 'user.username_already_in_use');
    const unchanged = await call<User>('GET', `/api/users/${other.id}`);
    expect(unchanged.body.username).toBe(`${lower}_other`);
  });

  it('lets a user change the letter case of its own username', async () => {
    const lower = uniqueLowerName();
    const user = await createUser({ username: lower });
    const response = await call<User>('PATCH', `/api/users/${user.id}`, { username: lower.toUpperCase() });
    expect(response.status).toBe(200);
    expect(response.body.username).toBe(lower.toUpperCase());
  });
});
