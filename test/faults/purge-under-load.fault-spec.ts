/**
 * Audit-log retention under load ("Purging under load" in docs/reliability.md). Two replicas share
 * one database (the first on its embedded PostgreSQL, the second through DATABASE_URL), both with
 * LOG_RETENTION_DAYS=1 and a housekeeping run every 50 ms, in small batches. While writers (with a
 * ledger, see ledger.ts) run against the first, a seeder keeps inserting audit rows dated around the
 * retention boundary: from 1 day − 20 s (young for the whole run) to 3 days old, many of them
 * crossing the boundary while the test runs.
 *
 * Expected: every row younger than the retention at the end (by PostgreSQL's clock) is still there,
 * whatever the purges did meanwhile; every row older is gone soon after; the ledger invariants hold
 * (every acknowledged write has its one audit row); both replicas ran housekeeping, and runs were
 * skipped while the other replica held the lock.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Ledger, runWriteLoad, verifyLedger } from './ledger.js';
import {
  embeddedDatabaseUrl,
  fetchToken,
  freePort,
  makeTempDir,
  newCredentials,
  removeDir,
  report,
  type ServerProcess,
  sleep,
  startServer,
  stopLeftoverPostgres,
  stopServer,
  waitFor,
  withDatabase,
} from './support.js';

const WRITERS = 8;
const LOAD_MS = 15_000;
const SEED_ROWS_PER_ROUND = 500;
const HOUSEKEEPING = { LOG_RETENTION_DAYS: '1', HOUSEKEEPING_INTERVAL_MS: '50', HOUSEKEEPING_BATCH_SIZE: '200', LOG_LEVEL: 'debug' };

describe('purging old audit rows under load, on two replicas', () => {
  let root: string;
  let dataDir: string;
  let first: ServerProcess | undefined;
  let second: ServerProcess | undefined;

  beforeAll(async () => {
    root = await makeTempDir('roster-faults-purge-');
    dataDir = join(root, 'data');
  });

  afterAll(async () => {
    await stopServer(second);
    await stopServer(first);
    await stopLeftoverPostgres(join(dataDir, 'pg'));
    await removeDir(root);
  });

  it('loses no audit row younger than LOG_RETENTION_DAYS and purges every older one', async () => {
    const credentials = newCredentials();
    const port = await freePort();
    // One issuer for both, as behind a load balancer: a token of one replica is valid on the other.
    const shared = { ...HOUSEKEEPING, ENDPOINT: `http://127.0.0.1:${port}` };
    first = await startServer({ port, credentials, env: { DATA_DIR: dataDir, ...shared } });
    const databaseUrl = await embeddedDatabaseUrl(dataDir);
    second = await startServer({ port: await freePort(), credentials, env: { DATABASE_URL: databaseUrl, ...shared } });
    const replicas = [first, second];
    const token = await fetchToken(first.baseUrl, credentials);
    const ledger = new Ledger(`p${randomBytes(3).toString('hex')}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS });
    let stopped = false;

    // The ledger orders each client's writes, so they all go to one replica; the other purges too.
    const writers = runWriteLoad(ledger, first.baseUrl, token, { clients: WRITERS, until: () => stopped, agent, timeoutMs: 10_000 });
    // Half the rows within 20 s of the retention boundary, on either side: some stay young past the
    // end of the run, many cross the boundary while it runs. The other half up to 2 days older.
    let seededRows = 0;
    const seeder = withDatabase(databaseUrl, async (client) => {
      while (!stopped) {
        await client.query(
          `INSERT INTO logs (id, key, payload, created_at)
           SELECT substr(md5(random()::text || clock_timestamp()::text), 1, 21), 'ExchangeTokenBy.ClientCredentials',
                  jsonb_build_object('seeded', true),
                  now() - interval '1 day' + interval '20 seconds'
                    - CASE WHEN n % 2 = 0 THEN random() * interval '40 seconds' ELSE random() * interval '2 days' END
           FROM generate_series(1, $1) AS n`,
          [SEED_ROWS_PER_ROUND],
        );
        seededRows += SEED_ROWS_PER_ROUND;
        await sleep(100);
      }
    });
    // Every seeded row that is young at some moment of the run must still be there at the end if it
    // is still young then: a snapshot of the young ones, taken every 500 ms, is checked at the end.
    const youngSeen = new Map<string, Date>();
    const watcher = withDatabase(databaseUrl, async (client) => {
      while (!stopped) {
        const { rows } = await client.query<{ id: string; created_at: Date }>(
          `SELECT id, created_at FROM logs WHERE payload ? 'seeded' AND created_at >= now() - interval '1 day'`,
        );
        for (const { id, created_at } of rows) youngSeen.set(id, created_at);
        await sleep(500);
      }
    });

    try {
      await sleep(LOAD_MS);
    } finally {
      stopped = true;
      await Promise.all([writers, seeder, watcher]);
      agent.destroy();
    }

    const problems: string[] = [];
    const { lost, present } = await withDatabase(databaseUrl, async (client) => {
      const { rows } = await client.query<{ id: string; young: boolean }>(
        `SELECT id, created_at >= now() - interval '1 day' AS young FROM logs WHERE id = ANY($1)`,
        [[...youngSeen.keys()]],
      );
      const found = new Set(rows.map(({ id }) => id));
      const { rows: now } = await client.query<{ now: Date }>('SELECT now()');
      const cutoff = now[0]!.now.getTime() - 24 * 3600 * 1000;
      // Seen young, now missing, and still younger than the retention by PostgreSQL's clock (whole
      // milliseconds on both sides: a later millisecond is later in microseconds too).
      const missing = [...youngSeen].filter(([id, createdAt]) => !found.has(id) && createdAt.getTime() > cutoff);
      return { lost: missing, present: rows.length };
    });
    if (lost.length > 0) problems.push(`${lost.length} young rows lost, e.g. ${JSON.stringify(lost.slice(0, 5))}`);

    // Everything older goes, once a run gets to it.
    const old = await waitFor(
      'the rows older than the retention to be purged',
      () =>
        withDatabase(databaseUrl, async (client) => {
          const { rows } = await client.query<{ old: number }>(
            `SELECT count(*)::int AS old FROM logs WHERE created_at < now() - interval '1 day'`,
          );
          return rows[0]!.old === 0 ? 0 : undefined;
        }),
      30_000,
      200,
    );

    const verification = await verifyLedger(ledger, first.baseUrl, token, databaseUrl);
    const purgedBy = replicas.map((replica) => replica.logs.filter((line) => line.includes('Purged')).length);
    const skippedBy = replicas.map((replica) => replica.logs.filter((line) => line.includes('Skipped: another replica')).length);
    report('purge under load', {
      loadMs: LOAD_MS,
      requests: ledger.requests.length,
      acknowledgedWrites: ledger.requests.filter((entry) => entry.status !== undefined && entry.status < 300).length,
      seededRows,
      seededRowsSeenYoung: youngSeen.size,
      seenYoungStillPresent: present,
      lostYoungRows: lost.length,
      oldRowsLeft: old,
      runsThatPurgedByReplica: purgedBy,
      runsSkippedByReplica: skippedBy,
      auditRows: verification.auditRows,
      problems: problems.length + verification.problems.length,
    });
    expect(problems).toEqual([]);
    expect(verification.problems).toEqual([]);
    expect(ledger.requests.some((entry) => entry.status !== undefined && entry.status >= 500)).toBe(false);
    expect(purgedBy.every((runs) => runs > 0)).toBe(true);
    expect(skippedBy.some((runs) => runs > 0)).toBe(true);
  });
});
