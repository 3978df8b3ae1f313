import { fetchAccessToken } from './support/auth.js';
import { createApplication } from './support/cli.js';
import { request, type RawResponse, type Sdk, sdkFor } from './support/clients.js';
import { expectAuthError, expectError, expectInvalidBody } from './support/expect-errors.js';
import { uniqueLetters, uniqueName } from './support/factories.js';
import { linkPages } from './support/links.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { MANAGEMENT_API, type Resource, type Scope, SCOPE_KEYS } from './support/wire.js';

const RESOURCE_KEYS = ['tenantId', 'id', 'name', 'indicator', 'isDefault', 'accessTokenTtl'];
const FINE_SCOPES = ['users:read', 'users:write', 'logs:read', 'roles:read', 'roles:write', 'resources:read', 'resources:write'];

const resourceNotFound = (id: string): string => `The resources with ID \`${id}\` does not exist.`;
const SCOPE_NOT_FOUND = 'The scope does not exist.';

describe('API resources and their scopes (/api/resources, /api/resources/:resourceId/scopes)', () => {
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

  async function createResource(fields: { name?: string; indicator?: string; accessTokenTtl?: number } = {}): Promise<Resource> {
    const { data, response } = await sdk.POST('/api/resources', {
      body: { name: uniqueName('api'), indicator: `https://${uniqueLetters()}.example.com/api`, ...fields },
    });
    expect(response.status).toBe(201);
    return data as unknown as Resource;
  }

  async function createScope(resourceId: string, name = uniqueLetters()): Promise<Scope> {
    const { data, response } = await sdk.POST('/api/resources/{resourceId}/scopes', { params: { path: { resourceId } }, body: { name } });
    expect(response.status).toBe(201);
    return data as unknown as Scope;
  }

  async function scopeNamesOf(resourceId: string): Promise<string[]> {
    const response = await raw<Scope[]>('GET', `/api/resources/${resourceId}/scopes?page_size=100`);
    expect(response.status).toBe(200);
    return response.body.map(({ name }) => name);
  }

  describe('the seeded Management API', () => {
    it('is as Logto seeds it, with `all` first and Roster’s finer scopes after', async () => {
      const { data, response } = await sdk.GET('/api/resources/{id}', { params: { path: { id: 'management-api' } } });
      expect({ status: response.status, data }).toEqual({ status: 200, data: MANAGEMENT_API });
      expect(Object.keys(data ?? {})).toEqual(RESOURCE_KEYS);
      const scopes = await sdk.GET('/api/resources/{resourceId}/scopes', { params: { path: { resourceId: 'management-api' } } });
      expect(scopes.data?.[0]).toEqual({
        tenantId: 'default',
        id: 'management-api-all',
        resourceId: 'management-api',
        name: 'all',
        description: 'Default scope for Management API, allows all permissions.',
        createdAt: expect.any(Number),
      });
      expect(Object.keys(scopes.data?.[0] ?? {})).toEqual(SCOPE_KEYS);
      expect(await scopeNamesOf('management-api')).toEqual(['all', ...FINE_SCOPES]);
    });

    it('cannot be modified or deleted, nor can its scopes', async () => {
      expectError(await raw('PATCH', '/api/resources/management-api', { name: 'x' }), 400, 'resource.cannot_modify_management_api');
      expectError(await raw('DELETE', '/api/resources/management-api'), 400, 'resource.cannot_delete_management_api');
      expectError(
        await raw('POST', '/api/resources/management-api/scopes', { name: 'extra' }),
        400,
        'resource.cannot_modify_management_api',
      );
      expectError(
        await raw('PATCH', '/api/resources/management-api/scopes/management-api-all', { name: 'x' }),
        400,
        'resource.cannot_modify_management_api',
      );
      expectError(
        await raw('DELETE', '/api/resources/management-api/scopes/management-api-all'),
        400,
        'resource.cannot_modify_management_api',
      );
      expect(await scopeNamesOf('management-api')).toEqual(['all', ...FINE_SCOPES]);
    });
  });

  describe('/api/resources', () => {
    it('creates (201 with `scopes: []`, isDefault ignored), refuses a taken indicator, and lists with or without paging', async () => {
      const indicator = `https://${uniqueLetters()}.example.com`;
      const { data, response } = await sdk.POST('/api/resources', { body: { name: 'Orders', indicator, isDefault: true } });
      expect(response.status).toBe(201);
      expect(data).toEqual({
        tenantId: 'default',
        id: expect.stringMatching(/^[0-9a-z]{21}$/),
        name: 'Orders',
        indicator,
        isDefault: false,
        accessTokenTtl: 3600,
        scopes: [],
      });
      expectError(
        await raw('POST', '/api/resources', { name: 'Again', indicator }),
        422,
        'resource.resource_identifier_in_use',
        `The API identifier ${indicator} is already in use`,
      );
      const created = data as unknown as Resource;
      const scope = await createScope(created.id);

      const all = await raw<Resource[]>('GET', '/api/resources');
      expect({ status: all.status, total: all.headers.get('total-number'), link: all.headers.get('link') }).toEqual({
        status: 200,
        total: null,
        link: null,
      });
      expect(all.body.map(({ id }) => id)).toEqual(['management-api', created.id]);
      expect(all.body[1]).toEqual({ ...created, scopes: undefined });
      const withScopes = await raw<Resource[]>('GET', '/api/resources?includeScopes=true');
      expect(withScopes.body[1]?.scopes).toEqual([scope]);
      const paged = await raw<Resource[]>('GET', '/api/resources?page=2&page_size=1');
      expect({
        ids: paged.body.map(({ id }) => id),
        total: paged.headers.get('total-number'),
        pages: linkPages(paged.headers.get('link')),
      }).toEqual({
        ids: [created.id],
        total: '2',
        pages: { first: 1, prev: 1, last: 2 },
      });
      expectError(await raw('GET', '/api/resources?page_size=0'), 400, 'guard.invalid_pagination');
    });

    it.each([
      [{ indicator: 'https://a.example.com' }, 'name'],
      [{ name: 'n' }, 'indicator'],
      [{ name: 'n', indicator: '' }, 'indicator'],
      [{ name: 'n', indicator: 'https://b.example.com', accessTokenTtl: 'long' }, 'accessTokenTtl'],
    ])('POST 400 guard.invalid_input for %j', async (body, keyPath) => {
      expectInvalidBody(await raw('POST', '/api/resources', body), keyPath);
    });

    it('updates name and TTL (the indicator stays), refuses a wrongly typed name, and 404s an unknown resource', async () => {
      const resource = await createResource();
      const { data, response } = await sdk.PATCH('/api/resources/{id}', {
        params: { path: { id: resource.id } },
        body: { name: 'Renamed', accessTokenTtl: 60, indicator: 'https://changed.example.com' } as { name: string },
      });
      expect({ status: response.status, data }).toEqual({
        status: 200,
        data: { ...resource, name: 'Renamed', accessTokenTtl: 60, scopes: undefined },
      });
      expectInvalidBody(await raw('PATCH', `/api/resources/${resource.id}`, { name: 42 }), 'name');
      const unchanged = await raw('PATCH', `/api/resources/${resource.id}`, {});
      expect(unchanged.status).toBe(200);
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        expectError(
          await raw(method, '/api/resources/unknown', method === 'PATCH' ? {} : undefined),
          404,
          'entity.not_exists_with_id',
          resourceNotFound('unknown'),
        );
      }
    });

    it('keeps at most one default resource: setting one clears the other', async () => {
      const first = await createResource();
      const second = await createResource();
      const setFirst = await sdk.PATCH('/api/resources/{id}/is-default', { params: { path: { id: first.id } }, body: { isDefault: true } });
      expect(setFirst.data).toMatchObject({ id: first.id, isDefault: true });
      await sdk.PATCH('/api/resources/{id}/is-default', { params: { path: { id: second.id } }, body: { isDefault: true } });
      const all = (await raw<Resource[]>('GET', '/api/resources')).body;
      expect(all.filter(({ isDefault }) => isDefault).map(({ id }) => id)).toEqual([second.id]);
      const racing = await Promise.all(
        [first, second, first, second].map(({ id }) => raw('PATCH', `/api/resources/${id}/is-default`, { isDefault: true })),
      );
      expect(racing.map(({ status }) => status)).toEqual([200, 200, 200, 200]);
      expect((await raw<Resource[]>('GET', '/api/resources')).body.filter(({ isDefault }) => isDefault)).toHaveLength(1);
      expectInvalidBody(await raw('PATCH', `/api/resources/${first.id}/is-default`, {}), 'isDefault');
    });

    it('DELETE removes the resource, its scopes and their links to roles, in one go', async () => {
      const resource = await createResource();
      const scope = await createScope(resource.id);
      const role = await sdk.POST('/api/roles', { body: { name: uniqueName('role'), description: 'd', scopeIds: [scope.id] } });
      expect(role.response.status).toBe(200);
      const roleId = (role.data as unknown as { id: string }).id;
      const { response } = await sdk.DELETE('/api/resources/{id}', { params: { path: { id: resource.id } } });
      expect(response.status).toBe(204);
      expectError(await raw('GET', `/api/resources/${resource.id}`), 404, 'entity.not_exists_with_id', resourceNotFound(resource.id));
      expect((await raw('GET', `/api/roles/${roleId}/scopes`)).body).toEqual([]);
    });
  });

  describe('/api/resources/:resourceId/scopes', () => {
    it('creates scopes (201), refuses spaces, empty and taken names, and pages them oldest first', async () => {
      const resource = await createResource();
      const { data, response } = await sdk.POST('/api/resources/{resourceId}/scopes', {
        params: { path: { resourceId: resource.id } },
        body: { name: 'read:orders', description: 'Read orders.' },
      });
      expect(response.status).toBe(201);
      expect(data).toEqual({
        tenantId: 'default',
        id: expect.stringMatching(/^[0-9a-z]{21}$/),
        resourceId: resource.id,
        name: 'read:orders',
        description: 'Read orders.',
        createdAt: expect.any(Number),
      });
      expectError(await raw('POST', `/api/resources/${resource.id}/scopes`, { name: 'read orders' }), 400, 'scope.name_with_space');
      expectInvalidBody(await raw('POST', `/api/resources/${resource.id}/scopes`, { name: '' }), 'name');
      expectError(
        await raw('POST', `/api/resources/${resource.id}/scopes`, { name: 'read:orders' }),
        422,
        'scope.name_exists',
        'The scope name read:orders is already in use',
      );
      expectError(
        await raw('POST', '/api/resources/unknown/scopes', { name: 'x' }),
        404,
        'entity.not_exists_with_id',
        resourceNotFound('unknown'),
      );
      await createScope(resource.id, 'write:orders');
      await createScope(resource.id, 'delete:orders');
      const page = await raw<Scope[]>('GET', `/api/resources/${resource.id}/scopes?page=1&page_size=2`);
      expect({ names: page.body.map(({ name }) => name), total: page.headers.get('total-number') }).toEqual({
        names: ['read:orders', 'write:orders'],
        total: '3',
      });
      const searched = await raw<Scope[]>('GET', `/api/resources/${resource.id}/scopes?search=%25write%25`);
      expect(searched.body.map(({ name }) => name)).toEqual(['write:orders']);
      // Roster: an unknown resource is a 404, not an empty list.
      expectError(await raw('GET', '/api/resources/unknown/scopes'), 404, 'entity.not_exists_with_id', resourceNotFound('unknown'));
    });

    it('updates and deletes a scope only through its own resource’s path', async () => {
      const mine = await createResource();
      const theirs = await createResource();
      const scope = await createScope(mine.id, 'a');
      await createScope(mine.id, 'b');
      const foreign = await createScope(theirs.id, 'c');
      const { data } = await sdk.PATCH('/api/resources/{resourceId}/scopes/{scopeId}', {
        params: { path: { resourceId: mine.id, scopeId: scope.id } },
        body: { name: 'a2', description: null },
      });
      expect(data).toEqual({ ...scope, name: 'a2', description: null });
      expectError(
        await raw('PATCH', `/api/resources/${mine.id}/scopes/${scope.id}`, { name: 'b' }),
        422,
        'scope.name_exists',
        'The scope name b is already in use',
      );
      expectError(await raw('PATCH', `/api/resources/${mine.id}/scopes/${scope.id}`, { name: 'a 2' }), 400, 'scope.name_with_space');
      expectError(
        await raw('PATCH', `/api/resources/${mine.id}/scopes/${foreign.id}`, { name: 'stolen' }),
        404,
        'entity.not_exists',
        SCOPE_NOT_FOUND,
      );
      expectError(await raw('DELETE', `/api/resources/${mine.id}/scopes/${foreign.id}`), 404, 'entity.not_exists', SCOPE_NOT_FOUND);
      expect(await scopeNamesOf(theirs.id)).toEqual(['c']);
      const { response } = await sdk.DELETE('/api/resources/{resourceId}/scopes/{scopeId}', {
        params: { path: { resourceId: mine.id, scopeId: scope.id } },
      });
      expect(response.status).toBe(204);
      expect(await scopeNamesOf(mine.id)).toEqual(['b']);
    });

    it('a User role may carry scopes of other resources; deleting the scope takes it off the role', async () => {
      const resource = await createResource();
      const scope = await createScope(resource.id);
      const role = await sdk.POST('/api/roles', { body: { name: uniqueName('role'), description: 'd', scopeIds: [scope.id] } });
      const roleId = (role.data as unknown as { id: string }).id;
      expect((await raw<Scope[]>('GET', `/api/roles/${roleId}/scopes`)).body.map(({ id }) => id)).toEqual([scope.id]);
      await sdk.DELETE('/api/resources/{resourceId}/scopes/{scopeId}', {
        params: { path: { resourceId: resource.id, scopeId: scope.id } },
      });
      expect((await raw('GET', `/api/roles/${roleId}/scopes`)).body).toEqual([]);
    });
  });

  describe('authorization', () => {
    it('401 without a token, 403 without the scope, and resources:read reads but does not write', async () => {
      const resource = await createResource();
      const scope = await createScope(resource.id);
      const routes: [string, string, 'read' | 'write'][] = [
        ['GET', '/api/resources', 'read'],
        ['POST', '/api/resources', 'write'],
        ['GET', `/api/resources/${resource.id}`, 'read'],
        ['PATCH', `/api/resources/${resource.id}`, 'write'],
        ['PATCH', `/api/resources/${resource.id}/is-default`, 'write'],
        ['DELETE', `/api/resources/${resource.id}`, 'write'],
        ['GET', `/api/resources/${resource.id}/scopes`, 'read'],
        ['POST', `/api/resources/${resource.id}/scopes`, 'write'],
        ['PATCH', `/api/resources/${resource.id}/scopes/${scope.id}`, 'write'],
        ['DELETE', `/api/resources/${resource.id}/scopes/${scope.id}`, 'write'],
      ];
      const rolesApp = await createApplication(server, uniqueName('roles_app'), ['roles:read', 'roles:write']);
      const rolesToken = await fetchAccessToken(server.baseUrl, rolesApp.id, rolesApp.secret, 'roles:read roles:write');
      const readerApp = await createApplication(server, uniqueName('reader'), ['resources:read']);
      const readerToken = await fetchAccessToken(server.baseUrl, readerApp.id, readerApp.secret, 'resources:read');
      for (const [method, path, access] of routes) {
        expectAuthError(await request(server.baseUrl, method, path, { auth: false }), 401, 'auth.authorization_header_missing');
        expectAuthError(await raw(method, path, undefined, { authorization: `Bearer ${rolesToken}` }), 403, 'auth.forbidden');
        const asReader = await raw(method, path, undefined, { authorization: `Bearer ${readerToken}` });
        if (access === 'write') expectAuthError(asReader, 403, 'auth.forbidden');
        else expect(asReader.status).toBe(200);
      }
    });
  });
});
