import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { AuthModule } from './auth/auth.module.js';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter.js';
import { RequestValidationPipe } from './common/http/validation.pipe.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { HousekeepingModule } from './housekeeping/housekeeping.module.js';
import { IdentitiesModule } from './identities/identities.module.js';
import { LogsModule } from './logs/logs.module.js';
import { RolesModule } from './roles/roles.module.js';
import { UsersModule } from './users/users.module.js';

/** Wires configuration, the request context, the database and the feature modules; global pipe and filter. */
@Module({})
export class AppModule {
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forConfig(config),
        // The request context (caller, client address, user agent), filled by the request hooks and the guard.
        ClsModule.forRoot({ global: true }),
        DatabaseModule.forUrl(databaseUrl, { statementTimeoutMs: config.statementTimeoutMs }),
        HealthModule,
        AuthModule,
        LogsModule,
        UsersModule,
        RolesModule,
        IdentitiesModule,
        HousekeepingModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
