import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { type DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { IncomingMessage } from 'node:http';
import { ClsModule, type ClsService } from 'nestjs-cls';
import type { RequestContextStore } from '../common/request-context.js';
import { buildDataSourceOptions, type ConnectionTuning } from './data-source-options.js';
import { StatusController } from './status.controller.js';

/**
 * The TypeORM connection (migrations already applied by the launcher) and the transaction context:
 * services mark methods `@Transactional()` and every repository call inside joins that transaction.
 */
@Module({})
export class DatabaseModule {
  static forUrl(url: string, tuning: ConnectionTuning): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({ ...buildDataSourceOptions(url, tuning), retryAttempts: 1, retryDelay: 500 }),
        ClsModule.forRoot({
          global: true,
          // A context per request (see RequestContextStore): client address and user agent here,
          // the authenticated caller from the auth guard; audit logging reads all three.
          middleware: {
            mount: true,
            setup: (cls: ClsService<RequestContextStore>, request: IncomingMessage) => {
              cls.set('ip', request.socket.remoteAddress);
              cls.set('userAgent', request.headers['user-agent']);
            },
          },
          plugins: [
            new ClsPluginTransactional({
              imports: [TypeOrmModule],
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
      ],
      controllers: [StatusController],
    };
  }
}
