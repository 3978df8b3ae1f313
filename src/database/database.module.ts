import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { type DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { buildDataSourceOptions, type ConnectionTuning } from './data-source-options.js';
import { PoolErrorGuard } from './pool-error-guard.js';
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
          plugins: [
            new ClsPluginTransactional({
              imports: [TypeOrmModule],
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
      ],
      controllers: [StatusController],
      providers: [PoolErrorGuard],
    };
  }
}
