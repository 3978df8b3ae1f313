import { decodeJwt } from 'jose';
import { callWithAuthorization, fetchAccessToken, type OidcErrorBody, postToken, type TokenResponseBody } from './support/auth.js';
import { createApplication, type CreatedApplication, runCli, runCliJson } from './support/cli.js';
import { MANAGEMENT_API_RESOURCE } from './support/clients.js';
import { uniqueName } from './support/factories.js';
import { pollUntil, waitFor } from './support/poll.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { ERROR_MESSAGES } from './support/wire.js';
import { at } from './support/at.js';

/** What `applications:list` shows of an application: never its secret or hash. */
interface ApplicationSummary {
  id: string;
  name: string;
  scopes: string[];
  isDisabled: boolean;
  createdAt: string;
}

const SUMMARY_KEYS = ['id', 'name', 'scopes', 'isDisabled', 'createdAt'];

const INVALID_CLIENT: OidcErrorBody = {
  code: 'oidc.invalid_client',
  message: 'client authentication failed',
  error: 'invalid_client',
  error_description: 'client authentication failed',
};

describe('applications CLI (npm run cli -- <command>)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  const listApplications = (target: TestServer = server): Promise<ApplicationSummary[]> =>
    runCliJson<ApplicationSummary[]>(target, ['applications:list']);

  const tokenFields = (clientId: string, clientSecret: string, scope: string): Record<string, string> => ({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    resource: MANAGEMENT_API_RESOURCE,
    scope,
  });

  describe('applications:create', () => {
    let created: CreatedApplication;
    let name: string;
    let startedAt: number;

    beforeAll(async () => {
      name = uniqueName('reporting');
      startedAt = Date.now();
      const result = await runCli(server, ['applications:create', '--name', name, '--scopes', 'users:read,logs:read']);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      created = JSON.parse(result.stdout) as CreatedApplication;
    });

    it('prints the new application as JSON with its 32-character secret', () => {
      expect(Object.keys(created)).toEqual([...SUMMARY_KEYS, 'secret']);
      expect(created).toEqual({
        id: expect.any(String),
        name,
        scopes: ['users:read', 'logs:read'],
        isDisabled: false,
        createdAt: expect.any(String),
        secret: expect.stringMatching(/^[0-9A-Za-z]{32}$/),
      });
      expect(created.id.length).toBeGreaterThan(0);
      const createdAt = Date.parse(created.createdAt);
      expect(createdAt).toBeGreaterThanOrEqual(startedAt - 1000);
      expect(createdAt).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('gives every application its own id and secret', async () => {
      const other = await createApplication(server, uniqueName('other'), ['users:read']);
      expect(other.id).not.toBe(created.id);
      expect(other.secret).not.toBe(created.secret);
    });

    it('stores only a hash of the secret', async () => {
      const rows = await server.query<{ row: string }>('SELECT row_to_json(a)::text AS row FROM applications a WHERE id = $1', [
        created.id,
      ]);
      expect(rows).toHaveLength(1);
      expect(at(rows, 0).row).not.toContain(created.secret);
    });

    it('prints a secret that gets a token at /oidc/token, with the application’s scopes', async () => {
      const response = await postToken<TokenResponseBody>(server.baseUrl, tokenFields(created.id, created.secret, 'users:read logs:read'));
      expect(response.status).toBe(200);
      expect(response.body.scope?.split(' ').sort()).toEqual(['logs:read', 'users:read']);
      expect(decodeJwt(response.body.access_token)).toMatchObject({ sub: created.id, client_id: created.id });
    });

    it('never writes the secret to the server logs', async () => {
      await postToken(server.baseUrl, tokenFields(created.id, created.secret, 'users:read'));
      const last = await postToken(server.baseUrl, tokenFields(created.id, `${created.secret}x`, 'users:read'));
      // Wait until the server has logged this request, so later lines cannot be missed.
      const requestId = last.headers.get('logto-core-request-id');
      expect(requestId).toEqual(expect.any(String));
      await waitFor(
        `a log line for request ${requestId}`,
        () => (server.logs.some((line) => line.includes(requestId!)) ? true : undefined),
        5000,
        10,
      );
      expect(server.logs.join('\n')).not.toContain(created.secret);
      expect(server.logs.join('\n')).not.toContain(server.credentials.clientSecret);
    });

    it('defaults to scope `all` without --scopes', async () => {
      const result = await runCliJson<CreatedApplication>(server, ['applications:create', '--name', uniqueName('full')]);
      expect(result.scopes).toEqual(['all']);
    });

    it('exits 1 on an unknown scope and creates nothing', async () => {
      const unknownName = uniqueName('bad-scope');
      const result = await runCli(server, ['applications:create', '--name', unknownName, '--scopes', 'users:read,users:delete']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('users:delete');
      expect((await listApplications()).map((application) => application.name)).not.toContain(unknownName);
    });

    it('exits 1 with the usage on stderr without --name', async () => {
      const result = await runCli(server, ['applications:create', '--scopes', 'all']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('Usage:');
    });
  });

  describe('applications:list', () => {
    it('lists every application without any secret or hash', async () => {
      const created = await createApplication(server, uniqueName('listed'), ['logs:read']);
      const result = await runCli(server, ['applications:list']);
      expect(result.code).toBe(0);
      const applications = JSON.parse(result.stdout) as ApplicationSummary[];
      const { secret, ...summary } = created;
      expect(applications).toContainEqual(summary);
      for (const application of applications) expect(Object.keys(application)).toEqual(SUMMARY_KEYS);
      expect(result.stdout).not.toContain(secret);
      expect(result.stdout).not.toContain(server.credentials.clientSecret);
      expect(result.stdout.toLowerCase()).not.toContain('secret');
      expect(result.stdout.toLowerCase()).not.toContain('hash');
      expect(result.stdout).not.toContain('scrypt');
    });
  });

  describe('applications:disable', () => {
    it('rejects the application’s credentials (invalid_client) and its existing tokens (401)', async () => {
      const created = await createApplication(server, uniqueName('to-disable'), ['users:read']);
      const token = await fetchAccessToken(server.baseUrl, created.id, created.secret, 'users:read');
      expect((await callWithAuthorization(server.baseUrl, 'GET', '/api/users', `Bearer ${token}`)).status).toBe(200);

      expect(await runCliJson(server, ['applications:disable', created.id])).toEqual({ id: created.id, isDisabled: true });

      const denied = await postToken(server.baseUrl, tokenFields(created.id, created.secret, 'users:read'));
      expect({ status: denied.status, body: denied.body }).toEqual({ status: 400, body: INVALID_CLIENT });
      // The server learns of the CLI's change within a second (documented).
      const rejected = await pollUntil(
        () => callWithAuthorization(server.baseUrl, 'GET', '/api/users', `Bearer ${token}`),
        (response) => response.status === 401,
        3000,
      );
      expect({ status: rejected.status, body: rejected.body }).toEqual({
        status: 401,
        body: { code: 'auth.unauthorized', message: ERROR_MESSAGES['auth.unauthorized'] },
      });
      expect((await listApplications()).find((application) => application.id === created.id)?.isDisabled).toBe(true);
    });

    it('exits 1 for an unknown application id', async () => {
      const result = await runCli(server, ['applications:disable', 'no-such-application']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('no-such-application');
    });
  });

  it('exits 1 with the usage on stderr for an unknown command', async () => {
    const result = await runCli(server, ['applications:destroy']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('applications:destroy');
    expect(result.stderr).toContain('Usage:');
  });

  describe('the bootstrap application (BOOTSTRAP_CLIENT_ID / BOOTSTRAP_CLIENT_SECRET)', () => {
    it('exists from start-up with scope `all`', async () => {
      const bootstrap = (await listApplications()).filter((application) => application.id === server.credentials.clientId);
      expect(bootstrap).toEqual([
        { id: server.credentials.clientId, name: expect.any(String), scopes: ['all'], isDisabled: false, createdAt: expect.any(String) },
      ]);
      const token = await fetchAccessToken(server.baseUrl, server.credentials.clientId, server.credentials.clientSecret);
      expect(decodeJwt(token).scope).toBe('all');
    });

    it('is idempotent when another server process starts with the same environment', async () => {
      const before = (await listApplications()).find((application) => application.id === server.credentials.clientId);
      const second = await startTestServer({}, { replicaOf: server });
      try {
        const after = (await listApplications()).filter((application) => application.id === server.credentials.clientId);
        expect(after).toEqual([before]);
        for (const target of [server, second]) {
          const token = await fetchAccessToken(target.baseUrl, server.credentials.clientId, server.credentials.clientSecret);
          expect((await callWithAuthorization(target.baseUrl, 'GET', '/api/users', `Bearer ${token}`)).status).toBe(200);
        }
      } finally {
        await second.stop();
      }
    });

    it('takes a changed BOOTSTRAP_CLIENT_SECRET on the next start: the new secret works, the old one no longer does', async () => {
      const fresh = await startTestServer();
      const newSecret = `rotated-${fresh.credentials.clientSecret}`;
      const restarted = await startTestServer({ BOOTSTRAP_CLIENT_SECRET: newSecret }, { replicaOf: fresh });
      try {
        const fields = (secret: string) => tokenFields(fresh.credentials.clientId, secret, 'all');
        expect((await postToken(restarted.baseUrl, fields(newSecret))).status).toBe(200);
        const old = await postToken(restarted.baseUrl, fields(fresh.credentials.clientSecret));
        expect({ status: old.status, body: old.body }).toEqual({ status: 400, body: INVALID_CLIENT });
        expect((await listApplications(fresh)).filter((application) => application.id === fresh.credentials.clientId)).toHaveLength(1);
      } finally {
        await restarted.stop();
        await fresh.stop();
      }
    });
  });
});
