/**
 * A client-side ledger of writes, and the check of the database against it after a fault.
 *
 * Every user is written by one client only (its owner), one request at a time, so the order of
 * its changes is known exactly. A write that got no definite answer (no response, or a 5xx) is
 * "pending": its user takes no further writes until a verification decides whether the write
 * happened. The verification then requires, for every user:
 * - every acknowledged change present exactly as acknowledged (whole user object compared);
 * - a pending change either fully present (field and audit row) or fully absent;
 * - acknowledged deletes gone;
 * - its `ManagementApi.*` audit rows, in order, equal to the changes present, one to one;
 * and globally: no audit row or user that no request explains, and the user counter equal to count(*).
 */
import type http from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import pLimit from 'p-limit';
import { USER_KEYS, type User } from '../support/wire.js';
import { type Reply, send, sleep, withDatabase } from './support.js';
import { at } from '../support/at.js';

export type Op =
  | { kind: 'create'; username: string; primaryEmail: string; name: string; customData: Record<string, unknown>; password?: string }
  | { kind: 'patch'; name: string }
  | { kind: 'merge'; key: string; value: number }
  | { kind: 'delete' };

export interface TrackedUser {
  username: string;
  owner: number;
  create: Extract<Op, { kind: 'create' }>;
  id?: string;
  /** Last state known exactly: a create or PATCH answer, or what a verification read back. */
  known?: User;
  /** Expected custom data (a merge answers with the merged object, not the whole user). */
  customData?: Record<string, unknown>;
  /** `known.updatedAt` is still exact: no merge was acknowledged since. */
  updatedAtExact: boolean;
  deleted: boolean;
  /** Audit signatures of the changes applied so far, in order. */
  audit: string[];
  /** A write without a definite answer; no further writes until a verification resolves it. */
  pending?: Op;
  /** A verification found the create never happened: the user does not exist and never will. */
  discarded?: boolean;
}

export interface RequestRecord {
  op: Op['kind'] | 'read';
  status?: number;
  code?: string;
  error?: string;
  startedAt: number;
  ms: number;
  retryAfter?: string;
}

export function signature(op: Op): string {
  switch (op.kind) {
    case 'create':
      return 'Create';
    case 'patch':
      return `Update:name=${op.name}`;
    case 'merge':
      return `CustomData:${op.key}=${op.value}`;
    case 'delete':
      return 'Delete';
  }
}

function auditSignature(key: string, params: Record<string, unknown> | null): string {
  switch (key) {
    case 'ManagementApi.User.Create':
      return 'Create';
    case 'ManagementApi.User.Update':
      return `Update:name=${String(params?.name)}`;
    case 'ManagementApi.User.CustomData.Update': {
      const entries = Object.entries((params?.customData ?? {}) as Record<string, unknown>);
      const [only, ...others] = entries;
      return only !== undefined && others.length === 0
        ? `CustomData:${only[0]}=${String(only[1])}`
        : `CustomData:${JSON.stringify(entries)}`;
    }
    case 'ManagementApi.User.Delete':
      return 'Delete';
    default:
      return `Other:${key}`;
  }
}

export class Ledger {
  readonly users: TrackedUser[] = [];
  readonly requests: RequestRecord[] = [];
  /** Answers that contradict the request (wrong body on a 2xx, or an unexpected 4xx/500). */
  readonly unexpected: string[] = [];
  private sequence = 0;

  constructor(private readonly tag: string) {}

  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  newCreate(owner: number): Extract<Op, { kind: 'create' }> {
    const sequence = this.nextSequence();
    const username = `${this.tag}_${owner}_${sequence}`;
    return {
      kind: 'create',
      username,
      primaryEmail: `${username}@faults.example.com`,
      name: `created ${sequence}`,
      customData: { origin: username, n: sequence },
      ...(sequence % 10 === 0 ? { password: `correct horse ${sequence}` } : {}),
    };
  }

  writable(owner: number): TrackedUser[] {
    return this.users.filter((user) => user.owner === owner && user.id !== undefined && !user.deleted && !user.pending && !user.discarded);
  }

  live(): TrackedUser[] {
    return this.users.filter((user) => user.id !== undefined && !user.deleted && !user.discarded);
  }

  pendingCount(): number {
    return this.users.filter((user) => user.pending).length;
  }

  /** Applies an acknowledged answer to the model, checking that it says what the request asked. */
  acknowledge(user: TrackedUser, op: Op, body: unknown): void {
    const problem = (what: string): void => void this.unexpected.push(`${user.username} ${op.kind}: ${what}: ${JSON.stringify(body)}`);
    switch (op.kind) {
      case 'create': {
        const created = body as User;
        if (created.username !== op.username || created.name !== op.name || !isDeepStrictEqual(created.customData, op.customData)) {
          problem('answer differs');
        }
        user.id = created.id;
        user.known = created;
        user.customData = created.customData;
        user.updatedAtExact = true;
        break;
      }
      case 'patch': {
        const updated = body as User;
        if (updated.name !== op.name || updated.id !== user.id) problem('answer differs');
        user.known = updated;
        user.customData = updated.customData;
        user.updatedAtExact = true;
        break;
      }
      case 'merge': {
        const merged = body as Record<string, unknown>;
        if (merged[op.key] !== op.value || !isDeepStrictEqual(merged, { ...user.customData, [op.key]: op.value })) {
          problem('merged object differs');
        }
        user.customData = merged;
        user.updatedAtExact = false;
        break;
      }
      case 'delete':
        user.deleted = true;
        break;
    }
    user.audit.push(signature(op));
  }
}

export interface WriteLoadOptions {
  clients: number;
  /** The load runs until this returns true. */
  until: () => boolean;
  agent?: http.Agent;
  /** A client stops at its first request without a response (the server is gone). */
  stopOnConnectionError?: boolean;
  /** Pause after a non-2xx answer, as a client honouring `Retry-After` would (bounded). */
  backoffMs?: number;
  timeoutMs?: number;
}

function requestFor(user: TrackedUser, op: Op): { method: string; path: string; json?: unknown } {
  switch (op.kind) {
    case 'create': {
      const body: Record<string, unknown> = { ...op };
      delete body.kind;
      return { method: 'POST', path: '/api/users', json: body };
    }
    case 'patch':
      return { method: 'PATCH', path: `/api/users/${user.id}`, json: { name: op.name } };
    case 'merge':
      return { method: 'PATCH', path: `/api/users/${user.id}/custom-data`, json: { customData: { [op.key]: op.value } } };
    case 'delete':
      return { method: 'DELETE', path: `/api/users/${user.id}` };
  }
}

/** One writing client: creates, renames, merges custom data and deletes its own users until told to stop. */
async function writeClient(ledger: Ledger, owner: number, baseUrl: string, token: string, options: WriteLoadOptions): Promise<void> {
  const { until, agent, stopOnConnectionError = false, backoffMs = 0, timeoutMs = 10_000 } = options;
  while (!until()) {
    const own = ledger.writable(owner);
    let user: TrackedUser;
    let op: Op;
    if (own.length < 2 || Math.random() < 0.3) {
      op = ledger.newCreate(owner);
      user = { username: op.username, owner, create: op, updatedAtExact: false, deleted: false, audit: [] };
      ledger.users.push(user);
    } else {
      user = at(own, Math.floor(Math.random() * own.length));
      const draw = Math.random();
      const sequence = ledger.nextSequence();
      op =
        draw < 0.4
          ? { kind: 'patch', name: `renamed ${sequence}` }
          : draw < 0.85
            ? { kind: 'merge', key: `m${sequence}`, value: sequence }
            : { kind: 'delete' };
    }
    const { method, path, json } = requestFor(user, op);
    const reply: Reply = await send(baseUrl, method, path, { token, json, agent, timeoutMs });
    const code = (reply.body as { code?: string } | undefined)?.code;
    ledger.requests.push({
      op: op.kind,
      status: reply.status,
      code,
      error: reply.error,
      startedAt: reply.startedAt,
      ms: reply.ms,
      retryAfter: reply.headers?.['retry-after'],
    });
    if (reply.status !== undefined && reply.status >= 200 && reply.status < 300) {
      ledger.acknowledge(user, op, reply.body);
      continue;
    }
    if (reply.status !== undefined && reply.status < 500) {
      // A 4xx is a definite refusal: nothing was written. None is expected from this load.
      ledger.unexpected.push(`${user.username} ${op.kind}: ${reply.status} ${JSON.stringify(reply.body)}`);
      if (op.kind === 'create') user.discarded = true;
    } else {
      if (reply.status !== undefined && reply.status !== 503) {
        ledger.unexpected.push(`${user.username} ${op.kind}: ${reply.status} ${JSON.stringify(reply.body)}`);
      }
      user.pending = op;
    }
    if (reply.status === undefined && stopOnConnectionError) return;
    if (backoffMs > 0) await sleep(backoffMs);
  }
}

/** `clients` concurrent writing clients; resolves when all of them have stopped. */
export async function runWriteLoad(ledger: Ledger, baseUrl: string, token: string, options: WriteLoadOptions): Promise<void> {
  await Promise.all(Array.from({ length: options.clients }, (_, owner) => writeClient(ledger, owner, baseUrl, token, options)));
}

export interface ReadLoadOptions {
  clients: number;
  /** The load runs until this returns true. */
  until: () => boolean;
  agent?: http.Agent;
  timeoutMs: number;
  /** The path of a client's `round`-th read; `target` is a random live user, if there is one. */
  path: (round: number, target: TrackedUser | undefined) => string;
}

/** Readers that record every answer in the ledger's requests; after a non-200 a reader pauses briefly, as a polite client would. */
export async function runReadLoad(ledger: Ledger, baseUrl: string, token: string, options: ReadLoadOptions): Promise<void> {
  await Promise.all(
    Array.from({ length: options.clients }, async (_, reader) => {
      for (let round = 0; !options.until(); round += 1) {
        const live = ledger.live();
        const target = live[Math.floor(Math.random() * live.length)];
        const reply = await send(baseUrl, 'GET', options.path(round, target), {
          token,
          agent: options.agent,
          timeoutMs: options.timeoutMs,
        });
        ledger.requests.push({
          op: 'read',
          status: reply.status,
          code: (reply.body as { code?: string } | undefined)?.code,
          error: reply.error,
          startedAt: reply.startedAt,
          ms: reply.ms,
          retryAfter: reply.headers?.['retry-after'],
        });
        if (reply.status !== 200) await sleep(50 + reader);
      }
    }),
  );
}

export interface StatusPoll {
  status?: number;
  error?: string;
  startedAt: number;
  endedAt: number;
  ms: number;
}

/** Polls `GET /api/status` every 100 ms into `polls` until `until()` is true. */
export async function pollStatus(baseUrl: string, polls: StatusPoll[], until: () => boolean, timeoutMs: number): Promise<void> {
  while (!until()) {
    const reply = await send(baseUrl, 'GET', '/api/status', { timeoutMs });
    polls.push({ status: reply.status, error: reply.error, startedAt: reply.startedAt, endedAt: reply.endedAt, ms: reply.ms });
    await sleep(100);
  }
}

/**
 * What a fault may cost a client: every request answered within `failFastMs`; the only failure
 * answer 503 `service.unavailable` with `Retry-After: 1` (a 404 read of a user deleted meanwhile is
 * expected); `GET /api/status` answering 204 or 503, fast.
 */
export function failFastProblems(requests: RequestRecord[], polls: StatusPoll[], failFastMs: number): string[] {
  const problems: string[] = [];
  for (const entry of requests) {
    if (entry.status === undefined) problems.push(`${entry.op}: no answer (${entry.error}) after ${entry.ms} ms`);
    else if (entry.ms > failFastMs) problems.push(`${entry.op}: ${entry.status} took ${entry.ms} ms`);
    else if (entry.status >= 500 && (entry.status !== 503 || entry.code !== 'service.unavailable' || entry.retryAfter !== '1')) {
      problems.push(`${entry.op}: ${entry.status} ${entry.code} retry-after=${entry.retryAfter}`);
    } else if (entry.status >= 400 && entry.status < 500 && !(entry.op === 'read' && entry.status === 404)) {
      problems.push(`${entry.op}: ${entry.status} ${entry.code}`);
    }
  }
  for (const poll of polls) {
    if (poll.status !== 204 && poll.status !== 503) problems.push(`status: ${poll.status ?? poll.error} after ${poll.ms} ms`);
    if (poll.ms > failFastMs) problems.push(`status: ${poll.status ?? poll.error} took ${poll.ms} ms`);
  }
  return problems;
}

export interface Verification {
  problems: string[];
  users: number;
  liveUsers: number;
  deletedUsers: number;
  auditRows: number;
  /** Pending writes found applied / not applied. */
  pendingApplied: number;
  pendingNotApplied: number;
  pendingByKind: Record<string, { applied: number; notApplied: number }>;
}

interface AuditRow {
  key: string;
  user_id: string | null;
  params: Record<string, unknown> | null;
}

/** Compares a user read back with what the ledger expects; returns what differs. */
function differences(actual: User, expected: User, customData: Record<string, unknown>, updatedAtExact: boolean): string[] {
  const found: string[] = [];
  for (const key of USER_KEYS) {
    if (key === 'customData' || key === 'updatedAt') continue;
    if (!isDeepStrictEqual(actual[key], expected[key])) {
      found.push(`${key}: ${JSON.stringify(actual[key])} ≠ ${JSON.stringify(expected[key])}`);
    }
  }
  if (!isDeepStrictEqual(actual.customData, customData)) {
    found.push(`customData: ${JSON.stringify(actual.customData)} ≠ ${JSON.stringify(customData)}`);
  }
  if (updatedAtExact ? actual.updatedAt !== expected.updatedAt : actual.updatedAt < expected.updatedAt) {
    found.push(`updatedAt: ${actual.updatedAt} vs acknowledged ${expected.updatedAt}${updatedAtExact ? '' : ' (expected later or equal)'}`);
  }
  return found;
}

/**
 * Checks the service's state against the ledger (see the file comment), then resolves every pending
 * write to what was found, so the load can go on from a known state.
 */
export async function verifyLedger(ledger: Ledger, baseUrl: string, token: string, databaseUrl: string): Promise<Verification> {
  const problems: string[] = [...ledger.unexpected.splice(0)];
  const pendingByKind: Record<string, { applied: number; notApplied: number }> = {};
  const count = (kind: string, applied: boolean): void => {
    pendingByKind[kind] ??= { applied: 0, notApplied: 0 };
    pendingByKind[kind][applied ? 'applied' : 'notApplied'] += 1;
  };

  const { audit, usersByName, userCount, counter } = await withDatabase(databaseUrl, async (client) => ({
    audit: (
      await client.query<AuditRow>(
        `SELECT key, payload->>'userId' AS user_id, payload->'params' AS params FROM logs WHERE key LIKE 'ManagementApi.%' ORDER BY created_at, id`,
      )
    ).rows,
    usersByName: new Map(
      (await client.query<{ id: string; username: string }>('SELECT id, username FROM users')).rows.map((row) => [row.username, row.id]),
    ),
    userCount: Number(at((await client.query<{ total: string }>('SELECT count(*) AS total FROM users')).rows, 0).total),
    counter: Number(
      at(
        (await client.query<{ total: string }>(`SELECT coalesce(sum(count), 0) AS total FROM row_counts WHERE table_name = 'users'`)).rows,
        0,
      ).total,
    ),
  }));
  const auditByUser = new Map<string, string[]>();
  const createdUsernames = new Map<string, number>();
  for (const row of audit) {
    const list = auditByUser.get(row.user_id ?? '') ?? [];
    list.push(auditSignature(row.key, row.params));
    auditByUser.set(row.user_id ?? '', list);
    if (row.key === 'ManagementApi.User.Create') {
      const username = String(row.params?.username);
      createdUsernames.set(username, (createdUsernames.get(username) ?? 0) + 1);
    }
  }
  if (counter !== userCount) problems.push(`user counter ${counter} ≠ count(*) ${userCount}`);

  // A create without an answer: the user exists with exactly the requested fields, or nowhere.
  for (const user of ledger.users.filter((tracked) => tracked.pending?.kind === 'create')) {
    const id = usersByName.get(user.username);
    const creates = createdUsernames.get(user.username) ?? 0;
    if (id === undefined) {
      if (creates > 0) problems.push(`${user.username}: unacknowledged create left ${creates} Create audit row(s) but no user`);
      user.discarded = true;
      user.pending = undefined;
      count('create', false);
    } else {
      user.id = id;
      user.audit = [];
      count('create', true);
    }
  }

  const tracked = ledger.users.filter((user) => user.id !== undefined && !user.discarded);
  const trackedIds = new Set(tracked.map((user) => user.id!));
  const limit = pLimit(16);
  const reads = await Promise.all(
    tracked.map((user) => limit(() => send<User>(baseUrl, 'GET', `/api/users/${user.id}`, { token, timeoutMs: 15_000 }))),
  );
  let liveUsers = 0;
  tracked.forEach((user, index) => {
    const reply = at(reads, index);
    const actualAudit = auditByUser.get(user.id!) ?? [];
    const label = `${user.username} (${user.id})`;
    if (reply.status !== 200 && reply.status !== 404) {
      problems.push(`${label}: read back answered ${reply.status ?? reply.error}`);
      return;
    }
    const exists = reply.status === 200;
    const actual = reply.body as User;
    const pending = user.pending;

    if (pending?.kind === 'create') {
      // Applied (found by username): every field as requested, one Create row.
      const { create } = user;
      const fields = {
        username: actual?.username,
        primaryEmail: actual?.primaryEmail,
        name: actual?.name,
        customData: actual?.customData,
        hasPassword: actual?.hasPassword,
      };
      const wanted = {
        username: create.username,
        primaryEmail: create.primaryEmail,
        name: create.name,
        customData: create.customData,
        hasPassword: create.password !== undefined,
      };
      if (!exists || !isDeepStrictEqual(fields, wanted)) {
        problems.push(`${label}: unacknowledged create is partial: ${JSON.stringify(fields)} ≠ ${JSON.stringify(wanted)}`);
      }
      if (!isDeepStrictEqual(actualAudit, ['Create'])) {
        problems.push(`${label}: unacknowledged create has audit ${JSON.stringify(actualAudit)}`);
      }
    } else if (user.deleted) {
      if (exists) problems.push(`${label}: acknowledged delete, but the user is back: ${JSON.stringify(actual)}`);
      if (!isDeepStrictEqual(actualAudit, user.audit)) {
        problems.push(`${label}: audit ${JSON.stringify(actualAudit)} ≠ ${JSON.stringify(user.audit)}`);
      }
    } else {
      const expected = user.known!;
      const customData = user.customData!;
      const base = exists ? differences(actual, expected, customData, user.updatedAtExact) : ['missing'];
      let applied: boolean | undefined;
      let afterPending: string[] = ['no pending write'];
      if (pending?.kind === 'patch') {
        afterPending = exists ? differences(actual, { ...expected, name: pending.name }, customData, false) : ['missing'];
        if (exists && afterPending.length === 0 && actual.updatedAt <= expected.updatedAt) afterPending = ['updatedAt did not move'];
      } else if (pending?.kind === 'merge') {
        afterPending = exists ? differences(actual, expected, { ...customData, [pending.key]: pending.value }, false) : ['missing'];
      } else if (pending?.kind === 'delete') {
        afterPending = exists ? ['still exists'] : [];
      }
      if (base.length === 0) applied = false;
      else if (afterPending.length === 0) applied = true;
      const expectedAudit = applied ? [...user.audit, signature(pending!)] : user.audit;
      if (applied === undefined) {
        problems.push(
          `${label}: state matches neither the acknowledged writes (${base.join('; ')})${pending ? ` nor them plus the unacknowledged ${pending.kind} (${afterPending.join('; ')})` : ''}`,
        );
      } else if (!isDeepStrictEqual(actualAudit, expectedAudit)) {
        problems.push(`${label}: audit ${JSON.stringify(actualAudit)} ≠ changes present ${JSON.stringify(expectedAudit)}`);
      }
      if (pending && applied !== undefined) count(pending.kind, applied);
    }

    // Continue from what is there now.
    user.pending = undefined;
    user.audit = actualAudit;
    if (exists) {
      liveUsers += 1;
      user.deleted = false;
      user.known = actual;
      user.customData = actual.customData;
      user.updatedAtExact = true;
    } else {
      user.deleted = true;
    }
  });

  const strayRows = [...auditByUser].filter(([userId]) => !trackedIds.has(userId)).map(([userId, rows]) => `${userId}: ${rows.join(',')}`);
  if (strayRows.length > 0) problems.push(`audit rows of no tracked user: ${strayRows.slice(0, 10).join(' | ')} (${strayRows.length})`);
  const strayUsers = [...usersByName].filter(([, id]) => !trackedIds.has(id)).map(([name, id]) => `${name} (${id})`);
  if (strayUsers.length > 0) problems.push(`users no request explains: ${strayUsers.slice(0, 10).join(', ')} (${strayUsers.length})`);
  if (liveUsers !== userCount) problems.push(`${liveUsers} users read back, but the table holds ${userCount}`);

  const applied = Object.values(pendingByKind).reduce((sum, entry) => sum + entry.applied, 0);
  const notApplied = Object.values(pendingByKind).reduce((sum, entry) => sum + entry.notApplied, 0);
  return {
    problems,
    users: tracked.length,
    liveUsers,
    deletedUsers: tracked.length - liveUsers,
    auditRows: audit.length,
    pendingApplied: applied,
    pendingNotApplied: notApplied,
    pendingByKind,
  };
}
