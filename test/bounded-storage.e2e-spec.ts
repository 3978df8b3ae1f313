import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type OidcErrorBody, postToken } from './support/auth.js';
import { clientCredentialsGrant, MANAGEMENT_API_RESOURCE, request } from './support/clients.js';
import { pollUntil, waitFor } from './support/poll.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** Issue 13 §1: what strangers at the token endpoint can add to the database is bounded. */

const wrongSecretFrom = (baseUrl: string, address: string, clientId = `random-${randomBytes(6).toString('hex')}`) =>
  postToken<OidcErrorBody>(
    baseUrl,
    { grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong-secret-value', resource: MANAGEMENT_API_RESOURCE },
    { headers: { 'x-forwarded-for': address } },
  );

interface FoldedPayload {
  key: string;
  result: string;
  ip: string;
  error: { code: string; message: string };
  folded?: { count: number; lastAt: number };
}

describe('a flood of POST /oidc/token with random client ids from one address (TOKEN_FAILURES_PER_IP=5)', () => {
  const LIMIT = 5;
  const CONCURRENCY = 8;
  /** The flood lasts until this many answers (30 times the limit), or fails at FLOOD_DEADLINE_MS. */
  const FLOOD_REQUESTS = 30 * LIMIT;
  const FLOOD_DEADLINE_MS = 30_000;
  const FLOODER = '198.51.100.7';
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ TOKEN_FAILURES_PER_IP: String(LIMIT), TOKEN_IP_WINDOW_SECONDS: '60', TRUST_PROXY: 'loopback' });
  });

  afterAll(async () => {
    await server.stop();
  });

  it('answers 400 up to the limit and 429 with Retry-After after it, with at most one counter row and one audit row per failure before the limit', async () => {
    const answers: { status: number; retryAfter: string | null; code: string }[] = [];
    const deadline = Date.now() + FLOOD_DEADLINE_MS;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (answers.length < FLOOD_REQUESTS && Date.now() < deadline) {
          const response = await wrongSecretFrom(server.baseUrl, FLOODER);
          answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), code: response.body.code });
        }
      }),
    );
    const failed = answers.filter(({ status }) => status === 400);
    const refused = answers.filter(({ status }) => status === 429);

    expect(answers.length).toBeGreaterThanOrEqual(FLOOD_REQUESTS);
    expect(failed.length + refused.length).toBe(answers.length);
    // The check and the count of a failure are two statements: requests in flight together may pass both.
    expect(failed.length).toBeGreaterThanOrEqual(LIMIT);
    expect(failed.length).toBeLessThan(LIMIT + CONCURRENCY);
    expect(new Set(failed.map(({ code }) => code))).toEqual(new Set(['oidc.invalid_client']));
    expect(new Set(refused.map(({ code }) => code))).toEqual(new Set(['request.too_many_requests']));
    for (const { retryAfter } of refused) {
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    }

    const counters = await server.query<{ bucket: string; rows: number; hits: number }>(
      `SELECT bucket, count(*)::int AS rows, sum(hits)::int AS hits FROM rate_limits GROUP BY bucket ORDER BY bucket`,
    );
    expect(counters).toEqual([
      { bucket: 'token-client', rows: failed.length, hits: failed.length },
      { bucket: 'token-ip', rows: 1, hits: failed.length },
    ]);

    const rows = await server.query<{ id: string; payload: FoldedPayload }>(
      `SELECT id, payload FROM logs WHERE key = 'ExchangeTokenBy.ClientCredentials' AND payload->>'ip' = $1`,
      [FLOODER],
    );
    const full = rows.filter(({ payload }) => payload.folded === undefined);
    const folded = rows.filter(({ payload }) => payload.folded !== undefined);
    expect(full).toHaveLength(failed.length);
    // One folded row per 60 s bucket of PostgreSQL's clock: the flood may straddle one boundary.
    expect(folded.length).toBeGreaterThanOrEqual(1);
    expect(folded.length).toBeLessThanOrEqual(2);
    expect(folded.reduce((sum, { payload }) => sum + (payload.folded?.count ?? 0), 0)).toBe(refused.length);
    for (const { payload } of folded) {
      expect(payload).toMatchObject({
        key: 'ExchangeTokenBy.ClientCredentials',
        result: 'Error',
        ip: FLOODER,
        error: { code: 'request.too_many_requests', message: expect.stringMatching(/^Too many attempts\. Retry after \d+ seconds\.$/) },
        folded: { count: expect.any(Number), lastAt: expect.any(Number) },
      });
    }

    const [first] = folded;
    const entry = await request<{ id: string; payload: FoldedPayload }>(server.baseUrl, 'GET', `/api/logs/${first!.id}`);
    expect(entry.status).toBe(200);
    expect(entry.body.payload.folded).toEqual(first!.payload.folded);
  }, 60_000);

  it('refuses the flooding address even with the right credentials, and serves another address', async () => {
    const grant = clientCredentialsGrant(server.credentials);
    const fromFlooder = await postToken<OidcErrorBody>(server.baseUrl, grant, { headers: { 'x-forwarded-for': FLOODER } });
    expect(fromFlooder.status).toBe(429);
    expect(fromFlooder.body).toMatchObject({ code: 'request.too_many_requests', error: 'invalid_request' });
    const fromElsewhere = await postToken(server.baseUrl, grant, { headers: { 'x-forwarded-for': '198.51.100.8' } });
    expect(fromElsewhere.status).toBe(200);
  });

  it('counts every address of an IPv6 /64 together, and another /64 on its own', async () => {
    for (let count = 0; count < LIMIT; count += 1) {
      expect((await wrongSecretFrom(server.baseUrl, `2001:db8:0:1::${(count + 1).toString(16)}`)).status).toBe(400);
    }
    expect((await wrongSecretFrom(server.baseUrl, '2001:db8:0:1:ffff::1')).status).toBe(429);
    expect((await wrongSecretFrom(server.baseUrl, '2001:db8:0:2::1')).status).toBe(400);
  });
});

describe('housekeeping (HOUSEKEEPING_INTERVAL_MS=100, LOG_RETENTION_DAYS=1)', () => {
  const BATCH = 7;
  const HOUSEKEEPING_LOCK_KEY = 7_370_202_613;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      HOUSEKEEPING_INTERVAL_MS: '100',
      HOUSEKEEPING_BATCH_SIZE: String(BATCH),
      LOG_RETENTION_DAYS: '1',
      TOKEN_WINDOW_SECONDS: '1',
      TOKEN_IP_WINDOW_SECONDS: '1',
      LOG_LEVEL: 'debug',
    });
  });

  afterAll(async () => {
    await server.stop();
  });

  /** Audit rows dated `age` before PostgreSQL's now, marked with `seed` in their payload. */
  async function seedLogs(seed: string, count: number, age: string): Promise<void> {
    await server.query(
      `INSERT INTO logs (id, key, payload, created_at)
       SELECT substr(md5(random()::text), 1, 21), 'ManagementApi.User.Update', jsonb_build_object('seed', $1::text), now() - $3::interval
       FROM generate_series(1, $2)`,
      [seed, count, age],
    );
  }

  const seeded = async (seed: string): Promise<number> =>
    (await server.query<{ rows: number }>(`SELECT count(*)::int AS rows FROM logs WHERE payload->>'seed' = $1`, [seed]))[0]!.rows;

  it('purges rate-limit counters whose window has ended, and keeps a running one', async () => {
    for (let count = 0; count < 5; count += 1) expect((await wrongSecretFrom(server.baseUrl, '127.0.0.1')).status).toBe(400);
    await server.query(
      `INSERT INTO rate_limits (bucket, key, window_started_at, expires_at, hits) VALUES ('token-client', 'running', now(), now() + interval '1 hour', 3)`,
    );
    const left = await pollUntil(
      () => server.query<{ key: string }>(`SELECT key FROM rate_limits ORDER BY key`),
      (rows) => rows.length === 1,
      10_000,
    );
    expect(left).toEqual([{ key: 'running' }]);
  });

  it('purges audit rows older than the retention in batches, by PostgreSQL’s clock, and no younger one', async () => {
    await seedLogs('old', 5 * BATCH + 3, '1 day 1 minute');
    await seedLogs('young', 10, '1 day -10 minutes');
    const before = await server.query<{ id: string }>(`SELECT id FROM logs WHERE payload->>'seed' IS NULL ORDER BY id`);
    expect(
      await pollUntil(
        () => seeded('old'),
        (rows) => rows === 0,
        10_000,
      ),
    ).toBe(0);
    expect(await seeded('young')).toBe(10);
    expect(
      await server.query(`SELECT id FROM logs WHERE payload->>'seed' IS NULL AND id = ANY($1) ORDER BY id`, [before.map(({ id }) => id)]),
    ).toEqual(before);
    // The whole backlog went in one run, batch after batch: a short batch is what ends a run. Its
    // line is printed once the run is over, which may be after the poll above saw the rows gone.
    const wholeBacklog = new RegExp(`Purged .*expiredLogs\\\\?":${5 * BATCH + 3}\\b`);
    await waitFor(
      'the run that purged the backlog to report it',
      () => (server.logs.some((line) => wholeBacklog.test(line)) ? true : undefined),
      5000,
    );
  });

  it('skips a run while another session holds the housekeeping lock, and purges once it is released', async () => {
    const holder = new pg.Client({ connectionString: server.databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [HOUSEKEEPING_LOCK_KEY]);
      await seedLogs('while-locked', 3, '2 days');
      const seen = server.logs.length;
      await waitFor(
        'a skipped run after the rows were seeded',
        () =>
          server.logs.slice(seen).some((line) => line.includes('Skipped: another replica is running housekeeping')) ? true : undefined,
        10_000,
      );
      expect(await seeded('while-locked')).toBe(3);
      await holder.query('SELECT pg_advisory_unlock($1)', [HOUSEKEEPING_LOCK_KEY]);
      expect(
        await pollUntil(
          () => seeded('while-locked'),
          (rows) => rows === 0,
          10_000,
        ),
      ).toBe(0);
    } finally {
      await holder.end();
    }
  });
});
