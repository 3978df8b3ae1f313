/**
 * `kill -9` of the service during a write load ("kill -9 during a write load" in docs/reliability.md). The server runs on its embedded
 * PostgreSQL in a temp DATA_DIR; 20 clients create, rename, merge custom data and delete users,
 * keeping a ledger of every answer. Three kills:
 *   1 and 2: SIGKILL of the Node process only. Its PostgreSQL keeps running, orphaned; the next
 *            start must find it through postmaster.pid and stop it before starting its own.
 *   3:       SIGKILL of the Node process and of every PostgreSQL process of the cluster at once
 *            (a container or cgroup kill); the next start must run PostgreSQL's crash recovery.
 * After each restart on the same DATA_DIR the ledger is verified (see ledger.ts).
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Ledger, runWriteLoad, verifyLedger } from './ledger.js';
import {
  embeddedDatabaseUrl,
  fetchToken,
  isAlive,
  percentile,
  postgresProcessesOn,
  postmasterAndChildren,
  postmasterPid,
  report,
  send,
  type ServerProcess,
  sleep,
  startServer,
  stopServer,
  useFaultWorkspace,
  waitFor,
} from './support.js';

const CLIENTS = 20;
const CYCLES: ('server' | 'server+postgres')[] = ['server', 'server', 'server+postgres'];

describe('kill -9 during a write load', () => {
  let server: ServerProcess | undefined;
  const workspace = useFaultWorkspace('roster-faults-kill9-', () => server);

  const start = (): Promise<ServerProcess> =>
    startServer({ port: workspace.port, credentials: workspace.credentials, env: { DATA_DIR: workspace.dataDir, LOG_LEVEL: 'debug' } });

  const ledger = new Ledger(`k${randomBytes(3).toString('hex')}`);

  it('keeps every acknowledged write and leaves unacknowledged ones all-or-nothing, with one audit row per change', async () => {
    const clusterDir = join(workspace.dataDir, 'pg');
    server = await start();
    let token = await fetchToken(server.baseUrl, workspace.credentials);
    const cycles: Record<string, unknown>[] = [];

    for (const [index, victim] of CYCLES.entries()) {
      const cycle = index + 1;
      const firstRequest = ledger.requests.length;
      const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
      let killed = false;
      const load = runWriteLoad(ledger, server.baseUrl, token, {
        clients: CLIENTS,
        until: () => killed,
        agent,
        stopOnConnectionError: true,
      });

      await sleep(2500 + Math.random() * 1500);
      // Read quickly (a full /proc scan would stall the clients right before the kill).
      const postgresPids = victim === 'server' ? [] : postmasterAndChildren(clusterDir);
      const victims = [server.pid, ...postgresPids];
      if (victim !== 'server') expect(postgresPids.length).toBeGreaterThan(1);
      const killedAt = Date.now();
      for (const pid of victims) process.kill(pid, 'SIGKILL');
      killed = true;
      const exit = await server.exited;
      expect(exit.signal).toBe('SIGKILL');
      await load;
      agent.destroy();
      const inCycle = ledger.requests.slice(firstRequest);
      const acknowledged = inCycle.filter((entry) => entry.status !== undefined && entry.status < 300).length;
      const unanswered = ledger.pendingCount();

      if (victim === 'server') {
        // The orphaned PostgreSQL is still serving the cluster until the next start stops it.
        expect(postgresProcessesOn(clusterDir)).toContain(postmasterPid(clusterDir));
      } else {
        await waitFor(
          'the killed PostgreSQL processes to be gone',
          () => (postgresProcessesOn(clusterDir).length === 0 ? true : undefined),
          10_000,
        );
      }

      // Restart at once, as a supervisor would. If that fails, note why, wait until the killed
      // processes are fully gone (reaped), and start again so the ledger can still be checked.
      const restartedAt = Date.now();
      let restartFailure: string | undefined;
      try {
        server = await start();
      } catch (error) {
        restartFailure = (error as Error).message;
        report(`kill -9 cycle ${cycle}: immediate restart failed`, { error: restartFailure.slice(0, 2000) });
        await waitFor('the killed processes to be reaped', () => (victims.some(isAlive) ? undefined : true), 30_000);
        server = await start();
      }
      const restartMs = Date.now() - restartedAt;
      const postgresLog = server.logs.filter((line) => line.includes('"context":"EmbeddedPostgres"')).join('\n');
      if (victim === 'server') {
        expect(postgresLog).toContain('stopping a PostgreSQL left running by an earlier process');
        expect(postgresLog).toContain('database system was shut down');
      } else {
        expect(postgresLog).toMatch(/database system was interrupted|was not properly shut down/);
        expect(postgresLog).toContain('automatic recovery in progress');
      }

      // Signing keys live in the database: a token issued before the kill still works.
      expect((await send(server.baseUrl, 'GET', '/api/users?page_size=1', { token })).status).toBe(200);
      token = await fetchToken(server.baseUrl, workspace.credentials);

      const verification = await verifyLedger(ledger, server.baseUrl, token, await embeddedDatabaseUrl(workspace.dataDir));
      const figures = {
        cycle,
        killed: victim,
        requests: inCycle.length,
        acknowledged,
        unansweredAtKill: unanswered,
        loadSeconds: Math.round((killedAt - (inCycle[0]?.startedAt ?? killedAt)) / 100) / 10,
        latencyP50Ms: percentile(
          inCycle.filter((entry) => entry.status).map((entry) => entry.ms),
          0.5,
        ),
        latencyP99Ms: percentile(
          inCycle.filter((entry) => entry.status).map((entry) => entry.ms),
          0.99,
        ),
        restartMs,
        immediateRestartFailed: restartFailure !== undefined,
        users: verification.users,
        liveUsers: verification.liveUsers,
        auditRows: verification.auditRows,
        pendingApplied: verification.pendingApplied,
        pendingNotApplied: verification.pendingNotApplied,
        pendingByKind: verification.pendingByKind,
        problems: verification.problems.length,
      };
      cycles.push(figures);
      report(`kill -9 cycle ${cycle}`, figures);
      expect(verification.problems).toEqual([]);
      expect(restartFailure).toBeUndefined();
      // The kill did land in the middle of requests.
      expect(unanswered).toBeGreaterThan(0);
      expect(acknowledged).toBeGreaterThan(100);
    }

    // A clean stop at the end leaves no PostgreSQL behind.
    await stopServer(server);
    expect((await server.exited).code).toBe(0);
    expect(postgresProcessesOn(clusterDir)).toEqual([]);
    report('kill -9 summary', { cycles: cycles.length, totalRequests: ledger.requests.length });
  });

  /**
   * After a crash the lock file names a PID that may belong to another live process by the time
   * the service starts again (PID reuse in a new container, or a zombie not yet reaped by init):
   * PostgreSQL then refuses to start ("lock file postmaster.pid already exists"). The launcher
   * knows the file is stale when that PID is not a postgres serving this cluster.
   */
  it('starts after a crash whose postmaster.pid names another live process', async () => {
    const clusterDir = join(workspace.dataDir, 'pg');
    await stopServer(server); // left running if the test above failed
    server = await start();
    let token = await fetchToken(server.baseUrl, workspace.credentials);
    let killed = false;
    const load = runWriteLoad(ledger, server.baseUrl, token, { clients: CLIENTS, until: () => killed, stopOnConnectionError: true });
    const acknowledgedBefore = ledger.requests.filter((entry) => entry.status === 200).length;
    await waitFor(
      '100 acknowledged writes before the kill',
      () => (ledger.requests.filter((entry) => entry.status === 200).length >= acknowledgedBefore + 100 ? true : undefined),
      30_000,
      20,
    );
    const victims = [server.pid, ...postmasterAndChildren(clusterDir)];
    for (const pid of victims) process.kill(pid, 'SIGKILL');
    killed = true;
    await server.exited;
    await load;
    await waitFor('the killed processes to be reaped', () => (victims.some(isAlive) ? undefined : true), 30_000);

    // Another process of the `postgres` OS user now holds the PID the lock file names (PostgreSQL
    // ignores a PID of another user; a zombie postmaster not yet reaped counts as this user's too).
    const postgresUser =
      process.getuid?.() === 0
        ? {
            uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
            gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
          }
        : {};
    const squatter = spawn('sleep', ['120'], { stdio: 'ignore', ...postgresUser });
    try {
      const lockFile = join(clusterDir, 'postmaster.pid');
      const lines = (await readFile(lockFile, 'utf8')).split('\n');
      lines[0] = String(squatter.pid);
      await writeFile(lockFile, lines.join('\n'));

      let failure: string | undefined;
      try {
        server = await start();
      } catch (error) {
        failure = (error as Error).message;
        report('kill -9 with a reused postmaster PID: start failed', { error: failure.slice(-1500) });
      }
      if (failure !== undefined) {
        squatter.kill('SIGKILL');
        await waitFor('the squatter to exit', () => (isAlive(squatter.pid!) ? undefined : true), 10_000);
        server = await start();
      }
      token = await fetchToken(server.baseUrl, workspace.credentials);
      const verification = await verifyLedger(ledger, server.baseUrl, token, await embeddedDatabaseUrl(workspace.dataDir));
      report('kill -9 with a reused postmaster PID', {
        startFailedFirst: failure !== undefined,
        users: verification.users,
        problems: verification.problems.length,
      });
      expect(verification.problems).toEqual([]);
      expect(failure).toBeUndefined();
    } finally {
      if (isAlive(squatter.pid!)) squatter.kill('SIGKILL');
    }
    await stopServer(server);
    expect(postgresProcessesOn(clusterDir)).toEqual([]);
  });
});
