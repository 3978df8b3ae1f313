import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
async function importBuilt<T>(relativePath: string): Promise<T> {
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
