import { fetchAccessToken } from './support/auth.js';
import { createApplication } from './support/cli.js';
import { request, type RawResponse, type Sdk, sdkFor } from './support/clients.js';
import { expectAuthError, expectError, expectErrorCode, expectInvalidBody } from './support/expect-errors.js';
import { createUser, uniqueLetters, uniqueName } from './support/factories.js';
import { linkPages } from './support/links.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, MANAGEMENT_API, type Scope, SCOPE_KEYS, type User } from './support/wire.js';

/** A role as the API answers it, keys in Logto's order. */
interface Role {
  tenantId: string;
  id: string;
  name: string;
  description: string;
  type: 'User' | 'MachineToMachine';
  isDefault: boolean;
}

interface RoleListItem extends Role {
  usersCount: number;
  featuredUsers: { id: string; avatar: string | null; name: string | null }[];
  applicationsCount: number;
  featuredApplications: unknown[];
}

interface LogEntry {
  key: string;
  payload: { userId?: string; params?: Record<string, unknown> };
}

const ROLE_KEYS = ['tenantId', 'id', 'name', 'description', 'type', 'isDefault'];
const LIST_ITEM_KEYS = [...ROLE_KEYS, 'usersCount', 'featuredUsers', 'applicationsCount', 'featuredApplications'];
const ACCESS_ROLE_ID = 'management-api-access';
const CONCURRENT = 50;

const roleNotFound = (id: string): string => `The roles with ID \`${id}\` does not exist.`;

describe('roles (/api/roles, /api/roles/:id/users, /api/users/:userId/roles, /api/roles/:id/scopes)', () => {
  let server: TestServer;
  let sdk: Sdk;

  beforeAll(async () => {
    server = await startTestServer();
    sdk = sdkFor(server.baseUrl);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const raw = <Body = unknown>(
    method: string,
    path: string,
    json?: unknown,
    headers?: Record<string, string>,
  ): Promise<RawResponse<Body>> => request<Body>(server.baseUrl, method, path, { json, headers });

  async function createRole(fields: Partial<Omit<Role, 'tenantId' | 'id'>> & { scopeIds?: string[] } = {}): Promise<Role> {
    const { data, response } = await sdk.POST('/api/roles', {
      body: { name: uniqueName('role'), description: 'A role made by a test.', ...fields },
    });
    expect(response.status).toBe(200);
    return data as unknown as Role;
  }

  async function rolesOf(userId: string): Promise<string[]> {
    const { data, response } = await sdk.GET('/api/users/{userId}/roles', { params: { path: { userId }, query: { page_size: 100 } } });
    expect(response.status).toBe(200);
    return (data as unknown as Role[]).map(({ id }) => id);
  }

  async function holdersOf(roleId: string): Promise<string[]> {
    const { data, response } = await sdk.GET('/api/roles/{id}/users', { params: { path: { id: roleId }, query: { page_size: 100 } } });
    expect(response.status).toBe(200);
    return (data as unknown as User[]).map(({ id }) => id);
  }

  async function auditRows(key: string, userId?: string): Promise<LogEntry[]> {
    const query = new URLSearchParams({ logKey: key, page_size: '100', ...(userId ? { userId } : {}) });
    const response = await raw<LogEntry[]>('GET', `/api/logs?${query.toString()}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  describe('seeded Management API data', () => {
    it('has the "Logto Management API access" role, found as Logto tests find it, carrying the `all` scope', async () => {
      const { data, response } = await sdk.GET('/api/roles', {
        params: { query: { type: 'MachineToMachine', search: '%Logto Management API access%' } },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('total-number')).toBe('1');
      expect(data).toEqual([
        {
          tenantId: 'default',
          id: ACCESS_ROLE_ID,
          name: 'Logto Management API access',
          description: 'This default role grants access to the Logto management API.',
          type: 'MachineToMachine',
          isDefault: false,
          usersCount: 0,
          featuredUsers: [],
          applicationsCount: 0,
          featuredApplications: [],
        },
      ]);
      expect(Object.keys((data as unknown as RoleListItem[])[0] ?? {})).toEqual(LIST_ITEM_KEYS);

      const scopes = await sdk.GET('/api/roles/{id}/scopes', { params: { path: { id: ACCESS_ROLE_ID } } });
      expect(scopes.response.status).toBe(200);
      expect(scopes.response.headers.get('total-number')).toBeNull();
      expect(scopes.data).toEqual([
        {
          tenantId: 'default',
          id: 'management-api-all',
          resourceId: 'management-api',
          name: 'all',
          description: 'Default scope for Management API, allows all permissions.',
          createdAt: expect.any(Number),
          resource: MANAGEMENT_API,
        },
      ]);
      expect(Object.keys(scopes.data?.[0] ?? {})).toEqual([...SCOPE_KEYS, 'resource']);
    });
  });

  describe('POST /api/roles', () => {
    it('answers 200 with the role, keys in Logto order, and a second create of the name is 422 role.name_in_use', async () => {
      const name = uniqueName('Admin');
      const role = await createRole({ name });
      expect(role).toEqual({
        tenantId: 'default',
        id: expect.stringMatching(/^[0-9a-z]{21}$/),
        name,
        description: 'A role made by a test.',
        type: 'User',
        isDefault: false,
      });
      expect(Object.keys(role)).toEqual(ROLE_KEYS);

      const again = await raw('POST', '/api/roles', { name, description: 'again' });
      expectError(again, 422, 'role.name_in_use', `This role name ${name} is already in use`);
      // Names are case-sensitive, as in Logto.
      expect((await raw<Role>('POST', '/api/roles', { name: name.toLowerCase(), description: 'lower' })).status).toBe(200);
    });

    it('creates a machine-to-machine default role with scopes, and `scopeIds: []` gives a role with none', async () => {
      const role = await createRole({
        type: 'MachineToMachine',
        isDefault: true,
        scopeIds: ['management-api-all', 'mapi-roles-read', 'management-api-all'],
      });
      expect(role).toMatchObject({ type: 'MachineToMachine', isDefault: true });
      const { data } = await sdk.GET('/api/roles/{id}/scopes', { params: { path: { id: role.id } } });
      expect((data as unknown as Scope[]).map(({ id }) => id)).toEqual(['management-api-all', 'mapi-roles-read']);

      const bare = await createRole({ scopeIds: [] });
      expect((await sdk.GET('/api/roles/{id}/scopes', { params: { path: { id: bare.id } } })).data).toEqual([]);
    });

    it('refuses a Management API scope on a User role (400) or an unknown scope (404), leaving no role behind', async () => {
      const name = uniqueName('half');
      const management = await raw('POST', '/api/roles', { name, description: 'd', scopeIds: ['management-api-all'] });
      expectError(management, 400, 'role.management_api_scopes_not_assignable_to_user_role');
      const unknown = await raw('POST', '/api/roles', { name, description: 'd', scopeIds: ['nope'] });
      expectError(unknown, 404, 'entity.not_exists_with_id', 'The scopes with ID `nope` does not exist.');
      const found = await raw<Role[]>('GET', `/api/roles?search.name=${name}&mode.name=exact`);
      expect({ status: found.status, body: found.body, total: found.headers.get('total-number') }).toEqual({
        status: 200,
        body: [],
        total: '0',
      });
      // The name is free: nothing was left half-made.
      expect((await createRole({ name })).name).toBe(name);
    });

    it.each([
      [{ description: 'd' }, 'name'],
      [{ name: 'n' }, 'description'],
      [{ name: '', description: 'd' }, 'name'],
      [{ name: 'x'.repeat(129), description: 'd' }, 'name'],
      [{ name: 'n', description: 'x'.repeat(129) }, 'description'],
      [{ name: 'n', description: 'd', type: 'Admin' }, 'type'],
      [{ name: 'n', description: 'd', isDefault: 'yes' }, 'isDefault'],
      [{ name: 'n', description: 'd', scopeIds: [''] }, 'scopeIds'],
      [{ name: 'n', description: 'd', tenantId: 'other' }, 'tenantId'],
    ])('400 guard.invalid_input for %j', async (body, keyPath) => {
      expectInvalidBody(await raw('POST', '/api/roles', body), keyPath);
    });

    it('50 concurrent creates of one name: exactly one 200, 49 × 422 role.name_in_use, never a 500', async () => {
      const name = uniqueName('race');
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, () => raw<Role | ErrorBody>('POST', '/api/roles', { name, description: 'd' })),
      );
      const outcomes = answers.map((answer) => (answer.status === 200 ? '200' : `${answer.status} ${(answer.body as ErrorBody).code}`));
      expect(outcomes.filter((outcome) => outcome === '200')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === '422 role.name_in_use')).toHaveLength(CONCURRENT - 1);
      expect((await auditRows('ManagementApi.Role.Create')).filter((row) => row.payload.params?.name === name)).toHaveLength(1);
    });
  });

  describe('GET, PATCH, DELETE /api/roles/:id', () => {
    it('404 entity.not_exists_with_id for an unknown role on each', async () => {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        expectError(
          await raw(method, '/api/roles/non_existent_role', method === 'PATCH' ? { name: 'x' } : undefined),
          404,
          'entity.not_exists_with_id',
          roleNotFound('non_existent_role'),
        );
      }
    });

    it('updates name, description and isDefault; keeps its own name; refuses another role’s name; {} changes nothing', async () => {
      const role = await createRole();
      const other = await createRole();
      const name = uniqueName('renamed');
      const { data, response } = await sdk.PATCH('/api/roles/{id}', {
        params: { path: { id: role.id } },
        body: { name, description: 'new', isDefault: true },
      });
      expect(response.status).toBe(200);
      const updated = { ...role, name, description: 'new', isDefault: true };
      expect(data).toEqual(updated);
      expect((await sdk.GET('/api/roles/{id}', { params: { path: { id: role.id } } })).data).toEqual(updated);
      expect((await raw('PATCH', `/api/roles/${role.id}`, { name })).body).toEqual(updated);
      expectError(
        await raw('PATCH', `/api/roles/${role.id}`, { name: other.name }),
        422,
        'role.name_in_use',
        `This role name ${other.name} is already in use`,
      );
      const unchanged = await raw('PATCH', `/api/roles/${role.id}`, { type: 'MachineToMachine' });
      expect({ status: unchanged.status, body: unchanged.body }).toEqual({ status: 200, body: updated });
      expectInvalidBody(await raw('PATCH', `/api/roles/${role.id}`, { name: '' }), 'name');
      // Off again, so that users created by later tests do not get this role.
      expect((await raw('PATCH', `/api/roles/${role.id}`, { isDefault: false })).status).toBe(200);
      // The empty update changed nothing and wrote no row.
      expect((await auditRows('ManagementApi.Role.Update')).filter((row) => row.payload.params?.id === role.id)).toHaveLength(3);
    });

    it('DELETE answers 204, the role is gone, and its holders no longer hold it', async () => {
      const role = await createRole();
      const user = await createUser(server);
      expect(
        (await sdk.POST('/api/users/{userId}/roles', { params: { path: { userId: user.id } }, body: { roleIds: [role.id] } })).response
          .status,
      ).toBe(201);
      const deleted = await raw('DELETE', `/api/roles/${role.id}`);
      expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: '' });
      expectError(await raw('GET', `/api/roles/${role.id}`), 404, 'entity.not_exists_with_id', roleNotFound(role.id));
      expect(await rolesOf(user.id)).toEqual([]);
      expect((await auditRows('ManagementApi.Role.Delete')).map((row) => row.payload.params?.id)).toContain(role.id);
    });
  });

  describe('GET /api/roles', () => {
    it('pages in creation order with Logto’s headers; no role is repeated or missed across pages', async () => {
      const tag = uniqueLetters();
      const made: Role[] = [];
      for (let index = 0; index < 5; index += 1) made.push(await createRole({ name: `${tag}_${index}` }));
      const pages: string[] = [];
      for (const page of [1, 2, 3]) {
        const response = await raw<RoleListItem[]>('GET', `/api/roles?search=%25${tag}%25&page=${page}&page_size=2`);
        expect(response.status).toBe(200);
        expect(response.headers.get('total-number')).toBe('5');
        expect(linkPages(response.headers.get('link'))).toEqual({
          first: 1,
          ...(page > 1 ? { prev: page - 1 } : {}),
          ...(page < 3 ? { next: page + 1 } : {}),
          last: 3,
        });
        pages.push(...response.body.map(({ id }) => id));
      }
      expect(pages).toEqual(made.map(({ id }) => id));
    });

    it('counts holders, features the three most recently assigned first, and excludeUserId leaves out that user’s roles', async () => {
      const role = await createRole();
      const kept = await createRole({ name: `${uniqueName('kept')}` });
      const users: User[] = [];
      for (let index = 0; index < 4; index += 1) users.push(await createUser(server, { name: `holder ${index}` }));
      for (const user of users) {
        await sdk.POST('/api/roles/{id}/users', { params: { path: { id: role.id } }, body: { userIds: [user.id] } });
      }
      const [item] = (await raw<RoleListItem[]>('GET', `/api/roles?search.id=${role.id}&mode=exact`)).body;
      expect(item?.usersCount).toBe(4);
      expect(item?.featuredUsers).toEqual([3, 2, 1].map((index) => ({ id: users[index]?.id, avatar: null, name: `holder ${index}` })));

      const first = users[0]?.id ?? '';
      const excluding = await raw<RoleListItem[]>('GET', `/api/roles?excludeUserId=${first}&page_size=100&search=%25${role.id}%25`);
      expect(excluding.body).toEqual([]);
      const others = await raw<RoleListItem[]>('GET', `/api/roles?excludeUserId=${first}&search.id=${kept.id}`);
      expect(others.body.map(({ id }) => id)).toEqual([kept.id]);
    });

    it('400 for a bad type, a bad page, or a search field roles do not have', async () => {
      expectErrorCode(await raw('GET', '/api/roles?type=Admin'), 400, 'guard.invalid_input');
      expectError(await raw('GET', '/api/roles?page=0'), 400, 'guard.invalid_pagination');
      const field = await raw<ErrorBody>('GET', '/api/roles?search.type=User');
      expectErrorCode(field, 400, 'request.invalid_input');
    });
  });

  describe('/api/roles/:id/users', () => {
    it('POST answers 201 with an empty body (the SDK resolves), and the holders are listed newest first and searchable', async () => {
      const role = await createRole();
      const tag = uniqueLetters();
      const first = await createUser(server, { primaryEmail: `${tag}1@logto.io` });
      const second = await createUser(server, { primaryEmail: `${tag}2@logto.io` });
      const other = await createUser(server);
      const { data, response, error } = await sdk.POST('/api/roles/{id}/users', {
        params: { path: { id: role.id } },
        body: { userIds: [first.id, second.id] },
      });
      expect({ status: response.status, data, error, length: response.headers.get('content-length') }).toEqual({
        status: 201,
        data: undefined,
        error: undefined,
        length: '0',
      });
      const rawAdd = await raw('POST', `/api/roles/${role.id}/users`, { userIds: [other.id] });
      expect({ status: rawAdd.status, text: rawAdd.text, length: rawAdd.headers.get('content-length') }).toEqual({
        status: 201,
        text: '',
        length: '0',
      });

      expect(await holdersOf(role.id)).toEqual([other.id, second.id, first.id]);
      const searched = await raw<User[]>('GET', `/api/roles/${role.id}/users?search=%25${tag}%25`);
      expect({ ids: searched.body.map(({ id }) => id), total: searched.headers.get('total-number') }).toEqual({
        ids: [second.id, first.id],
        total: '2',
      });
      expect((await raw<User[]>('GET', `/api/roles/${role.id}/users?search=nobody_${tag}`)).body).toEqual([]);
      const withRoles = await raw<(User & { roles: Role[] })[]>('GET', `/api/roles/${role.id}/users?search=%25${tag}%25&includeRoles=yes`);
      expect(withRoles.body.map(({ roles }) => roles)).toEqual([[role], [role]]);
      expect((await auditRows('ManagementApi.User.Role.Create', first.id)).map((row) => row.payload.params)).toEqual([{ roleId: role.id }]);
    });

    it('refuses [], [""], an unknown role, an unknown user, a holder and a machine-to-machine role, assigning nobody', async () => {
      const role = await createRole();
      const user = await createUser(server);
      const holder = await createUser(server);
      await sdk.POST('/api/roles/{id}/users', { params: { path: { id: role.id } }, body: { userIds: [holder.id] } });
      expectInvalidBody(await raw('POST', `/api/roles/${role.id}/users`, { userIds: [] }), 'userIds');
      expectInvalidBody(await raw('POST', `/api/roles/${role.id}/users`, { userIds: [''] }), 'userIds');
      expectError(
        await raw('POST', '/api/roles/unknown/users', { userIds: [user.id] }),
        404,
        'entity.not_exists_with_id',
        roleNotFound('unknown'),
      );
      expectError(await raw('POST', `/api/roles/${role.id}/users`, { userIds: [user.id, 'nobody'] }), 404, 'entity.not_found');
      expectError(
        await raw('POST', `/api/roles/${role.id}/users`, { userIds: [user.id, holder.id] }),
        422,
        'role.user_exists',
        `The user id ${holder.id} is already been added to this role`,
      );
      const machine = await createRole({ type: 'MachineToMachine' });
      expectError(await raw('POST', `/api/roles/${machine.id}/users`, { userIds: [user.id] }), 422, 'entity.db_constraint_violated');
      expect(await holdersOf(role.id)).toEqual([holder.id]);
      expect(await holdersOf(machine.id)).toEqual([]);
      expect(await rolesOf(user.id)).toEqual([]);
    });

    it('GET 404 for an unknown role; DELETE 204, then 404 entity.not_found, also for an unknown role or user', async () => {
      expectError(await raw('GET', '/api/roles/unknown/users'), 404, 'entity.not_exists_with_id', roleNotFound('unknown'));
      const role = await createRole();
      const user = await createUser(server);
      await sdk.POST('/api/roles/{id}/users', { params: { path: { id: role.id } }, body: { userIds: [user.id] } });
      const { response } = await sdk.DELETE('/api/roles/{id}/users/{userId}', { params: { path: { id: role.id, userId: user.id } } });
      expect(response.status).toBe(204);
      expectError(await raw('DELETE', `/api/roles/${role.id}/users/${user.id}`), 404, 'entity.not_found');
      expectError(await raw('DELETE', `/api/roles/unknown/users/${user.id}`), 404, 'entity.not_found');
      expectError(await raw('DELETE', `/api/roles/${role.id}/users/unknown`), 404, 'entity.not_found');
      expect((await auditRows('ManagementApi.User.Role.Delete', user.id)).map((row) => row.payload.params)).toEqual([{ roleId: role.id }]);
    });
  });

  describe('/api/users/:userId/roles', () => {
    it('adds roles (201 with roleIds as sent and addedRoleIds), is idempotent, searchable, and replaced by PUT', async () => {
      const user = await createUser(server);
      expect(await rolesOf(user.id)).toEqual([]);
      const first = await createRole();
      const second = await createRole();
      const added = await sdk.POST('/api/users/{userId}/roles', {
        params: { path: { userId: user.id } },
        body: { roleIds: [first.id, second.id, first.id] },
      });
      expect({ status: added.response.status, data: added.data }).toEqual({
        status: 201,
        data: { roleIds: [first.id, second.id, first.id], addedRoleIds: [first.id, second.id] },
      });
      const again = await raw('POST', `/api/users/${user.id}/roles`, { roleIds: [first.id, second.id] });
      expect({ status: again.status, body: again.body }).toEqual({
        status: 201,
        body: { roleIds: [first.id, second.id], addedRoleIds: [] },
      });
      expect(await rolesOf(user.id)).toEqual([first.id, second.id]);
      const empty = await raw('POST', `/api/users/${user.id}/roles`, { roleIds: [] });
      expect({ status: empty.status, body: empty.body }).toEqual({ status: 201, body: { roleIds: [], addedRoleIds: [] } });

      const searched = await raw<Role[]>('GET', `/api/users/${user.id}/roles?search=%25${first.name}%25`);
      expect({ body: searched.body, total: searched.headers.get('total-number') }).toEqual({ body: [first], total: '1' });

      const replaced = await sdk.PUT('/api/users/{userId}/roles', {
        params: { path: { userId: user.id } },
        body: { roleIds: [second.id, second.id] },
      });
      expect({ status: replaced.response.status, data: replaced.data }).toEqual({ status: 200, data: { roleIds: [second.id] } });
      expect(await rolesOf(user.id)).toEqual([second.id]);
      expect((await auditRows('ManagementApi.User.Role.Delete', user.id)).map((row) => row.payload.params)).toEqual([{ roleId: first.id }]);
      expect((await sdk.PUT('/api/users/{userId}/roles', { params: { path: { userId: user.id } }, body: { roleIds: [] } })).data).toEqual({
        roleIds: [],
      });
      expect(await rolesOf(user.id)).toEqual([]);
    });

    it('refuses machine-to-machine roles (also before unknown ids) and unknown roles, changing nothing', async () => {
      const user = await createUser(server);
      const kept = await createRole();
      const machine = await createRole({ type: 'MachineToMachine' });
      await sdk.POST('/api/users/{userId}/roles', { params: { path: { userId: user.id } }, body: { roleIds: [kept.id] } });
      expectError(await raw('POST', `/api/users/${user.id}/roles`, { roleIds: [machine.id] }), 422, 'user.invalid_role_type');
      expectError(await raw('POST', `/api/users/${user.id}/roles`, { roleIds: [machine.id, 'unknown'] }), 422, 'user.invalid_role_type');
      expectError(
        await raw('POST', `/api/users/${user.id}/roles`, { roleIds: ['unknown'] }),
        404,
        'entity.not_exists_with_id',
        roleNotFound('unknown'),
      );
      expectError(await raw('PUT', `/api/users/${user.id}/roles`, { roleIds: [machine.id] }), 422, 'user.invalid_role_type');
      expectError(
        await raw('PUT', `/api/users/${user.id}/roles`, { roleIds: ['unknown'] }),
        404,
        'entity.not_exists_with_id',
        roleNotFound('unknown'),
      );
      expectInvalidBody(await raw('PUT', `/api/users/${user.id}/roles`, { roleIds: [''] }), 'roleIds');
      expectInvalidBody(await raw('POST', `/api/users/${user.id}/roles`, {}), 'roleIds');
      expect(await rolesOf(user.id)).toEqual([kept.id]);
    });

    it('404 entity.not_found for an unknown user on every route, and for a link that does not exist', async () => {
      const role = await createRole();
      expectError(await raw('GET', '/api/users/unknown/roles'), 404, 'entity.not_found');
      expectError(await raw('POST', '/api/users/unknown/roles', { roleIds: [role.id] }), 404, 'entity.not_found');
      expectError(await raw('PUT', '/api/users/unknown/roles', { roleIds: [role.id] }), 404, 'entity.not_found');
      expectError(await raw('DELETE', `/api/users/unknown/roles/${role.id}`), 404, 'entity.not_found');
      const user = await createUser(server);
      expectError(await raw('DELETE', `/api/users/${user.id}/roles/${role.id}`), 404, 'entity.not_found');
      await sdk.POST('/api/users/{userId}/roles', { params: { path: { userId: user.id } }, body: { roleIds: [role.id] } });
      const { response } = await sdk.DELETE('/api/users/{userId}/roles/{roleId}', {
        params: { path: { userId: user.id, roleId: role.id } },
      });
      expect(response.status).toBe(204);
      expect(await rolesOf(user.id)).toEqual([]);
    });

    it('deleting a user removes its links', async () => {
      const role = await createRole();
      const user = await createUser(server);
      await sdk.POST('/api/users/{userId}/roles', { params: { path: { userId: user.id } }, body: { roleIds: [role.id] } });
      expect((await sdk.DELETE('/api/users/{userId}', { params: { path: { userId: user.id } } })).response.status).toBe(204);
      expect(await holdersOf(role.id)).toEqual([]);
      expect((await raw<RoleListItem[]>('GET', `/api/roles?search.id=${role.id}`)).body[0]?.usersCount).toBe(0);
    });

    it('50 concurrent identical assignments: all 201, one link, one audit row', async () => {
      const role = await createRole();
      const user = await createUser(server);
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, () =>
          raw<{ addedRoleIds: string[] }>('POST', `/api/users/${user.id}/roles`, { roleIds: [role.id] }),
        ),
      );
      expect(answers.map(({ status }) => status)).toEqual(Array.from({ length: CONCURRENT }, () => 201));
      expect(answers.filter(({ body }) => body.addedRoleIds.length === 1)).toHaveLength(1);
      expect(await rolesOf(user.id)).toEqual([role.id]);
      expect(await auditRows('ManagementApi.User.Role.Create', user.id)).toHaveLength(1);
    });

    it('concurrent POST /roles/:id/users of one user: one 201, the rest 422 role.user_exists, never a 500', async () => {
      const role = await createRole();
      const user = await createUser(server);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => raw<ErrorBody | undefined>('POST', `/api/roles/${role.id}/users`, { userIds: [user.id] })),
      );
      const outcomes = answers.map((answer) => (answer.status === 201 ? '201' : `${answer.status} ${answer.body?.code}`));
      expect(outcomes.filter((outcome) => outcome === '201')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === '422 role.user_exists')).toHaveLength(19);
      expect(await holdersOf(role.id)).toEqual([user.id]);
    });

    it('concurrent PUT replacements end in exactly one of the requested sets, never a mix', async () => {
      const roles: string[] = [];
      for (let index = 0; index < 6; index += 1) roles.push((await createRole()).id);
      const sets = [roles.slice(0, 3), roles.slice(3, 6), [roles[0] ?? '', roles[5] ?? ''], []];
      for (let round = 0; round < 5; round += 1) {
        const user = await createUser(server);
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, index) => raw('PUT', `/api/users/${user.id}/roles`, { roleIds: sets[index % sets.length] })),
        );
        expect(answers.map(({ status }) => status)).toEqual(Array.from({ length: 20 }, () => 200));
        const held = (await rolesOf(user.id)).sort();
        expect(sets.map((set) => [...set].sort())).toContainEqual(held);
      }
    });
  });

  describe('/api/roles/:id/scopes', () => {
    it('links scopes (201 with every scope the role holds), refuses repeats and unknowns, and unlinks', async () => {
      const role = await createRole({ type: 'MachineToMachine', scopeIds: ['mapi-users-read'] });
      const { data, response } = await sdk.POST('/api/roles/{id}/scopes', {
        params: { path: { id: role.id } },
        body: { scopeIds: ['mapi-users-write', 'mapi-logs-read'] },
      });
      expect(response.status).toBe(201);
      expect((data as unknown as Scope[]).map(({ id }) => id)).toEqual(['mapi-users-read', 'mapi-users-write', 'mapi-logs-read']);
      expect(Object.keys((data as unknown as Scope[])[0] ?? {})).toEqual(SCOPE_KEYS);

      expectInvalidBody(await raw('POST', `/api/roles/${role.id}/scopes`, { scopeIds: [] }), 'scopeIds');
      expectInvalidBody(await raw('POST', `/api/roles/${role.id}/scopes`, { scopeIds: [''] }), 'scopeIds');
      expectError(
        await raw('POST', '/api/roles/unknown/scopes', { scopeIds: ['mapi-users-read'] }),
        404,
        'entity.not_exists_with_id',
        roleNotFound('unknown'),
      );
      expectError(
        await raw('POST', `/api/roles/${role.id}/scopes`, { scopeIds: ['nope'] }),
        404,
        'entity.not_exists_with_id',
        'The scopes with ID `nope` does not exist.',
      );
      expectError(
        await raw('POST', `/api/roles/${role.id}/scopes`, { scopeIds: ['mapi-roles-read', 'mapi-users-read'] }),
        422,
        'role.scope_exists',
        'The scope id mapi-users-read has already been added to this role',
      );
      const user = await createRole();
      expectError(
        await raw('POST', `/api/roles/${user.id}/scopes`, { scopeIds: ['mapi-roles-read'] }),
        400,
        'role.management_api_scopes_not_assignable_to_user_role',
      );

      const paged = await raw<Scope[]>('GET', `/api/roles/${role.id}/scopes?page=2&page_size=2`);
      expect({ ids: paged.body.map(({ id }) => id), total: paged.headers.get('total-number') }).toEqual({
        ids: ['mapi-logs-read'],
        total: '3',
      });
      const searched = await raw<Scope[]>('GET', `/api/roles/${role.id}/scopes?search.name=logs:read&mode.name=exact`);
      expect(searched.body.map(({ id }) => id)).toEqual(['mapi-logs-read']);
      expectError(await raw('GET', '/api/roles/unknown/scopes'), 404, 'entity.not_exists_with_id', roleNotFound('unknown'));

      const { response: removed } = await sdk.DELETE('/api/roles/{id}/scopes/{scopeId}', {
        params: { path: { id: role.id, scopeId: 'mapi-logs-read' } },
      });
      expect(removed.status).toBe(204);
      expectError(await raw('DELETE', `/api/roles/${role.id}/scopes/mapi-logs-read`), 404, 'entity.not_found');
      expectError(await raw('DELETE', `/api/roles/unknown/scopes/mapi-logs-read`), 404, 'entity.not_found');
    });
  });

  describe('default roles', () => {
    it('a user created through POST /api/users holds every default User role, each assignment audited', async () => {
      const first = await createRole({ isDefault: true });
      const second = await createRole({ isDefault: true });
      await createRole({ type: 'MachineToMachine', isDefault: true });
      const user = await createUser(server, { username: uniqueName('fresh') });
      const held = await rolesOf(user.id);
      expect(held).toEqual(expect.arrayContaining([first.id, second.id]));
      const rows = await auditRows('ManagementApi.User.Role.Create', user.id);
      expect(rows.map((row) => row.payload.params?.roleId).sort()).toEqual([...held].sort());
      // Later users only: taking the flag off does not take the role away.
      await sdk.PATCH('/api/roles/{id}', { params: { path: { id: first.id } }, body: { isDefault: false } });
      await sdk.PATCH('/api/roles/{id}', { params: { path: { id: second.id } }, body: { isDefault: false } });
      expect(await rolesOf(user.id)).toEqual(held);
      expect(await rolesOf((await createUser(server)).id)).not.toContain(first.id);
    });
  });

  describe('GET /api/users with roleId, excludeRoleId and includeRoles', () => {
    it('includes only holders, excludes holders, and embeds roles in list and get', async () => {
      const role = await createRole();
      const tag = uniqueLetters();
      const holder = await createUser(server, { name: `${tag} holder` });
      const other = await createUser(server, { name: `${tag} other` });
      await sdk.POST('/api/roles/{id}/users', { params: { path: { id: role.id } }, body: { userIds: [holder.id] } });

      const holders = await raw<User[]>('GET', `/api/users?roleId=${role.id}`);
      expect({ ids: holders.body.map(({ id }) => id), total: holders.headers.get('total-number') }).toEqual({
        ids: [holder.id],
        total: '1',
      });
      const excluded = await raw<User[]>('GET', `/api/users?excludeRoleId=${role.id}&search=%25${tag}%25`);
      expect({ ids: excluded.body.map(({ id }) => id), total: excluded.headers.get('total-number') }).toEqual({
        ids: [other.id],
        total: '1',
      });
      const everyoneElse = await raw<User[]>('GET', `/api/users?excludeRoleId=${role.id}&page_size=1`);
      const all = await raw<User[]>('GET', '/api/users?page_size=1');
      expect(Number(everyoneElse.headers.get('total-number'))).toBe(Number(all.headers.get('total-number')) - 1);
      expect((await raw<User[]>('GET', '/api/users?roleId=unknown')).body).toEqual([]);

      const withRoles = await raw<(User & { roles: Role[] })[]>('GET', `/api/users?search=%25${tag}%25&includeRoles=true`);
      expect(withRoles.body.map(({ id, roles }) => ({ id, roles }))).toEqual([
        { id: other.id, roles: [] },
        { id: holder.id, roles: [role] },
      ]);
      const one = await raw<User & { roles: Role[] }>('GET', `/api/users/${holder.id}?includeRoles=1`);
      expect(one.body.roles).toEqual([role]);
      expect(Object.keys((await raw<User>('GET', `/api/users/${holder.id}`)).body)).not.toContain('roles');
    });
  });

  describe('bad input on the lists', () => {
    it('400 guard.invalid_pagination for a bad page and request.invalid_input for a field the list cannot search', async () => {
      const role = await createRole();
      const user = await createUser(server);
      const lists = [`/api/roles/${role.id}/users`, `/api/roles/${role.id}/scopes`, `/api/users/${user.id}/roles`];
      for (const path of lists) {
        expectError(await raw('GET', `${path}?page=0`), 400, 'guard.invalid_pagination');
        expectError(await raw('GET', `${path}?page_size=101`), 400, 'guard.invalid_pagination');
        expectErrorCode(await raw('GET', `${path}?search.isDefault=true`), 400, 'request.invalid_input');
      }
      // Path ids longer than their column cannot exist: the same 404 as an unknown one, without a query.
      expectError(await raw('GET', `/api/roles/${'r'.repeat(22)}`), 404, 'entity.not_exists_with_id', roleNotFound('r'.repeat(22)));
      expectError(await raw('DELETE', `/api/users/${user.id}/roles/${'r'.repeat(22)}`), 404, 'entity.not_found');
    });
  });

  describe('authorization', () => {
    const ROUTES: [method: string, path: (ids: { role: string; user: string }) => string, scope: 'roles:read' | 'roles:write'][] = [
      ['GET', () => '/api/roles', 'roles:read'],
      ['POST', () => '/api/roles', 'roles:write'],
      ['GET', ({ role }) => `/api/roles/${role}`, 'roles:read'],
      ['PATCH', ({ role }) => `/api/roles/${role}`, 'roles:write'],
      ['DELETE', ({ role }) => `/api/roles/${role}`, 'roles:write'],
      ['GET', ({ role }) => `/api/roles/${role}/users`, 'roles:read'],
      ['POST', ({ role }) => `/api/roles/${role}/users`, 'roles:write'],
      ['DELETE', ({ role, user }) => `/api/roles/${role}/users/${user}`, 'roles:write'],
      ['GET', ({ role }) => `/api/roles/${role}/scopes`, 'roles:read'],
      ['POST', ({ role }) => `/api/roles/${role}/scopes`, 'roles:write'],
      ['DELETE', ({ role }) => `/api/roles/${role}/scopes/management-api-all`, 'roles:write'],
      ['GET', ({ user }) => `/api/users/${user}/roles`, 'roles:read'],
      ['POST', ({ user }) => `/api/users/${user}/roles`, 'roles:write'],
      ['PUT', ({ user }) => `/api/users/${user}/roles`, 'roles:write'],
      ['DELETE', ({ user, role }) => `/api/users/${user}/roles/${role}`, 'roles:write'],
    ];

    it('401 without a token, 403 with only users:read and users:write, and roles:read reads but does not grant', async () => {
      const role = await createRole();
      const user = await createUser(server);
      const ids = { role: role.id, user: user.id };
      const usersApp = await createApplication(server, uniqueName('users_app'), ['users:read', 'users:write']);
      const usersToken = await fetchAccessToken(server.baseUrl, usersApp.id, usersApp.secret, 'users:read users:write');
      const readerApp = await createApplication(server, uniqueName('roles_reader'), ['roles:read']);
      const readerToken = await fetchAccessToken(server.baseUrl, readerApp.id, readerApp.secret, 'roles:read');
      for (const [method, path, scope] of ROUTES) {
        expectAuthError(await request(server.baseUrl, method, path(ids), { auth: false }), 401, 'auth.authorization_header_missing');
        expectAuthError(await raw(method, path(ids), undefined, { authorization: `Bearer ${usersToken}` }), 403, 'auth.forbidden');
        const asReader = await raw(method, path(ids), undefined, { authorization: `Bearer ${readerToken}` });
        if (scope === 'roles:write') expectAuthError(asReader, 403, 'auth.forbidden');
        else expect(asReader.status).toBe(200);
      }
    });
  });
});
