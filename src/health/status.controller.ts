import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { RequestError } from '../common/errors/request-error.js';
import { ErrorBodyDto } from '../common/errors/error-body.dto.js';
import { Public } from '../common/auth/auth.decorators.js';
import { ShutdownState } from '../common/http/shutdown.js';

@ApiTags('Status')
@Public()
@Controller('status')
export class StatusController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Readiness',
    description: '204 when the service can reach its database, 503 otherwise, and 503 once it is shutting down.',
  })
  @ApiNoContentResponse({ description: 'Ready.' })
  @ApiServiceUnavailableResponse({
    type: ErrorBodyDto,
    description: '`service.unavailable`: the database cannot be reached, or the service is shutting down.',
  })
  async status(): Promise<void> {
    // Not ready once SIGTERM came, while requests are still served: load balancers stop routing here first.
    if (this.shutdown.draining) throw new RequestError('service.unavailable', { unavailableCause: 'shutting_down' });
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new RequestError('service.unavailable', { unavailableCause: 'database_unavailable' });
    }
  }

  @Get('live')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Liveness',
    description:
      '204 while the process answers HTTP, during the shutdown drain too. Touches no database: an outage of PostgreSQL ' +
      'must not get a healthy process restarted.',
  })
  @ApiNoContentResponse({ description: 'Alive.' })
  live(): void {}
}
