/**
 * PostgreSQL restarts under load (F2 and F5 in docs/reliability.md). The server runs against an EXTERNAL database
 * (DATABASE_URL): an embedded PostgreSQL this test starts itself with the service's own launcher,
 * durable settings (fsync on). While writers (with a ledger, see ledger.ts), readers and a
 * `/api/status` poller run, PostgreSQL is stopped twice and started again on the same port:
 *   fast:      SIGINT (the launcher's stop()): sessions are terminated, everything committed stays;
 *   immediate: SIGQUIT to the postmaster: no shutdown checkpoint; the next start runs crash recovery.
 * The launcher always picks a new random port (it has no port option), so restarts run the
 * package's `postgres` binary directly with `-p <same port>`, as the `postgres` OS user.
 *
 * Expected: requests fail fast with 503 `service.unavailable` (+ Retry-After) while it is down,
 * never hang, never 500; `/api/status` answers 503 then 204 again; the pool reconnects without a
 * service restart; the ledger invariants hold.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { failFastProblems, Ledger, pollStatus, runReadLoad, runWriteLoad, type StatusPoll, verifyLedger } from './ledger.js';
import {
  type Credentials,
  DIST,
  fetchToken,
  freePort,
  makeTempDir,
  newCredentials,
  percentile,
  type PostgresProcess,
  postgresProcessesOn,
  postmasterPid,
  removeDir,
  stopLeftoverPostgres,
  report,
  send,
  type ServerProcess,
  signalAndWait,
  sleep,
  startPostgresOnPort,
  startServer,
  stopServer,
  waitFor,
} from './support.js';

interface EmbeddedDatabase {
  url: string;
  adminUrl: string;
  stop(): Promise<void>;
}

const WRITERS = 16;
const READERS = 4;
const OUTAGE_MS = 2500;
const FAIL_FAST_MS = 3000;

describe('PostgreSQL restart (fast and immediate) during load', () => {
  let root: string;
  let clusterDir: string;
  let launched: EmbeddedDatabase | undefined;
  let restarted: PostgresProcess | undefined;
  let server: ServerProcess | undefined;
  let credentials: Credentials;

  beforeAll(async () => {
    root = await makeTempDir('roster-faults-pgrestart-');
    clusterDir = join(root, 'db', 'pg');
    credentials = newCredentials();
  });

  afterAll(async () => {
    await stopServer(server);
    if (restarted && postgresProcessesOn(clusterDir).includes(restarted.pid)) await signalAndWait(restarted.pid, 'SIGINT');
    await launched?.stop().catch(() => undefined);
    await stopLeftoverPostgres(clusterDir);
    await removeDir(root);
  });

  it('answers 503 fast while PostgreSQL is down, reconnects by itself, and loses no acknowledged write', async () => {
    const { startEmbeddedPostgres } = (await import(join(DIST, 'src/database/embedded-postgres.js'))) as {
      startEmbeddedPostgres: (options: { dataDir: string; ephemeral?: boolean }) => Promise<EmbeddedDatabase>;
    };
    launched = await startEmbeddedPostgres({ dataDir: join(root, 'db'), ephemeral: false });
    const databaseUrl = launched.url;
    const pgPort = Number(new URL(databaseUrl).port);
    server = await startServer({ port: await freePort(), credentials, env: { DATABASE_URL: databaseUrl, DATA_DIR: join(root, 'unused') } });
    const serverPid = server.pid;
    const token = await fetchToken(server.baseUrl, credentials);
    const ledger = new Ledger(`p${randomBytes(3).toString('hex')}`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: WRITERS + READERS + 2 });
    const events: Record<string, number> = {};
    const mark = (name: string): void => void (events[name] = Date.now());
    /** When `name` happened; fails loudly if the script never marked it. */
    const event = (name: string): number => {
      const time = events[name];
      if (time === undefined) throw new Error(`event ${name} was never marked`);
      return time;
    };
    let stopped = false;

    // Writers (ledger), readers, and the readiness poller.
    const writers = runWriteLoad(ledger, server.baseUrl, token, {
      clients: WRITERS,
      until: () => stopped,
      agent,
      backoffMs: 50,
      timeoutMs: 10_000,
    });
    const readers = runReadLoad(ledger, server.baseUrl, token, {
      clients: READERS,
      until: () => stopped,
      agent,
      timeoutMs: 10_000,
      path: (round, target) =>
        round % 3 === 0 || !target
          ? '/api/users?page_size=5'
          : round % 3 === 1
            ? `/api/users/${target.id}`
            : `/api/logs?page_size=5&userId=${target.id}`,
    });
    const polls: StatusPoll[] = [];
    const poller = pollStatus(server.baseUrl, polls, () => stopped, 10_000);
    const firstReadyAfter = (since: number): Promise<number> =>
      waitFor(
        'GET /api/status to answer 204 again',
        () => polls.find((poll) => poll.startedAt >= since && poll.status === 204)?.endedAt,
        20_000,
        50,
      );

    let crashRecovery: string | undefined;
    try {
      await sleep(2000);

      // 1. Fast shutdown (SIGINT) through the launcher, then a start on the same port.
      mark('fastStop');
      await launched.stop();
      launched = undefined;
      mark('fastDown');
      await sleep(OUTAGE_MS);
      mark('fastRestart');
      restarted = await startPostgresOnPort(clusterDir, pgPort);
      mark('fastUp');
      events.fastReady = await firstReadyAfter(event('fastUp'));
      await sleep(2000);

      // 2. Immediate shutdown: SIGQUIT to the postmaster named in postmaster.pid.
      const postmaster = postmasterPid(clusterDir)!;
      expect(postmaster).toBe(restarted.pid);
      mark('immediateStop');
      process.kill(postmaster, 'SIGQUIT');
      await restarted.exited;
      mark('immediateDown');
      await sleep(OUTAGE_MS);
      mark('immediateRestart');
      restarted = await startPostgresOnPort(clusterDir, pgPort);
      mark('immediateUp');
      events.immediateReady = await firstReadyAfter(event('immediateUp'));
      crashRecovery = restarted.logs.join('\n');
      await sleep(2000);
    } catch (error) {
      // Stop the load (bounded) and keep what explains the failure.
      stopped = true;
      await Promise.all([writers, readers, poller]);
      agent.destroy();
      const { writeFileSync } = await import('node:fs');
      const file = join(root, '..', `roster-faults-pgrestart-failure-${Date.now()}.json`);
      writeFileSync(
        file,
        JSON.stringify(
          { events, polls: polls.slice(-200), serverLogs: server.logs.slice(-400), postgresLogs: restarted?.logs.slice(-100) },
          null,
          1,
        ),
      );
      throw new Error(`${(error as Error).message} (timeline, status polls and logs in ${file})`, { cause: error });
    }

    mark('loadStop');
    stopped = true;
    await Promise.all([writers, readers, poller]);
    agent.destroy();

    // The service never restarted: same process throughout.
    expect(server.isRunning()).toBe(true);
    expect(server.pid).toBe(serverPid);
    // The immediate stop really was one: the next start recovered from the WAL.
    expect(crashRecovery ?? '').toMatch(/database system was interrupted|not properly shut down/);

    const requests = ledger.requests;
    const within = (from: string, to: string) => (entry: { startedAt: number; ms: number }) =>
      entry.startedAt >= event(from) && entry.startedAt + entry.ms <= event(to);
    const windows = [
      {
        name: 'fast',
        down: within('fastDown', 'fastRestart'),
        transition: within('fastStop', 'fastReady'),
        up: event('fastUp'),
        ready: event('fastReady'),
        next: event('immediateStop'),
      },
      {
        name: 'immediate',
        down: within('immediateDown', 'immediateRestart'),
        transition: within('immediateStop', 'immediateReady'),
        up: event('immediateUp'),
        ready: event('immediateReady'),
        next: event('loadStop'),
      },
    ];
    const figures: Record<string, unknown> = { requests: requests.length, statusPolls: polls.length };
    // Every request got an answer, fast; the only failure answer is 503 service.unavailable + Retry-After.
    const problems = failFastProblems(requests, polls, FAIL_FAST_MS);

    for (const window of windows) {
      const downRequests = requests.filter(window.down);
      const downPolls = polls.filter(window.down);
      const transition = requests.filter(window.transition);
      const failures = transition.filter((entry) => entry.status === 503);
      // Requests made while PostgreSQL was down all answered 503; so did the readiness check.
      if (downRequests.length === 0 || downRequests.some((entry) => entry.status !== 503)) {
        problems.push(`${window.name}: while down, statuses were ${JSON.stringify(downRequests.map((entry) => entry.status))}`);
      }
      if (downPolls.length === 0 || downPolls.some((poll) => poll.status !== 503)) {
        problems.push(`${window.name}: /api/status while down answered ${JSON.stringify(downPolls.map((poll) => poll.status))}`);
      }
      // Once ready again, nothing fails any more (the pool reconnected by itself), until the next stop.
      const afterRecovery = requests.filter((entry) => entry.startedAt > window.ready + 500 && entry.startedAt + entry.ms < window.next);
      if (afterRecovery.length === 0 || afterRecovery.some((entry) => entry.status === 503)) {
        problems.push(
          `${window.name}: after recovery: ${afterRecovery.filter((entry) => entry.status === 503).length} of ${afterRecovery.length} still 503`,
        );
      }
      const firstAcknowledgedWrite = requests.find(
        (entry) => entry.op !== 'read' && entry.startedAt >= window.up && entry.status !== undefined && entry.status < 300,
      );
      figures[window.name] = {
        outageMs: window.name === 'fast' ? event('fastRestart') - event('fastDown') : event('immediateRestart') - event('immediateDown'),
        requestsWhileDown: downRequests.length,
        statusPollsWhileDown: downPolls.length,
        failed503: failures.length,
        failed503MaxMs: Math.max(0, ...failures.map((entry) => entry.ms)),
        failed503P99Ms: percentile(
          failures.map((entry) => entry.ms),
          0.99,
        ),
        readyAfterStartMs: window.ready - window.up,
        firstWriteAfterStartMs: firstAcknowledgedWrite
          ? firstAcknowledgedWrite.startedAt + firstAcknowledgedWrite.ms - window.up
          : undefined,
      };
    }
    figures.maxRequestMs = Math.max(...requests.map((entry) => entry.ms), ...polls.map((poll) => poll.ms));
    figures.acknowledgedWrites = requests.filter((entry) => entry.op !== 'read' && entry.status !== undefined && entry.status < 300).length;

    const verification = await verifyLedger(ledger, server.baseUrl, await fetchToken(server.baseUrl, credentials), databaseUrl);
    Object.assign(figures, {
      users: verification.users,
      liveUsers: verification.liveUsers,
      auditRows: verification.auditRows,
      unacknowledgedApplied: verification.pendingApplied,
      unacknowledgedNotApplied: verification.pendingNotApplied,
      unacknowledgedByKind: verification.pendingByKind,
      problems: problems.length + verification.problems.length,
    });
    report('PostgreSQL restart', figures);
    if (process.env.FAULTS_DEBUG) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(
        join(root, '..', 'roster-faults-pgrestart-debug.json'),
        JSON.stringify(
          {
            problems,
            verification: verification.problems,
            events,
            requests,
            polls,
            logs: server.logs.filter((line) => !line.includes('"context":"HTTP"') || /"status":5/.test(line)),
          },
          null,
          1,
        ),
      );
    }
    expect(problems.slice(0, 50)).toEqual([]);
    expect(verification.problems).toEqual([]);

    // A final read through the same pool, and the service still serves the token endpoint.
    expect((await send(server.baseUrl, 'GET', '/api/users?page_size=1', { token })).status).toBe(200);
  });
});
