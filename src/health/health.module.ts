import { Global, Module } from '@nestjs/common';
import { ShutdownState } from '../common/http/shutdown.js';
import { StatusController } from './status.controller.js';

/** Readiness (`GET /api/status`) and the shutdown state it reports, which the HTTP layer also reads. */
@Global()
@Module({
  controllers: [StatusController],
  providers: [ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
