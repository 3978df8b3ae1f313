/**
 * Mixed load ("Load: 60 s of mixed traffic" in docs/reliability.md): 60 s at 50 connections with autocannon, on loopback, against a freshly
 * started server on its embedded PostgreSQL (durable settings). Reads (get, list, search, logs) and
 * writes (create, rename, custom-data merge, delete) mixed; expected 4xx (404 for a user deleted
 * meanwhile) are counted apart from unexpected answers. Then the invariants: the user counter
 * equals count(*), every user has exactly one Create audit row, every deleted user is gone with its
 * Delete row, and audit rows per key match the acknowledged writes (allowing for the requests still
 * in flight when autocannon stopped).
 *
 * Part of `npm run test:faults` and CI (about 75 s). Alone:
 *   npm run test:faults -- load       (FAULTS_LOAD_SECONDS, FAULTS_LOAD_CONNECTIONS to change)
 */
import autocannon from 'autocannon';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  embeddedDatabaseUrl,
  fetchToken,
  freePort,
  makeTempDir,
  newCredentials,
  removeDir,
  report,
  send,
  serverConnections,
  type ServerProcess,
  startServer,
  stopServer,
  waitFor,
  withDatabase,
} from './support.js';
import { at } from '../support/at.js';

const SECONDS = Number(process.env.FAULTS_LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.FAULTS_LOAD_CONNECTIONS ?? 50);
const SEED_USERS = 1000;

type Operation = 'get' | 'list' | 'search' | 'logs' | 'create' | 'patch' | 'merge' | 'delete';
const MIX: [Operation, number][] = [
  ['get', 25],
  ['list', 12],
  ['search', 8],
  ['logs', 5],
  ['create', 15],
  ['patch', 15],
  ['merge', 14],
  ['delete', 6],
];
const AUDIT_KEYS: Partial<Record<Operation, string>> = {
  create: 'ManagementApi.User.Create',
  patch: 'ManagementApi.User.Update',
  merge: 'ManagementApi.User.CustomData.Update',
  delete: 'ManagementApi.User.Delete',
};

function pick(): Operation {
  let draw = Math.random() * 100;
  for (const [operation, weight] of MIX) {
    draw -= weight;
    if (draw < 0) return operation;
  }
  return 'get';
}

/**
 * Waits (bounded, failing loudly) until the requests autocannon abandoned when it stopped have
 * finished on the server: no client connection left on `port`, no busy database session, and the
 * audit log no longer growing between two polls.
 */
async function settled(port: number, databaseUrl: string): Promise<void> {
  let previousRows: number | undefined;
  await waitFor(
    'the server to finish the requests autocannon abandoned',
    () =>
      withDatabase(databaseUrl, async (client) => {
        if (serverConnections(port).count > 0) return undefined;
        const { rows } = await client.query<{ busy: string; logged: string }>(
          `SELECT (SELECT count(*) FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle') AS busy,
                  (SELECT count(*) FROM logs) AS logged`,
        );
        const [row] = rows;
        const logged = Number(row?.logged);
        const quiet = Number(row?.busy) === 0 && logged === previousRows;
        previousRows = logged;
        return quiet ? true : undefined;
      }),
    30_000,
    200,
  );
}

describe(`mixed load: ${SECONDS} s at ${CONNECTIONS} connections`, () => {
  let root: string;
  let server: ServerProcess | undefined;

  afterAll(async () => {
    await stopServer(server);
    await removeDir(root);
  });

  it('serves without unexpected errors and keeps the invariants', async () => {
    root = await makeTempDir('roster-faults-load-');
    const dataDir = join(root, 'data');
    const credentials = newCredentials();
    server = await startServer({ port: await freePort(), credentials, env: { DATA_DIR: dataDir }, keepLines: 2000 });
    const token = await fetchToken(server.baseUrl, credentials);
    const databaseUrl = await embeddedDatabaseUrl(dataDir);

    // Seed through the API, so every user has its Create row.
    const live: string[] = [];
    for (let batch = 0; batch < SEED_USERS / 50; batch += 1) {
      const created = await Promise.all(
        Array.from({ length: 50 }, (_, index) =>
          send<{ id: string }>(server!.baseUrl, 'POST', '/api/users', {
            token,
            json: {
              username: `seed_${batch}_${index}`,
              primaryEmail: `seed_${batch}_${index}@load.example.com`,
              name: `seed ${batch} ${index}`,
            },
          }),
        ),
      );
      for (const reply of created) {
        expect(reply.status).toBe(200);
        live.push(reply.body!.id);
      }
    }

    const deleted = new Set<string>();
    const acknowledged: Record<string, number> = {};
    const expected4xx: Record<string, number> = {};
    const unexpected: Record<string, number> = {};
    const unexpectedSamples: string[] = [];
    const createdIds = new Set<string>();
    const deletedIds = new Set<string>();
    let sequence = 0;
    // A fresh object per request: autocannon writes Content-Length into the headers it is given.
    const headers = (): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const randomId = (): string => at(live, Math.floor(Math.random() * live.length));

    const instance = autocannon({
      url: server.baseUrl,
      connections: CONNECTIONS,
      duration: SECONDS,
      timeout: 10,
      requests: [
        {
          setupRequest: (_request, context) => {
            const operation = pick();
            sequence += 1;
            context.operation = operation;
            let id = randomId();
            context.id = id;
            switch (operation) {
              case 'get':
                return { method: 'GET', path: `/api/users/${id}`, headers: headers() };
              case 'list':
                return { method: 'GET', path: `/api/users?page=${1 + (sequence % 5)}&page_size=20`, headers: headers() };
              case 'search':
                return {
                  method: 'GET',
                  path: `/api/users?search=${encodeURIComponent(`%${sequence % 10}_${sequence % 7}%`)}&page_size=20`,
                  headers: headers(),
                };
              case 'logs':
                return { method: 'GET', path: `/api/logs?userId=${id}&page_size=20`, headers: headers() };
              case 'create':
                return {
                  method: 'POST',
                  path: '/api/users',
                  headers: headers(),
                  body: JSON.stringify({
                    username: `load_${sequence}`,
                    primaryEmail: `load_${sequence}@load.example.com`,
                    name: `load ${sequence}`,
                    customData: { sequence },
                    ...(sequence % 10 === 0 ? { password: `correct horse ${sequence}` } : {}),
                  }),
                };
              case 'patch':
                return {
                  method: 'PATCH',
                  path: `/api/users/${id}`,
                  headers: headers(),
                  body: JSON.stringify({ name: `renamed ${sequence}` }),
                };
              case 'merge':
                return {
                  method: 'PATCH',
                  path: `/api/users/${id}/custom-data`,
                  headers: headers(),
                  body: JSON.stringify({ customData: { [`k${sequence % 20}`]: sequence } }),
                };
              case 'delete': {
                // Take it out of the pool now, so later requests rarely aim at it.
                const index = live.indexOf(id);
                if (index >= 0 && live.length > 100) live.splice(index, 1);
                else id = randomId();
                context.id = id;
                deleted.add(id);
                return { method: 'DELETE', path: `/api/users/${id}`, headers: headers() };
              }
            }
          },
          onResponse: (status, body, context) => {
            const operation = context.operation as Operation;
            const id = context.id as string;
            if (status >= 200 && status < 300) {
              acknowledged[operation] = (acknowledged[operation] ?? 0) + 1;
              if (operation === 'create') {
                const created = (JSON.parse(body) as { id: string }).id;
                live.push(created);
                createdIds.add(created);
              }
              if (operation === 'delete') deletedIds.add(id);
            } else if (status === 404 && deleted.has(id) && operation !== 'list' && operation !== 'search') {
              expected4xx[operation] = (expected4xx[operation] ?? 0) + 1;
            } else {
              unexpected[`${operation} ${status}`] = (unexpected[`${operation} ${status}`] ?? 0) + 1;
              if (unexpectedSamples.length < 20) unexpectedSamples.push(`${operation} ${status} ${body.slice(0, 200)}`);
            }
          },
        },
      ],
    });
    const result = await instance;
    await settled(server.port, databaseUrl);

    const invariants = await withDatabase(databaseUrl, async (client) => {
      const one = async (sql: string, params: unknown[] = []): Promise<number> =>
        Number(at((await client.query<{ n: string }>(sql, params)).rows, 0).n);
      const auditByKey = Object.fromEntries(
        (
          await client.query<{ key: string; n: string }>(
            `SELECT key, count(*) AS n FROM logs WHERE key LIKE 'ManagementApi.%' GROUP BY key`,
          )
        ).rows.map((row) => [row.key, Number(row.n)]),
      );
      return {
        users: await one('SELECT count(*) AS n FROM users'),
        counter: await one(`SELECT coalesce(sum(count), 0) AS n FROM row_counts WHERE table_name = 'users'`),
        usersWithoutOneCreateRow: await one(
          `SELECT count(*) AS n FROM users u WHERE (SELECT count(*) FROM logs l WHERE l.key = 'ManagementApi.User.Create' AND l.payload->>'userId' = u.id) <> 1`,
        ),
        acknowledgedDeletesStillPresent: await one('SELECT count(*) AS n FROM users WHERE id = ANY($1)', [[...deletedIds]]),
        acknowledgedDeletesWithoutRow: await one(
          `SELECT count(*) AS n FROM unnest($1::text[]) AS d(id) WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.key = 'ManagementApi.User.Delete' AND l.payload->>'userId' = d.id)`,
          [[...deletedIds]],
        ),
        acknowledgedCreatesMissing: await one(
          // Gone without a Delete row (a delete still in flight at the end may have removed one).
          `SELECT count(*) AS n FROM unnest($1::text[]) AS c(id) WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = c.id)
             AND NOT EXISTS (SELECT 1 FROM logs l WHERE l.key = 'ManagementApi.User.Delete' AND l.payload->>'userId' = c.id)`,
          [[...createdIds]],
        ),
        auditByKey,
        postgres: at((await client.query<{ version: string }>('SELECT version()')).rows, 0).version,
      };
    });
    const status = await send(server.baseUrl, 'GET', '/api/status');

    const auditVersusAcknowledged = Object.fromEntries(
      Object.entries(AUDIT_KEYS).map(([operation, key]) => {
        const rows = invariants.auditByKey[key] ?? 0;
        const acked = (acknowledged[operation] ?? 0) + (operation === 'create' ? SEED_USERS : 0);
        return [operation, { acknowledged: acked, auditRows: rows, surplus: rows - acked }];
      }),
    );
    const surplus = Object.values(auditVersusAcknowledged).reduce((sum, entry) => sum + entry.surplus, 0);
    const figures = {
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        postgres: invariants.postgres,
      },
      seconds: SECONDS,
      connections: CONNECTIONS,
      requests: result.requests.total,
      requestsPerSecond: { mean: result.requests.average, p50: result.requests.p50 },
      latencyMs: {
        mean: result.latency.average,
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        max: result.latency.max,
      },
      autocannon: { errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, statusCodes: result.statusCodeStats },
      acknowledged,
      expected4xx,
      unexpected,
      unexpectedSamples,
      invariants: { ...invariants, auditByKey: undefined, postgres: undefined },
      auditVersusAcknowledged,
      statusAfter: status.status,
    };
    report('mixed load', figures);

    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(unexpected).toEqual({});
    expect(invariants.counter).toBe(invariants.users);
    expect(invariants.usersWithoutOneCreateRow).toBe(0);
    expect(invariants.acknowledgedDeletesStillPresent).toBe(0);
    expect(invariants.acknowledgedDeletesWithoutRow).toBe(0);
    expect(invariants.acknowledgedCreatesMissing).toBe(0);
    for (const entry of Object.values(auditVersusAcknowledged)) expect(entry.surplus).toBeGreaterThanOrEqual(0);
    // Only the requests in flight when autocannon stopped can have a row without an answer.
    expect(surplus).toBeLessThanOrEqual(CONNECTIONS);
    expect(status.status).toBe(204);
  });
});
