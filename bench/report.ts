/** Markdown for the terminal and for bench/RESULTS.md (one section per data set size). */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { formatCount, formatDuration } from './common.js';
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

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  command: string;
  options: Record<string, unknown>;
  machine: { cores: number; memoryGiB: number; cpu: string; kernel: string };
  node: string;
  postgres: { version: string; settings: Record<string, string>; embedded: boolean };
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
    `<!-- bench-section users=${dataset.users} logs=${dataset.logs} -->`,
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
    '',
    '<!-- /bench-section -->',
  ].join('\n');
}

const PREAMBLE = `# Roster benchmark results

Written by \`npm run bench\` (bench/run.ts); a run replaces the section of its data set size and keeps the others.
Reproduce a section with the command shown in it, on a fresh clone: the run builds Roster, starts an
embedded PostgreSQL, migrates, seeds the data set (bench/seed.ts) and measures.

- **Roster**: the production build (\`node dist/src/main.js\`), every request authenticated with a real bearer token.
- **raw**: bench/raw-server.ts, a bare \`node:http\` server running the same SQL (bench/queries.ts) through a \`pg\` Pool
  with prepared statements, without framework, auth or validation: the limit for these queries on this machine.
- Each scenario runs on Roster, then on raw, alternately, \`--runs\` times (autocannon, \`--duration\` seconds each, after a
  short warm-up); the table shows medians. Roster/raw is the ratio of requests per second: the VM is noisy (±25%
  between passes), so compare ratios, not absolute figures across sections.
- The targets are issue 6's, set for 1,000,000 users and 10,000,000 log rows on this 2-core machine; smaller data sets
  show them for reference.
`;

/** Replaces (or adds) this data set's section, keeping sections ordered by size. */
export async function updateResultsFile(file: string, report: BenchReport): Promise<void> {
  const current = existsSync(file) ? await readFile(file, 'utf8') : PREAMBLE;
  const sectionPattern = /<!-- bench-section users=(\d+) logs=(\d+) -->[\s\S]*?<!-- \/bench-section -->\n?/g;
  const sections = new Map<string, { users: number; logs: number; text: string }>();
  for (const match of current.matchAll(sectionPattern)) {
    sections.set(`${match[1]}:${match[2]}`, { users: Number(match[1]), logs: Number(match[2]), text: match[0].trimEnd() });
  }
  const preamble = current.replace(sectionPattern, '').trimEnd();
  sections.set(`${report.dataset.users}:${report.dataset.logs}`, { users: report.dataset.users, logs: report.dataset.logs, text: resultsSection(report) });
  const ordered = [...sections.values()].sort((a, b) => a.users - b.users || a.logs - b.logs);
  await writeFile(file, `${preamble}\n\n${ordered.map((section) => section.text).join('\n\n')}\n`);
}
