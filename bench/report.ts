/** Markdown for the terminal and for bench/RESULTS.md (one section per data set size, and the Passwords section). */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { formatCount, formatDuration } from './lib/cli.js';
import { median } from './lib/load.js';
import type { CpuFigures, MachineInfo } from './lib/machine.js';
import { required } from './lib/required.js';
import type { PlanCheck } from './explain.js';
import type { Target } from './scenarios.js';
import type { SeedReport } from './seed.js';

export interface RunFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Socket errors + timeouts. */
  errors: number;
  non2xx: number;
  requests: number;
  statusCodes: Record<string, number>;
}

export interface ServerFigures {
  runs: RunFigures[];
  median: { requestsPerSecond: number; p50: number; p99: number };
  /** Summed over the runs. */
  errors: number;
  non2xx: number;
}

export interface ScenarioResult {
  name: string;
  title: string;
  connections: number;
  target?: Target;
  roster: ServerFigures;
  raw: ServerFigures;
  ratio: number;
}

export interface MemoryFigures {
  /** Highest VmRSS seen by the 200 ms sampler during the mixed load, MB (10^6 bytes). */
  sampledPeakMB: number;
  /** VmHWM (the kernel's peak RSS) after the mixed load, reset just before it when possible, MB. */
  hwmMB: number;
  hwmResetBeforeLoad: boolean;
}

/** What every benchmark run records about itself: when, how it was started, and on what. */
interface RunRecord {
  startedAt: string;
  finishedAt: string;
  command: string;
  options: Record<string, unknown>;
  machine: MachineInfo;
  node: string;
  postgres: { version: string; settings: Record<string, string>; embedded: boolean };
}

export interface BenchReport extends RunRecord {
  dataset: { users: number; logs: number; identities?: number };
  seed: SeedReport;
  samples: { term: string; termMatches: number; logKey: string; logKeyRows: number; userIds: number; emails: number; logUserIds: number };
  plans: Record<string, PlanCheck>;
  scenarios: ScenarioResult[];
  memory: { roster?: MemoryFigures; raw?: MemoryFigures };
}

function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function targetText(target: Target | undefined): string {
  if (!target) return '';
  switch (target.kind) {
    case 'ratio':
      return `ratio ≥ ${target.min}`;
    case 'p99':
      return `p99 ≤ ${target.maxMs} ms`;
    case 'rss':
      return `peak RSS ≤ ${target.maxMB} MB`;
  }
}

export function targetMet(result: ScenarioResult, memory: BenchReport['memory']): boolean | undefined {
  const { target } = result;
  if (!target) return undefined;
  switch (target.kind) {
    case 'ratio':
      return result.ratio >= target.min;
    case 'p99':
      return result.roster.median.p99 <= target.maxMs;
    case 'rss': {
      const peak = memory.roster ? Math.max(memory.roster.hwmMB, memory.roster.sampledPeakMB) : undefined;
      return peak === undefined ? undefined : peak <= target.maxMB;
    }
  }
}

export function scenarioTable(report: BenchReport): string {
  const lines = [
    '| scenario | conns | Roster req/s | p50 ms | p99 ms | raw req/s | p50 ms | p99 ms | Roster/raw | errors Roster / raw | target (1M users) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const result of report.scenarios) {
    const met = targetMet(result, report.memory);
    const verdict = met === undefined ? '' : met ? ' ✅' : ' ❌';
    const errors = (figures: ServerFigures) => `${figures.errors + figures.non2xx}`;
    lines.push(
      `| ${result.title} | ${result.connections} | ${formatCount(result.roster.median.requestsPerSecond)} | ${fixed(result.roster.median.p50)} | ` +
        `${fixed(result.roster.median.p99)} | ${formatCount(result.raw.median.requestsPerSecond)} | ${fixed(result.raw.median.p50)} | ` +
        `${fixed(result.raw.median.p99)} | ${fixed(result.ratio, 2)} | ${errors(result.roster)} / ${errors(result.raw)} | ${targetText(result.target)}${verdict} |`,
    );
  }
  return lines.join('\n');
}

function memoryLine(label: string, figures: MemoryFigures | undefined): string {
  if (!figures) return `${label}: not measured`;
  return `${label}: ${fixed(Math.max(figures.hwmMB, figures.sampledPeakMB))} MB peak RSS (VmHWM ${fixed(figures.hwmMB)} MB${
    figures.hwmResetBeforeLoad ? ', reset before the load' : ', since process start'
  }; highest 200 ms sample ${fixed(figures.sampledPeakMB)} MB)`;
}

function seedLine(seed: SeedReport): string {
  if (seed.skipped) return 'Seeding: reused a cluster already seeded with this data set.';
  const parts = [
    seed.users ? `users ${formatCount(seed.users.rowsPerSecond)}/s (${formatDuration(seed.users.ms)})` : '',
    seed.logs ? `logs ${formatCount(seed.logs.rowsPerSecond)}/s (${formatDuration(seed.logs.ms)})` : '',
    seed.indexesMs === undefined ? '' : `index rebuild ${formatDuration(seed.indexesMs)}`,
    seed.vacuumMs === undefined ? '' : `VACUUM ANALYZE ${formatDuration(seed.vacuumMs)}`,
  ].filter(Boolean);
  return `Seeding: ${parts.join(', ')}; ${formatDuration(seed.totalMs)} in all.`;
}

export function resultsSection(report: BenchReport): string {
  const { dataset, machine, postgres } = report;
  const planLines = Object.entries(report.plans).map(
    ([scenario, check]) =>
      `\`${scenario}\` ${check.executionMs.map((ms) => `${fixed(ms, 2)} ms`).join(' + ')}${check.seqScans.length > 0 ? ` — **sequential scan**: ${check.seqScans.join('; ')}` : ' — indexes only'}`,
  );
  const settings = Object.entries(postgres.settings)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  return [
    `## ${formatCount(dataset.users)} users, ${formatCount(dataset.logs)} log rows`,
    '',
    `Run ${report.startedAt} → ${report.finishedAt}: \`${report.command}\``,
    '',
    `- Machine: ${machine.cores} cores (${machine.cpu}), ${fixed(machine.memoryGiB)} GiB memory, Linux ${machine.kernel}; Node ${report.node}`,
    `- PostgreSQL: ${postgres.version}${postgres.embedded ? ' (embedded, started by the bench)' : ''}; ${settings}`,
    `- ${seedLine(report.seed)}`,
    `- Samples: search term \`%${report.samples.term}%\` (${report.samples.termMatches} matching users), log key \`${report.samples.logKey}\` ` +
      `(${formatCount(report.samples.logKeyRows)} rows), ${report.samples.userIds} user ids, ${report.samples.emails} e-mails, ${report.samples.logUserIds} log users`,
    `- Each figure is the median of ${String(report.options.runs)} runs of ${String(report.options.duration)} s (Roster and raw alternating); ` +
      'errors are socket errors, timeouts and non-2xx answers summed over the runs.',
    '',
    scenarioTable(report),
    '',
    `- ${memoryLine('Roster under the mixed load', report.memory.roster)}`,
    `- ${memoryLine('Raw baseline under the mixed load', report.memory.raw)}`,
    '',
    'Query plans (`bench/plans/`, EXPLAIN ANALYZE of the SQL each read scenario runs):',
    '',
    ...planLines.map((line) => `- ${line}`),
  ].join('\n');
}

// --- Passwords (bench/passwords.ts) ------------------------------------------------------------

/** Argon2i hashes in the bench process, `threadPoolSize` in flight, for one `--duration`. */
export interface HashRateRun {
  hashes: number;
  seconds: number;
  hashesPerSecond: number;
  /** Milliseconds from a hash's call to its result (queueing for a thread included). */
  p50: number;
  p99: number;
}

/** Roster's event-loop delay over one measurement (bench/eld-probe.ts), milliseconds beyond the probe's timer. */
export interface EventLoopFigures {
  p50: number;
  p99: number;
  max: number;
  mean: number;
  /** Timer ticks observed. */
  samples: number;
  /** The probe timer's interval, milliseconds (subtracted from every figure). */
  resolutionMs: number;
}

export interface PasswordReport extends RunRecord {
  /** `os.loadavg()` before the bench started anything, and at its end (other work on the machine skews the figures). */
  loadAverage: { before: number[]; after: number[] };
  dataset: { users: number; logs: number };
  seed: SeedReport;
  /** libuv's thread pool size of the bench process and of Roster (`UV_THREADPOOL_SIZE`, default 4): the raw hashes in flight. */
  threadPoolSize: number;
  /** Roster's limit on hashes running at once (`HASH_CONCURRENCY`, default cores + 1). */
  hashConcurrency: number;
  /** The parameters of the PHC string Roster's `hashPassword` produced, e.g. `$argon2i$v=19$m=8192,t=8,p=1`. */
  hashParameters: string;
  /** Median duration of one hash with nothing else in flight, ms: what a create would block the event loop for if it hashed there. */
  singleHashMs: number;
  /** Each measurement also has, per run, Roster's event-loop delay and the cores used (by Roster, the bench process, the machine). */
  raw: {
    runs: HashRateRun[];
    median: { hashesPerSecond: number; p50: number; p99: number };
    eventLoop: EventLoopFigures[];
    cpu: CpuFigures[];
  };
  readsAlone: { reads: ServerFigures; eventLoop: EventLoopFigures[]; cpu: CpuFigures[] };
  createsAlone: { creates: ServerFigures; eventLoop: EventLoopFigures[]; cpu: CpuFigures[] };
  together: { reads: ServerFigures; creates: ServerFigures; eventLoop: EventLoopFigures[]; cpu: CpuFigures[] };
  /** The median over runs of creates per second (alone) ÷ the same run's raw hashes per second. */
  ratio: number;
  /** Median creates per second ÷ median raw hashes per second (drift between runs skews it more). */
  ratioOfMedians: number;
  /**
   * Creates per CPU-second of Roster ÷ hashes per CPU-second of the bench process (medians): the ratio
   * with the CPU each actually got, which other work on a shared machine does not skew. Not the target's metric.
   */
  ratioPerCpuSecond: number;
  ratioTarget: number;
}

function eventLoopText(runs: EventLoopFigures[]): string {
  if (runs.length === 0) return 'n/a';
  const middle = (pick: (figures: EventLoopFigures) => number) => median(runs.map(pick));
  return `${fixed(middle((run) => run.p50))} / ${fixed(middle((run) => run.p99))} / ${fixed(middle((run) => run.max))}`;
}

/**
 * Median cores used over the runs by Roster, PostgreSQL (n/a when not on this machine), the bench
 * process, everything else (other work on a shared machine) and the whole machine.
 */
function cpuMedians(runs: CpuFigures[]): { roster: string; postgres: string; bench: string; other: string; machine: string } {
  const middle = (pick: (figures: CpuFigures) => number) => fixed(median(runs.map(pick)), 2);
  const other = (run: CpuFigures) => run.machine - Object.values(run.processes).reduce((sum, value) => sum + value, 0);
  return {
    roster: middle((run) => run.processes.Roster ?? Number.NaN),
    postgres: middle((run) => run.processes.PostgreSQL ?? Number.NaN),
    bench: middle((run) => run.processes.bench ?? Number.NaN),
    other: middle((run) => Math.max(0, other(run))),
    machine: middle((run) => run.machine),
  };
}

function cpuText(runs: CpuFigures[]): string {
  const { roster, postgres, bench, other, machine } = cpuMedians(runs);
  return `${roster} / ${postgres} / ${bench} / ${other} / ${machine}`;
}

function errorCount(figures: ServerFigures): string {
  return String(figures.errors + figures.non2xx);
}

export function passwordsTable(report: PasswordReport): string {
  const { raw, readsAlone, createsAlone, together } = report;
  const reads = `${String(report.options.readConnections)} connections`;
  const creates = `${String(report.options.createConnections)} connections`;
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  /** A load against Roster; without `phase` its event loop and CPU are those of the row above (the same load). */
  const serverRow = (
    label: string,
    load: string,
    figures: ServerFigures,
    unit: 'creates/s' | 'req/s',
    phase?: { eventLoop: EventLoopFigures[]; cpu: CpuFigures[] },
  ) =>
    row([
      label,
      load,
      `${unit === 'req/s' ? formatCount(figures.median.requestsPerSecond) : fixed(figures.median.requestsPerSecond)} ${unit}`,
      fixed(figures.median.p50),
      fixed(figures.median.p99),
      phase ? eventLoopText(phase.eventLoop) : '(same load as above)',
      phase ? cpuText(phase.cpu) : '(same)',
      errorCount(figures),
    ]);
  return [
    '| measurement | load | throughput | p50 ms | p99 ms | Roster event-loop delay p50 / p99 / max ms | CPU cores: Roster / PostgreSQL / bench / other / machine | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    row([
      'raw Argon2i hashes in the bench process (Roster idle)',
      `${report.threadPoolSize} in flight`,
      `${fixed(raw.median.hashesPerSecond)} hashes/s`,
      fixed(raw.median.p50),
      fixed(raw.median.p99),
      eventLoopText(raw.eventLoop),
      cpuText(raw.cpu),
      '0',
    ]),
    serverRow('`POST /api/users` with a password, alone', creates, createsAlone.creates, 'creates/s', createsAlone),
    serverRow('`GET /api/users/:id` alone', reads, readsAlone.reads, 'req/s', readsAlone),
    serverRow('`GET /api/users/:id` while the creates run', `${reads} + ${creates} of creates`, together.reads, 'req/s', together),
    serverRow('`POST /api/users` while the reads run', `${creates} + ${reads} of reads`, together.creates, 'creates/s'),
  ].join('\n');
}

/** The verdict lines under the table. */
export function passwordsSummary(report: PasswordReport): string[] {
  const { readsAlone, together } = report;
  const met = report.ratio >= report.ratioTarget;
  const slower = together.reads.median.p99 / readsAlone.reads.median.p99;
  const createsCpu = cpuMedians(report.createsAlone.cpu);
  const rawCpu = cpuMedians(report.raw.cpu);
  const runRatios = report.createsAlone.creates.runs.map(
    (run, index) => run.requestsPerSecond / required(report.raw.runs[index], `raw run ${index + 1}`).hashesPerSecond,
  );
  return [
    `**Creates ÷ raw hash rate: ${fixed(report.ratio, 2)}**, the median of the runs' ratios (each run's creates measured right ` +
      `after its raw hashes): ${runRatios.map((ratio) => fixed(ratio, 2)).join(', ')}; ` +
      `target ≥ ${report.ratioTarget} on 2 cores ${met ? '✅' : '❌'}. The ratio of the medians: ${fixed(report.ratioOfMedians, 2)} ` +
      `(${fixed(report.createsAlone.creates.median.requestsPerSecond)} creates/s ÷ ${fixed(report.raw.median.hashesPerSecond)} hashes/s)`,
    `Point reads while ${String(report.options.createConnections)} connections create users: p50 ${fixed(together.reads.median.p50)} ms, ` +
      `p99 ${fixed(together.reads.median.p99)} ms (alone ${fixed(readsAlone.reads.median.p50)} / ${fixed(readsAlone.reads.median.p99)} ms, ` +
      `×${fixed(slower, 1)} at p99), ${formatCount(together.reads.median.requestsPerSecond)} req/s (alone ${formatCount(readsAlone.reads.median.requestsPerSecond)})`,
    `Per CPU-second (creates per Roster CPU-second ÷ hashes per bench-process CPU-second, which other work on the machine does ` +
      `not skew; for reading the ratio, not the target): ${fixed(report.ratioPerCpuSecond, 2)}`,
    `CPU during the creates alone (cores): Roster ${createsCpu.roster}, PostgreSQL ${createsCpu.postgres}, the bench process ` +
      `${createsCpu.bench}, other work on the machine ${createsCpu.other}, all ${createsCpu.machine} of ${report.machine.cores}; ` +
      `during the raw hashes the bench process used ${rawCpu.bench}, other work ${rawCpu.other}`,
    `One hash alone takes ${fixed(report.singleHashMs)} ms of a core: had it run on the event loop, every create would have stalled ` +
      `all requests that long (event-loop delay ≥ ${fixed(report.singleHashMs)} ms); the delay measured during the creates is in the table.`,
  ];
}

export function passwordsSection(report: PasswordReport): string {
  const { machine, postgres } = report;
  const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' / ');
  return [
    '## Passwords',
    '',
    `Run ${report.startedAt} → ${report.finishedAt}: \`${report.command}\``,
    '',
    `- Machine: ${machine.cores} cores (nproc; ${machine.cpu}), ${fixed(machine.memoryGiB)} GiB memory, Linux ${machine.kernel}; Node ${report.node}`,
    `- PostgreSQL: ${postgres.version}${postgres.embedded ? ' (embedded, started by the bench)' : ''}`,
    `- Load average (1 / 5 / 15 min) before the run ${load(report.loadAverage.before)}, after ${load(report.loadAverage.after)}` +
      ' (the machine is shared: anything above 0 was other work competing for the cores)',
    `- Data: ${formatCount(report.dataset.users)} users, ${formatCount(report.dataset.logs)} log rows; reads cycle over 1,000 seeded users`,
    `- Hashing: Roster's own \`hashArgon2i\` from the build (\`${report.hashParameters}\`, @node-rs/argon2 on libuv's thread pool); ` +
      `the raw rate calls it directly, ${report.threadPoolSize} in flight (UV_THREADPOOL_SIZE, the same in the bench process and Roster), ` +
      `without Roster's limit of ${report.hashConcurrency} hashes at once (HASH_CONCURRENCY)`,
    `- Each figure is the median of ${String(report.options.runs)} runs of ${String(report.options.duration)} s; a run measures, in turn, ` +
      'the raw hash rate (Roster idle), the creates alone, the reads alone, then both loads at once. Event-loop delay: ' +
      '`perf_hooks.monitorEventLoopDelay` preloaded into Roster (bench/eld-probe.ts), beyond its timer interval. CPU cores: CPU time ' +
      'over wall time from /proc, for Roster, PostgreSQL (postmaster and backends), the bench process (autocannon, or the raw ' +
      'hashing), other work on the machine (the rest) and the whole machine. Errors are socket errors, timeouts and non-2xx ' +
      'answers summed over the runs.',
    '',
    passwordsTable(report),
    '',
    ...passwordsSummary(report).map((line) => `- ${line}`),
  ].join('\n');
}

const PREAMBLE = `# Roster benchmark results

Written by \`npm run bench\` (bench/run.ts); a run replaces the section of its data set size and keeps the others.
\`npm run bench:passwords\` (bench/passwords.ts) replaces the Passwords section at the end.
Reproduce a section with the command shown in it, on a fresh clone: the run builds Roster, starts an
embedded PostgreSQL, migrates, seeds the data set (bench/seed.ts) and measures.

- **Roster**: the production build (\`node dist/src/main.js\`), every request authenticated with a real bearer token.
- **raw**: bench/raw-server.ts, a bare \`node:http\` server running the same SQL (bench/queries.ts) through a \`pg\` Pool
  with prepared statements, without framework, auth or validation: the limit for these queries on this machine.
- Each scenario runs on Roster, then on raw, alternately, \`--runs\` times (autocannon, \`--duration\` seconds each, after a
  short warm-up); the table shows medians. Roster/raw is the ratio of requests per second: the VM is noisy (±25%
  between passes), so compare ratios, not absolute figures across sections.
- The targets (each scenario's \`target\` in bench/scenarios.ts) are set for 1,000,000 users and 10,000,000 log rows on
  this 2-core machine; smaller data sets show them for reference.
`;

const SECTION_PATTERN = /<!-- bench-section ([^>]*?) -->[\s\S]*?<!-- \/bench-section -->\n?/g;

/** Data set sections (`users=N logs=M`) first, by size; then the others (`passwords`) by name. */
function compareSections(a: string, b: string): number {
  const size = (key: string) => /^users=(\d+) logs=(\d+)$/.exec(key);
  const [sizeA, sizeB] = [size(a), size(b)];
  if (sizeA && sizeB) return Number(sizeA[1]) - Number(sizeB[1]) || Number(sizeA[2]) - Number(sizeB[2]);
  if (sizeA || sizeB) return sizeA ? -1 : 1;
  return a.localeCompare(b);
}

/**
 * Replaces (or adds) the section `key` of a results file (between `<!-- bench-section key -->` and
 * `<!-- /bench-section -->`), keeping the preamble and every other section.
 */
export async function writeResultsSection(file: string, key: string, body: string): Promise<void> {
  const current = existsSync(file) ? await readFile(file, 'utf8') : PREAMBLE;
  const sections = new Map<string, string>();
  for (const match of current.matchAll(SECTION_PATTERN)) sections.set(required(match[1], 'key of a bench-section'), match[0].trimEnd());
  const preamble = current.replace(SECTION_PATTERN, '').trimEnd();
  sections.set(key, [`<!-- bench-section ${key} -->`, body.trimEnd(), '', '<!-- /bench-section -->'].join('\n'));
  const ordered = [...sections.entries()].sort(([a], [b]) => compareSections(a, b)).map(([, text]) => text);
  await writeFile(file, `${preamble}\n\n${ordered.join('\n\n')}\n`);
}

/** Replaces (or adds) this data set's section. */
export async function updateResultsFile(file: string, report: BenchReport): Promise<void> {
  await writeResultsSection(file, `users=${report.dataset.users} logs=${report.dataset.logs}`, resultsSection(report));
}
