/**
 * When the embedded PostgreSQL cannot start (here: a broken postgresql.conf, the same path as a
 * lock file held by another process after a crash), the service must exit with an error that says
 * why, at the default log level. An operator who only sees "Roster failed to start: undefined"
 * cannot tell a full disk from a stale lock.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, newCredentials, removeDir, report, type ServerProcess, startServer, stopServer } from './support.js';

describe('a PostgreSQL that cannot start', () => {
  let root: string;
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await stopServer(server);
    await removeDir(root);
  });

  it("makes the service exit with PostgreSQL's reason, not 'undefined'", async () => {
    root = await makeTempDir('roster-faults-startup-');
    const dataDir = join(root, 'data');
    const port = await freePort();
    const credentials = newCredentials();
    server = await startServer({ port, credentials, env: { DATA_DIR: dataDir } });
    await stopServer(server);
    expect((await server.exited).code).toBe(0);

    const configFile = join(dataDir, 'pg', 'postgresql.conf');
    const original = await readFile(configFile, 'utf8');
    await appendFile(configFile, '\nshared_buffers = not-a-size\n');
    let message = '';
    try {
      server = await startServer({ port, credentials, env: { DATA_DIR: dataDir }, startTimeoutMs: 60_000 });
    } catch (error) {
      message = (error as Error).message;
    } finally {
      await writeFile(configFile, original);
    }
    const reason = message.split('\n').filter((line) => line.includes('Roster failed to start'));
    report('PostgreSQL start failure', { exitedBeforeListening: message !== '', reason });
    expect(message).not.toBe('');
    expect(reason.join('\n')).not.toMatch(/Roster failed to start: undefined$/);
    expect(message).toMatch(/shared_buffers/);
  });
});
