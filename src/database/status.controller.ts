import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiNoContentResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { RequestError } from '../common/errors/request-error.js';
import { ErrorBodyDto } from '../common/errors/error-body.dto.js';
import { Public } from '../auth/auth.decorators.js';

@ApiTags('Status')
@Public()
@Controller('status')
export class StatusController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @HttpCode(204)
  @ApiOperation({ summary: 'Readiness', description: '204 when the service can reach its database, 503 otherwise.' })
  @ApiNoContentResponse({ description: 'Ready.' })
  @ApiServiceUnavailableResponse({ type: ErrorBodyDto, description: '`service.unavailable`: the database cannot be reached.' })
  async status(): Promise<void> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch {
      throw new RequestError('service.unavailable');
    }
  }
}
