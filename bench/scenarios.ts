/**
 * The load scenarios: what each connection sends, and the target it is judged by (set for 1,000,000 users and
 * 10,000,000 log rows; bench/RESULTS.md, "Reading the results against the scale targets").
 */
import type autocannon from 'autocannon';
import { randomBytes } from 'node:crypto';
import { nonEmpty } from './lib/required.js';
import type { Samples } from './samples.js';

export type Target = { kind: 'ratio'; min: number } | { kind: 'p99'; maxMs: number } | { kind: 'rss'; maxMB: number };

export interface Scenario {
  name: string;
  title: string;
  connections: number;
  target?: Target;
  /** Fresh request definitions for one autocannon run (counters start over, usernames stay unique). */
  requests(): autocannon.Request[];
}

export const PASSWORD = 'correct horse battery staple 1';

/** The values in turn, over and over. */
function cycle<T>(values: readonly [T, ...T[]]): () => T {
  let index = 0;
  // The index is always in range; the fallback only satisfies the type.
  return () => values[index++ % values.length] ?? values[0];
}

function get(path: () => string): autocannon.Request {
  return { method: 'GET', path: path(), setupRequest: (request) => ({ ...request, method: 'GET', path: path() }) };
}

function json(method: 'POST' | 'PATCH', path: () => string, body: () => object): autocannon.Request {
  const build = (request: autocannon.Request): autocannon.Request => ({
    ...request,
    method,
    path: path(),
    headers: { ...request.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body()),
  });
  return { ...build({}), setupRequest: build };
}

/** `bench_<random>_<n>`: unique across runs, servers and connections (Roster's username pattern). */
function usernames(): () => string {
  const tag = randomBytes(4).toString('hex');
  let counter = 0;
  return () => `bench_${tag}_${counter++}`;
}

/** `GET /api/users/:id` over the sampled (seeded) users, in turn. */
export function pointReadRequests(samples: Samples): autocannon.Request[] {
  const next = cycle(samples.userIds);
  return [get(() => `/api/users/${next()}`)];
}

/** `POST /api/users` with a unique username and a password (one Argon2i hash per request). */
export function createUserRequests(): autocannon.Request[] {
  return [json('POST', () => '/api/users', createBody())];
}

/** Bodies of `POST /api/users`: a fresh username each, with the password. */
function createBody(): () => object {
  const nextName = usernames();
  return () => ({ username: nextName(), password: PASSWORD, name: 'Bench User' });
}

export interface ScenarioOptions {
  connections: number;
  pointConnections: number;
}

export function buildScenarios(samples: Samples, { connections, pointConnections }: ScenarioOptions): Scenario[] {
  const userPath = () => {
    const next = cycle(samples.userIds);
    return () => `/api/users/${next()}`;
  };
  const searchPath = `/api/users?search=${encodeURIComponent(`%${samples.term}%`)}`;
  const emailPath = () => {
    const next = cycle(samples.emails);
    return () => `/api/users?search.primaryEmail=${encodeURIComponent(next())}&mode.primaryEmail=exact`;
  };
  const logsByUserPath = () => {
    const next = cycle(samples.logUserIds);
    return () => `/api/logs?userId=${encodeURIComponent(next())}`;
  };

  const scenarios: Scenario[] = [
    {
      name: 'get-user',
      title: 'GET /api/users/:id',
      connections,
      target: { kind: 'ratio', min: 0.6 },
      requests: () => pointReadRequests(samples),
    },
    {
      name: 'get-user-50',
      title: `GET /api/users/:id (${pointConnections} connections)`,
      connections: pointConnections,
      target: { kind: 'ratio', min: 0.6 },
      requests: () => pointReadRequests(samples),
    },
    {
      name: 'list-first-page',
      title: 'GET /api/users?page=1&page_size=20',
      connections,
      target: { kind: 'p99', maxMs: 50 },
      requests: () => [get(() => '/api/users?page=1&page_size=20')],
    },
    {
      name: 'list-deep-page',
      title: 'GET /api/users?page=2000&page_size=20',
      connections,
      target: { kind: 'p99', maxMs: 100 },
      requests: () => [get(() => '/api/users?page=2000&page_size=20')],
    },
    {
      name: 'list-deep-cursor',
      title: 'GET /api/users?cursor=<page 2000>&page_size=20 (keyset)',
      connections,
      target: { kind: 'p99', maxMs: 100 },
      requests: () => [get(() => `/api/users?cursor=${samples.deepCursor}&page_size=20`)],
    },
    {
      name: 'search-like',
      title: `GET /api/users?search=%${samples.term}% (${samples.termMatches} matches)`,
      connections,
      target: { kind: 'p99', maxMs: 100 },
      requests: () => [get(() => searchPath)],
    },
    {
      name: 'search-email-exact',
      title: 'GET /api/users?search.primaryEmail=<MiXeD>&mode.primaryEmail=exact',
      connections,
      target: { kind: 'p99', maxMs: 100 },
      requests: () => [get(emailPath())],
    },
    {
      name: 'logs-by-user',
      title: 'GET /api/logs?userId=<id>',
      connections,
      target: { kind: 'p99', maxMs: 50 },
      requests: () => [get(logsByUserPath())],
    },
    {
      name: 'logs-by-key',
      title: `GET /api/logs?logKey=${samples.logKey} (${samples.logKeyRows.toLocaleString('en-US')} rows)`,
      connections,
      target: { kind: 'p99', maxMs: 50 },
      requests: () => [get(() => `/api/logs?logKey=${encodeURIComponent(samples.logKey)}`)],
    },
    {
      name: 'list-role-holders',
      title: `GET /api/users?roleId=<role> (${samples.roleHolders.toLocaleString('en-US')} holders)`,
      connections,
      target: { kind: 'p99', maxMs: 50 },
      requests: () => [get(() => `/api/users?roleId=${samples.roleId}`)],
    },
    {
      name: 'list-exclude-role',
      title: 'GET /api/users?excludeRoleId=<role>',
      connections,
      target: { kind: 'p99', maxMs: 50 },
      requests: () => [get(() => `/api/users?excludeRoleId=${samples.roleId}`)],
    },
    {
      name: 'create-user',
      title: 'POST /api/users (with password: Argon2i)',
      connections,
      requests: () => createUserRequests(),
    },
    {
      name: 'mixed',
      title: 'mixed: 80% reads (40 get, 10 list, 10 search, 10 email, 10 logs) / 20% writes (5 create, 15 patch)',
      connections,
      target: { kind: 'rss', maxMB: 300 },
      requests: () => {
        const nextUser = userPath();
        const nextEmail = emailPath();
        const nextLogs = logsByUserPath();
        const nextCreate = createBody();
        const nextPatch = cycle(
          nonEmpty(
            samples.userIds.map((id, index) => ({ id, name: samples.userNames[index] })),
            'sampled user',
          ),
        );
        let draw = 0;
        const build = (request: autocannon.Request): autocannon.Request => {
          // A fixed interleaving with the stated shares (deterministic, no Math.random in the loop).
          const slot = (draw++ * 37) % 100;
          const base = { ...request, headers: { ...request.headers }, body: undefined };
          if (slot < 40) return { ...base, method: 'GET', path: nextUser() };
          if (slot < 50) return { ...base, method: 'GET', path: '/api/users?page=1&page_size=20' };
          if (slot < 60) return { ...base, method: 'GET', path: searchPath };
          if (slot < 70) return { ...base, method: 'GET', path: nextEmail() };
          if (slot < 80) return { ...base, method: 'GET', path: nextLogs() };
          const headers = { ...base.headers, 'content-type': 'application/json' };
          if (slot < 85) return { ...base, method: 'POST', path: '/api/users', headers, body: JSON.stringify(nextCreate()) };
          // Writes the user's own name back: a real update (row, trigger, audit row) that leaves the data as seeded.
          const patch = nextPatch();
          return { ...base, method: 'PATCH', path: `/api/users/${patch.id}`, headers, body: JSON.stringify({ name: patch.name }) };
        };
        return [{ ...build({}), setupRequest: build }];
      },
    },
  ];
  return scenarios;
}
