import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** TypeORM's pg pool under a data source. */
export function poolOf(dataSource: DataSource): pg.Pool {
  return (dataSource.driver as PostgresDriver).master as pg.Pool;
}

/**
 * When PostgreSQL goes away, a pooled client can emit `error` in the instant between being released
 * and being claimed by the next query (which only then attaches its own listener); an `error` event
 * without a listener kills the process. Every client gets a permanent listener, so the failure stays
 * with the request that meets it (a 503).
 */
@Injectable()
export class PoolErrorListener implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    poolOf(this.dataSource).on('connect', (client) => {
      client.on('error', (error) => this.logger.warn(`connection lost: ${error.message}`));
    });
  }
}
