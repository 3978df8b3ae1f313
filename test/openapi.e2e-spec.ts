import { clientCredentialsGrant, request } from './support/clients.js';
import { createUser, uniqueEmail, uniqueName, uniquePhone } from './support/factories.js';
import { OpenApiContract } from './support/openapi-contract.js';
import type { RawHttpResponse } from './support/bad-input.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { USER_KEYS } from './support/wire.js';
import { ROUTES } from './support/routes.js';

interface SchemaObject {
  $ref?: string;
  type?: string;
  items?: SchemaObject;
  allOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  properties?: Record<string, SchemaObject>;
  required?: string[];
}

interface MediaContent {
  'application/json'?: { schema?: SchemaObject };
}

interface Operation {
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content?: MediaContent };
  responses: Record<string, { description?: string; content?: MediaContent; headers?: Record<string, unknown> }>;
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

/** The user fields the OpenAPI user schema must document: every key of a user object. */
const USER_PROPERTIES = [...USER_KEYS];

/** Users routes answering the full user object on success. */
const USER_RETURNING_ROUTES = [
  'POST /api/users',
  'GET /api/users/{userId}',
  'PATCH /api/users/{userId}',
  'PATCH /api/users/{userId}/password',
  'PATCH /api/users/{userId}/is-suspended',
];

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

describe('OpenAPI document and Swagger UI', () => {
  let server: TestServer;
  let document: OpenApiDocument;

  beforeAll(async () => {
    server = await startTestServer();
    const response = await request<OpenApiDocument>(server.baseUrl, 'GET', '/api/swagger.json');
    expect(response.status).toBe(200);
    document = response.body;
  });

  afterAll(async () => {
    await server.stop();
  });

  function operation(route: string): Operation {
    const [method = '', path = ''] = route.split(' ');
    const found = document.paths[path]?.[method.toLowerCase()];
    if (!found) throw new Error(`${route} is not in the OpenAPI document`);
    return found;
  }

  /** Follows `$ref` and single-element `allOf` wrappers to the schema they name. */
  function resolve(schema: SchemaObject | undefined): SchemaObject {
    if (!schema) throw new Error('missing schema');
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    if (!schema.$ref) return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`dangling reference ${schema.$ref}`);
    return resolve(target);
  }

  function jsonSchema(content: MediaContent | undefined): SchemaObject {
    return resolve(content?.['application/json']?.schema);
  }

  function responseSchema(route: string, status: string): SchemaObject {
    const response = operation(route).responses[status];
    if (!response) throw new Error(`${route} does not document ${status}`);
    return jsonSchema(response.content);
  }

  function requestBodySchema(route: string): SchemaObject {
    return jsonSchema(operation(route).requestBody?.content);
  }

  function propertyNames(schema: SchemaObject): string[] {
    return Object.keys(schema.properties ?? {});
  }

  /** Logto's error schema, alone or as the first alternative (a 400 that may also be malformed JSON's `{ message }`). */
  function expectErrorSchema(route: string, status: string): void {
    const documented = responseSchema(route, status);
    const schema = documented.anyOf?.[0] ? resolve(documented.anyOf[0]) : documented;
    expect(propertyNames(schema)).toEqual(expect.arrayContaining(['code', 'message']));
    expect(schema.required ?? []).toEqual(expect.arrayContaining(['code', 'message']));
  }

  describe('GET /api/swagger.json', () => {
    it('serves an OpenAPI 3 document with a title, a version and this server as its server URL', async () => {
      const response = await request(server.baseUrl, 'GET', '/api/swagger.json');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(document.openapi).toMatch(/^3\./);
      expect(document.info.title).toEqual(expect.any(String));
      expect(document.info.version).toEqual(expect.any(String));
      expect(document.servers?.map(({ url }) => url)).toContain(server.baseUrl);
    });

    it('lists every route the server exposes', () => {
      const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((method) => HTTP_METHODS.has(method))
          .map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(documented.sort()).toEqual([...ROUTES].sort());
    });

    it('does not document its own explorer endpoints as API operations', () => {
      expect(Object.keys(document.paths)).not.toContain('/api/swagger.json');
      expect(Object.keys(document.paths)).not.toContain('/api/docs');
    });

    it('has no dangling schema references', () => {
      const references = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
      expect(references.length).toBeGreaterThan(0);
      for (const reference of references) {
        const name = reference.slice('"$ref":"#/components/schemas/'.length, -1);
        expect(document.components?.schemas).toHaveProperty([name]);
      }
    });

    it('declares userId as a required path parameter on every /api/users/{userId} route', () => {
      for (const route of ROUTES.filter((candidate) => candidate.includes('{userId}'))) {
        expect(operation(route).parameters).toEqual(
          expect.arrayContaining([expect.objectContaining({ name: 'userId', in: 'path', required: true })]),
        );
      }
    });

    it('documents page and page_size on GET /api/users', () => {
      const names = (operation('GET /api/users').parameters ?? []).filter((parameter) => parameter.in === 'query').map(({ name }) => name);
      expect(names).toEqual(expect.arrayContaining(['page', 'page_size', 'search']));
    });
  });

  describe('success responses', () => {
    it.each(USER_RETURNING_ROUTES)('%s documents 200 with the user schema', (route) => {
      const schema = responseSchema(route, '200');
      expect(propertyNames(schema)).toEqual(expect.arrayContaining(USER_PROPERTIES));
    });

    it('types the user fields the way they appear on the wire', () => {
      const { properties = {} } = responseSchema('GET /api/users/{userId}', '200');
      expect(properties.id?.type).toBe('string');
      expect(properties.createdAt?.type).toMatch(/^(number|integer)$/);
      expect(properties.updatedAt?.type).toMatch(/^(number|integer)$/);
      expect(properties.isSuspended?.type).toBe('boolean');
      expect(properties.hasPassword?.type).toBe('boolean');
      expect(properties.customData?.type).toBe('object');
    });

    it('GET /api/users documents 200 as an array of users', () => {
      const schema = responseSchema('GET /api/users', '200');
      expect(schema.type).toBe('array');
      expect(propertyNames(resolve(schema.items))).toEqual(expect.arrayContaining(USER_PROPERTIES));
    });

    it.each(['GET /api/users/{userId}/custom-data', 'PATCH /api/users/{userId}/custom-data'])(
      '%s documents 200 with an object schema',
      (route) => {
        expect(responseSchema(route, '200').type).toBe('object');
      },
    );

    it('PATCH /api/users/{userId}/profile documents 200 with the profile schema', () => {
      expect(propertyNames(responseSchema('PATCH /api/users/{userId}/profile', '200'))).toEqual(
        expect.arrayContaining(['familyName', 'givenName', 'nickname', 'address']),
      );
    });

    it('GET /api/users/{userId}/has-password documents 200 with { hasPassword }', () => {
      expect(propertyNames(responseSchema('GET /api/users/{userId}/has-password', '200'))).toEqual(['hasPassword']);
    });

    it.each(['DELETE /api/users/{userId}', 'GET /api/status'])('%s documents 204', (route) => {
      expect(operation(route).responses).toHaveProperty(['204']);
    });
  });

  describe('error responses', () => {
    it.each([
      ['POST /api/users', '400'],
      ['POST /api/users', '422'],
      ['GET /api/users', '400'],
      ['GET /api/users/{userId}', '404'],
      ['PATCH /api/users/{userId}', '400'],
      ['PATCH /api/users/{userId}', '404'],
      ['PATCH /api/users/{userId}', '422'],
      ['DELETE /api/users/{userId}', '404'],
      ['PATCH /api/users/{userId}/password', '400'],
      ['PATCH /api/users/{userId}/password', '404'],
      ['PATCH /api/users/{userId}/is-suspended', '404'],
      ['GET /api/users/{userId}/custom-data', '404'],
      ['PATCH /api/users/{userId}/custom-data', '400'],
      ['PATCH /api/users/{userId}/custom-data', '404'],
      ['PATCH /api/users/{userId}/profile', '404'],
      ['GET /api/users/{userId}/has-password', '404'],
    ])('%s documents %s with an error schema carrying code and message', (route, status) => {
      expectErrorSchema(route, status);
    });

    it('documents 413 and 415 wherever a body is read, 503 with Retry-After wherever the database is, and Retry-After on every 429', () => {
      const problems: string[] = [];
      for (const route of ROUTES) {
        const { requestBody, responses } = operation(route);
        const expected = [
          ...(requestBody ? ['413', '415'] : []),
          ...(['GET /api/status/live', 'GET /oidc/.well-known/openid-configuration'].includes(route) ? [] : ['503']),
        ];
        for (const status of expected) if (!responses[status]) problems.push(`${route}: no ${status}`);
        for (const status of ['429', '503']) {
          if (responses[status] && !responses[status].headers?.['Retry-After']) problems.push(`${route}: ${status} without Retry-After`);
        }
      }
      expect(problems).toEqual([]);
      expect(operation('POST /api/users').responses['413']?.description).toContain('request.entity_too_large');
      expect(operation('POST /api/users/{userId}/password/verify').responses['429']?.headers).toHaveProperty('Retry-After');
    });

    it('documents 400 guard.invalid_input wherever a path or query parameter is read (NUL in a query value, bad percent-encoding in the path)', () => {
      const problems: string[] = [];
      for (const route of ROUTES) {
        const { parameters = [], responses } = operation(route);
        const readsParameters = parameters.some((parameter) => parameter.in === 'path' || parameter.in === 'query');
        if (readsParameters && !responses['400']?.description?.includes('guard.invalid_input')) problems.push(route);
      }
      expect(problems).toEqual([]);
    });

    it('documents the code-less { message } 400 of malformed JSON on every operation with a JSON body', () => {
      const jsonBodyRoutes = ROUTES.filter(
        (route) => route !== 'POST /oidc/token' && operation(route).requestBody?.content?.['application/json'],
      );
      expect(jsonBodyRoutes).toHaveLength(19);
      for (const route of jsonBodyRoutes) {
        const schema = operation(route).responses['400']?.content?.['application/json']?.schema;
        expect({ route, alternatives: schema?.anyOf?.map((alternative) => resolve(alternative).required) }).toEqual({
          route,
          alternatives: [['code', 'message'], ['message']],
        });
      }
    });

    it('names the error codes a route can answer in the response description', () => {
      const { responses } = operation('POST /api/users');
      expect(responses['422']?.description).toContain('user.email_already_in_use');
      expect(responses['422']?.description).toContain('user.username_already_in_use');
      expect(responses['400']?.description).toContain('guard.invalid_input');
      expect(operation('GET /api/users/{userId}').responses['404']?.description).toContain('entity.not_found');
    });
  });

  describe('request bodies', () => {
    it.each([
      [
        'POST /api/users',
        [
          'username',
          'primaryEmail',
          'primaryPhone',
          'password',
          'passwordDigest',
          'passwordAlgorithm',
          'name',
          'avatar',
          'customData',
          'profile',
        ],
      ],
      ['PATCH /api/users/{userId}', ['username', 'primaryEmail', 'primaryPhone', 'name', 'avatar', 'customData', 'profile']],
      ['PATCH /api/users/{userId}/password', ['password']],
      ['PATCH /api/users/{userId}/is-suspended', ['isSuspended']],
      ['PATCH /api/users/{userId}/custom-data', ['customData']],
      ['PATCH /api/users/{userId}/profile', ['profile']],
    ])('%s documents a JSON body schema with its fields', (route, fields) => {
      expect(propertyNames(requestBodySchema(route))).toEqual(expect.arrayContaining(fields));
    });

    it('marks the required fields of single-purpose bodies as required', () => {
      expect(requestBodySchema('PATCH /api/users/{userId}/password').required).toEqual(['password']);
      expect(requestBodySchema('PATCH /api/users/{userId}/is-suspended').required).toEqual(['isSuspended']);
    });

    it('never offers protected fields in the PATCH /api/users/{userId} body', () => {
      const fields = propertyNames(requestBodySchema('PATCH /api/users/{userId}'));
      for (const field of ['id', 'createdAt', 'passwordDigest', 'isSuspended', 'password']) expect(fields).not.toContain(field);
    });
  });

  describe('input rules as schema keywords, so generated clients check before they send', () => {
    let contract: OpenApiContract;
    beforeAll(() => {
      contract = new OpenApiContract(document);
    });

    /** Values on both sides of each rule; `unique` makes the accepted ones new to the database. */
    const CREATE_SAMPLES: [field: string, value: () => unknown][] = [
      ['username', () => uniqueName('ok')],
      ['username', () => `_${uniqueName('x')}`],
      ['username', () => `1${uniqueName('x')}`],
      ['username', () => `a-${uniqueName('x')}`],
      ['username', () => `é${uniqueName('x')}`],
      ['username', () => ''],
      ['primaryEmail', () => uniqueEmail()],
      ['primaryEmail', () => `${uniqueName('x')}@example`],
      ['primaryEmail', () => `a ${uniqueEmail()}`],
      ['primaryPhone', () => uniquePhone()],
      ['primaryPhone', () => `+${uniquePhone()}`],
      ['primaryPhone', () => `${uniquePhone()}-1`],
      ['password', () => 'p'],
      ['password', () => ''],
      ['password', () => 'p'.repeat(256)],
      ['password', () => 'p'.repeat(257)],
      ['avatar', () => 'https://example.com/a.png'],
      ['avatar', () => 'mailto:someone@example.com'],
      ['avatar', () => ''],
      ['avatar', () => null],
      ['avatar', () => '/relative/a.png'],
      ['avatar', () => 'not a url'],
    ];

    it.each(CREATE_SAMPLES)('POST /api/users: the schema and the server agree on %s %#', async (field, value) => {
      const body = { [field]: value() };
      const response = await request(server.baseUrl, 'POST', '/api/users', { json: body });
      expect([200, 400]).toContain(response.status);
      const schemaAccepts = contract.requestBodyProblems('POST', '/api/users', body).length === 0;
      expect({ body, schemaAccepts }).toEqual({ body, schemaAccepts: response.status === 200 });
    });

    it('PATCH /api/users/{userId}: `{}` breaks minProperties and answers 422; a cleared field passes both', async () => {
      const user = await createUser(server, { username: uniqueName() });
      const empty = await request<{ code: string }>(server.baseUrl, 'PATCH', `/api/users/${user.id}`, { json: {} });
      expect({ status: empty.status, code: empty.body.code }).toEqual({ status: 422, code: 'entity.invalid_input' });
      expect(contract.requestBodyProblems('PATCH', '/api/users/{userId}', {})).toEqual([
        expect.stringContaining('must NOT have fewer than 1 properties'),
      ]);
      for (const cleared of [{ username: '' }, { username: null }, { avatar: '' }, { primaryPhone: '' }]) {
        expect(contract.requestBodyProblems('PATCH', '/api/users/{userId}', cleared)).toEqual([]);
        expect((await request(server.baseUrl, 'PATCH', `/api/users/${user.id}`, { json: cleared })).status).toBe(200);
      }
    });

    it('POST /oidc/token: grant_type is an enum of client_credentials; any other value is unsupported_grant_type', async () => {
      expect(resolve(document.components?.schemas?.TokenRequestDto).properties?.grant_type).toMatchObject({ enum: ['client_credentials'] });
      const form = { ...clientCredentialsGrant(server.credentials), grant_type: 'password' };
      const formType = 'application/x-www-form-urlencoded';
      const body = new URLSearchParams(form).toString();
      const response = await request<{ error: string }>(server.baseUrl, 'POST', '/oidc/token', {
        body,
        headers: { 'content-type': formType },
      });
      expect({ status: response.status, error: response.body.error }).toEqual({ status: 400, error: 'unsupported_grant_type' });
      expect(contract.requestBodyProblems('POST', '/oidc/token', form, formType)).toEqual([expect.stringContaining('allowed values')]);
      expect(contract.requestBodyProblems('POST', '/oidc/token', clientCredentialsGrant(server.credentials), formType)).toEqual([]);
    });

    it('GET /api/logs types start_time and end_time as numbers, and the server refuses what is not one', async () => {
      const parameters = operation('GET /api/logs').parameters ?? [];
      for (const name of ['start_time', 'end_time']) {
        expect(parameters.find((parameter) => parameter.name === name)).toMatchObject({ schema: { type: 'number' } });
        const response = await request<{ code: string }>(server.baseUrl, 'GET', `/api/logs?${name}=soon`);
        expect({ status: response.status, code: response.body.code }).toEqual({ status: 400, code: 'guard.invalid_input' });
      }
    });
  });

  describe('the answer contract the fuzz suite checks every response with', () => {
    let contract: OpenApiContract;
    let user: { id: string };
    beforeAll(async () => {
      contract = new OpenApiContract(document);
      user = await createUser(server, { username: uniqueName() });
    });

    const json = (status: number, body: unknown, contentType = 'application/json; charset=utf-8'): RawHttpResponse => ({
      status,
      headers: { 'content-type': contentType },
      text: typeof body === 'string' ? body : JSON.stringify(body),
    });

    it('passes a real answer, and fails it with an extra field, a wrong type, or a missing required field', async () => {
      const response = await request<Record<string, unknown>>(server.baseUrl, 'GET', `/api/users/${user.id}`);
      const route = ['GET', '/api/users/{userId}'] as const;
      expect(contract.problemsWith(...route, json(200, response.body))).toEqual([]);
      expect(contract.problemsWith(...route, json(200, { ...response.body, password: 'leaked' }))).toEqual([
        expect.stringContaining('must NOT have additional properties'),
      ]);
      expect(contract.problemsWith(...route, json(200, { ...response.body, isSuspended: 'no' }))).toEqual([
        expect.stringContaining('/isSuspended must be boolean'),
      ]);
      const withoutId = Object.fromEntries(Object.entries(response.body).filter(([key]) => key !== 'id'));
      expect(contract.problemsWith(...route, json(200, withoutId))).toEqual([expect.stringContaining("must have required property 'id'")]);
    });

    it('fails an undocumented status, an undeclared content type, a body on a 204, and a 400 in neither documented shape', () => {
      expect(contract.problemsWith('GET', '/api/users/{userId}', json(409, { code: 'x', message: 'y' }))).toEqual([
        expect.stringContaining('an undocumented 409'),
      ]);
      expect(contract.problemsWith('GET', '/api/users/{userId}', json(404, '<h1>no</h1>', 'text/html'))).toEqual([
        expect.stringContaining('documented as application/json'),
      ]);
      expect(contract.problemsWith('DELETE', '/api/users/{userId}', json(204, {}))).toEqual([
        expect.stringContaining('a body where the document declares none'),
      ]);
      expect(contract.problemsWith('POST', '/api/users', json(400, { error: 'bad' }))).toEqual([
        expect.stringContaining('does not match the document'),
      ]);
      expect(contract.problemsWith('POST', '/api/users', json(400, { message: 'Unexpected end of JSON input' }))).toEqual([]);
    });
  });

  describe('GET /api/docs', () => {
    /** The `src`/`href` URLs the page makes a browser load, resolved as a browser would. */
    function referencedAssets(html: string, pageUrl: string): URL[] {
      const urls = [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']/gi)].flatMap(([, value]) =>
        value === undefined ? [] : [value],
      );
      return urls.map((value) => new URL(value, pageUrl));
    }

    it('serves an HTML page whose assets all come from this server, none from a CDN', async () => {
      const pageUrl = `${server.baseUrl}/api/docs`;
      const page = await request(server.baseUrl, 'GET', '/api/docs');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).not.toMatch(/unpkg|jsdelivr|cdnjs|googleapis|cloudflare/i);

      const assets = referencedAssets(page.text, pageUrl);
      expect(assets.map(({ pathname }) => pathname)).toEqual(expect.arrayContaining([expect.stringMatching(/swagger-ui-bundle\.js$/)]));
      for (const asset of assets) expect(asset.origin).toBe(new URL(server.baseUrl).origin);
    });

    it('serves every script and stylesheet the page references with 200', async () => {
      const pageUrl = `${server.baseUrl}/api/docs`;
      const page = await request(server.baseUrl, 'GET', '/api/docs');
      const assets = referencedAssets(page.text, pageUrl).filter(({ pathname }) => /\.(js|css)$/.test(pathname));
      expect(assets.length).toBeGreaterThanOrEqual(2);
      for (const asset of assets) {
        const response = await fetch(asset);
        expect({ asset: asset.pathname, status: response.status }).toEqual({ asset: asset.pathname, status: 200 });
        expect(response.headers.get('content-type')).toMatch(/javascript|css/);
        expect((await response.text()).length).toBeGreaterThan(0);
      }
    });

    it('points the explorer at this server’s own OpenAPI document', async () => {
      const page = await request(server.baseUrl, 'GET', '/api/docs');
      const init = referencedAssets(page.text, `${server.baseUrl}/api/docs`).find(({ pathname }) =>
        pathname.endsWith('swagger-ui-init.js'),
      );
      expect(init).toBeDefined();
      const script = await (await fetch(init!)).text();
      // Either the document is embedded or its URL is given; both must describe the users routes.
      expect(script).toMatch(/swagger\.json|"\/api\/users\/\{userId\}"/);
      expect(script).not.toMatch(/petstore/i);
    });
  });
});
