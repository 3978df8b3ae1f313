import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { IdParam } from '../common/http/id-param.js';
import { setPageHeaders } from '../common/http/pagination.js';
import { ApiPagedResponse } from '../common/http/pagination.decorators.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { LogEntryDto } from './dto/log-entry.dto.js';
import { toLogEntry } from './log.mapper.js';
import { ApiLogListQuery, type LogListQuery, LogListQueryParam } from './log-query.js';
import { LOG_COUNT_CAP, logNotFound, LogsService } from './logs.service.js';

@ApiTags('Audit logs')
@RequireScope('logs:read')
@Controller('logs')
export class LogsController {
  constructor(
    private readonly logsService: LogsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List audit log entries',
    description:
      'Newest first (`createdAt`, then `id`, descending). Shows the key families `ManagementApi`, `ExchangeTokenBy`, ' +
      '`RevokeToken`, `RevokeGrants`, `Interaction`, `JwtCustomizer`, `SamlApplication`, `Action` and `Unknown`. ' +
      `Counting stops past ${LOG_COUNT_CAP} entries (always, as if Logto's \`enableCap\` were set): \`Total-Number\` is then ` +
      `${LOG_COUNT_CAP + 1}, \`Total-Number-Is-Capped: true\` is set and the \`Link\` header has no \`next\` or \`last\`.`,
  })
  @ApiLogListQuery(LOG_COUNT_CAP)
  @ApiPagedResponse(LogEntryDto, { capped: true })
  @ApiErrorResponses('guard.invalid_input', 'guard.invalid_pagination', 'log.invalid_time_window')
  async list(
    @LogListQueryParam() query: LogListQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LogEntryDto[]> {
    const { logs, total, capped } = await this.logsService.list(query);
    setPageHeaders(reply, request, this.config.endpoint, query.pagination, total, { capped });
    return logs.map(toLogEntry);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one audit log entry', description: 'Any key, including those the list hides.' })
  @ApiErrorResponses('entity.not_exists_with_id')
  async get(@IdParam('id', 21, logNotFound) id: string): Promise<LogEntryDto> {
    return toLogEntry(await this.logsService.getById(id));
  }
}
