import { Global, Module } from '@nestjs/common';
import { Metrics } from '../common/metrics.js';
import { ShutdownState } from '../common/http/shutdown.js';
import { MetricsServer } from './metrics-server.js';
import { StatusController } from './status.controller.js';

/**
 * Probes (`GET /api/status`, `GET /api/status/live`), the shutdown state readiness reports (the
 * HTTP layer reads it too), and the metrics every module records to, with their listener.
 */
@Global()
@Module({
  controllers: [StatusController],
  providers: [ShutdownState, Metrics, MetricsServer],
  exports: [ShutdownState, Metrics, MetricsServer],
})
export class HealthModule {}
