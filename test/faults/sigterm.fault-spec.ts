/**
 * SIGTERM (F3, F4 and F7 in docs/reliability.md): the service first reports not ready (`GET /api/status` 503) while it
 * keeps serving for SHUTDOWN_DRAIN_MS, then stops accepting; in-flight requests, and requests that
 * were fully sent before the signal, are answered; the process exits within
 * SHUTDOWN_GRACE_SECONDS with code 0, and the embedded PostgreSQL stops cleanly (no process left;
 * the next start finds a cleanly shut down cluster, not one to recover).
 * Also the other side of the grace period: when in-flight work outlasts it, the process exits
 * with code 1 at the deadline, and its PostgreSQL still stops.
 */
import http from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import {
  embeddedDatabaseUrl,
  fetchToken,
  postgresProcessesOn,
  postmasterPid,
  report,
  type Reply,
  send,
  serverConnections,
  type ServerProcess,
  signalAndWait,
  startServer,
  stopServer,
  useFaultWorkspace,
  waitFor,
  withDatabase,
} from './support.js';
import { at } from '../support/at.js';

const GRACE_SECONDS = 5;
const DRAIN_MS = 1000;

describe('SIGTERM', () => {
  let server: ServerProcess | undefined;
  const workspace = useFaultWorkspace('roster-faults-sigterm-', () => server);

  const start = (grace: number, drainMs = DRAIN_MS, env: Record<string, string> = {}): Promise<ServerProcess> =>
    startServer({
      port: workspace.port,
      credentials: workspace.credentials,
      env: {
        DATA_DIR: workspace.dataDir,
        LOG_LEVEL: 'debug',
        SHUTDOWN_GRACE_SECONDS: String(grace),
        SHUTDOWN_DRAIN_MS: String(drainMs),
        ...env,
      },
    });

  /** `ManagementApi.User.*` audit rows of the embedded database, counted per key and username or user id. */
  const auditRows = async (key: string, where: 'username' | 'userId', values: string[]): Promise<Map<string, number>> => {
    const path = where === 'username' ? `payload->'params'->>'username'` : `payload->>'userId'`;
    const rows = await withDatabase(
      await embeddedDatabaseUrl(workspace.dataDir),
      async (client) =>
        (
          await client.query<{ value: string; rows: string }>(
            `SELECT ${path} AS value, count(*) AS rows FROM logs WHERE key = $1 AND ${path} = ANY($2) GROUP BY 1`,
            [key, values],
          )
        ).rows,
    );
    return new Map(rows.map((row) => [row.value, Number(row.rows)]));
  };

  const postgresStartLines = (logs: string[]): string =>
    logs
      .filter((line) => line.includes('"context":"EmbeddedPostgres"'))
      .map((line) => (JSON.parse(line) as { message: string }).message)
      .join('\n');

  /** A burst of user creates with a password (Argon2i, tens of ms each on the thread pool). */
  function burst(
    count: number,
    token: string,
    tag: string,
    agent: http.Agent,
    onSent?: () => void,
  ): Promise<Reply<{ id?: string; username?: string }>>[] {
    return Array.from({ length: count }, (_, index) =>
      send<{ id?: string; username?: string }>(`http://127.0.0.1:${workspace.port}`, 'POST', '/api/users', {
        token,
        agent,
        onSent,
        json: { username: `${tag}_${index}`, password: `correct horse battery ${index}`, customData: { index } },
        timeoutMs: 30_000,
      }),
    );
  }

  it('finishes in-flight requests, refuses new ones, exits 0 within the grace period and stops PostgreSQL cleanly', async () => {
    const clusterDir = join(workspace.dataDir, 'pg');
    server = await start(GRACE_SECONDS);
    const token = await fetchToken(server.baseUrl, workspace.credentials);
    expect((await send(server.baseUrl, 'GET', '/api/users?page_size=1', { token })).status).toBe(200);

    // Keep-alive connections, as every HTTP client and load balancer uses. The signal comes once
    // the server has read every request of the burst (all 30 sent, and no unread bytes left on the
    // server's connections; they queue for Argon2 on the thread pool): all 30 are in flight.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    let sent = 0;
    const inFlight = burst(30, token, 'sigterm', agent, () => void (sent += 1));
    const answeredBeforeSignal: number[] = [];
    inFlight.forEach((reply, index) => void reply.then(() => answeredBeforeSignal.push(index)));
    await waitFor(
      'the server to have read all 30 requests',
      () => {
        const { count, unreadBytes } = serverConnections(workspace.port);
        return sent === 30 && count >= 30 && unreadBytes === 0 ? true : undefined;
      },
      10_000,
      5,
    );
    const answeredAtSignal = answeredBeforeSignal.length;
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');

    // During the drain: not ready, but new connections are still served, and told to close.
    const status = await waitFor(
      'GET /api/status to answer 503',
      async () => {
        const reply = await send<{ code?: string }>(server!.baseUrl, 'GET', '/api/status', { timeoutMs: 5000 });
        return reply.status === 204 ? undefined : reply;
      },
      5000,
      10,
    );
    const lateCreate = await send<{ id?: string; username?: string }>(server.baseUrl, 'POST', '/api/users', {
      token,
      json: { username: 'late_create' },
      timeoutMs: 5000,
    });
    const lateCreateAt = Date.now();
    // After the drain: refused.
    const late: Reply[] = [];
    const refused = await waitFor(
      'new connections to be refused',
      async () => {
        const reply = await send(server!.baseUrl, 'GET', '/api/status', { timeoutMs: 5000 });
        late.push(reply);
        return reply.error === 'ECONNREFUSED' ? reply : undefined;
      },
      GRACE_SECONDS * 1000,
      20,
    );

    const replies = await Promise.all(inFlight);
    const exit = await server.exited;
    agent.destroy();
    const exitSeconds = (exit.at - signalledAt) / 1000;
    const leftOver = postgresProcessesOn(clusterDir);
    const figures = {
      inFlight: replies.length,
      answeredBeforeSignal: answeredAtSignal,
      completed2xx: replies.filter((reply) => reply.status === 200).length,
      others: replies.filter((reply) => reply.status !== 200).map((reply) => reply.status ?? reply.error),
      lastAnswerAfterSignalMs: Math.max(...replies.map((reply) => reply.endedAt)) - signalledAt,
      statusAfterSignal: status.status,
      lateCreate: lateCreate.status,
      lateCreateConnection: lateCreate.headers?.connection,
      lateCreateAfterSignalMs: lateCreateAt - signalledAt,
      refusedAfterSignalMs: refused.startedAt - signalledAt,
      statusPollsUntilRefused: late.reduce<Record<string, number>>((counts, reply) => {
        const outcome = String(reply.status ?? reply.error);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
        return counts;
      }, {}),
      exitCode: exit.code,
      exitSeconds,
      postgresLeft: leftOver.length,
    };
    report('SIGTERM', figures);

    expect(answeredAtSignal).toBeLessThan(30);
    expect(replies.map((reply) => reply.status)).toEqual(Array.from({ length: 30 }, () => 200));
    expect({ status: status.status, code: status.body?.code }).toEqual({ status: 503, code: 'service.unavailable' });
    expect({ status: lateCreate.status, connection: lateCreate.headers?.connection }).toEqual({ status: 200, connection: 'close' });
    // Not before the drain delay was over.
    expect(refused.startedAt - signalledAt).toBeGreaterThanOrEqual(DRAIN_MS);
    for (const reply of late) expect(reply.status === 503 || reply.error === 'ECONNREFUSED' || reply.error === 'ECONNRESET').toBe(true);
    expect(exit.code).toBe(0);
    expect(exitSeconds).toBeLessThan(GRACE_SECONDS);
    expect(leftOver).toEqual([]);
    expect(server.logs.join('\n')).toContain('database system is shut down');

    // The next start finds a cluster that was shut down cleanly, with every acknowledged create.
    server = await start(GRACE_SECONDS);
    const startLog = postgresStartLines(server.logs);
    expect(startLog).toContain('database system was shut down at');
    expect(startLog).not.toMatch(/was interrupted|not properly shut down|automatic recovery|left running by an earlier process/);
    const token2 = await fetchToken(server.baseUrl, workspace.credentials);
    for (const reply of [...replies, lateCreate]) {
      const read = await send<{ username?: string }>(server.baseUrl, 'GET', `/api/users/${reply.body!.id}`, { token: token2 });
      expect(read.status).toBe(200);
      expect(read.body?.username).toBe(reply.body!.username);
    }
    await stopServer(server);
    expect((await server.exited).code).toBe(0);
  });

  /**
   * Requests the client has sent in full just before the signal, on new connections, while the
   * server is busy: some are still in the kernel's accept queue, or unread in their socket buffer,
   * when the signal comes. They must be served like any other, each applied exactly once, with its
   * audit row. Before the fix of F4, the listening socket closed at once, so the kernel reset the
   * queued ones (ECONNRESET: a lost answer the client cannot tell from a lost write), and those
   * read after Fastify had begun closing got its bare 503.
   */
  it('answers every request that was fully sent before the signal, and applies each exactly once', async () => {
    server = await start(GRACE_SECONDS);
    const token = await fetchToken(server.baseUrl, workspace.credentials);
    const agent = new http.Agent({ keepAlive: false, maxSockets: 64 });
    let signalledAt = 0;
    let sent = 0;
    // The signal goes out the moment the last request has been handed to the kernel in full.
    const signalOnceAllSent = (): void => {
      sent += 1;
      if (sent !== 30) return;
      signalledAt = Date.now();
      server!.child.kill('SIGTERM');
    };
    const replies = await Promise.all(burst(30, token, 'unread', agent, signalOnceAllSent));
    const exit = await server.exited;
    agent.destroy();
    const outcomes = replies.map((reply) => reply.status ?? reply.error);
    const summary: Record<string, number> = {};
    for (const outcome of outcomes) summary[String(outcome)] = (summary[String(outcome)] ?? 0) + 1;
    const answeredBeforeSignal = replies.filter((reply) => reply.endedAt < signalledAt).length;
    report('SIGTERM with requests sent but not yet read', {
      outcomes: summary,
      answeredBeforeSignal,
      exitCode: exit.code,
      exitSeconds: (exit.at - signalledAt) / 1000,
    });
    expect(signalledAt).toBeGreaterThan(0);
    expect(outcomes).toEqual(Array.from({ length: 30 }, () => 200));
    expect(exit.code).toBe(0);

    // Each one there exactly once, as answered, with exactly one Create audit row.
    server = await start(GRACE_SECONDS);
    const token2 = await fetchToken(server.baseUrl, workspace.credentials);
    const usernames = replies.map((_, index) => `unread_${index}`);
    const creates = await auditRows('ManagementApi.User.Create', 'username', usernames);
    for (const [index, reply] of replies.entries()) {
      const found = await send<{ id: string }[]>(
        server.baseUrl,
        'GET',
        `/api/users?search.username=${usernames[index]}&mode.username=exact`,
        { token: token2 },
      );
      expect({
        index,
        status: found.status,
        ids: found.body?.map((user) => user.id),
        auditRows: creates.get(at(usernames, index)),
      }).toEqual({
        index,
        status: 200,
        ids: reply.status === 200 ? [reply.body!.id] : [],
        auditRows: reply.status === 200 ? 1 : undefined,
      });
    }
    await stopServer(server);
  });

  /**
   * A stop request can come while the service is still starting (a rolling update, `systemctl
   * stop`): once the embedded PostgreSQL is up, migrations and the application start take another
   * second or two. The service must not die of the signal's default action then, leaving its
   * PostgreSQL running with no owner.
   */
  /** Sends SIGTERM once the server has logged `readyLine`, and checks that no PostgreSQL outlives it. */
  async function signalDuringStartup(readyLine: string, name: string): Promise<void> {
    const clusterDir = join(workspace.dataDir, 'pg');
    server = await startServer({
      port: workspace.port,
      credentials: workspace.credentials,
      env: { DATA_DIR: workspace.dataDir, SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS), LOG_LEVEL: 'debug' },
      readyLine,
    });
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    const gone = await waitFor('PostgreSQL to stop', () => (postgresProcessesOn(clusterDir).length === 0 ? true : undefined), 10_000).catch(
      () => false,
    );
    const left = postgresProcessesOn(clusterDir);
    report(name, {
      exitCode: exit.code,
      exitSignal: exit.signal,
      exitSeconds: (exit.at - signalledAt) / 1000,
      postgresLeftAfter10s: left.length,
    });
    if (!gone) {
      // Clean up what the service left behind: its PostgreSQL, found by its own data dir.
      const pid = postmasterPid(clusterDir);
      if (pid !== undefined) await signalAndWait(pid, 'SIGINT');
    }
    expect(exit.signal).toBeNull();
    expect(left).toEqual([]);
  }

  it('stops the embedded PostgreSQL too when SIGTERM comes during start-up', async () => {
    await signalDuringStartup('Embedded PostgreSQL started', 'SIGTERM during start-up');
  });

  it('stops the embedded PostgreSQL too when SIGTERM comes while PostgreSQL itself is still starting', async () => {
    // PostgreSQL's own first line (logged at debug): the postmaster runs, the launcher has not returned.
    await signalDuringStartup('starting PostgreSQL', 'SIGTERM while PostgreSQL starts');
  });

  /**
   * The in-flight request is held by a row lock that the test itself holds (so it provably outlasts
   * the grace period, whatever the machine's speed): the service must exit with code 1 at the
   * deadline, not wait for it, and its PostgreSQL must still stop cleanly.
   */
  it('exits with code 1 at the grace deadline when in-flight work outlasts it, and still stops PostgreSQL', async () => {
    const clusterDir = join(workspace.dataDir, 'pg');
    const grace = 1;
    // The statement timeout, far past the grace period, must not end the wait first.
    server = await start(grace, 200, { STATEMENT_TIMEOUT_MS: '60000' });
    const token = await fetchToken(server.baseUrl, workspace.credentials);
    const created = await send<{ id: string; name: string | null }>(server.baseUrl, 'POST', '/api/users', {
      token,
      json: { username: 'overdue', name: 'before' },
    });
    expect(created.status).toBe(200);
    const userId = created.body!.id;

    const locker = new pg.Client({ connectionString: await embeddedDatabaseUrl(workspace.dataDir) });
    // The forced exit's fast shutdown of PostgreSQL ends this session too; that is expected.
    locker.on('error', () => undefined);
    await locker.connect();
    let blocked: Promise<Reply> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
      blocked = send(server.baseUrl, 'PATCH', `/api/users/${userId}`, { token, json: { name: 'after' }, timeoutMs: 30_000 });
      // In flight for sure: the service's UPDATE is waiting for the test's row lock.
      await waitFor(
        "the PATCH to wait for the test's row lock",
        async () => {
          const { rows } = await locker.query<{ waiting: string }>(
            `SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
          );
          return Number(rows[0]?.waiting) > 0 ? true : undefined;
        },
        10_000,
        20,
      );
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      const exit = await server.exited;
      const reply = await blocked;
      const exitSeconds = (exit.at - signalledAt) / 1000;
      // The exit listener only signals PostgreSQL (fast shutdown); wait until it has finished.
      await waitFor(
        'PostgreSQL to stop after the forced exit',
        () => (postgresProcessesOn(clusterDir).length === 0 ? true : undefined),
        30_000,
      );
      const stoppedAfterSeconds = (Date.now() - signalledAt) / 1000;
      report('SIGTERM past the grace period', {
        blockedRequest: reply.status ?? reply.error,
        exitCode: exit.code,
        exitSeconds,
        postgresStoppedAfterSeconds: stoppedAfterSeconds,
      });
      expect(exit.code).toBe(1);
      expect(exitSeconds).toBeGreaterThanOrEqual(grace - 0.1);
      // At the deadline (plus scheduling delay on a busy machine), not whenever the lock goes.
      expect(exitSeconds).toBeLessThan(grace + 4);
      expect(reply.status).toBeUndefined();
    } finally {
      await locker.end().catch(() => undefined);
    }

    // The cut-off write was never applied, and the cluster was shut down cleanly.
    server = await start(GRACE_SECONDS);
    const startLog = postgresStartLines(server.logs);
    expect(startLog).toContain('database system was shut down at');
    expect(startLog).not.toMatch(/was interrupted|not properly shut down|automatic recovery/);
    const token2 = await fetchToken(server.baseUrl, workspace.credentials);
    const read = await send<{ name: string | null }>(server.baseUrl, 'GET', `/api/users/${userId}`, { token: token2 });
    expect({ status: read.status, name: read.body?.name }).toEqual({ status: 200, name: 'before' });
    expect((await auditRows('ManagementApi.User.Update', 'userId', [userId])).get(userId)).toBeUndefined();
    await stopServer(server);
  });
});
