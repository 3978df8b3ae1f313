/**
 * SIGTERM to `npm start` (F8 in docs/reliability.md). A supervisor (systemd, a container runtime,
 * a process manager) that starts Roster with `npm start` signals the process it started: npm. npm
 * forwards the signal to its script's process, so the script must end in `exec node …`: then that
 * process is Roster itself, not a shell that dies of the signal and leaves Roster running without
 * an owner, on its port, with its PostgreSQL.
 *
 * The signal goes to the npm process only (not its process group, as a terminal's Ctrl-C would),
 * while requests are in flight: they are answered, the server logs its shutdown, npm exits with
 * the server's code 0, and nothing is left: no Roster process, no listener on the port, no PostgreSQL.
 */
import http from 'node:http';
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import {
  fetchToken,
  isAlive,
  postgresProcessesOn,
  report,
  type Reply,
  send,
  serverConnections,
  type ServerProcess,
  startServer,
  useFaultWorkspace,
  waitFor,
} from './support.js';

const GRACE_SECONDS = 10;
const DRAIN_MS = 500;
const IN_FLIGHT = 10;

/** The command line of a live process, its arguments joined by spaces ('' once it is gone). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** The executable a live process runs ('' once it is gone). */
function executableOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** The direct children of a process. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process's descendants, children first. */
function descendantsOf(pid: number): number[] {
  return childrenOf(pid).flatMap((child) => [child, ...descendantsOf(child)]);
}

/** Sockets listening on `port` (IPv4 or IPv6), from /proc/net. */
function listenersOn(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local?.endsWith(hexPort) && state === '0A') count += 1;
    }
  }
  return count;
}

describe('SIGTERM to npm start', () => {
  let server: ServerProcess | undefined;
  /** Every process under npm once it served: what must be gone after it, and what a failed run cleans up. */
  let descendants: number[] = [];
  const workspace = useFaultWorkspace('roster-faults-npm-start-', () => server);

  // Without `exec`, SIGTERM kills npm's shell and Roster lives on, holding this run's output pipes
  // (Jest would wait for them forever): stop whatever outlived the test, before the workspace goes.
  afterAll(async () => {
    const survivors = descendants.filter(isAlive);
    for (const pid of survivors) process.kill(pid, 'SIGTERM');
    await waitFor('the processes left by npm start to exit', () => (survivors.some(isAlive) ? undefined : true), 20_000).catch(() =>
      survivors.filter(isAlive).forEach((pid) => process.kill(pid, 'SIGKILL')),
    );
  });

  it('reaches Roster through npm: in-flight requests answered, clean exit 0, nothing left running', async () => {
    const clusterDir = join(workspace.dataDir, 'pg');
    server = await startServer({
      port: workspace.port,
      credentials: workspace.credentials,
      npmStart: true,
      env: {
        DATA_DIR: workspace.dataDir,
        LOG_LEVEL: 'debug',
        SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
        SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      },
    });
    const npmPid = server.pid;
    descendants = descendantsOf(npmPid).filter((pid) => !commandLine(pid).includes('postgres'));
    // npm's only child should be Roster itself: the script's shell replaced itself with node (`exec`).
    const children = childrenOf(npmPid);
    const roster = children[0];
    const processes = {
      npm: commandLine(npmPid),
      children: children.map(commandLine),
      // The Node.js that runs Roster: this test's own (CI's second run puts Node.js 24 first on PATH).
      runtime: roster === undefined ? '' : executableOf(roster),
    };

    const token = await fetchToken(server.baseUrl, workspace.credentials);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    let sent = 0;
    const inFlight: Promise<Reply<{ id?: string }>>[] = Array.from({ length: IN_FLIGHT }, (_, index) =>
      send<{ id?: string }>(server!.baseUrl, 'POST', '/api/users', {
        token,
        agent,
        onSent: () => void (sent += 1),
        json: { username: `npm_start_${index}`, password: `correct horse battery ${index}` },
        timeoutMs: 30_000,
      }),
    );
    let answeredAtSignal = 0;
    inFlight.forEach((reply) => void reply.then(() => (answeredAtSignal += 1)));
    await waitFor(
      `the server to have read all ${IN_FLIGHT} requests`,
      () => {
        const { count, unreadBytes } = serverConnections(workspace.port);
        return sent === IN_FLIGHT && count >= IN_FLIGHT && unreadBytes === 0 ? true : undefined;
      },
      10_000,
      5,
    );
    const answeredBeforeSignal = answeredAtSignal;
    const signalledAt = Date.now();
    process.kill(npmPid, 'SIGTERM');

    const replies = await Promise.all(inFlight);
    agent.destroy();
    const exit = await server.exited;
    // npm waits for its script, so Roster has exited too; a forgotten process would show here.
    const left = {
      roster: roster !== undefined && isAlive(roster),
      descendants: descendants.filter(isAlive).length,
      listeners: listenersOn(workspace.port),
      postgres: postgresProcessesOn(clusterDir).length,
    };
    const refused = await send(`http://127.0.0.1:${workspace.port}`, 'GET', '/api/status', { timeoutMs: 2000 });
    const logs = server.logs.join('\n');
    report('SIGTERM to npm start', {
      processes,
      inFlight: IN_FLIGHT,
      answeredBeforeSignal,
      statuses: replies.map((reply) => reply.status ?? reply.error),
      npmExitCode: exit.code,
      npmExitSignal: exit.signal,
      exitSeconds: (exit.at - signalledAt) / 1000,
      left,
      afterExit: refused.status ?? refused.error,
      buildLine: server.logs.find((line) => line.startsWith('build: ')),
    });

    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(left).toEqual({ roster: false, descendants: 0, listeners: 0, postgres: 0 });
    expect(processes.npm).toMatch(/\bnpm\b/);
    expect(processes.children).toEqual([expect.stringMatching(/^\S*node\S* dist\/src\/main\.js$/)]);
    expect(processes.runtime).toBe(realpathSync(process.execPath));
    expect(answeredBeforeSignal).toBeLessThan(IN_FLIGHT);
    expect(replies.map((reply) => reply.status)).toEqual(Array.from({ length: IN_FLIGHT }, () => 200));
    expect(logs).toContain('SIGTERM received, shutting down');
    expect(logs).toContain('database system is shut down');
    expect(logs).toMatch(/"message":"Stopped"/);
    expect(refused.error).toBe('ECONNREFUSED');
  });
});
