import { createHash } from 'node:crypto';
import { createSdk, request, tokenFor, type RawResponse } from './support/clients.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { type ErrorBody, expectedNewUser, type User, USER_KEYS } from './support/wire.js';
import { uniqueName } from './support/factories.js';
import { waitFor } from './support/poll.js';
import { at } from './support/at.js';
import { rawHttp } from './support/bad-input.js';

/** Roster's request body limit: 1 MB of JSON (1,048,576 bytes), 413 beyond (README, Compatibility: "Body over 1 MB"). */
const BODY_LIMIT_BYTES = 1024 * 1024;
const REQUEST_ID_PATTERN = /^[0-9A-Za-z]{16}$/;

interface HttpLogLine {
  context: string;
  message: { requestId: string; method: string; path: string; status: number; durationMs: number };
}

/** What the runtime's own JSON.parse says about `text` (the server must echo exactly this). */
function jsonParseMessage(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`expected ${text} to be malformed JSON`);
}

/** Request options sending `text` verbatim as an `application/json` body. */
function rawJson(text: string): { body: string; headers: Record<string, string> } {
  return { body: text, headers: { 'content-type': 'application/json' } };
}

/** A JSON create-user body whose UTF-8 encoding is exactly `bytes` long. */
function createBodyOfSize(bytes: number): string {
  const skeleton = (padding: string) => JSON.stringify({ username: uniqueName('big'), customData: { padding } });
  const overhead = Buffer.byteLength(skeleton(''));
  const body = skeleton('x'.repeat(bytes - overhead));
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

function httpLogLines(logs: string[]): HttpLogLine[] {
  return logs.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Partial<HttpLogLine>;
      return parsed.context === 'HTTP' && typeof parsed.message === 'object' ? [parsed as HttpLogLine] : [];
    } catch {
      return [];
    }
  });
}

describe('HTTP platform behaviour', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  const countUsers = async (): Promise<number> =>
    Number(at(await server.query<{ total: string }>('SELECT count(*) AS total FROM users'), 0).total);

  /** Runs `send` and checks it was answered 400 guard.invalid_input and wrote nothing. */
  async function expectInvalidBodyWithoutWrite(send: () => Promise<RawResponse<ErrorBody>>): Promise<void> {
    const before = await countUsers();
    const response = await send();
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('guard.invalid_input');
    expect(await countUsers()).toBe(before);
  }

  describe('GET /api/status', () => {
    it('answers 204 with an empty body', async () => {
      const response = await request(server.baseUrl, 'GET', '/api/status');
      expect(response.status).toBe(204);
      expect(response.text).toBe('');
    });
  });

  describe('response headers', () => {
    it('puts a 16-character alphanumeric Logto-Core-Request-Id, nosniff and no X-Powered-By on every kind of response', async () => {
      const created = await request<User>(server.baseUrl, 'POST', '/api/users', { json: { username: uniqueName('hdr') } });
      const responses = [
        created,
        await request(server.baseUrl, 'GET', '/api/status'),
        await request(server.baseUrl, 'GET', `/api/users/${created.body.id}`),
        await request(server.baseUrl, 'GET', '/api/users/doesnotexist'),
        await request(server.baseUrl, 'GET', '/api/no-such-route'),
        await request(server.baseUrl, 'POST', '/api/users', rawJson('{bad')),
        await request(server.baseUrl, 'POST', '/api/users', { json: { username: '1-not-valid' } }),
        await request(server.baseUrl, 'POST', '/api/users', rawJson(createBodyOfSize(1_200_000))),
        await request(server.baseUrl, 'GET', '/api/swagger.json'),
      ];
      const ids = new Set<string>();
      for (const response of responses) {
        const requestId = response.headers.get('logto-core-request-id');
        expect(requestId).toMatch(REQUEST_ID_PATTERN);
        ids.add(requestId!);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-powered-by')).toBeNull();
      }
      expect(ids.size).toBe(responses.length);
    });

    it('marks every response that carries user data Cache-Control: no-store', async () => {
      const created = await request<User>(server.baseUrl, 'POST', '/api/users', { json: { username: uniqueName('cache') } });
      const userPath = `/api/users/${created.body.id}`;
      const calls: [string, string, unknown?][] = [
        ['GET', '/api/users'],
        ['GET', userPath],
        ['PATCH', userPath, { name: 'Cached Not' }],
        ['GET', `${userPath}/custom-data`],
        ['PATCH', `${userPath}/custom-data`, { customData: { a: 1 } }],
        ['PATCH', `${userPath}/profile`, { profile: { nickname: 'n' } }],
        ['PATCH', `${userPath}/is-suspended`, { isSuspended: true }],
        ['GET', `${userPath}/has-password`],
      ];
      const observed = [{ call: 'POST /api/users', status: created.status, cacheControl: created.headers.get('cache-control') }];
      for (const [method, path, json] of calls) {
        const response = await request(server.baseUrl, method, path, json === undefined ? {} : { json });
        observed.push({ call: `${method} ${path}`, status: response.status, cacheControl: response.headers.get('cache-control') });
      }
      expect(observed).toEqual(observed.map(({ call }) => ({ call, status: 200, cacheControl: 'no-store' })));
    });
  });

  describe('JSON body parsing', () => {
    it.each(['{bad', '{"username": "x",}', '{"username": "x"'])(
      'answers malformed JSON %j with 400 and exactly { message: <JSON.parse message> }',
      async (text) => {
        const response = await request<ErrorBody>(server.baseUrl, 'POST', '/api/users', rawJson(text));
        expect(response.status).toBe(400);
        expect(response.body).toEqual({ message: jsonParseMessage(text) });
      },
    );

    it.each(['"just a string"', '42'])('rejects the bare JSON value %s with 400 { message: invalid JSON … }', async (text) => {
      const response = await request<ErrorBody>(server.baseUrl, 'POST', '/api/users', rawJson(text));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ message: 'invalid JSON, only supports object and array' });
    });

    it('treats an empty JSON body as {} and creates a user whose fields are all empty', async () => {
      const response = await request<User>(server.baseUrl, 'POST', '/api/users', rawJson(''));
      expect(response.status).toBe(200);
      expect(response.body).toEqual(expectedNewUser());
    });

    it('rejects a JSON array body with 400 guard.invalid_input', async () => {
      const response = await request<ErrorBody>(server.baseUrl, 'POST', '/api/users', { json: [{ username: uniqueName('arr') }] });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('guard.invalid_input');
    });

    it('answers a body over 1 MB with 413 and a Logto-style body', async () => {
      const before = await countUsers();
      const response = await request<ErrorBody>(server.baseUrl, 'POST', '/api/users', rawJson(createBodyOfSize(1_200_000)));
      expect(response.status).toBe(413);
      expect(response.body).toEqual({ code: 'request.entity_too_large', message: expect.any(String) });
      expect(response.body.message).not.toBe('');
      expect(await countUsers()).toBe(before);
    });

    it('answers a body one byte over the limit with 413', async () => {
      const response = await request<ErrorBody>(server.baseUrl, 'POST', '/api/users', rawJson(createBodyOfSize(BODY_LIMIT_BYTES + 1)));
      expect(response.status).toBe(413);
      expect(response.body.code).toBe('request.entity_too_large');
    });

    it('accepts a valid body of exactly the limit', async () => {
      const response = await request<User>(server.baseUrl, 'POST', '/api/users', rawJson(createBodyOfSize(BODY_LIMIT_BYTES)));
      expect(response.status).toBe(200);
      expect(response.body.username).toMatch(/^big_/);
    });
  });

  describe('text PostgreSQL cannot store', () => {
    it('rejects a NUL character in a string field with 400 guard.invalid_input and writes nothing', async () => {
      await expectInvalidBodyWithoutWrite(() =>
        request(server.baseUrl, 'POST', '/api/users', { json: { username: uniqueName('nul'), name: 'a\u0000b' } }),
      );
    });

    it('rejects a NUL character in a customData value with 400 guard.invalid_input and writes nothing', async () => {
      await expectInvalidBodyWithoutWrite(() =>
        request(server.baseUrl, 'POST', '/api/users', {
          json: { username: uniqueName('nul'), customData: { nested: { value: 'x\u0000' } } },
        }),
      );
    });

    it('rejects a NUL character in a customData key with 400 guard.invalid_input and writes nothing', async () => {
      await expectInvalidBodyWithoutWrite(() =>
        request(server.baseUrl, 'POST', '/api/users', { json: { username: uniqueName('nul'), customData: { 'bad\u0000key': 1 } } }),
      );
    });

    it('rejects a lone surrogate escape in the raw JSON with 400 guard.invalid_input and writes nothing', async () => {
      await expectInvalidBodyWithoutWrite(() =>
        request(server.baseUrl, 'POST', '/api/users', rawJson(`{"username":"${uniqueName('sur')}","name":"\\ud800"}`)),
      );
      await expectInvalidBodyWithoutWrite(() =>
        request(server.baseUrl, 'POST', '/api/users', rawJson(`{"username":"${uniqueName('sur')}","customData":{"k":"x\\udfff"}}`)),
      );
    });

    it('rejects NUL in PATCH …/custom-data with 400 guard.invalid_input and leaves the data unchanged', async () => {
      const created = await request<User>(server.baseUrl, 'POST', '/api/users', { json: { customData: { kept: true } } });
      const response = await request<ErrorBody>(server.baseUrl, 'PATCH', `/api/users/${created.body.id}/custom-data`, {
        json: { customData: { added: 'a\u0000' } },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('guard.invalid_input');
      const stored = await request(server.baseUrl, 'GET', `/api/users/${created.body.id}/custom-data`);
      expect(stored.body).toEqual({ kept: true });
    });
  });

  describe('prototype keys in bodies', () => {
    it('neither pollutes objects nor fails when a body carries __proto__ and constructor keys', async () => {
      const username = uniqueName('proto');
      const response = await request<User>(
        server.baseUrl,
        'POST',
        '/api/users',
        rawJson(
          `{"username":"${username}","__proto__":{"isAdmin":true,"polluted":"top"},` +
            `"constructor":{"prototype":{"polluted":"ctor"}},` +
            `"customData":{"a":1,"__proto__":{"polluted":"custom"},"constructor":{"prototype":{"polluted":"custom-ctor"}}}}`,
        ),
      );
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual([...USER_KEYS].sort());
      expect(response.body.username).toBe(username);
      expect(response.body.customData.a).toBe(1);
      expect(JSON.stringify(response.body)).not.toContain('polluted');

      // A plain user created afterwards shows that no shared prototype picked anything up.
      const sdk = createSdk(server.baseUrl);
      const plain = await sdk.POST('/api/users', { body: { username: uniqueName('plain') } });
      expect(plain.response.status).toBe(200);
      expect(Object.keys(plain.data!).sort()).toEqual([...USER_KEYS].sort());
      expect(plain.data!.customData).toEqual({});
      const stored = await request(server.baseUrl, 'GET', `/api/users/${response.body.id}`);
      expect(stored.text).not.toContain('polluted');
      expect(stored.text).not.toContain('isAdmin');
    });

    it('never answers 5xx to __proto__ in PATCH bodies', async () => {
      const created = await request<User>(server.baseUrl, 'POST', '/api/users', { json: {} });
      const userPath = `/api/users/${created.body.id}`;
      const patch = await request(server.baseUrl, 'PATCH', userPath, rawJson('{"name":"n","__proto__":{"isSuspended":true}}'));
      expect(patch.status).toBe(200);
      expect(patch.body).toMatchObject({ name: 'n', isSuspended: false });
      const merge = await request(
        server.baseUrl,
        'PATCH',
        `${userPath}/custom-data`,
        rawJson('{"customData":{"__proto__":{"polluted":true},"b":2}}'),
      );
      expect(merge.status).toBe(200);
      expect(merge.body).toEqual({ b: 2 });
      const stored = await request(server.baseUrl, 'GET', userPath);
      expect(stored.body).toMatchObject({ isSuspended: false });
      expect(stored.text).not.toContain('polluted');
    });
  });

  describe('unknown routes and unsupported input', () => {
    it.each([
      ['GET', '/api/no-such-route'],
      ['POST', '/api/no-such-route'],
      ['GET', '/no-such-route'],
      ['GET', '/api/users/some-id/no-such-sub-route'],
    ])('answers %s %s with 404 and a Logto-style { code, message } body', async (method, path) => {
      const response = await request<ErrorBody>(server.baseUrl, method, path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ code: expect.any(String), message: expect.any(String) });
    });

    const routeNotFound = { code: 'request.route_not_found', message: 'The requested route does not exist.' };
    const undeclaredMethods = ['QUERY', 'PROPFIND', 'SEARCH', 'MKCOL', 'TRACE'];
    const bodies: [string, Record<string, string>, Buffer | undefined][] = [
      ['no body and no Content-Type', {}, undefined],
      ['a JSON body', { 'content-type': 'application/json' }, Buffer.from('{"a":1}')],
      ['a body without Content-Type', {}, Buffer.from('x')],
    ];
    it.each(
      undeclaredMethods.flatMap((method) =>
        ['/api/status', '/api/users', '/oidc/token'].flatMap((path) =>
          bodies.flatMap(([label, headers, body]) => [true, false].map((auth) => ({ method, path, label, headers, body, auth }))),
        ),
      ),
    )('answers $method $path with $label (token: $auth) like any unknown route: 404 request.route_not_found', async (call) => {
      const response = await rawHttp(server.baseUrl, {
        method: call.method,
        path: call.path,
        headers: call.headers,
        body: call.body,
        auth: call.auth,
      });
      expect({ status: response.status, body: JSON.parse(response.text) as unknown }).toEqual({ status: 404, body: routeNotFound });
      expect(response.headers['logto-core-request-id']).toMatch(REQUEST_ID_PATTERN);
    });

    it('answers a method the path does not support with 404 or 405 and a Logto-style body', async () => {
      const response = await request<ErrorBody>(server.baseUrl, 'DELETE', '/api/users');
      expect([404, 405]).toContain(response.status);
      expect(response.body).toEqual({ code: expect.any(String), message: expect.any(String) });
    });

    it.each([
      ['a text/plain body', 'text/plain', 'username=plain'],
      ['an unknown content type', 'application/xml', '<user/>'],
    ])('answers %s on POST /api/users with 4xx and a code, never 500, and writes nothing', async (_label, contentType, body) => {
      const before = await countUsers();
      const response = await request<ErrorBody>(server.baseUrl, 'POST', '/api/users', { body, headers: { 'content-type': contentType } });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.body.code).toEqual(expect.any(String));
      expect(await countUsers()).toBe(before);
    });
  });

  describe('odd user ids in the path', () => {
    const longId = 'a'.repeat(10 * 1024);
    it.each([
      ['an encoded slash', 'GET', '/api/users/%2F'],
      ['an encoded slash inside the id', 'GET', '/api/users/a%2Fb'],
      ['a literal .. segment', 'GET', '/api/users/..'],
      ['an encoded .. segment', 'GET', '/api/users/%2E%2E'],
      ['.. followed by a segment', 'GET', '/api/users/../users'],
      ['encoded traversal', 'DELETE', '/api/users/..%2F..%2Fstatus'],
      ['an encoded NUL', 'GET', '/api/users/%00'],
      ['a broken percent-encoding', 'GET', '/api/users/%E0%A4%A'],
      ['a 10 KB id', 'GET', `/api/users/${longId}`],
      ['a 10 KB id', 'PATCH', `/api/users/${longId}`],
      ['a 10 KB id', 'DELETE', `/api/users/${longId}`],
      ['a 10 KB id followed by /custom-data', 'GET', `/api/users/${longId}/custom-data`],
    ])('answers %s (%s) with 404 or 400 and a Logto-style body, never 5xx', async (_label, method, path) => {
      // Sent verbatim: fetch would normalise `..` segments away.
      const response = await rawHttp(server.baseUrl, { method, path });
      expect([400, 404]).toContain(response.status);
      expect(response.headers['logto-core-request-id']).toMatch(REQUEST_ID_PATTERN);
      expect(JSON.parse(response.text)).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    });
  });

  describe('request logging', () => {
    const password = 'Sup3rSecret-Password!';
    const digest = createHash('sha256').update('imported-secret').digest('hex');

    it('writes one JSON line per request, with the response request id, and never a password, digest or token', async () => {
      const withPassword = await request(server.baseUrl, 'POST', '/api/users?debug=1', {
        json: { username: uniqueName('log'), password },
      });
      const withDigest = await request(server.baseUrl, 'POST', '/api/users', {
        json: { username: uniqueName('log'), passwordDigest: digest, passwordAlgorithm: 'SHA256' },
      });
      const rejected = await request(server.baseUrl, 'POST', '/api/users', {
        json: { username: '9-invalid', password },
      });
      expect([withPassword.status, withDigest.status, rejected.status]).toEqual([200, 200, 400]);

      // Lines are written in order, so once a later request's line is there, earlier ones are complete.
      const marker = await request(server.baseUrl, 'GET', '/api/status');
      const markerId = marker.headers.get('logto-core-request-id')!;
      await waitFor(
        'the marker log line',
        () => (httpLogLines(server.logs).some((line) => line.message.requestId === markerId) ? true : undefined),
        5000,
        10,
      );

      const lines = httpLogLines(server.logs);
      for (const [response, status, path] of [
        [withPassword, 200, '/api/users'],
        [withDigest, 200, '/api/users'],
        [rejected, 400, '/api/users'],
      ] as const) {
        const requestId = response.headers.get('logto-core-request-id');
        const own = lines.filter((line) => line.message.requestId === requestId);
        expect(own).toHaveLength(1);
        expect(own[0]?.message).toEqual(
          expect.objectContaining({ requestId, method: 'POST', path, status, durationMs: expect.any(Number) }),
        );
        expect(own[0]?.message.durationMs).toBeGreaterThanOrEqual(0);
      }

      const allLogs = server.logs.join('\n');
      const token = await tokenFor(server.baseUrl);
      for (const secret of [password, digest, token, server.credentials.clientSecret]) expect(allLogs).not.toContain(secret);
    });
  });
});
