import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import type { RunFigures, ServerFigures } from './report.js';

/** The repository root (this file runs as `bench/dist/common.js`). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = join(ROOT, 'bench');

export interface EmbeddedDatabase {
  url: string;
  adminUrl: string;
  stop(): Promise<void>;
}

interface EmbeddedModule {
  startEmbeddedPostgres: (options: { dataDir: string; ephemeral?: boolean; onLog?: (line: string) => void }) => Promise<EmbeddedDatabase>;
}

interface MigrateModule {
  runMigrations: (url: string) => Promise<string[]>;
}

/** Loads a module of the production build (`nest build` output), so the bench runs exactly what ships. */
export async function importBuilt<T>(relativePath: string): Promise<T> {
  const file = join(ROOT, 'dist', relativePath);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npx nest build" first (npm run bench does).`);
  return (await import(pathToFileURL(file).href)) as T;
}

export async function startEmbedded(dataDir: string, ephemeral: boolean): Promise<EmbeddedDatabase> {
  const { startEmbeddedPostgres } = await importBuilt<EmbeddedModule>('src/database/embedded-postgres.js');
  return startEmbeddedPostgres({ dataDir, ephemeral });
}

export async function migrate(url: string): Promise<string[]> {
  const { runMigrations } = await importBuilt<MigrateModule>('src/database/migrate.js');
  return runMigrations(url);
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

/** A one-line progress bar on stderr: `label [#####.....] 45% 450,000/1,000,000 rows 120,000 rows/s`. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly tty = process.stderr.isTTY;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  private lastDrawn = -1;

  update(done: number, force = false): void {
    const now = Date.now();
    if (force && done === this.lastDrawn) return;
    // On a terminal redraw in place; in a log file print a line every few seconds.
    if (!force && now - this.lastDraw < (this.tty ? 200 : 5000)) return;
    this.lastDraw = now;
    this.lastDrawn = done;
    const fraction = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const width = 30;
    const filled = Math.round(fraction * width);
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    const line =
      `${this.label.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
      `${formatCount(done)}/${formatCount(this.total)} rows ${formatCount(rate)} rows/s`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  /** Prints the final line and returns the elapsed milliseconds and the mean rate. */
  finish(done: number): { ms: number; rowsPerSecond: number } {
    this.update(done, true);
    if (this.tty) process.stderr.write('\n');
    const ms = Date.now() - this.started;
    return { ms, rowsPerSecond: done / Math.max(0.001, ms / 1000) };
  }
}

/** `--flag value` / `--flag=value` options as strings (node's parseArgs with every option a string). */
/** The command-line options every benchmark takes. */
const SHARED_OPTIONS = {
  users: { type: 'string' },
  logs: { type: 'string' },
  duration: { type: 'string' },
  runs: { type: 'string' },
  warmup: { type: 'string' },
  'data-dir': { type: 'string' },
  ephemeral: { type: 'boolean', default: false },
  reseed: { type: 'boolean', default: false },
  'no-results-md': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

export interface BenchArgs<Extra extends string> {
  /** A string option's raw value: `--users`, `--logs` or one of the benchmark's own. */
  option: (name: Extra | 'users' | 'logs') => string | undefined;
  duration: number;
  runs: number;
  warmup: number;
  dataDir?: string;
  ephemeral: boolean;
  reseed: boolean;
  resultsMd: boolean;
}

/** Parses the shared options plus a benchmark's own string options; `--help` prints `usage` and exits. */
export function parseBenchArgs<Extra extends string>(extra: readonly Extra[], usage: string): BenchArgs<Extra> {
  const own = Object.fromEntries(extra.map((name) => [name, { type: 'string' as const }]));
  const { values } = parseArgs({ options: { ...SHARED_OPTIONS, ...own } });
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const strings: Record<string, unknown> = values;
  const option = (name: string): string | undefined => {
    const value = strings[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    option,
    duration: Math.max(1, numberOption(option('duration'), 10, 'duration')),
    runs: Math.max(1, numberOption(option('runs'), 3, 'runs')),
    warmup: numberOption(option('warmup'), 2, 'warmup'),
    dataDir: option('data-dir'),
    ephemeral: values.ephemeral === true,
    reseed: values.reseed === true,
    resultsMd: values['no-results-md'] !== true,
  };
}

export function numberOption(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value.replace(/_/g, ''));
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative number, got ${value}`);
  return parsed;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === moduleUrl;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function freePort(): Promise<number> {
  const { findFreePort } = await importBuilt<{ findFreePort: () => Promise<number> }>('src/common/free-port.js');
  return findFreePort();
}

/**
 * Clean-up steps run in reverse order of registration, at the end of a run or on Ctrl-C (the
 * first SIGINT stops the child processes and the embedded cluster, then exits with 130).
 */
export class Cleanups {
  private readonly steps: (() => Promise<void>)[] = [];

  constructor() {
    process.once('SIGINT', () => {
      log('interrupted; stopping');
      void this.run().then(() => process.exit(130));
    });
  }

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
    this.steps.length = 0;
  }
}

/**
 * The database of a run, migrated: `DATABASE_URL` when set, otherwise an embedded cluster in
 * `dataDir` (kept and reused) or in a temporary folder (deleted by the clean-ups).
 */
export async function openDatabase(
  options: { dataDir?: string; ephemeral: boolean },
  cleanups: Cleanups,
): Promise<{ url: string; embedded: boolean }> {
  let url = process.env.DATABASE_URL;
  let embedded = false;
  if (!url) {
    const dataDir = options.dataDir ?? (await mkdtemp(join(os.tmpdir(), 'roster-bench-')));
    if (!options.dataDir) cleanups.add(() => rm(dataDir, { recursive: true, force: true }));
    const database = await startEmbedded(dataDir, options.ephemeral);
    cleanups.add(() => database.stop());
    url = database.url;
    embedded = true;
    log(`embedded PostgreSQL, data in ${dataDir}${options.dataDir ? ' (kept)' : ' (temporary)'}`);
  }
  const applied = await migrate(url);
  if (applied.length > 0) log(`applied migrations: ${applied.join(', ')}`);
  return { url, embedded };
}

/** A child process (Roster or the raw server) with its last output lines kept for error messages. */
export class Service {
  private readonly output: string[] = [];
  private exited = false;

  private constructor(
    readonly name: string,
    readonly baseUrl: string,
    readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      this.exited = true;
    });
  }

  /** Starts `node [nodeArgs] script` in the repository root with `env` and a free `PORT`, and waits for `/api/status`. */
  static async start(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Service> {
    const port = await freePort();
    const child = spawn(process.execPath, [...nodeArgs, script], {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new Service(name, `http://127.0.0.1:${port}`, child);
    await service.waitUntilReady();
    return service;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Recent output, for an error message. */
  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }

  private async waitUntilReady(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited before it was ready:\n${this.tail()}`);
      try {
        const response = await fetch(`${this.baseUrl}/api/status`);
        if (response.status === 204) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${this.name} was not ready after ${timeoutMs / 1000} s:\n${this.tail()}`);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
}

async function fetchToken(roster: Service, clientId: string, clientSecret: string): Promise<string> {
  const response = await fetch(`${roster.baseUrl}/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      resource: 'https://default.logto.app/api',
      scope: 'all',
    }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request failed with ${response.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

export interface Roster {
  service: Service;
  /** A fresh Management API token (client credentials of the bootstrap M2M app): a long run outlives a token's hour. */
  token: () => Promise<string>;
}

/**
 * The production build (`node dist/src/main.js`, `LOG_LEVEL=warn`) on `url`, with a bootstrap M2M
 * app whose secret is made up for the run; stopped by the clean-ups.
 */
export async function startRoster(
  url: string,
  cleanups: Cleanups,
  options: { env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<Roster> {
  const clientId = 'roster-bench';
  const clientSecret = randomBytes(24).toString('base64url');
  const service = await Service.start(
    'Roster',
    'dist/src/main.js',
    { DATABASE_URL: url, BOOTSTRAP_CLIENT_ID: clientId, BOOTSTRAP_CLIENT_SECRET: clientSecret, LOG_LEVEL: 'warn', ...options.env },
    options.nodeArgs,
  );
  cleanups.add(() => service.stop());
  return { service, token: () => fetchToken(service, clientId, clientSecret) };
}

export interface LoadOptions {
  connections: number;
  duration: number;
  token: string;
  requests: autocannon.Request[];
}

/** One autocannon run against `baseUrl`, every request with the bearer token. */
export async function loadTest(baseUrl: string, { connections, duration, token, requests }: LoadOptions): Promise<autocannon.Result> {
  return autocannon({ url: baseUrl, connections, duration, timeout: 30, headers: { authorization: `Bearer ${token}` }, requests });
}

export function figures(result: autocannon.Result): RunFigures {
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result['2xx'] + result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
  };
}

/** One line for the log: `1234 req/s, p50 4 ms, p99 13 ms[, errors]`. */
export function describeRun(run: RunFigures): string {
  return (
    `${Math.round(run.requestsPerSecond)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms` +
    (run.errors + run.non2xx > 0 ? `, ${run.errors} errors, ${run.non2xx} non-2xx ${JSON.stringify(run.statusCodes)}` : '')
  );
}

export function summarise(runs: RunFigures[]): ServerFigures {
  return {
    runs,
    median: {
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      p50: median(runs.map((run) => run.p50)),
      p99: median(runs.map((run) => run.p99)),
    },
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
  };
}

export interface MachineInfo {
  cores: number;
  memoryGiB: number;
  cpu: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    kernel: os.release(),
  };
}

export async function postgresInfo(client: pg.Client): Promise<{ version: string; settings: Record<string, string> }> {
  const { rows } = await client.query<{ version: string }>('SELECT version()');
  const names = ['shared_buffers', 'work_mem', 'effective_cache_size', 'max_connections', 'fsync', 'synchronous_commit', 'jit'];
  const { rows: settings } = await client.query<{ name: string; setting: string }>(
    `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name`,
    [names],
  );
  return { version: rows[0].version.replace(/ on .*/, ''), settings: Object.fromEntries(settings.map((row) => [row.name, row.setting])) };
}

/** Writes `bench/results/<timestamp>-<suffix>.json` and returns its path. */
export async function writeResultJson(startedAt: Date, suffix: string, report: object): Promise<string> {
  const resultsDir = join(BENCH_DIR, 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${suffix}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** Nearest-rank percentile (`p` from 0 to 100) of unsorted values; NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Linux's USER_HZ: the unit of the times in /proc/stat and /proc/<pid>/stat. */
const CLOCK_TICKS_PER_SECOND = 100;

interface ProcessTimes {
  ppid: number;
  /** user + system of the process itself, seconds. */
  own: number;
  /** user + system of its children that it waited for (exited ones), seconds. */
  children: number;
}

/** Times of a process from /proc/<pid>/stat (fields 4, 14–17); undefined once it is gone. */
async function processTimes(pid: number): Promise<ProcessTimes | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start with the state, field 3.
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return {
      ppid: fields[1],
      own: (fields[11] + fields[12]) / CLOCK_TICKS_PER_SECOND,
      children: (fields[13] + fields[14]) / CLOCK_TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU time of a process tree's root and direct children (PostgreSQL's postmaster and its backends),
 * children that exited in between included (they move into the root's `children` time).
 */
async function treeCpuSeconds(root: number): Promise<number> {
  const rootTimes = await processTimes(root);
  if (!rootTimes) return 0;
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const children = await Promise.all(
    pids.map(async (pid) => {
      const times = await processTimes(pid);
      return times?.ppid === root ? times.own : 0;
    }),
  );
  return rootTimes.own + rootTimes.children + children.reduce((sum, value) => sum + value, 0);
}

/** CPU time a process has used (user + system), seconds; 0 once it is gone. */
async function processCpuSeconds(pid: number): Promise<number> {
  return (await processTimes(pid))?.own ?? 0;
}

/**
 * The postmaster of the PostgreSQL `client` is connected to (the parent of its backend), when that
 * server runs on this machine and /proc shows it; undefined otherwise.
 */
export async function postmasterPid(client: pg.Client): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = await processTimes(rows[0].pid);
  if (!backend) return undefined;
  const comm = await readFile(`/proc/${backend.ppid}/comm`, 'utf8').catch(() => '');
  return comm.trim() === 'postgres' ? backend.ppid : undefined;
}
/** Busy CPU time of the whole machine, all cores (/proc/stat: everything but idle and iowait), seconds. */
async function machineBusySeconds(): Promise<number> {
  const [user, nice, system, , , irq, softirq, steal] = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND;
}

/** Cores kept busy over a stretch of time: by each watched process, and by the whole machine (anything else included). */
export interface CpuFigures {
  processes: Record<string, number>;
  machine: number;
}

/**
 * Measures the CPU use of some processes, of process trees (PostgreSQL: postmaster and backends) and
 * of the whole machine between `start()` and `stop()` (Linux /proc).
 */
export class CpuMeter {
  private started?: { wall: number; machine: number; processes: Record<string, number> };
  private readonly names: string[];

  constructor(
    private readonly pids: Record<string, number>,
    private readonly trees: Record<string, number> = {},
  ) {
    this.names = [...Object.keys(pids), ...Object.keys(trees)];
  }

  private async read(): Promise<{ wall: number; machine: number; processes: Record<string, number> }> {
    const entries = await Promise.all([
      ...Object.entries(this.pids).map(async ([name, pid]) => [name, await processCpuSeconds(pid)] as const),
      ...Object.entries(this.trees).map(async ([name, root]) => [name, await treeCpuSeconds(root)] as const),
    ]);
    return { wall: performance.now() / 1000, machine: await machineBusySeconds(), processes: Object.fromEntries(entries) };
  }

  async start(): Promise<void> {
    this.started = await this.read();
  }

  async stop(): Promise<CpuFigures> {
    const started = this.started;
    if (!started) throw new Error('CpuMeter.stop() before start()');
    const now = await this.read();
    const seconds = Math.max(0.001, now.wall - started.wall);
    return {
      processes: Object.fromEntries(this.names.map((name) => [name, (now.processes[name] - started.processes[name]) / seconds])),
      machine: (now.machine - started.machine) / seconds,
    };
  }
}
