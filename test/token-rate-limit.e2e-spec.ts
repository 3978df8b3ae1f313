import { postToken } from './support/auth.js';
import { MANAGEMENT_API_RESOURCE } from './support/clients.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** Issue 7: wrong secrets at POST /oidc/token are limited per client id, saying nothing about which ids exist. */
describe('POST /oidc/token rate limit (TOKEN_MAX_ATTEMPTS=3)', () => {
  const LIMIT = 3;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ TOKEN_MAX_ATTEMPTS: String(LIMIT), TOKEN_WINDOW_SECONDS: '60' });
  });

  afterAll(async () => {
    await server.stop();
  });

  const attempt = (clientId: string, clientSecret: string) =>
    postToken(server.baseUrl, {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      resource: MANAGEMENT_API_RESOURCE,
    });

  async function failures(clientId: string): Promise<{ statuses: number[]; bodies: unknown[]; retryAfter: string | null }> {
    const responses = [];
    for (let count = 0; count <= LIMIT; count += 1) responses.push(await attempt(clientId, 'wrong-secret-value'));
    return {
      statuses: responses.map((response) => response.status),
      bodies: responses.map((response) => response.body),
      retryAfter: responses[LIMIT]?.headers.get('retry-after') ?? null,
    };
  }

  it('answers 429 with Retry-After after the limit, identically for an existing and an unknown client id', async () => {
    const existing = await failures(server.credentials.clientId);
    const unknown = await failures('no-such-client');

    expect(existing.statuses).toEqual([400, 400, 400, 429]);
    expect(unknown.statuses).toEqual(existing.statuses);
    // Retry-After counts down from each client id's own first failure, so the two may differ by a
    // second when the machine is slow; everything else must be identical.
    const sansSeconds = (bodies: unknown[]): string => JSON.stringify(bodies).replace(/\d+ seconds/g, 'N seconds');
    expect(sansSeconds(unknown.bodies)).toBe(sansSeconds(existing.bodies));
    const tooMany = existing.bodies[LIMIT] as { message: string };
    expect(tooMany).toEqual({
      code: 'request.too_many_requests',
      message: expect.stringMatching(/^Too many attempts\. Retry after \d+ seconds\.$/),
      error: 'invalid_request',
      error_description: tooMany.message,
    });
    expect(Number(existing.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(existing.retryAfter)).toBeLessThanOrEqual(60);
    expect(Number(unknown.retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('keeps refusing the limited client id for the rest of the window, even with the right secret (by Basic too)', async () => {
    const withRightSecret = await attempt(server.credentials.clientId, server.credentials.clientSecret);
    expect(withRightSecret.status).toBe(429);
    const viaBasic = await postToken(
      server.baseUrl,
      { grant_type: 'client_credentials', resource: MANAGEMENT_API_RESOURCE },
      { basic: { clientId: server.credentials.clientId, clientSecret: server.credentials.clientSecret } },
    );
    expect(viaBasic.status).toBe(429);
  });

  it('answers a client id over 256 characters like any unknown one, and limits it too', async () => {
    const longId = `long-${'x'.repeat(300)}`;
    const { statuses, bodies } = await failures(longId);
    const reference = await attempt('yet-another-unknown-client', 'wrong-secret-value');
    expect(statuses).toEqual([400, 400, 400, 429]);
    expect(bodies[0]).toEqual(reference.body);
    expect(reference.body).toMatchObject({ error: 'invalid_client' });
  });

  it('limits each client id on its own', async () => {
    const other = await attempt('another-unknown-client', 'wrong-secret-value');
    expect(other.status).toBe(400);
  });
});
