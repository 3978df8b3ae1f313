import type { DataSourceOptions } from 'typeorm';
import { Application } from '../auth/application.entity.js';
import { SigningKey } from '../auth/signing-key.entity.js';
import { User } from '../users/user.entity.js';
import { CreateUsers1764295200000 } from './migrations/1764295200000-create-users.js';
import { CreateAuth1764295300000 } from './migrations/1764295300000-create-auth.js';

export const ENTITIES = [User, Application, SigningKey];
export const MIGRATIONS = [CreateUsers1764295200000, CreateAuth1764295300000];

/** The one set of TypeORM options, shared by the application and the migration CLI (ormconfig.ts). */
export function buildDataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: 10 },
  };
}
