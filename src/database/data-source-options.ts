import type { DataSourceOptions } from 'typeorm';
import { Application } from '../auth/application.entity.js';
import { SigningKey } from '../auth/signing-key.entity.js';
import { UserIdentity } from '../identities/user-identity.entity.js';
import { Log } from '../logs/log.entity.js';
import { User } from '../users/user.entity.js';
import { CreateUsers1764295200000 } from './migrations/1764295200000-create-users.js';
import { CreateAuth1764295300000 } from './migrations/1764295300000-create-auth.js';
import { CreateLogs1764295400000 } from './migrations/1764295400000-create-logs.js';
import { CreateUserIdentities1764295500000 } from './migrations/1764295500000-create-user-identities.js';
import { CreateRateLimits1764295600000 } from './migrations/1764295600000-create-rate-limits.js';
import { UsersSearchAndCounts1764295700000 } from './migrations/1764295700000-users-search-and-counts.js';
import { UsersMillisecondTimestamps1764295800000 } from './migrations/1764295800000-users-millisecond-timestamps.js';

export const ENTITIES = [User, UserIdentity, Application, SigningKey, Log];
export const MIGRATIONS = [CreateUsers1764295200000, CreateAuth1764295300000, CreateLogs1764295400000, CreateUserIdentities1764295500000, CreateRateLimits1764295600000, UsersSearchAndCounts1764295700000, UsersMillisecondTimestamps1764295800000];

export interface ConnectionTuning {
  /** PostgreSQL `statement_timeout` for every connection of the pool. */
  statementTimeoutMs?: number;
  poolSize?: number;
}

/** The one set of TypeORM options, shared by the application and the migration CLI (ormconfig.ts). */
export function buildDataSourceOptions(url: string, { statementTimeoutMs, poolSize = 10 }: ConnectionTuning = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    extra: {
      max: poolSize,
      // While the database is unreachable, fail a request after 2 s instead of queueing it forever.
      connectionTimeoutMillis: 2000,
      ...(statementTimeoutMs === undefined ? {} : { statement_timeout: statementTimeoutMs }),
    },
  };
}
