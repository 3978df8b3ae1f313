import { createManagementApi } from '@logto/api/management';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { callWithAuthorization, fetchAccessToken, postToken, type TokenResponseBody } from './support/auth.js';
import { createApplication, type CreatedApplication, runCliJson } from './support/cli.js';
import { MANAGEMENT_API_RESOURCE, request, type RawResponse } from './support/clients.js';
import { pollUntil } from './support/poll.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { expectAuthError } from './support/expect-errors.js';
import { uniqueName } from './support/factories.js';
import { ERROR_MESSAGES } from './support/wire.js';

/** A 400 from the token endpoint: `{ code: 'oidc.<error>', message, error, error_description }`. */
function expectOidcError(response: RawResponse, error: string, description: string): void {
  expect({ status: response.status, body: response.body }).toEqual({
    status: 400,
    body: { code: `oidc.${error}`, message: description, error, error_description: description },
  });
  expect(Object.keys(response.body as object)).toEqual(['code', 'message', 'error', 'error_description']);
}

function expectTokenResponse(response: RawResponse, scope: string | undefined): TokenResponseBody {
  const expected = { access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer', ...(scope === undefined ? {} : { scope }) };
  expect({ status: response.status, body: response.body }).toEqual({ status: 200, body: expected });
  expect(response.headers.get('cache-control')).toBe('no-store');
  return response.body as TokenResponseBody;
}

/** The fields without the named ones. */
function without(fields: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([name]) => !names.includes(name)));
}

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Replaces a JWT's payload, keeping its header and signature. */
function withPayload(token: string, payload: JWTPayload): string {
  const [header, , signature] = token.split('.');
  return `${header}.${base64url(payload)}.${signature}`;
}

describe('authentication (applications, /oidc/token, the bearer guard)', () => {
  let server: TestServer;
  let issuer: string;
  /** Tokens of the bootstrap application (scope `all`). */
  let bootstrapToken: string;

  beforeAll(async () => {
    server = await startTestServer();
    issuer = `${server.baseUrl}/oidc`;
    bootstrapToken = await fetchAccessToken(server.baseUrl, server.credentials.clientId, server.credentials.clientSecret);
  });

  afterAll(async () => {
    await server?.stop();
  });

  const bootstrapFields = (fields: Record<string, string> = {}): Record<string, string> => ({
    grant_type: 'client_credentials',
    client_id: server.credentials.clientId,
    client_secret: server.credentials.clientSecret,
    resource: MANAGEMENT_API_RESOURCE,
    scope: 'all',
    ...fields,
  });

  const withToken = (token: string, method: string, path: string, json?: unknown): Promise<RawResponse> =>
    callWithAuthorization(server.baseUrl, method, path, `Bearer ${token}`, json);

  async function jwks(): Promise<JSONWebKeySet> {
    const response = await request<JSONWebKeySet>(server.baseUrl, 'GET', '/oidc/jwks');
    expect(response.status).toBe(200);
    return response.body;
  }

  describe('the official SDK (createManagementApi) end to end', () => {
    it('gets a token, then creates, lists, gets, updates, suspends and deletes a user', async () => {
      const { apiClient, clientCredentials } = createManagementApi('default', {
        clientId: server.credentials.clientId,
        clientSecret: server.credentials.clientSecret,
        baseUrl: server.baseUrl,
        apiIndicator: MANAGEMENT_API_RESOURCE,
      });
      const accessToken = await clientCredentials.getAccessToken();
      expect(accessToken.scope).toBe('all');
      expect(decodeJwt(accessToken.value)).toMatchObject({ sub: server.credentials.clientId, aud: MANAGEMENT_API_RESOURCE });

      const username = uniqueName('sdk');
      const created = await apiClient.POST('/api/users', { body: { username, name: 'SDK user' } });
      expect(created.response.status).toBe(200);
      expect(created.data).toMatchObject({ username, name: 'SDK user', isSuspended: false });
      const userId = created.data!.id;

      const listed = await apiClient.GET('/api/users', { params: { query: { page_size: 100 } } });
      expect(listed.response.status).toBe(200);
      expect(listed.data?.find((user) => user.id === userId)).toMatchObject({ id: userId, username });

      const fetched = await apiClient.GET('/api/users/{userId}', { params: { path: { userId } } });
      expect(fetched.response.status).toBe(200);
      expect(fetched.data).toMatchObject({ id: userId, username, name: 'SDK user' });

      const updated = await apiClient.PATCH('/api/users/{userId}', { params: { path: { userId } }, body: { name: 'Renamed' } });
      expect(updated.response.status).toBe(200);
      expect(updated.data).toMatchObject({ id: userId, username, name: 'Renamed' });

      const suspended = await apiClient.PATCH('/api/users/{userId}/is-suspended', {
        params: { path: { userId } },
        body: { isSuspended: true },
      });
      expect(suspended.response.status).toBe(200);
      expect(suspended.data).toMatchObject({ id: userId, isSuspended: true });

      const deleted = await apiClient.DELETE('/api/users/{userId}', { params: { path: { userId } } });
      expect(deleted.response.status).toBe(204);

      const gone = await apiClient.GET('/api/users/{userId}', { params: { path: { userId } } });
      expect(gone.response.status).toBe(404);
      expect(gone.error).toEqual({ code: 'entity.not_found', message: 'The resource does not exist.' });
    });
  });

  describe('POST /oidc/token', () => {
    it('issues a token to client_id and client_secret in a form body, with Cache-Control: no-store', async () => {
      const response = await postToken(server.baseUrl, bootstrapFields());
      expectTokenResponse(response, 'all');
      expect(Object.keys(response.body as object)).toEqual(['access_token', 'expires_in', 'token_type', 'scope']);
    });

    it('issues a token to HTTP Basic client authentication', async () => {
      const fields = without(bootstrapFields(), 'client_id', 'client_secret');
      const response = await postToken(server.baseUrl, fields, { basic: server.credentials });
      expectTokenResponse(response, 'all');
    });

    it('accepts HTTP Basic together with the same client_id in the body', async () => {
      const fields = without(bootstrapFields(), 'client_secret');
      expectTokenResponse(await postToken(server.baseUrl, fields, { basic: server.credentials }), 'all');
    });

    it('issues a token to a JSON body', async () => {
      expectTokenResponse(await postToken(server.baseUrl, bootstrapFields(), { json: true }), 'all');
    });

    it('signs an RFC 9068 access token: ES384, typ at+jwt, a kid published in JWKS, and the documented claims', async () => {
      const before = Math.floor(Date.now() / 1000);
      const { access_token: token } = expectTokenResponse(await postToken(server.baseUrl, bootstrapFields()), 'all');
      const after = Math.floor(Date.now() / 1000);

      const header = decodeProtectedHeader(token);
      expect(header).toEqual({ alg: 'ES384', typ: 'at+jwt', kid: expect.any(String) });
      const keys = await jwks();
      expect(keys.keys.map((key) => key.kid)).toContain(header.kid);
      const published = keys.keys.find((key) => key.kid === header.kid)!;
      expect(published).toMatchObject({ kty: 'EC', crv: 'P-384', alg: 'ES384', use: 'sig' });
      expect(published).not.toHaveProperty('d');

      const claims = decodeJwt(token);
      expect(claims).toEqual({
        jti: expect.any(String),
        sub: server.credentials.clientId,
        client_id: server.credentials.clientId,
        iss: issuer,
        aud: MANAGEMENT_API_RESOURCE,
        scope: 'all',
        iat: expect.any(Number),
        exp: expect.any(Number),
      });
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(claims.iat).toBeLessThanOrEqual(after);
      expect(claims.exp).toBe(claims.iat! + 3600);
    });

    it('gives every token its own jti', async () => {
      const first = expectTokenResponse(await postToken(server.baseUrl, bootstrapFields()), 'all');
      const second = expectTokenResponse(await postToken(server.baseUrl, bootstrapFields()), 'all');
      expect(decodeJwt(first.access_token).jti).not.toBe(decodeJwt(second.access_token).jti);
    });

    it('signs tokens that verify against the published JWKS (remote and local key sets)', async () => {
      const { access_token: token } = expectTokenResponse(await postToken(server.baseUrl, bootstrapFields()), 'all');
      const options = { issuer, audience: MANAGEMENT_API_RESOURCE, algorithms: ['ES384'], typ: 'at+jwt' };
      const remote = await jwtVerify(token, createRemoteJWKSet(new URL(`${server.baseUrl}/oidc/jwks`)), options);
      expect(remote.payload.sub).toBe(server.credentials.clientId);
      const local = await jwtVerify(token, createLocalJWKSet(await jwks()), options);
      expect(local.protectedHeader.kid).toBe(decodeProtectedHeader(token).kid);
    });

    describe('granted scope = requested ∩ the application’s scopes', () => {
      let reader: CreatedApplication;

      beforeAll(async () => {
        reader = await createApplication(server, uniqueName('reader'), ['users:read']);
      });

      const readerFields = (scope: string): Record<string, string> => ({
        grant_type: 'client_credentials',
        client_id: reader.id,
        client_secret: reader.secret,
        resource: MANAGEMENT_API_RESOURCE,
        scope,
      });

      it('grants `all` to an application holding `all`', async () => {
        const { access_token: token } = expectTokenResponse(await postToken(server.baseUrl, bootstrapFields({ scope: 'all' })), 'all');
        expect(decodeJwt(token).scope).toBe('all');
      });

      it('grants only `users:read` to a users:read application asking for `all users:read`', async () => {
        const { access_token: token } = expectTokenResponse(await postToken(server.baseUrl, readerFields('all users:read')), 'users:read');
        expect(decodeJwt(token)).toMatchObject({ scope: 'users:read', sub: reader.id, client_id: reader.id });
      });

      it('omits `scope` from the response and the JWT when nothing requested is granted', async () => {
        const response = await postToken(server.baseUrl, readerFields('logs:read'));
        const { access_token: token } = expectTokenResponse(response, undefined);
        expect(response.body).not.toHaveProperty('scope');
        expect(decodeJwt(token)).not.toHaveProperty('scope');
      });
    });

    describe('errors (400, RFC 6749 §5.2 / RFC 8707 with Logto’s code and message)', () => {
      it('rejects a wrong secret: invalid_client', async () => {
        expectOidcError(
          await postToken(server.baseUrl, bootstrapFields({ client_secret: 'wrong-secret-0123456789' })),
          'invalid_client',
          'client authentication failed',
        );
      });

      it('rejects an unknown client with exactly the body of a wrong secret', async () => {
        const wrongSecret = await postToken(server.baseUrl, bootstrapFields({ client_secret: 'wrong-secret-0123456789' }));
        const unknownClient = await postToken(server.baseUrl, bootstrapFields({ client_id: uniqueName('nobody') }));
        expectOidcError(unknownClient, 'invalid_client', 'client authentication failed');
        expect(unknownClient.text).toBe(wrongSecret.text);
      });

      it('rejects a wrong secret sent with HTTP Basic: invalid_client', async () => {
        const fields = without(bootstrapFields(), 'client_id', 'client_secret');
        const response = await postToken(server.baseUrl, fields, {
          basic: { clientId: server.credentials.clientId, clientSecret: 'wrong-secret-0123456789' },
        });
        expectOidcError(response, 'invalid_client', 'client authentication failed');
      });

      it('rejects a request without client authentication: invalid_request', async () => {
        const fields = without(bootstrapFields(), 'client_id', 'client_secret');
        expectOidcError(await postToken(server.baseUrl, fields), 'invalid_request', 'no client authentication mechanism provided');
      });

      it('rejects HTTP Basic with a different client_id in the body: invalid_request "client_id mismatch"', async () => {
        const fields = without(bootstrapFields({ client_id: 'someone-else' }), 'client_secret');
        expectOidcError(await postToken(server.baseUrl, fields, { basic: server.credentials }), 'invalid_request', 'client_id mismatch');
      });

      it('rejects a missing grant_type: invalid_request', async () => {
        const fields = without(bootstrapFields(), 'grant_type');
        expectOidcError(await postToken(server.baseUrl, fields), 'invalid_request', "missing required parameter 'grant_type'");
      });

      it('rejects grant_type=authorization_code: unsupported_grant_type', async () => {
        const response = await postToken(server.baseUrl, bootstrapFields({ grant_type: 'authorization_code', code: 'abc' }));
        expectOidcError(response, 'unsupported_grant_type', 'unsupported grant_type requested (authorization_code)');
      });

      it('rejects a missing resource: invalid_target', async () => {
        const fields = without(bootstrapFields(), 'resource');
        expectOidcError(
          await postToken(server.baseUrl, fields),
          'invalid_target',
          'both `resource` and `organization_id` are not provided',
        );
      });

      it('rejects an unknown resource: invalid_target', async () => {
        const response = await postToken(server.baseUrl, bootstrapFields({ resource: 'https://other.example.com/api' }));
        expectOidcError(response, 'invalid_target', 'resource indicator is missing, or unknown');
      });

      const deeplyNested = `${'['.repeat(70)}${']'.repeat(70)}`;
      it.each([
        ['NUL in a form field', 'application/x-www-form-urlencoded', 'grant_type=%00&resource=x', 400, 'guard.invalid_input'],
        ['malformed JSON', 'application/json', '{bad', 400, undefined],
        ['a JSON string instead of an object', 'application/json', '"x"', 400, undefined],
        ['a lone surrogate in JSON', 'application/json', '{"grant_type":"\\ud800"}', 400, 'guard.invalid_input'],
        ['JSON nested beyond 64 levels', 'application/json', deeplyNested, 400, 'guard.invalid_input'],
        ['a body over 1 MB', 'application/x-www-form-urlencoded', `grant_type=${'a'.repeat(1_100_000)}`, 413, 'request.entity_too_large'],
      ])('answers %s with RFC 6749 error fields beside Logto’s', async (_label, contentType, body, status, code) => {
        const response = await request<Record<string, unknown>>(server.baseUrl, 'POST', '/oidc/token', {
          body,
          headers: { 'content-type': contentType },
        });
        expect(response.status).toBe(status);
        expect(response.body).toEqual(
          expect.objectContaining({ error: 'invalid_request', error_description: response.body.message, ...(code ? { code } : {}) }),
        );
        expect(response.body.message).toEqual(expect.any(String));
      });

      it('rejects a disabled application with its right secret: invalid_client, and accepts it again once enabled', async () => {
        const app = await createApplication(server, uniqueName('to-disable'), ['all']);
        const fields = bootstrapFields({ client_id: app.id, client_secret: app.secret });
        expectTokenResponse(await postToken(server.baseUrl, fields), 'all');
        await runCliJson(server, ['applications:disable', app.id]);
        expectOidcError(await postToken(server.baseUrl, fields), 'invalid_client', 'client authentication failed');
        await runCliJson(server, ['applications:enable', app.id]);
        expectTokenResponse(await postToken(server.baseUrl, fields), 'all');
      });
    });
  });

  describe('discovery and public routes', () => {
    it('publishes the authorization server metadata at /oidc/.well-known/openid-configuration', async () => {
      const response = await request<Record<string, unknown>>(server.baseUrl, 'GET', '/oidc/.well-known/openid-configuration');
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        issuer,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        grant_types_supported: expect.arrayContaining(['client_credentials']),
        token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
      });
    });

    it.each([
      ['/oidc/jwks', 200],
      ['/oidc/.well-known/openid-configuration', 200],
      ['/api/status', 204],
      ['/api/swagger.json', 200],
      ['/api/docs', 200],
    ])('answers GET %s without a token (%i)', async (path, status) => {
      const response = await request(server.baseUrl, 'GET', path, { auth: false });
      expect(response.status).toBe(status);
    });

    it('answers POST /oidc/token without a bearer token (it authenticates the client itself)', async () => {
      expectTokenResponse(await postToken(server.baseUrl, bootstrapFields()), 'all');
    });
  });

  describe('the bearer guard', () => {
    /** Tokens of applications created through the CLI with a single narrow scope each. */
    let usersReadToken: string;
    let logsReadToken: string;
    let usersWriteToken: string;

    beforeAll(async () => {
      const [usersReader, logsReader, usersWriter] = await Promise.all([
        createApplication(server, uniqueName('guard-users-read'), ['users:read']),
        createApplication(server, uniqueName('guard-logs-read'), ['logs:read']),
        createApplication(server, uniqueName('guard-users-write'), ['users:write']),
      ]);
      usersReadToken = await fetchAccessToken(server.baseUrl, usersReader.id, usersReader.secret, 'users:read');
      logsReadToken = await fetchAccessToken(server.baseUrl, logsReader.id, logsReader.secret, 'logs:read');
      usersWriteToken = await fetchAccessToken(server.baseUrl, usersWriter.id, usersWriter.secret, 'users:write');
    });

    /** Claims of a well-formed token of the bootstrap application, valid for an hour from now. */
    function validClaims(overrides: Record<string, unknown> = {}): JWTPayload {
      const now = Math.floor(Date.now() / 1000);
      return {
        jti: randomUUID(),
        sub: server.credentials.clientId,
        client_id: server.credentials.clientId,
        iss: issuer,
        aud: MANAGEMENT_API_RESOURCE,
        scope: 'all',
        iat: now,
        exp: now + 3600,
        ...overrides,
      };
    }

    /** The kid the server signs with (this file never rotates its keys). */
    const serverKid = (): string => decodeProtectedHeader(bootstrapToken).kid!;

    /**
     * Signs with the server's own private key, read from its database, so that each claim check is
     * tested on a token whose signature is otherwise valid.
     */
    async function signWithServerKey(claims: JWTPayload): Promise<string> {
      const kid = serverKid();
      const [row] = await server.query<{ private_jwk: JWK }>('SELECT private_jwk FROM signing_keys WHERE id = $1', [kid]);
      expect(row).toBeDefined();
      const key = await importJWK(row!.private_jwk, 'ES384');
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid }).sign(key);
    }

    async function signWithOtherKey(claims: JWTPayload, kid: string): Promise<string> {
      const { privateKey } = await generateKeyPair('ES384');
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid }).sign(privateKey);
    }

    it('answers 401 auth.authorization_header_missing without an Authorization header', async () => {
      expectAuthError(
        await callWithAuthorization(server.baseUrl, 'GET', '/api/users', undefined),
        401,
        'auth.authorization_header_missing',
      );
    });

    it.each(['Basic xyz', 'bearer x', 'Token abc'])(
      'answers 401 auth.authorization_token_type_not_supported to "%s"',
      async (authorization) => {
        const response = await callWithAuthorization(server.baseUrl, 'GET', '/api/users', authorization);
        expectAuthError(response, 401, 'auth.authorization_token_type_not_supported', { supportedTypes: ['Bearer'] });
      },
    );

    it('takes the scheme case-sensitively: a real token is accepted after "Bearer", rejected after "bearer"', async () => {
      expect((await withToken(bootstrapToken, 'GET', '/api/users')).status).toBe(200);
      const lower = await callWithAuthorization(server.baseUrl, 'GET', '/api/users', `bearer ${bootstrapToken}`);
      expectAuthError(lower, 401, 'auth.authorization_token_type_not_supported', { supportedTypes: ['Bearer'] });
    });

    it('accepts an audience array that contains the Management API (aud contains the resource indicator)', async () => {
      const token = await signWithServerKey(validClaims({ aud: ['https://other.example.com/api', MANAGEMENT_API_RESOURCE] }));
      expect((await withToken(token, 'GET', '/api/users')).status).toBe(200);
    });

    it('accepts a hand-made token signed with the server key (control for the claim checks below)', async () => {
      expect((await withToken(await signWithServerKey(validClaims()), 'GET', '/api/users')).status).toBe(200);
    });

    describe('rejects with 401 auth.unauthorized', () => {
      it('a token with alg "none" and no signature', async () => {
        const token = `${base64url({ alg: 'none', typ: 'at+jwt', kid: serverKid() })}.${base64url(validClaims())}.`;
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token HMAC-signed (HS256) with the server’s public key as the secret', async () => {
        const kid = serverKid();
        const publicJwk = (await jwks()).keys.find((key) => key.kid === kid);
        const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
        const token = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(secret);
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token signed by another ES384 key under the real kid', async () => {
        const token = await signWithOtherKey(validClaims(), serverKid());
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token with an unknown kid', async () => {
        const token = await signWithOtherKey(validClaims(), 'no-such-kid');
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token whose key is embedded in its own header (jwk)', async () => {
        const { privateKey, publicKey } = await generateKeyPair('ES384');
        const jwk = await exportJWK(publicKey);
        const token = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', jwk }).sign(privateKey);
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('an expired token (exp in the past, no clock tolerance)', async () => {
        const now = Math.floor(Date.now() / 1000);
        const token = await signWithServerKey(validClaims({ iat: now - 3700, exp: now - 5 }));
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token not valid yet (nbf in the future)', async () => {
        const token = await signWithServerKey(validClaims({ nbf: Math.floor(Date.now() / 1000) + 600 }));
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token from another issuer', async () => {
        const token = await signWithServerKey(validClaims({ iss: 'https://evil.example.com/oidc' }));
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token for another audience', async () => {
        const token = await signWithServerKey(validClaims({ aud: 'https://other.example.com/api' }));
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token whose audience array does not contain the Management API', async () => {
        const token = await signWithServerKey(validClaims({ aud: ['https://other.example.com/api', 'https://third.example.com'] }));
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a token whose scope claim is not a string', async () => {
        const token = await signWithServerKey(validClaims({ scope: ['all'] }));
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a real token whose payload was changed (scope raised to all)', async () => {
        const payload = { ...decodeJwt(logsReadToken), scope: 'all' };
        expectAuthError(await withToken(withPayload(logsReadToken, payload), 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it('a real token with a truncated signature', async () => {
        expectAuthError(await withToken(bootstrapToken.slice(0, -8), 'GET', '/api/users'), 401, 'auth.unauthorized');
      });

      it.each(['not-a-jwt', '', 'a.b.c', '..'])('the bearer value %j', async (token) => {
        expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.unauthorized');
      });
    });

    it('answers 401 auth.jwt_sub_missing to a correctly signed token without sub', async () => {
      const token = await signWithServerKey(validClaims({ sub: undefined }));
      expectAuthError(await withToken(token, 'GET', '/api/users'), 401, 'auth.jwt_sub_missing');
    });

    describe('scopes', () => {
      it('answers 403 auth.forbidden to a logs:read token on GET /api/users', async () => {
        expectAuthError(await withToken(logsReadToken, 'GET', '/api/users'), 403, 'auth.forbidden');
      });

      it('lets a users:read token list users but not create one (403)', async () => {
        expect((await withToken(usersReadToken, 'GET', '/api/users')).status).toBe(200);
        expectAuthError(await withToken(usersReadToken, 'POST', '/api/users', { username: uniqueName('denied') }), 403, 'auth.forbidden');
      });

      it('lets a users:write token create a user', async () => {
        const username = uniqueName('writer');
        const response = await withToken(usersWriteToken, 'POST', '/api/users', { username });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ username });
      });

      it('answers 403 auth.forbidden to a correctly signed token without any scope', async () => {
        const token = await signWithServerKey(validClaims({ scope: undefined }));
        expectAuthError(await withToken(token, 'GET', '/api/users'), 403, 'auth.forbidden');
      });

      it('answers 403 to a token the server issued without scope (nothing requested was granted)', async () => {
        const response = await postToken<TokenResponseBody>(server.baseUrl, bootstrapFields({ scope: 'not-a-scope' }));
        const token = expectTokenResponse(response, undefined).access_token;
        expectAuthError(await withToken(token, 'GET', '/api/users'), 403, 'auth.forbidden');
      });
    });

    describe('authentication before validation and lookups', () => {
      it('answers 401, not 404, for an unknown user id without a token', async () => {
        const response = await callWithAuthorization(server.baseUrl, 'GET', '/api/users/no-such-user', undefined);
        expectAuthError(response, 401, 'auth.authorization_header_missing');
      });

      it('answers 401, not 400, for an invalid body without a token', async () => {
        const response = await callWithAuthorization(server.baseUrl, 'POST', '/api/users', undefined, {
          username: 42,
          primaryEmail: 'not-an-email',
        });
        expectAuthError(response, 401, 'auth.authorization_header_missing');
      });

      it('answers 401, not 400, for malformed JSON without a token', async () => {
        const response = await request(server.baseUrl, 'POST', '/api/users', {
          auth: false,
          body: '{"username": ',
          headers: { 'content-type': 'application/json' },
        });
        expectAuthError(response, 401, 'auth.authorization_header_missing');
      });

      it('answers 401, not 404 or 400, to a bad token on an unknown user with an invalid body', async () => {
        const response = await withToken(bootstrapToken.slice(0, -8), 'PATCH', '/api/users/no-such-user', { name: 42 });
        expectAuthError(response, 401, 'auth.unauthorized');
      });

      it('answers 403, not 404 or 400, to a token without the scope', async () => {
        expectAuthError(await withToken(logsReadToken, 'GET', '/api/users/no-such-user'), 403, 'auth.forbidden');
        expectAuthError(await withToken(usersReadToken, 'POST', '/api/users', { username: 42 }), 403, 'auth.forbidden');
      });
    });

    it('stops accepting a token once its application is disabled, and accepts it again once enabled', async () => {
      const app = await createApplication(server, uniqueName('disabled-later'), ['all']);
      const token = await fetchAccessToken(server.baseUrl, app.id, app.secret);
      expect((await withToken(token, 'GET', '/api/users')).status).toBe(200);

      // Documented: a replica learns of a change made elsewhere (here, by the CLI) within a second.
      await runCliJson(server, ['applications:disable', app.id]);
      const whileDisabled = await pollUntil(
        () => withToken(token, 'GET', '/api/users'),
        (response) => response.status === 401,
        3000,
      );
      expectAuthError(whileDisabled, 401, 'auth.unauthorized');

      await runCliJson(server, ['applications:enable', app.id]);
      const reenabled = await pollUntil(
        () => withToken(token, 'GET', '/api/users'),
        (response) => response.status === 200,
        3000,
      );
      expect(reenabled.status).toBe(200);
    });
  });

  describe('every operation in the OpenAPI document', () => {
    interface Operation {
      security?: Record<string, string[]>[];
      responses: Record<string, unknown>;
    }
    interface OpenApiDocument {
      paths: Record<string, Record<string, Operation>>;
      components?: { securitySchemes?: Record<string, { type?: string; scheme?: string }> };
    }
    const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
    const isPublic = (path: string): boolean => path === '/api/status' || path === '/api/status/live' || path.startsWith('/oidc/');

    let document: OpenApiDocument;
    let operations: { method: string; path: string; operation: Operation }[];

    beforeAll(async () => {
      const response = await request<OpenApiDocument>(server.baseUrl, 'GET', '/api/swagger.json', { auth: false });
      expect(response.status).toBe(200);
      document = response.body;
      operations = Object.entries(document.paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method]) => HTTP_METHODS.includes(method))
          .map(([method, operation]) => ({ method, path, operation })),
      );
    });

    it('documents every protected route (the walk below is not vacuous)', () => {
      expect(operations.filter(({ path }) => !isPublic(path)).length).toBe(43);
    });

    it('answers 401 auth.authorization_header_missing without a token on every non-public operation', async () => {
      const outcomes: string[] = [];
      const expected: string[] = [];
      for (const { method, path } of operations) {
        const response = await callWithAuthorization(server.baseUrl, method.toUpperCase(), path.replace(/\{[^}]+\}/g, 'abc'), undefined);
        const body = response.body as { code?: string; message?: string } | undefined;
        const outcome = `${response.status} ${body?.code ?? ''}: ${body?.message ?? ''}`;
        const where = `${method.toUpperCase()} ${path}`;
        if (isPublic(path)) {
          outcomes.push(`${where} → ${response.status === 401 ? outcome : 'answered without a token'}`);
          expected.push(`${where} → answered without a token`);
        } else {
          outcomes.push(`${where} → ${outcome}`);
          expected.push(`${where} → 401 auth.authorization_header_missing: ${ERROR_MESSAGES['auth.authorization_header_missing']}`);
        }
      }
      expect(outcomes).toEqual(expected);
    });

    it('declares the bearer requirement and the 401 and 403 answers on every non-public operation, and none on public ones', () => {
      for (const { method, path, operation } of operations) {
        const where = `${method.toUpperCase()} ${path}`;
        if (isPublic(path)) {
          expect({ where, security: operation.security ?? [] }).toEqual({ where, security: [] });
          continue;
        }
        expect({ where, security: operation.security }).toEqual({ where, security: [{ bearer: [] }] });
        expect({ where, responses: Object.keys(operation.responses) }).toEqual({
          where,
          responses: expect.arrayContaining(['401', '403']),
        });
      }
    });

    it('defines `bearer` as an HTTP bearer security scheme', () => {
      expect(document.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });
  });

  // That a cached token stops working at its exp is proven in-process with a faked clock
  // (src/auth/tokens.service.spec.ts, "stops accepting a cached token once its exp has passed").
  describe('the verified-token cache', () => {
    /** How long a revocation may take to reach this replica (the enabled-status cache lasts 1 s). */
    const REVOCATION_BOUND_MS = 3_000;
    const unauthorized = { status: 401, body: { code: 'auth.unauthorized', message: ERROR_MESSAGES['auth.unauthorized'] } };

    const callWith = (token: string): Promise<RawResponse> =>
      callWithAuthorization(server.baseUrl, 'GET', '/api/users?page_size=1', `Bearer ${token}`);

    it('does not keep a disabled application’s cached token working: 401 within a bounded time, and again 200 once re-enabled', async () => {
      const application = await createApplication(server, uniqueName('cache'), ['users:read']);
      const token = await fetchAccessToken(server.baseUrl, application.id, application.secret, 'users:read');
      for (let warm = 0; warm < 3; warm += 1) expect((await callWith(token)).status).toBe(200);

      expect(await runCliJson(server, ['applications:disable', application.id])).toEqual({ id: application.id, isDisabled: true });
      const rejected = await pollUntil(
        () => callWith(token),
        ({ status }) => status !== 200,
        REVOCATION_BOUND_MS,
      );
      expect({ status: rejected.status, body: rejected.body }).toEqual(unauthorized);
      // Once rejected, never served from a cache again.
      for (let again = 0; again < 3; again += 1) {
        const response = await callWith(token);
        expect({ status: response.status, body: response.body }).toEqual(unauthorized);
      }

      expect(await runCliJson(server, ['applications:enable', application.id])).toEqual({ id: application.id, isDisabled: false });
      const accepted = await pollUntil(
        () => callWith(token),
        ({ status }) => status === 200,
        REVOCATION_BOUND_MS,
      );
      expect(accepted.status).toBe(200);
    }, 30_000);
  });

  describe('signing key rotation', () => {
    /** Replicas share the public endpoint, hence the issuer, whatever port each listens on. */
    const ENDPOINT = 'http://roster-replicas.test';
    let primary: TestServer;
    let replica: TestServer | undefined;

    beforeAll(async () => {
      primary = await startTestServer({ ENDPOINT });
    });

    afterAll(async () => {
      await replica?.stop();
      await primary?.stop();
    });

    const kidsOf = async (target: TestServer): Promise<string[]> =>
      (await request<JSONWebKeySet>(target.baseUrl, 'GET', '/oidc/jwks')).body.keys.map((key) => key.kid!).sort();
    const listUsers = (target: TestServer, token: string): Promise<RawResponse> =>
      callWithAuthorization(target.baseUrl, 'GET', '/api/users', `Bearer ${token}`);
    const tokenOf = (target: TestServer): Promise<string> =>
      fetchAccessToken(target.baseUrl, target.credentials.clientId, target.credentials.clientSecret);

    it('keeps old tokens valid, publishes both keys, and signs new tokens with the new key, on every replica', async () => {
      const oldToken = await tokenOf(primary);
      const oldKid = decodeProtectedHeader(oldToken).kid!;
      expect(await kidsOf(primary)).toEqual([oldKid]);
      expect((await listUsers(primary, oldToken)).status).toBe(200);

      const rotated = await runCliJson<{ kid: string; retiredKid?: string }>(primary, ['keys:rotate']);
      expect(rotated).toEqual({ kid: expect.any(String), retiredKid: oldKid });
      expect(rotated.kid).not.toBe(oldKid);

      // Both keys are published at once, and the old token keeps working.
      expect(await kidsOf(primary)).toEqual([oldKid, rotated.kid].sort());
      expect((await listUsers(primary, oldToken)).status).toBe(200);

      // A server started after the rotation (no signing-key cache yet) signs with the new key.
      replica = await startTestServer({ ENDPOINT }, { replicaOf: primary });
      expect(await kidsOf(replica)).toEqual([oldKid, rotated.kid].sort());
      const newToken = await tokenOf(replica);
      expect(decodeProtectedHeader(newToken).kid).toBe(rotated.kid);
      const verified = await jwtVerify(newToken, createRemoteJWKSet(new URL(`${replica.baseUrl}/oidc/jwks`)), {
        issuer: `${ENDPOINT}/oidc`,
        audience: MANAGEMENT_API_RESOURCE,
      });
      expect(verified.payload.sub).toBe(replica.credentials.clientId);

      // Old and new tokens work on both replicas.
      expect((await listUsers(replica, oldToken)).status).toBe(200);
      expect((await listUsers(replica, newToken)).status).toBe(200);
      expect((await listUsers(primary, newToken)).status).toBe(200);
    });
  });
});
