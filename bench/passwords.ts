/**
 * Password hashing under load: the machine's raw Argon2i hash rate with Roster's exact parameters,
 * Roster's create throughput against it, and point-read latency while 20 connections create users
 * with passwords (plus Roster's event-loop delay, through bench/eld-probe.ts). Judged against the
 * password target, creates/s ≥ 0.8 × the raw hash rate on 2 cores (bench/RESULTS.md, "Reading the
 * password results against the password target").
 *
 *   npm run bench:passwords -- [--users 10000] [--duration 10] [--runs 3] [--data-dir DIR]
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { formatDuration, log, numberOption, parseBenchArgs } from './lib/cli.js';
import { openDatabase } from './lib/database.js';
import { describeRun, figures, loadTest, median, percentile, summarise } from './lib/load.js';
import { type CpuFigures, CpuMeter, machineInfo, postgresInfo, postmasterPid } from './lib/machine.js';
import { BENCH_DIR, importBuilt, ROOT, writeResultJson } from './lib/paths.js';
import { Cleanups, type Roster, sleep, startRoster } from './lib/processes.js';
import { required } from './lib/required.js';
import type { EventLoopSnapshot } from './eld-probe.js';
import { readSeededSize } from './explain.js';
import {
  type EventLoopFigures,
  type HashRateRun,
  type PasswordReport,
  passwordsSection,
  passwordsSummary,
  passwordsTable,
  type RunFigures,
  writeResultsSection,
} from './report.js';
import { collectSamples, type Samples } from './samples.js';
import { createUserRequests, PASSWORD, pointReadRequests } from './scenarios.js';
import { removeBenchmarkWrites, seed } from './seed.js';

const USAGE = `npm run bench:passwords -- [options]
  --users N                 users to seed (default: what the --data-dir cluster is seeded with, else 10000)
  --logs N                  log rows to seed (default: likewise, else 0)
  --duration S              seconds of each measurement (default 10)
  --runs N                  runs; medians are reported (default 3)
  --warmup S                seconds of each load before the runs (default 2)
  --read-connections N      connections of the GET /api/users/:id load (default 10)
  --create-connections N    connections of the POST /api/users load (default 20)
  --data-dir DIR            keep the embedded cluster here and reuse its seeded data (shared with npm run bench)
  --ephemeral               embedded PostgreSQL without fsync
  --reseed                  empty users/logs first even if they hold data the bench did not seed
  --no-results-md           do not touch bench/RESULTS.md
  DATABASE_URL              use this PostgreSQL instead of an embedded one
  UV_THREADPOOL_SIZE        libuv's thread pool (default 4), of the bench process and of Roster alike:
                            the raw measurement keeps this many hashes in flight`;

/** The password target: `POST /api/users` with a password at ≥ this × the machine's raw hash rate, on 2 cores. */
const RATIO_TARGET = 0.8;
/** Pause after each measurement, so that requests still queued in Roster do not spill into the next one. */
const SETTLE_MS = 1500;
const DEFAULT_USERS = 10_000;

interface Options {
  users?: number;
  logs?: number;
  duration: number;
  runs: number;
  warmup: number;
  readConnections: number;
  createConnections: number;
  dataDir?: string;
  ephemeral: boolean;
  reseed: boolean;
  resultsMd: boolean;
}

function parseOptions(): Options {
  const args = parseBenchArgs(['read-connections', 'create-connections'], USAGE);
  const users = args.option('users');
  const logs = args.option('logs');
  return {
    ...args,
    users: users === undefined ? undefined : numberOption(users, DEFAULT_USERS, 'users'),
    logs: logs === undefined ? undefined : numberOption(logs, 0, 'logs'),
    readConnections: Math.max(1, numberOption(args.option('read-connections'), 10, 'read-connections')),
    createConnections: Math.max(1, numberOption(args.option('create-connections'), 20, 'create-connections')),
  };
}

type HashPassword = (password: string) => Promise<string>;

/**
 * Keeps `inFlight` hashes running for `seconds` (each worker starts a new one as soon as its last
 * one is done, until the deadline), and divides the hashes by the time until the last one finished.
 */
async function rawHashRate(hashPassword: HashPassword, inFlight: number, seconds: number): Promise<HashRateRun> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const latencies: number[] = [];
  let finished = started;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const begun = performance.now();
      await hashPassword(PASSWORD);
      finished = performance.now();
      latencies.push(finished - begun);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (finished - started) / 1000;
  return {
    hashes: latencies.length,
    seconds: elapsed,
    hashesPerSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** Median duration of a hash with nothing else in flight (after one to warm up). */
async function singleHashMs(hashPassword: HashPassword, count = 5): Promise<number> {
  await hashPassword(PASSWORD);
  const durations: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const begun = performance.now();
    await hashPassword(PASSWORD);
    durations.push(performance.now() - begun);
  }
  return median(durations);
}

/** Talks to bench/eld-probe.ts inside Roster: each snapshot returns the delay since the previous one. */
class EventLoopProbe {
  private seq = 0;

  constructor(
    private readonly pid: number,
    private readonly file: string,
  ) {}

  async snapshot(timeoutMs = 10_000): Promise<EventLoopFigures> {
    this.seq += 1;
    process.kill(this.pid, 'SIGUSR2');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const { seq, ...figures } = JSON.parse(await readFile(this.file, 'utf8')) as EventLoopSnapshot;
        if (seq === this.seq) return figures;
      } catch {
        // not written yet
      }
      await sleep(20);
    }
    throw new Error(`Roster's event-loop probe did not answer within ${timeoutMs / 1000} s (${this.file})`);
  }
}

/** One request of each kind before any load: both must succeed, or the figures would measure errors. */
async function smokeTest(roster: Roster, samples: Samples): Promise<void> {
  const token = await roster.token();
  const read = required(pointReadRequests(samples)[0], 'a point-read request');
  const create = required(createUserRequests()[0], 'a create request');
  for (const request of [read, create]) {
    const headers = { ...request.headers, authorization: `Bearer ${token}` };
    const response = await fetch(`${roster.service.baseUrl}${request.path}`, { method: request.method, headers, body: request.body });
    if (response.status !== 200) {
      throw new Error(`Roster answered ${response.status} to ${request.method} ${request.path}: ${(await response.text()).slice(0, 300)}`);
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const command = `npm run bench:passwords -- ${process.argv.slice(2).join(' ')}`.trim();
  for (const file of ['dist/src/main.js', 'bench/dist/eld-probe.js']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run "npm run bench:passwords" (it builds first)`);
  }
  // The raw rate is the native hash without Roster's limit on concurrent hashes: the machine's own limit.
  const { hashArgon2i: hashPassword } = await importBuilt<{ hashArgon2i: HashPassword }>('src/users/passwords/password-hashing.js');
  // Roster's own default, for the report when HASH_CONCURRENCY is not set (Roster inherits this environment).
  const { DEFAULT_HASH_CONCURRENCY: defaultHashConcurrency, threadPoolSize } = await importBuilt<{
    DEFAULT_HASH_CONCURRENCY: number;
    threadPoolSize: () => number;
  }>('src/common/cpu-bound.js');
  const inFlight = threadPoolSize();

  const cleanups = new Cleanups();
  try {
    const { url, embedded } = await openDatabase(options, cleanups);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    cleanups.add(() => client.end());
    // Without explicit sizes, reuse whatever the cluster is seeded with (a --data-dir shared with `npm run bench`).
    const present = await readSeededSize(client);
    const reuse = options.users === undefined && options.logs === undefined && present.users > 0;
    const users = options.users ?? (reuse ? present.users : DEFAULT_USERS);
    const logs = options.logs ?? (reuse ? present.logs : 0);
    const seedReport = await seed(url, { users, logs, reseed: options.reseed });
    const postgres = await postgresInfo(client);
    const samples = await collectSamples(client, users);
    cleanups.add(async () => {
      const removed = await removeBenchmarkWrites(client);
      log(`removed ${removed.users} users and ${removed.logs} log rows written by the run`);
    });

    const probeDir = await mkdtemp(join(os.tmpdir(), 'roster-bench-eld-'));
    cleanups.add(() => rm(probeDir, { recursive: true, force: true }));
    const probeFile = join(probeDir, 'event-loop.json');
    const roster = await startRoster(url, cleanups, {
      env: { ROSTER_BENCH_ELD_FILE: probeFile },
      nodeArgs: ['--import', pathToFileURL(join(BENCH_DIR, 'dist', 'eld-probe.js')).href],
    });
    const probe = new EventLoopProbe(roster.service.pid, probeFile);
    await probe.snapshot();
    log(`Roster on ${roster.service.baseUrl} (pid ${roster.service.pid}), event-loop probe answering; UV_THREADPOOL_SIZE ${inFlight}`);
    await smokeTest(roster, samples);

    const hashParameters = /^\$argon2\w+\$v=\d+\$[^$]+/.exec(await hashPassword(PASSWORD))?.[0] ?? 'unknown';
    const single = await singleHashMs(hashPassword);
    log(`one hash (${hashParameters}) alone: ${single.toFixed(1)} ms`);
    const perRun = 4 * options.duration + (4 * SETTLE_MS) / 1000;
    log(
      `${options.runs} runs × 4 measurements × ${options.duration} s: about ${formatDuration((options.runs * perRun + 3 * options.warmup) * 1000)}`,
    );

    const reads = (token: string, duration: number) =>
      loadTest(roster.service.baseUrl, { connections: options.readConnections, duration, token, requests: pointReadRequests(samples) });
    const creates = (token: string, duration: number) =>
      loadTest(roster.service.baseUrl, { connections: options.createConnections, duration, token, requests: createUserRequests() });
    // PostgreSQL's CPU is counted when it runs on this machine (embedded, or a local DATABASE_URL).
    const postmaster = await postmasterPid(client);
    const cpu = new CpuMeter({ Roster: roster.service.pid, bench: process.pid }, postmaster ? { PostgreSQL: postmaster } : {});
    interface Phase {
      eventLoop: EventLoopFigures[];
      cpu: CpuFigures[];
    }
    /** Runs `measure` between two probe snapshots and CPU readings (Roster's event-loop delay and the cores used over exactly that stretch). */
    const measured = async <T>(phase: Phase, measure: () => Promise<T>): Promise<T> => {
      await probe.snapshot();
      await cpu.start();
      const result = await measure();
      phase.cpu.push(await cpu.stop());
      phase.eventLoop.push(await probe.snapshot());
      await sleep(SETTLE_MS);
      return result;
    };
    const details = (phase: Phase): string => {
      const cpuUse = required(phase.cpu.at(-1), 'CPU figures of the last measurement');
      const eventLoop = required(phase.eventLoop.at(-1), 'event-loop figures of the last measurement');
      const cores = Object.entries(cpuUse.processes).map(([name, value]) => `${name} ${value.toFixed(2)}`);
      return `; event loop p99 ${eventLoop.p99.toFixed(1)} ms; cores ${cores.join(', ')}, machine ${cpuUse.machine.toFixed(2)}`;
    };

    if (options.warmup > 0) {
      const token = await roster.token();
      await rawHashRate(hashPassword, inFlight, Math.min(options.warmup, 2));
      await reads(token, options.warmup);
      await creates(token, options.warmup);
      await sleep(SETTLE_MS);
    }

    const raw: HashRateRun[] = [];
    const readsAlone: RunFigures[] = [];
    const createsAlone: RunFigures[] = [];
    const readsTogether: RunFigures[] = [];
    const createsTogether: RunFigures[] = [];
    const newPhase = (): Phase => ({ eventLoop: [], cpu: [] });
    const phases = { raw: newPhase(), readsAlone: newPhase(), createsAlone: newPhase(), together: newPhase() };
    for (let run = 1; run <= options.runs; run += 1) {
      const label = `run ${run}/${options.runs}`;
      const token = await roster.token();

      const rate = await measured(phases.raw, () => rawHashRate(hashPassword, inFlight, options.duration));
      raw.push(rate);
      log(
        `${label} raw hashes         ${rate.hashesPerSecond.toFixed(1)} hashes/s (${rate.hashes} in ${rate.seconds.toFixed(1)} s; ` +
          `p50 ${rate.p50.toFixed(0)} ms, p99 ${rate.p99.toFixed(0)} ms)${details(phases.raw)}`,
      );

      // Right after the raw rate, so that the pair sees the same machine (its speed drifts by ±10% within a minute).
      const created = figures(await measured(phases.createsAlone, () => creates(token, options.duration)));
      createsAlone.push(created);
      log(`${label} creates alone      ${describeRun(created)}${details(phases.createsAlone)}`);

      const alone = figures(await measured(phases.readsAlone, () => reads(token, options.duration)));
      readsAlone.push(alone);
      log(`${label} reads alone        ${describeRun(alone)}${details(phases.readsAlone)}`);

      const [readResult, createResult] = await measured(phases.together, () =>
        Promise.all([reads(token, options.duration), creates(token, options.duration)]),
      );
      const read = figures(readResult);
      const create = figures(createResult);
      readsTogether.push(read);
      createsTogether.push(create);
      log(`${label} reads with creates ${describeRun(read)}${details(phases.together)}`);
      log(`${label} creates with reads ${describeRun(create)}`);
    }

    const createsSummary = summarise(createsAlone);
    // Run i of each list belongs to the same pass of the loop above, so the lists pair up by index.
    const rawRun = (index: number) => required(raw[index], `raw hash run ${index + 1}`);
    const coresOf = (phase: Phase, index: number, name: string) =>
      required(phase.cpu[index]?.processes[name], `${name}'s CPU figures of run ${index + 1}`);
    const rawMedian = {
      hashesPerSecond: median(raw.map((run) => run.hashesPerSecond)),
      p50: median(raw.map((run) => run.p50)),
      p99: median(raw.map((run) => run.p99)),
    };
    const report: PasswordReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command,
      options: { ...options, users, logs },
      machine: machineInfo(),
      node: process.version,
      postgres: { ...postgres, embedded },
      loadAverage: { before: loadBefore, after: os.loadavg() },
      dataset: { users, logs },
      seed: seedReport,
      threadPoolSize: inFlight,
      hashConcurrency: Number(process.env.HASH_CONCURRENCY ?? defaultHashConcurrency),
      hashParameters,
      singleHashMs: single,
      raw: { runs: raw, median: rawMedian, ...phases.raw },
      readsAlone: { reads: summarise(readsAlone), ...phases.readsAlone },
      createsAlone: { creates: createsSummary, ...phases.createsAlone },
      together: { reads: summarise(readsTogether), creates: summarise(createsTogether), ...phases.together },
      ratio: median(createsAlone.map((run, index) => run.requestsPerSecond / rawRun(index).hashesPerSecond)),
      ratioOfMedians: createsSummary.median.requestsPerSecond / rawMedian.hashesPerSecond,
      ratioPerCpuSecond:
        median(createsAlone.map((run, index) => run.requestsPerSecond / coresOf(phases.createsAlone, index, 'Roster'))) /
        median(raw.map((run, index) => run.hashesPerSecond / coresOf(phases.raw, index, 'bench'))),
      ratioTarget: RATIO_TARGET,
    };
    const errors = [createsSummary, report.readsAlone.reads, report.together.reads, report.together.creates].reduce(
      (sum, figures) => sum + figures.errors + figures.non2xx,
      0,
    );
    if (errors > 0) log(`warning: ${errors} requests failed (see the JSON for their status codes): the figures are not comparable`);

    const jsonFile = await writeResultJson(startedAt, 'passwords', report);
    process.stdout.write(`\n${passwordsTable(report)}\n\n${passwordsSummary(report).join('\n')}\n\n`);
    log(`results: ${jsonFile}`);
    if (options.resultsMd) {
      await writeResultsSection(join(BENCH_DIR, 'RESULTS.md'), 'passwords', passwordsSection(report));
      log('updated the Passwords section of bench/RESULTS.md');
    }
  } finally {
    await cleanups.run();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
