import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { type ClientCredentials, registerServerCredentials } from './clients.js';
import { findFreePort } from '../../src/common/free-port.js';

export interface TestServer {
  baseUrl: string;
  /** This server's database: for the CLI (`DATABASE_URL`) and for a second server sharing it. */
  databaseUrl: string;
  /** The bootstrap application (scope `all`) the server was started with. */
  credentials: ClientCredentials;
  /** Every line the server printed (JSON log lines), for assertions on logging. */
  logs: string[];
  /** Runs SQL against this server's own database. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  stop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.ROSTER_TEST_ADMIN_URL;
  if (!url) throw new Error('ROSTER_TEST_ADMIN_URL is not set: the e2e global setup did not run');
  return url;
}

/** A free loopback port (the fault scripts use it too). */
export const freePort = findFreePort;

/** Runs `work` on a fresh connection to `url`, closed afterwards. */
export async function withDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const withAdminClient = <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => withDatabase(adminUrl(), work);

/** The line a server prints once it accepts requests. */
export const LISTENING_LINE = 'Roster listening';

export interface SpawnServerOptions {
  port: number;
  /** The bootstrap application (scope `all`). */
  credentials: ClientCredentials;
  /** More environment, applied last. */
  env: Record<string, string>;
  /** The build to run (default `dist`). */
  dist?: string;
  /**
   * Start it as an operator does, with `npm start` in the working directory (which serves `dist/`):
   * the child is then the npm process. npm and the script's `node` are this test's Node.js.
   */
  npmStart?: boolean;
}

/** Spawns the built server `<dist>/src/main.js` on `port`, logging at level `log`, with stdout and stderr piped. */
export function spawnServer({ port, credentials, env, dist = 'dist', npmStart = false }: SpawnServerOptions): ChildProcess {
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    LOG_LEVEL: 'log',
    BOOTSTRAP_CLIENT_ID: credentials.clientId,
    BOOTSTRAP_CLIENT_SECRET: credentials.clientSecret,
    ...env,
  };
  if (npmStart) {
    serverEnv.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;
    return spawn('npm', ['start'], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  return spawn(process.execPath, [join(dist, 'src/main.js')], { env: serverEnv, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Calls `onLine` with every line a spawned server prints, and the stream it came from. */
export function onOutputLines(child: ChildProcess, onLine: (line: string, stream: 'stdout' | 'stderr') => void): void {
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => onLine(line, 'stdout'));
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => onLine(line, 'stderr'));
}

/** Resolves once the server prints its "listening" line; rejects if it exits first. */
function waitUntilListening(child: ChildProcess, logs: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    onOutputLines(child, (line) => {
      logs.push(line);
      if (line.includes(LISTENING_LINE)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with code ${code} before listening:\n${logs.join('\n')}`)));
  });
}

export interface TestServerOptions {
  /**
   * Run as another replica of this server: same database and bootstrap credentials. The database
   * stays owned by that server (stopping the replica does not drop it).
   */
  replicaOf?: TestServer;
}

/**
 * Starts the built server (`dist/src/main.js`) as a real process on a fresh database of the
 * shared embedded PostgreSQL, so each test file sees an empty, migrated schema.
 */
export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const { replicaOf } = options;
  const databaseName = replicaOf ? undefined : `roster_test_${randomBytes(6).toString('hex')}`;
  if (databaseName) await withAdminClient((client) => client.query(`CREATE DATABASE ${databaseName}`));
  const databaseUrl = replicaOf?.databaseUrl ?? adminUrl().replace(/\/postgres$/, `/${databaseName}`);
  const port = await freePort();
  const base = replicaOf?.credentials ?? { clientId: 'roster-test', clientSecret: randomBytes(24).toString('base64url') };
  const credentials = {
    clientId: env.BOOTSTRAP_CLIENT_ID ?? base.clientId,
    clientSecret: env.BOOTSTRAP_CLIENT_SECRET ?? base.clientSecret,
  };
  const logs: string[] = [];
  const child = spawnServer({
    port,
    credentials,
    // No load balancer to drain in front of a test server: stop at once.
    env: { DATABASE_URL: databaseUrl, SHUTDOWN_DRAIN_MS: '0', ...env },
  });
  await waitUntilListening(child, logs);

  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const baseUrl = `http://localhost:${port}`;
  registerServerCredentials(baseUrl, credentials);
  return {
    baseUrl,
    databaseUrl,
    credentials,
    logs,
    query: async <Row>(sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows as Row[],
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      registerServerCredentials(baseUrl, undefined);
      await pool.end();
      if (databaseName) await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`));
    },
  };
}
