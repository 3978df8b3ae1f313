/**
 * One benchmark run: PostgreSQL (embedded, or DATABASE_URL), migrations, seeding, query plans, the
 * production build of Roster and the raw baseline side by side, autocannon scenarios, and the report
 * (terminal table, bench/results/<timestamp>-<users>.json, bench/RESULTS.md).
 *
 *   npm run bench -- --users 1000000 --logs 10000000 [--duration 10] [--runs 3] [--data-dir DIR]
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { formatDuration, log, numberOption, parseBenchArgs } from './lib/cli.js';
import { openDatabase } from './lib/database.js';
import { describeRun, figures, loadTest, summarise } from './lib/load.js';
import { machineInfo, postgresInfo } from './lib/machine.js';
import { BENCH_DIR, ROOT, writeResultJson } from './lib/paths.js';
import { Cleanups, Service, startRoster } from './lib/processes.js';
import { datasetLabel, explainScenarios, type PlanCheck } from './explain.js';
import { type BenchReport, type MemoryFigures, type RunFigures, scenarioTable, type ScenarioResult, updateResultsFile } from './report.js';
import { collectSamples, DEFAULT_LOG_KEY, type Samples } from './samples.js';
import { buildScenarios, PASSWORD } from './scenarios.js';
import { removeBenchmarkWrites, seed } from './seed.js';

const USAGE = `npm run bench -- [options]
  --users N              users to seed (default 100000)
  --logs N               log rows to seed (default 10 × users)
  --duration S           seconds per autocannon run (default 10)
  --runs N               runs per scenario and server; medians are reported (default 3)
  --warmup S             warm-up seconds per scenario and server before the runs (default 2)
  --connections N        concurrent connections (default 10)
  --point-connections N  connections of the second point-read scenario (default 50)
  --scenarios a,b        only these scenarios (get-user, get-user-50, list-first-page, list-deep-page,
                         list-deep-cursor, search-like, search-email-exact, logs-by-user, logs-by-key,
                         list-role-holders, list-exclude-role, create-user, mixed)
  --log-key KEY          key of the logs-by-key scenario (default ${DEFAULT_LOG_KEY})
  --data-dir DIR         keep the embedded cluster here and reuse its seeded data next time
                         (default: a temporary folder, deleted afterwards)
  --ephemeral            embedded PostgreSQL without fsync (faster seeding, less realistic writes)
  --reseed               empty users/roles/logs first even if they hold data the bench did not seed
  --no-results-md        do not touch bench/RESULTS.md
  DATABASE_URL           use this PostgreSQL instead of an embedded one`;

interface Options {
  users: number;
  logs: number;
  duration: number;
  runs: number;
  warmup: number;
  connections: number;
  pointConnections: number;
  scenarios?: string[];
  logKey: string;
  dataDir?: string;
  ephemeral: boolean;
  reseed: boolean;
  resultsMd: boolean;
}

function parseOptions(): Options {
  const args = parseBenchArgs(['connections', 'point-connections', 'scenarios', 'log-key'], USAGE);
  const users = numberOption(args.option('users'), 100_000, 'users');
  return {
    ...args,
    users,
    logs: numberOption(args.option('logs'), users * 10, 'logs'),
    connections: Math.max(1, numberOption(args.option('connections'), 10, 'connections')),
    pointConnections: Math.max(1, numberOption(args.option('point-connections'), 50, 'point-connections')),
    scenarios: args
      .option('scenarios')
      ?.split(',')
      .map((name) => name.trim())
      .filter(Boolean),
    logKey: args.option('log-key') ?? DEFAULT_LOG_KEY,
  };
}

/** Samples a process's resident set every 200 ms, after resetting the kernel's peak (VmHWM) when allowed. */
class RssSampler {
  private peakKiB = 0;
  private timer?: NodeJS.Timeout;
  private hwmReset = false;

  constructor(private readonly pid: number) {}

  private async status(): Promise<{ rss: number; hwm: number }> {
    const text = await readFile(`/proc/${this.pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  }

  async start(): Promise<void> {
    try {
      // "5" resets the peak resident set size (proc(5), clear_refs); needs the same user or root.
      await writeFile(`/proc/${this.pid}/clear_refs`, '5');
      this.hwmReset = true;
    } catch {
      this.hwmReset = false;
    }
    this.timer = setInterval(() => {
      this.status()
        .then(({ rss }) => {
          this.peakKiB = Math.max(this.peakKiB, rss);
        })
        .catch(() => undefined);
    }, 200);
  }

  async stop(): Promise<MemoryFigures> {
    clearInterval(this.timer);
    const { rss, hwm } = await this.status();
    this.peakKiB = Math.max(this.peakKiB, rss);
    const mb = (kib: number) => (kib * 1024) / 1e6;
    return { sampledPeakMB: mb(this.peakKiB), hwmMB: mb(hwm), hwmResetBeforeLoad: this.hwmReset };
  }
}

/**
 * One request of every read scenario on both servers before any load: each must answer 200, and both
 * must report the same `Total-Number`, or the comparison would be between different work.
 */
async function smokeTest(roster: Service, raw: Service, token: string, samples: Samples): Promise<void> {
  const paths = [
    `/api/users/${samples.userIds[0]}`,
    '/api/users?page=1&page_size=20',
    '/api/users?page=2000&page_size=20',
    `/api/users?cursor=${samples.deepCursor}&page_size=20`,
    `/api/users?search=${encodeURIComponent(`%${samples.term}%`)}`,
    `/api/users?search.primaryEmail=${encodeURIComponent(samples.emails[0])}&mode.primaryEmail=exact`,
    `/api/logs?userId=${samples.logUserIds[0]}`,
    `/api/logs?logKey=${encodeURIComponent(samples.logKey)}`,
    `/api/users?roleId=${samples.roleId}`,
    `/api/users?excludeRoleId=${samples.roleId}`,
  ];
  const ask = async (service: Service, path: string): Promise<{ total: string | null; items: number }> => {
    const response = await fetch(`${service.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${service.name} answered ${response.status} to GET ${path}: ${body.slice(0, 300)}`);
    return {
      total: response.headers.get('total-number'),
      items: Array.isArray(JSON.parse(body)) ? (JSON.parse(body) as unknown[]).length : 1,
    };
  };
  for (const path of paths) {
    const [fromRoster, fromRaw] = await Promise.all([ask(roster, path), ask(raw, path)]);
    if (fromRoster.total !== fromRaw.total || fromRoster.items !== fromRaw.items) {
      log(`warning: GET ${path}: Roster says ${fromRoster.items} items of ${fromRoster.total}, raw ${fromRaw.items} of ${fromRaw.total}`);
    }
  }
  for (const service of [roster, raw]) {
    const response = await fetch(`${service.baseUrl}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: `bench_smoke_${randomBytes(4).toString('hex')}`, password: PASSWORD }),
    });
    if (response.status !== 200) {
      throw new Error(`${service.name} answered ${response.status} to POST /api/users: ${(await response.text()).slice(0, 300)}`);
    }
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const startedAt = new Date();
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  for (const file of ['dist/src/main.js', 'bench/dist/raw-server.js']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run "npm run bench" (it builds first)`);
  }

  const cleanups = new Cleanups();
  try {
    const { url, embedded } = await openDatabase(options, cleanups);
    const seedReport = await seed(url, { users: options.users, logs: options.logs, reseed: options.reseed });

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    cleanups.add(() => client.end());
    const postgres = await postgresInfo(client);
    const samples = await collectSamples(client, options.users, options.logKey);
    log(`samples: term "%${samples.term}%" matches ${samples.termMatches} users; ${samples.logKey} has ${samples.logKeyRows} rows`);
    const plans: Record<string, PlanCheck> = await explainScenarios(client, samples, datasetLabel(options.users, options.logs));
    // Whatever the run writes (users created, log rows) is removed at the end, so a reused cluster stays as seeded.
    cleanups.add(async () => {
      const removed = await removeBenchmarkWrites(client);
      log(`removed ${removed.users} users and ${removed.logs} log rows written by the run`);
    });

    const { service: roster, token: newToken } = await startRoster(url, cleanups);
    const raw = await Service.start('raw', 'bench/dist/raw-server.js', { DATABASE_URL: url });
    cleanups.add(() => raw.stop());
    log(`Roster on ${roster.baseUrl} (pid ${roster.pid}), raw baseline on ${raw.baseUrl} (pid ${raw.pid})`);

    await smokeTest(roster, raw, await newToken(), samples);

    const all = buildScenarios(samples, { connections: options.connections, pointConnections: options.pointConnections });
    const unknown = options.scenarios?.filter((name) => !all.some((scenario) => scenario.name === name)) ?? [];
    if (unknown.length > 0) throw new Error(`unknown scenarios: ${unknown.join(', ')}`);
    const wanted = options.scenarios;
    const scenarios = wanted ? all.filter((scenario) => wanted.includes(scenario.name)) : all;
    const perScenarioSeconds = 2 * (options.warmup + options.runs * options.duration);
    log(
      `${scenarios.length} scenarios × 2 servers × ${options.runs} runs × ${options.duration} s: about ${formatDuration(scenarios.length * perScenarioSeconds * 1000)}`,
    );

    const results: ScenarioResult[] = [];
    const memory: BenchReport['memory'] = {};
    for (const scenario of scenarios) {
      // A fresh token per scenario: a long run outlives a token's hour.
      const token = await newToken();
      const rosterRuns: RunFigures[] = [];
      const rawRuns: RunFigures[] = [];
      const services = [
        { service: roster, runs: rosterRuns },
        { service: raw, runs: rawRuns },
      ];
      const load = (service: Service, duration: number) =>
        loadTest(service.baseUrl, { connections: scenario.connections, duration, token, requests: scenario.requests() });
      if (options.warmup > 0) for (const { service } of services) await load(service, options.warmup);
      const samplers = scenario.name === 'mixed' ? { roster: new RssSampler(roster.pid), raw: new RssSampler(raw.pid) } : undefined;
      await samplers?.roster.start();
      await samplers?.raw.start();
      for (let run = 0; run < options.runs; run += 1) {
        for (const { service, runs } of services) {
          const result = figures(await load(service, options.duration));
          runs.push(result);
          log(`${scenario.name.padEnd(18)} ${service.name.padEnd(6)} run ${run + 1}/${options.runs}: ${describeRun(result)}`);
        }
      }
      if (samplers) {
        memory.roster = await samplers.roster.stop();
        memory.raw = await samplers.raw.stop();
      }
      const roster_ = summarise(rosterRuns);
      const raw_ = summarise(rawRuns);
      results.push({
        name: scenario.name,
        title: scenario.title,
        connections: scenario.connections,
        target: scenario.target,
        roster: roster_,
        raw: raw_,
        ratio: roster_.median.requestsPerSecond / raw_.median.requestsPerSecond,
      });
    }

    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command,
      options: { ...options },
      machine: machineInfo(),
      node: process.version,
      postgres: { ...postgres, embedded },
      dataset: { users: options.users, logs: options.logs, identities: seedReport.identities },
      seed: seedReport,
      samples: {
        term: samples.term,
        termMatches: samples.termMatches,
        logKey: samples.logKey,
        logKeyRows: samples.logKeyRows,
        userIds: samples.userIds.length,
        emails: samples.emails.length,
        logUserIds: samples.logUserIds.length,
      },
      plans,
      scenarios: results,
      memory,
    };
    const jsonFile = await writeResultJson(startedAt, String(options.users), report);
    process.stdout.write(`\n${scenarioTable(report)}\n\n`);
    if (memory.roster) {
      process.stdout.write(
        `Roster peak RSS under the mixed load: ${Math.max(memory.roster.hwmMB, memory.roster.sampledPeakMB).toFixed(1)} MB\n`,
      );
    }
    log(`results: ${jsonFile}`);
    if (options.resultsMd) {
      await updateResultsFile(join(BENCH_DIR, 'RESULTS.md'), report);
      log('updated bench/RESULTS.md');
    }
  } finally {
    await cleanups.run();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
