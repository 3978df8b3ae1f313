import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type OidcErrorBody, postToken } from './support/auth.js';
import { MANAGEMENT_API_RESOURCE } from './support/clients.js';
import { pollUntil, waitFor } from './support/poll.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** Issue 13 §1: storage is bounded by housekeeping. */

const wrongSecretFrom = (baseUrl: string, address: string, clientId = `random-${randomBytes(6).toString('hex')}`) =>
  postToken<OidcErrorBody>(
    baseUrl,
    { grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong-secret-value', resource: MANAGEMENT_API_RESOURCE },
    { headers: { 'x-forwarded-for': address } },
  );

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
    // The whole backlog went in one run, batch after batch: a short batch is what ends a run.
    expect(server.logs.some((line) => new RegExp(`Purged .*expiredLogs\\\\?":${5 * BATCH + 3}\\b`).test(line))).toBe(true);
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
