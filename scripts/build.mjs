/**
 * `npm run build`, and the freshness check in front of `npm start` and the test scripts.
 *
 *   node scripts/build.mjs              always runs `nest build`, then writes the build stamp
 *   node scripts/build.mjs --if-needed  runs `nest build` only when dist/ is not the build of the
 *                                       current sources; otherwise says so and does nothing
 *
 * "The current sources" is a SHA-256 over the path and content of every file under src/ and of
 * the files that change what `nest build` emits (INPUT_FILES). Content, not modification times: a
 * checkout, a `touch` or a copy that keeps old times can neither force nor hide a rebuild. The
 * stamp (dist/.build-stamp.json) holds that hash, taken before the build began, so a file edited
 * during a build makes the next run build again. dist/ is also checked against the sources: every
 * src/**\/*.ts (specs excepted) must have its .js, and no other .js may be there.
 *
 * A rebuild is always a whole `nest build`, whose `deleteOutDir` empties dist/ first, so a deleted
 * or renamed source never leaves a loadable file behind. It is only skipped, never partial.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp.json');
/** Besides src/: the files that decide what `nest build` writes (compiler options, plugins, their versions). */
const INPUT_FILES = ['ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package.json', 'package-lock.json'];

/** Every file under `dir`, as paths relative to ROOT with `/` separators, sorted. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/** The SHA-256 of each input file's content (a missing optional file counts as empty), keyed by path. */
function hashInputs(sources) {
  const hashes = {};
  for (const file of [...INPUT_FILES, ...sources]) {
    const path = join(ROOT, file);
    hashes[file] = createHash('sha256')
      .update(existsSync(path) ? readFileSync(path) : '')
      .digest('hex');
  }
  return hashes;
}

/** One hash over every input's path and content hash. */
function fingerprint(hashes) {
  const hash = createHash('sha256');
  for (const [file, digest] of Object.entries(hashes)) hash.update(`${file}\0${digest}\n`);
  return hash.digest('hex');
}

/** The first few files added, removed or changed between two builds' hashes, for the log line. */
function changedFiles(before, now) {
  const names = [...new Set([...Object.keys(before), ...Object.keys(now)])].filter((file) => before[file] !== now[file]);
  const shown = names
    .slice(0, 3)
    .map((file) => (before[file] === undefined ? `${file} (new)` : now[file] === undefined ? `${file} (deleted)` : file));
  return names.length > 3 ? `${shown.join(', ')} and ${names.length - 3} more` : shown.join(', ');
}

/** Why dist/ is not the build of these sources, or undefined when it is. */
function staleness(sources, hashes, hash) {
  if (!existsSync(STAMP)) return 'no build stamp in dist/';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return 'unreadable build stamp';
  }
  if (stamp.fingerprint !== hash) {
    const changed = typeof stamp.inputs === 'object' && stamp.inputs !== null ? changedFiles(stamp.inputs, hashes) : '';
    return `changed since the last build: ${changed || 'sources'}`;
  }
  const expected = new Set(
    sources.filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts')).map((file) => `dist/${file.replace(/\.ts$/, '.js')}`),
  );
  expected.add('dist/ormconfig.js');
  const built = new Set(filesUnder(join(DIST, 'src')).filter((file) => file.endsWith('.js')));
  if (existsSync(join(DIST, 'ormconfig.js'))) built.add('dist/ormconfig.js');
  const missing = [...expected].filter((file) => !built.has(file));
  if (missing.length > 0) return `dist/ lacks ${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more` : ''}`;
  const extra = [...built].filter((file) => !expected.has(file));
  if (extra.length > 0) return `dist/ has ${extra[0]}, which no source produces`;
  return undefined;
}

const ifNeeded = process.argv.includes('--if-needed');
const started = Date.now();
const sources = filesUnder(join(ROOT, 'src'));
const hashes = hashInputs(sources);
const hash = fingerprint(hashes);
const reason = ifNeeded ? staleness(sources, hashes, hash) : 'build requested';
if (reason === undefined) {
  console.log(`build: dist/ is up to date with the sources (${hash.slice(0, 12)}), nest build skipped`);
  process.exit(0);
}

console.log(`build: ${reason}; running nest build`);
const nest = spawnSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], { cwd: ROOT, stdio: 'inherit' });
if (nest.status !== 0) {
  console.error(`build: nest build failed (${nest.status ?? nest.signal})`);
  process.exit(nest.status ?? 1);
}
writeFileSync(STAMP, `${JSON.stringify({ fingerprint: hash, builtAt: new Date().toISOString(), inputs: hashes }, null, 1)}\n`);
console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s (${hash.slice(0, 12)})`);
