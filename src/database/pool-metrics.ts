import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics } from '../common/metrics.js';
import { poolOf } from './pool-error-listener.js';

/** Shows the connection pool's counts in the metrics (`roster_db_pool_*`). */
@Injectable()
export class PoolMetrics implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.metrics.watchPool(poolOf(this.dataSource));
  }
}
