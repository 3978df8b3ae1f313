/**
 * A hung PostgreSQL under load (F6 in docs/reliability.md). Unlike a stopped
 * server, a hung one refuses nothing: the kernel still completes TCP handshakes and buffers the
 * bytes sent to it, but no answer ever comes, so the server's own `statement_timeout` cannot fire.
 * Here every process of the service's embedded PostgreSQL is SIGSTOPped for HANG_MS while writers
 * (with a ledger, see ledger.ts), readers and a `/api/status` poller run, then SIGCONTinued.
 *
 * Expected: every request gets an answer within FAIL_FAST_MS, during the hang a 503
 * `service.unavailable` with `Retry-After`, never a 500 and never a hang; `/api/status` answers
 * 503 meanwhile; after SIGCONT, the same service process answers 200 again by itself; no session is
 * left inside a transaction (a pooled connection given back mid-query would be), and the ledger
 * invariants hold.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { failFastProblems, Ledger, pollStatus, runReadLoad, runWriteLoad, type StatusPoll, verifyLedger } from './ledger.js';
import {
  type Credentials,
  embeddedDatabaseUrl,
  fetchToken,
  freePort,
  freezeCluster,
  makeTempDir,
  newCredentials,
  percentile,
  removeDir,
  stopLeftoverPostgres,
  report,
  type ServerProcess,
  sleep,
  startServer,
  stopServer,
  thawCluster,
  waitFor,
  withDatabase,
} from './support.js';

const WRITERS = 12;
const READERS = 4;
/** Short, so the test is; the client-side deadline follows it (plus the service's 1 s margin). */
const STATEMENT_TIMEOUT_MS = 2000;
const HANG_MS = 10_000;
/**
 * The longest a request may take: the client-side query deadline (statement timeout + 1 s), after
 * up to the pool's 2 s wait for a connection, plus 2 s for a loaded 2-vCPU machine. Well under
 * HANG_MS, so a request that waits for the database to come back cannot pass.
 */
const FAIL_FAST_MS = STATEMENT_TIMEOUT_MS + 1000 + 2000 + 2000;

describe('a hung PostgreSQL (SIGSTOP) during load', () => {
  let root: string;
  let dataDir: string;
  let clusterDir: string;
  let server: ServerProcess | undefined;
  let credentials: Credentials;
  let frozen: number[] = [];

  beforeAll(async () => {
    root = await makeTempDir('roster-faults-hung-');
    dataDir = join(root, 'data');
    clusterDir = join(dataDir, 'pg');
    credentials = newCredentials();
  });

  afterAll(async () => {
    // Never leave the cluster frozen: stopping the service waits for its PostgreSQL.
    if (clusterDir) thawCluster(clusterDir, frozen);
    await stopServer(server);
    await stopLeftoverPostgres(clusterDir);
    await removeDir(root);
  });

  it('answers 503 within a bounded time while PostgreSQL hangs, and 200 again after it resumes, without a restart', async () => {
    server = await startServer({
      port: await freePort(),
      credentials,
      env: { DATA_DIR: dataDir, STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) },
    });
    const serverPid = server.pid;
    const baseUrl = server.baseUrl;
    const token = await fetchToken(baseUrl, credentials);
    const databaseUrl = await embeddedDatabaseUrl(dataDir);
    const ledger = new Ledger(`h${randomBytes(3).toString('hex')}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS + READERS + 2 });
    // Far above FAIL_FAST_MS: a request that hangs is measured, not cut short by the client.
    const clientTimeoutMs = HANG_MS + 20_000;
    let stopped = false;

    const writers = runWriteLoad(ledger, baseUrl, token, {
      clients: WRITERS,
      until: () => stopped,
      agent,
      backoffMs: 50,
      timeoutMs: clientTimeoutMs,
    });
    const readers = runReadLoad(ledger, baseUrl, token, {
      clients: READERS,
      until: () => stopped,
      agent,
      timeoutMs: clientTimeoutMs,
      path: (round, target) => (round % 2 === 0 || !target ? '/api/users?page_size=5' : `/api/users/${target.id}`),
    });
    const polls: StatusPoll[] = [];
    const poller = pollStatus(baseUrl, polls, () => stopped, clientTimeoutMs);

    let frozenAt = 0;
    let thawedAt = 0;
    let readyAt = 0;
    let loadStoppedAt = 0;
    try {
      await waitFor(
        'acknowledged writes before the hang',
        () => (ledger.requests.filter((entry) => entry.status === 200).length >= 50 ? true : undefined),
        30_000,
      );
      frozen = await freezeCluster(clusterDir);
      frozenAt = Date.now();
      await sleep(HANG_MS);
    } finally {
      thawCluster(clusterDir, frozen);
      thawedAt = Date.now();
    }
    try {
      readyAt = await waitFor(
        'GET /api/status to answer 204 after SIGCONT',
        () => polls.find((poll) => poll.startedAt >= thawedAt && poll.status === 204)?.startedAt,
        20_000,
        50,
      );
      // Keep the load going for a while once ready: every request must succeed again.
      await waitFor(
        'requests after recovery',
        () => (ledger.requests.filter((entry) => entry.startedAt > readyAt + 500).length >= 200 ? true : undefined),
        30_000,
        100,
      );
    } finally {
      loadStoppedAt = Date.now();
      stopped = true;
      await Promise.all([writers, readers, poller]);
      agent.destroy();
    }

    const requests = ledger.requests;
    const problems = failFastProblems(requests, polls, FAIL_FAST_MS);
    // Requests made while it hung (started after the freeze, answered before the thaw) all failed fast with 503.
    const duringHang = requests.filter((entry) => entry.startedAt >= frozenAt && entry.startedAt + entry.ms <= thawedAt);
    if (duringHang.length === 0 || duringHang.some((entry) => entry.status !== 503)) {
      problems.push(`during the hang: ${JSON.stringify(duringHang.map((entry) => entry.status ?? entry.error))}`);
    }
    const pollsDuringHang = polls.filter((poll) => poll.startedAt >= frozenAt && poll.startedAt + poll.ms <= thawedAt);
    if (pollsDuringHang.length === 0 || pollsDuringHang.some((poll) => poll.status !== 503)) {
      problems.push(`/api/status during the hang: ${JSON.stringify(pollsDuringHang.map((poll) => poll.status ?? poll.error))}`);
    }
    // Once ready again, nothing fails any more.
    const afterRecovery = requests.filter((entry) => entry.startedAt > readyAt + 500 && entry.startedAt + entry.ms <= loadStoppedAt);
    const failedAfterRecovery = afterRecovery.filter((entry) => entry.status === undefined || entry.status >= 500);
    if (afterRecovery.length === 0 || failedAfterRecovery.length > 0) {
      problems.push(
        `after recovery: ${failedAfterRecovery.length} of ${afterRecovery.length} failed: ${JSON.stringify(failedAfterRecovery.slice(0, 10))}`,
      );
    }

    // No connection was given back to the pool inside a transaction (or with a query pending, which
    // would leave the next borrower in someone else's transaction).
    const stuckSessions = await withDatabase(
      databaseUrl,
      async (client) =>
        (
          await client.query<{ state: string; query: string }>(
            `SELECT state, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`,
          )
        ).rows,
    );
    if (stuckSessions.length > 0) problems.push(`sessions left in a transaction: ${JSON.stringify(stuckSessions)}`);

    const failures = requests.filter((entry) => entry.status === 503);
    const verification = await verifyLedger(ledger, baseUrl, await fetchToken(baseUrl, credentials), databaseUrl);
    report('hung PostgreSQL', {
      frozenProcesses: frozen.length,
      hangMs: thawedAt - frozenAt,
      requests: requests.length,
      requestsDuringHang: duringHang.length,
      answered503: failures.length,
      slowest503Ms: Math.max(0, ...failures.map((entry) => entry.ms)),
      p99of503Ms: percentile(
        failures.map((entry) => entry.ms),
        0.99,
      ),
      slowestRequestMs: Math.max(0, ...requests.map((entry) => entry.ms), ...polls.map((poll) => poll.ms)),
      statusPollsDuringHang: pollsDuringHang.length,
      readyAfterThawMs: readyAt - thawedAt,
      requestsAfterRecovery: afterRecovery.length,
      acknowledgedWrites: requests.filter((entry) => entry.op !== 'read' && entry.status !== undefined && entry.status < 300).length,
      unacknowledgedApplied: verification.pendingApplied,
      unacknowledgedNotApplied: verification.pendingNotApplied,
      unacknowledgedByKind: verification.pendingByKind,
      users: verification.users,
      auditRows: verification.auditRows,
      problems: problems.length + verification.problems.length,
    });
    expect(problems.slice(0, 50)).toEqual([]);
    expect(verification.problems).toEqual([]);
    // The same process throughout: it recovered by itself.
    expect(server.isRunning()).toBe(true);
    expect(server.pid).toBe(serverPid);
  });
});
