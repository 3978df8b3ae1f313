/** The command line and the terminal: options every benchmark shares, log lines, number formats, a progress bar. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

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

export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === moduleUrl;
}
