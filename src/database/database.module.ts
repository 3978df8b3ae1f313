import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { type DynamicModule, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { buildDataSourceOptions, type ConnectionTuning } from './data-source-options.js';
import { PoolErrorListener } from './pool-error-listener.js';
import { PoolMetrics } from './pool-metrics.js';

/**
 * The TypeORM connection (migrations already applied by the launcher) and the transaction context:
 * services mark methods `@Transactional()` and every repository call inside joins that transaction.
 * Each feature module registers its own entities (`TypeOrmModule.forFeature`); they are collected
 * here by `autoLoadEntities`, so this module knows no feature.
 */
@Module({})
export class DatabaseModule {
  static forUrl(url: string, tuning: ConnectionTuning): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({ ...buildDataSourceOptions(url, tuning), autoLoadEntities: true, retryAttempts: 1, retryDelay: 500 }),
        ClsModule.registerPlugins([
          new ClsPluginTransactional({
            imports: [TypeOrmModule],
            adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
          }),
        ]),
      ],
      providers: [PoolErrorListener, PoolMetrics],
    };
  }
}
