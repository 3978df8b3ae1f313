import type { DataSourceOptions } from 'typeorm';
import { DeadlineClient } from './deadline-client.js';
import { CreateUsers1764295200000 } from './migrations/1764295200000-create-users.js';
import { CreateAuth1764295300000 } from './migrations/1764295300000-create-auth.js';
import { CreateLogs1764295400000 } from './migrations/1764295400000-create-logs.js';
import { CreateUserIdentities1764295500000 } from './migrations/1764295500000-create-user-identities.js';
import { CreateRateLimits1764295600000 } from './migrations/1764295600000-create-rate-limits.js';
import { UsersSearchAndCounts1764295700000 } from './migrations/1764295700000-users-search-and-counts.js';
import { UsersMillisecondTimestamps1764295800000 } from './migrations/1764295800000-users-millisecond-timestamps.js';
import { CreateRoles1764295900000 } from './migrations/1764295900000-create-roles.js';
import { RateLimitsExpiry1764296100000 } from './migrations/1764296100000-rate-limits-expiry.js';

export const MIGRATIONS = [
  CreateUsers1764295200000,
  CreateAuth1764295300000,
  CreateLogs1764295400000,
  CreateUserIdentities1764295500000,
  CreateRateLimits1764295600000,
  UsersSearchAndCounts1764295700000,
  UsersMillisecondTimestamps1764295800000,
  CreateRoles1764295900000,
  RateLimitsExpiry1764296100000,
];

/**
 * How much longer than `statement_timeout` the client waits for any answer before it gives a
 * query up. While the server is alive, its own timeout always comes first (it cancels the statement
 * and keeps the connection); the client's deadline only fires when the server does not answer at
 * all, and then the connection is discarded (see DeadlineClient).
 */
export const CLIENT_DEADLINE_MARGIN_MS = 1000;

export interface ConnectionTuning {
  /**
   * PostgreSQL `statement_timeout` for every connection of the pool; the client-side deadline of
   * every query is this plus CLIENT_DEADLINE_MARGIN_MS.
   */
  statementTimeoutMs?: number;
  poolSize?: number;
}

/**
 * The one set of TypeORM options, shared by the application and the migration CLI (ormconfig.ts).
 * No entities: the application's modules register theirs, and the hand-written migrations need none.
 */
export function buildDataSourceOptions(url: string, { statementTimeoutMs, poolSize = 10 }: ConnectionTuning = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    extra: {
      max: poolSize,
      // While the database is unreachable, fail a request after 2 s instead of queueing it forever.
      connectionTimeoutMillis: 2000,
      // Enforced by the server: cancels a slow statement and keeps the connection.
      ...(statementTimeoutMs === undefined ? {} : { statement_timeout: statementTimeoutMs }),
      // Enforced by the client: a hung server (frozen, or unreachable without a reset) answers
      // nothing, so only this ends the wait; the request then answers 503 like any outage.
      ...(statementTimeoutMs === undefined ? {} : { query_timeout: statementTimeoutMs + CLIENT_DEADLINE_MARGIN_MS }),
      Client: DeadlineClient,
    },
  };
}
