import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file runs as `bench/dist/lib/paths.js`). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BENCH_DIR = join(ROOT, 'bench');

/** Loads a module of the production build (`nest build` output), so the bench runs exactly what ships. */
export async function importBuilt<T>(relativePath: string): Promise<T> {
  const file = join(ROOT, 'dist', relativePath);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "npx nest build" first (npm run bench does).`);
  return (await import(pathToFileURL(file).href)) as T;
}

/** Writes `bench/results/<timestamp>-<suffix>.json` and returns its path. */
export async function writeResultJson(startedAt: Date, suffix: string, report: object): Promise<string> {
  const resultsDir = join(BENCH_DIR, 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${suffix}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
