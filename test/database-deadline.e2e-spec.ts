/**
 * The client-side query deadline (F6 in docs/reliability.md), on the application's own TypeORM
 * options, against the test PostgreSQL reached through a TCP proxy that can hang: it keeps every
 * connection open but forwards nothing, as a frozen or partitioned server looks to its clients.
 *
 * A query without an answer must fail after `statement_timeout` + 1 s, and its connection must be
 * discarded: neither kept in the pool with the query still pending, nor given to the next borrower
 * inside the timed-out transaction.
 *
 * Through the API, a request whose statement cannot finish within `STATEMENT_TIMEOUT_MS` answers 503
 * `service.unavailable`, applies nothing, and the pool recovers once the database is free again.
 */
import 'reflect-metadata';
import net from 'node:net';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { buildDataSourceOptions } from '../src/database/data-source-options.js';
import { request } from './support/clients.js';
import { expectError } from './support/expect-errors.js';
import { createUser, uniqueLetters } from './support/factories.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import type { User } from './support/wire.js';

const STATEMENT_TIMEOUT_MS = 1000;
const DEADLINE_MS = STATEMENT_TIMEOUT_MS + 1000;

interface HangingProxy {
  url: string;
  hang(): void;
  resume(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `target` that can stop forwarding in both directions without closing anything. */
async function hangingProxy(target: URL): Promise<HangingProxy> {
  let hung = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((downstream) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const [from, to] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => to.write(chunk));
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
      // A paused socket is not read: its bytes wait, unanswered, until resume().
      if (hung) from.pause();
      from.on('close', () => sockets.delete(from));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    hang: () => {
      hung = true;
      for (const socket of sockets) socket.pause();
    },
    resume: () => {
      hung = false;
      for (const socket of sockets) socket.resume();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the client-side query deadline', () => {
  let proxy: HangingProxy;
  let dataSource: DataSource;
  let pool: pg.Pool;

  beforeAll(async () => {
    const adminUrl = process.env.ROSTER_TEST_ADMIN_URL;
    if (!adminUrl) throw new Error('ROSTER_TEST_ADMIN_URL is not set: the e2e global setup did not run');
    proxy = await hangingProxy(new URL(adminUrl));
    // One connection, so "the next borrower" is certain to get the same one if it were kept.
    dataSource = await new DataSource(
      buildDataSourceOptions(proxy.url, { statementTimeoutMs: STATEMENT_TIMEOUT_MS, poolSize: 1 }),
    ).initialize();
    pool = (dataSource.driver as PostgresDriver).master as pg.Pool;
  });

  afterAll(async () => {
    proxy.resume();
    await dataSource.destroy();
    await proxy.close();
  });

  afterEach(() => proxy.resume());

  it('fails a transaction the server never answers after one deadline, and discards its connection', async () => {
    await dataSource.query('SELECT 1');
    expect(pool.totalCount).toBe(1);

    proxy.hang();
    const startedAt = Date.now();
    const failure = await dataSource.transaction((manager) => manager.query('SELECT 1')).catch((error: unknown) => error);
    const elapsed = Date.now() - startedAt;
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toContain('Query read timeout');
    // One deadline, not two: the ROLLBACK does not wait behind the dead query for another one.
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(elapsed).toBeLessThan(DEADLINE_MS * 2 - 500);
    // The connection is gone from the pool, not idle in it with the query still pending.
    expect(pool.totalCount).toBe(0);

    // Once the server answers again, the next borrower gets a fresh session outside any transaction.
    proxy.resume();
    const [row] = await dataSource.query<{ outside: boolean }[]>('SELECT now() = statement_timestamp() AS outside');
    expect(row?.outside).toBe(true);
  });

  it('also discards the connection of a pool.query() without an answer (the prepared-read path)', async () => {
    await pool.query('SELECT 1');
    proxy.hang();
    const failure = await pool.query('SELECT 1').catch((error: unknown) => error);
    expect((failure as Error).message).toContain('Query read timeout');
    expect(pool.totalCount).toBe(0);
    proxy.resume();
    const { rows } = await pool.query<{ outside: boolean }>('SELECT now() = statement_timestamp() AS outside');
    expect(rows[0]?.outside).toBe(true);
  });
});

describe('the statement timeout through the API (STATEMENT_TIMEOUT_MS=50)', () => {
  let slowServer: TestServer;

  beforeAll(async () => {
    slowServer = await startTestServer({ STATEMENT_TIMEOUT_MS: '50' });
  });

  afterAll(async () => {
    await slowServer?.stop();
  });

  /** Runs `work` while a dedicated connection holds `lockSql` in an open transaction, then rolls it back. */
  async function whileLocked<T>(lockSql: string, params: unknown[], work: () => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: slowServer.databaseUrl });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(lockSql, params);
      return await work();
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    }
  }

  it('answers 503 service.unavailable to a PATCH that waits on a row lock, applies nothing and logs nothing', async () => {
    const username = `locked${uniqueLetters(10)}`;
    const created = await request<User>(slowServer.baseUrl, 'POST', '/api/users', { json: { username, name: 'Before' } });
    expect(created.status).toBe(200);
    const userId = created.body.id;

    const patched = await whileLocked('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId], () =>
      request(slowServer.baseUrl, 'PATCH', `/api/users/${userId}`, { json: { name: 'After' } }),
    );
    expectError(patched, 503, 'service.unavailable');

    const [row] = await slowServer.query<{ name: string; updates: string }>(
      `SELECT name, (SELECT count(*) FROM logs WHERE key = 'ManagementApi.User.Update' AND payload->>'userId' = $1) AS updates
       FROM users WHERE id = $1`,
      [userId],
    );
    expect({ name: row?.name, updates: Number(row?.updates) }).toEqual({ name: 'Before', updates: 0 });

    // The pool recovered: the same PATCH succeeds once the lock is gone, and is logged once.
    const retried = await request<User>(slowServer.baseUrl, 'PATCH', `/api/users/${userId}`, { json: { name: 'After' } });
    expect({ status: retried.status, name: retried.body.name }).toEqual({ status: 200, name: 'After' });
    const logged = await slowServer.query<{ total: string }>(
      `SELECT count(*) AS total FROM logs WHERE key = 'ManagementApi.User.Update' AND payload->>'userId' = $1`,
      [userId],
    );
    expect(logged.map(({ total }) => Number(total))).toEqual([1]);
  }, 30_000);

  it('answers 503 service.unavailable to a search that cannot finish in time, then serves it once unblocked', async () => {
    const term = uniqueLetters(10);
    await createUser(slowServer, { username: `search${term}` });
    const path = `/api/users?${new URLSearchParams({ search: `%${term}%` }).toString()}`;
    const blocked = await whileLocked('LOCK TABLE users IN ACCESS EXCLUSIVE MODE', [], () => request(slowServer.baseUrl, 'GET', path));
    expectError(blocked, 503, 'service.unavailable');

    const served = await request<User[]>(slowServer.baseUrl, 'GET', path);
    expect({ status: served.status, usernames: served.body.map((user) => user.username) }).toEqual({
      status: 200,
      usernames: [`search${term}`],
    });
  }, 30_000);
});
