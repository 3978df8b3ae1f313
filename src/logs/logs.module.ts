import { Module } from '@nestjs/common';
import { LogsController } from './logs.controller.js';
import { LogsRepository } from './logs.repository.js';
import { LogsService } from './logs.service.js';

/** The audit log: written by the other modules through `LogsService.record`, read by admins. */
@Module({
  controllers: [LogsController],
  providers: [LogsService, LogsRepository],
  exports: [LogsService],
})
export class LogsModule {}
