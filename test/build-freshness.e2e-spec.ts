/**
 * The freshness check in front of `npm start` and the test scripts (scripts/build.mjs --if-needed),
 * run for real (`nest build`) on a copy of the project's build inputs: a start on an unchanged
 * checkout does not build; any change to a source does, and a rebuild leaves nothing of a deleted
 * source behind; a dist/ that lost a file is rebuilt.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PROJECT = resolve('.');
const INPUTS = [
  'src',
  'scripts',
  'ormconfig.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
  'package.json',
  'package-lock.json',
];

/**
 * Runs the build script in `cwd` with this test's Node.js; resolves with its exit code and output.
 * At a lower CPU priority (`nice`): its `nest build`s must not slow the other files' servers,
 * whose tests run against time bounds.
 */
function build(cwd: string, ...args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn('nice', ['-n', '5', process.execPath, 'scripts/build.mjs', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('close', (code) => done({ code, output }));
  });
}

describe('npm start builds only when needed (scripts/build.mjs)', () => {
  let copy = '';

  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'roster-build-'));
    for (const input of INPUTS) await cp(join(PROJECT, input), join(copy, input), { recursive: true });
    await symlink(join(PROJECT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });

  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('builds a checkout without a stamp, skips an unchanged one, rebuilds on a changed, added or deleted source', async () => {
    const inCopy = (path: string): string => join(copy, path);
    // A dist/ left by an older build (no stamp), with a file no current source produces.
    await mkdir(inCopy('dist/src'), { recursive: true });
    await writeFile(inCopy('dist/src/left-over.js'), 'export {};\n');
    await writeFile(inCopy('src/probe-changed.ts'), "export const probe = 'first';\n");
    await writeFile(inCopy('src/probe-deleted.ts'), "export const doomed = 'here';\n");

    const cold = await build(copy, '--if-needed');
    expect(cold.code).toBe(0);
    expect(cold.output).toMatch(/^build: no build stamp in dist\/; running nest build$/m);
    expect(existsSync(inCopy('dist/src/main.js'))).toBe(true);
    expect(existsSync(inCopy('dist/src/left-over.js'))).toBe(false);
    expect(await readFile(inCopy('dist/src/probe-changed.js'), 'utf8')).toContain('first');
    const builtAt = (await stat(inCopy('dist/src/main.js'))).mtimeMs;

    const warm = await build(copy, '--if-needed');
    expect(warm.code).toBe(0);
    expect(warm.output).toMatch(/^build: dist\/ is up to date with the sources \([0-9a-f]{12}\), nest build skipped$/m);
    expect(warm.output).not.toContain('running nest build');
    expect((await stat(inCopy('dist/src/main.js'))).mtimeMs).toBe(builtAt);

    // A new modification time alone is no change: the same content builds the same output.
    const later = new Date(Date.now() + 60_000);
    await utimes(inCopy('src/main.ts'), later, later);
    expect((await build(copy, '--if-needed')).output).toContain('nest build skipped');

    await writeFile(inCopy('src/probe-changed.ts'), "export const probe = 'second';\n");
    await unlink(inCopy('src/probe-deleted.ts'));
    const changed = await build(copy, '--if-needed');
    expect(changed.code).toBe(0);
    expect(changed.output).toMatch(
      /^build: changed since the last build: src\/probe-changed\.ts, src\/probe-deleted\.ts \(deleted\); running nest build$/m,
    );
    expect(await readFile(inCopy('dist/src/probe-changed.js'), 'utf8')).toContain('second');
    expect(existsSync(inCopy('dist/src/probe-deleted.js'))).toBe(false);
    expect((await build(copy, '--if-needed')).output).toContain('nest build skipped');

    // A dist/ that lost a file is not the build of these sources, whatever its stamp says.
    await unlink(inCopy('dist/src/app.module.js'));
    const damaged = await build(copy, '--if-needed');
    expect(damaged.output).toMatch(/^build: dist\/ lacks dist\/src\/app\.module\.js; running nest build$/m);
    expect(existsSync(inCopy('dist/src/app.module.js'))).toBe(true);
  }, 420_000);
});
