import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AllExceptionsFilter } from './common/http/exception.filter.js';
import { ShutdownState } from './common/http/shutdown.js';
import { RequestValidationPipe } from './common/http/validation.pipe.js';
import { type AppConfig, APP_CONFIG } from './config/app-config.js';
import { AuthModule } from './auth/auth.module.js';
import { DatabaseModule } from './database/database.module.js';
import { IdentitiesModule } from './identities/identities.module.js';
import { LogsModule } from './logs/logs.module.js';
import { UsersModule } from './users/users.module.js';

@Module({})
export class AppModule {
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forUrl(databaseUrl, { statementTimeoutMs: config.statementTimeoutMs }),
        AuthModule,
        LogsModule,
        UsersModule,
        IdentitiesModule,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        ShutdownState,
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
      exports: [APP_CONFIG, ShutdownState],
    };
  }
}
