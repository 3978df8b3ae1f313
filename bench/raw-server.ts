/**
 * The raw baseline: a bare `node:http` server answering the benchmark's routes with the same SQL as
 * Roster (bench/queries.ts) through a `pg` Pool and prepared statements. No framework, no auth, no
 * validation beyond what is needed to build the query: the most a Node process can do with these
 * queries on this machine.
 *
 *   DATABASE_URL=postgres://… PORT=3100 node bench/dist/raw-server.js
 */
import { hash } from '@node-rs/argon2';
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { required } from './lib/required.js';
import {
  decodeCursor,
  getUserStatement,
  hasUsersCounter,
  loadUserSelectList,
  logCountStatement,
  type LogFilter,
  logPageStatement,
  type Statement,
  userCountStatement,
  type UserFilter,
  userPageStatement,
} from './queries.js';

const ARGON2I = 1;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

function randomId(length: number): string {
  let id = '';
  for (let index = 0; index < length; index += 1) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env.RAW_POOL_SIZE ?? 10) });
const selectList = await loadUserSelectList(pool);
const hasCounter = await hasUsersCounter(pool);

/**
 * Named statements are prepared once per connection. A LIKE pattern is left unnamed, as Roster (through
 * TypeORM) sends every statement: a generic plan cannot know whether the pattern suits the trigram index.
 */
async function run<Row extends pg.QueryResultRow>(
  statement: Statement,
  client: pg.Pool | pg.PoolClient = pool,
  prepared = true,
): Promise<Row[]> {
  const config = prepared ? statement : { text: statement.text, values: statement.values };
  return (await client.query<Row>(config)).rows;
}

function millis(value: unknown): number | null {
  return value instanceof Date ? value.getTime() : null;
}

/** The public shape of a user (src/users/user.mapper.ts, without its field-by-field copy). */
function toUser(row: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...row };
  delete rest.passwordEncrypted;
  delete rest.passwordEncryptionMethod;
  delete rest.passwordUpdatedAt;
  return {
    ...rest,
    lastSignInAt: millis(row.lastSignInAt),
    createdAt: millis(row.createdAt),
    updatedAt: millis(row.updatedAt),
    hasPassword: row.passwordEncrypted !== null,
  };
}

function toLog(row: Record<string, unknown>): Record<string, unknown> {
  return { tenantId: 'default', id: row.id, key: row.key, payload: row.payload, createdAt: millis(row.createdAt) };
}

function pagination(query: URLSearchParams): { pageSize: number; offset: number } {
  const read = (name: string, fallback: number, max: number): number => {
    const raw = query.get(name);
    if (raw === null || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new HttpError(400, 'guard.invalid_pagination');
    return value;
  };
  const page = read('page', 1, 1_000_000_000);
  const pageSize = read('page_size', 20, 100);
  return { pageSize, offset: (page - 1) * pageSize };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), ...headers });
  response.end(json);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1_000_000) throw new HttpError(413, 'request.payload_too_large');
    chunks.push(chunk);
  }
  const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'guard.invalid_input');
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, key: string): string | null {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : null;
}

async function listUsers(query: URLSearchParams, response: ServerResponse): Promise<void> {
  const { pageSize, offset: pageOffset } = pagination(query);
  const cursor = query.get('cursor');
  const after = cursor === null ? undefined : decodeCursor(cursor);
  if (cursor !== null && cursor !== '' && !after) throw new HttpError(400, 'guard.invalid_pagination');
  const offset = cursor === null ? pageOffset : 0;
  const search = query.get('search');
  const email = query.get('search.primaryEmail');
  const roleId = query.get('roleId');
  const excludeRoleId = query.get('excludeRoleId');
  let filter: UserFilter = { kind: 'all' };
  if (search !== null) filter = { kind: 'like', pattern: search };
  else if (roleId !== null) filter = { kind: 'holder', roleId };
  else if (excludeRoleId !== null) filter = { kind: 'non-holder', roleId: excludeRoleId };
  else if (email !== null && query.get('mode.primaryEmail') === 'exact') filter = { kind: 'email-exact', email };
  else if (email !== null) throw new HttpError(400, 'request.invalid_input');
  const prepared = filter.kind !== 'like';
  const [rows, counted] = await Promise.all([
    run<Record<string, unknown>>(userPageStatement(selectList, filter, pageSize + 1, offset, after), pool, prepared),
    run<{ total: string }>(userCountStatement(filter, hasCounter), pool, prepared),
  ]);
  const total = Number(counted[0]?.total ?? 0);
  send(response, 200, rows.slice(0, pageSize).map(toUser), { 'total-number': String(total) });
}

async function listLogs(query: URLSearchParams, response: ServerResponse): Promise<void> {
  const { pageSize, offset } = pagination(query);
  const userId = query.get('userId');
  const key = query.get('logKey');
  let filter: LogFilter;
  if (userId) filter = { kind: 'user', userId };
  else if (key) filter = { kind: 'key', key };
  else throw new HttpError(400, 'request.invalid_input');
  const [rows, counted] = await Promise.all([
    run<Record<string, unknown>>(logPageStatement(filter, pageSize, offset)),
    run<{ total: string }>(logCountStatement(filter)),
  ]);
  send(response, 200, rows.map(toLog), { 'total-number': String(Number(counted[0]?.total ?? 0)) });
}

/** Runs `work` in a transaction that also writes the audit row, as Roster's mutations do. */
async function mutate(
  key: string,
  work: (client: pg.PoolClient) => Promise<Record<string, unknown> | undefined>,
  params: object,
): Promise<Record<string, unknown> | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const row = await work(client);
    if (row) {
      const payload = { key, result: 'Success', userId: row.id, applicationId: 'raw-baseline', ip: '127.0.0.1', params };
      await client.query({
        name: 'log_insert',
        text: 'INSERT INTO logs (id, key, payload) VALUES ($1, $2, $3)',
        values: [randomId(21), key, payload],
      });
    }
    await client.query('COMMIT');
    return row;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function createUser(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJson(request);
  const password = optionalString(body, 'password');
  const digest =
    password === null ? null : await hash(password, { algorithm: ARGON2I, memoryCost: 8192, timeCost: 8, parallelism: 1, outputLen: 32 });
  const values = [
    randomId(12),
    optionalString(body, 'username'),
    optionalString(body, 'primaryEmail'),
    optionalString(body, 'name'),
    digest,
  ];
  const row = await mutate(
    'ManagementApi.User.Create',
    async (client) =>
      (
        await run<Record<string, unknown>>(
          {
            name: 'user_insert',
            text: `INSERT INTO users (id, username, primary_email, name, password_encrypted, password_encryption_method, password_updated_at)
                   VALUES ($1, $2, $3, $4, $5::varchar, CASE WHEN $5::varchar IS NULL THEN NULL ELSE 'Argon2i'::users_password_encryption_method END,
                           CASE WHEN $5::varchar IS NULL THEN NULL ELSE date_trunc('milliseconds', clock_timestamp()) END)
                   RETURNING ${selectList}`,
            values,
          },
          client,
        )
      )[0],
    { ...body, password: '******' },
  );
  send(response, 200, toUser(required(row, 'row returned by INSERT … RETURNING')));
}

async function updateUser(id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJson(request);
  const name = typeof body.name === 'string' ? body.name : null;
  const row = await mutate(
    'ManagementApi.User.Update',
    async (client) =>
      (
        await run<Record<string, unknown>>(
          { name: 'user_update_name', text: `UPDATE users SET name = $2 WHERE id = $1 RETURNING ${selectList}`, values: [id, name] },
          client,
        )
      )[0],
    body,
  );
  if (!row) throw new HttpError(404, 'entity.not_found');
  send(response, 200, toUser(row));
}

async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://raw');
  const userId = /^\/api\/users\/([^/]+)$/.exec(url.pathname)?.[1];
  if (request.method === 'GET' && userId !== undefined) {
    const rows = await run<Record<string, unknown>>(getUserStatement(selectList, decodeURIComponent(userId)));
    if (!rows[0]) throw new HttpError(404, 'entity.not_found');
    return send(response, 200, toUser(rows[0]));
  }
  if (request.method === 'PATCH' && userId !== undefined) return updateUser(decodeURIComponent(userId), request, response);
  if (url.pathname === '/api/users' && request.method === 'GET') return listUsers(url.searchParams, response);
  if (url.pathname === '/api/users' && request.method === 'POST') return createUser(request, response);
  if (url.pathname === '/api/logs' && request.method === 'GET') return listLogs(url.searchParams, response);
  if (url.pathname === '/api/status') {
    response.writeHead(204).end();
    return;
  }
  throw new HttpError(404, 'guard.route_not_found');
}

const server = createServer((request, response) => {
  route(request, response).catch((error: unknown) => {
    if (error instanceof HttpError) return send(response, error.status, { code: error.code, message: error.code });
    if ((error as { code?: string }).code === '23505') {
      return send(response, 422, { code: 'user.already_in_use', message: 'already in use' });
    }
    if (error instanceof SyntaxError) return send(response, 400, { code: 'guard.invalid_input', message: 'invalid JSON' });
    process.stderr.write(`raw-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    send(response, 500, { message: 'Internal server error.' });
  });
});

const port = Number(process.env.PORT ?? 3100);
server.listen(port, '127.0.0.1', () => process.stdout.write(`raw baseline listening on port ${port}\n`));

const shutdown = (): void => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
