import { request } from './support/clients.js';
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
          ...(route === 'GET /oidc/.well-known/openid-configuration' ? [] : ['503']),
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
      expect(jsonBodyRoutes).toHaveLength(8);
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
