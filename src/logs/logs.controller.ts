import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireScope } from '../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { IdParam } from '../common/http/id-param.js';
import { parsePagination, setPageHeaders } from '../common/http/pagination.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { LogEntryDto } from './dto/log-entry.dto.js';
import { toLogEntry } from './log.mapper.js';
import { parseLogQuery } from './log-query.js';
import { LOG_COUNT_CAP, logNotFound, LogsService } from './logs.service.js';

const text = (description: string) => ({ required: false, description, schema: { type: 'string' } }) as const;

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
  @ApiQuery({ name: 'userId', ...text('Entries about this user (`payload.userId`).') })
  @ApiQuery({ name: 'applicationId', ...text('Entries caused by this application (`payload.applicationId`).') })
  @ApiQuery({ name: 'logKey', ...text('Exact key, e.g. `ManagementApi.User.Update`.') })
  @ApiQuery({ name: 'start_time', ...text('Inclusive lower bound on `createdAt`, epoch milliseconds.') })
  @ApiQuery({ name: 'end_time', ...text('Inclusive upper bound on `createdAt`, epoch milliseconds.') })
  @ApiQuery({ name: 'enableCap', ...text(`Accepted for compatibility; counting always stops past ${LOG_COUNT_CAP}.`) })
  @ApiQuery({ name: 'page', required: false, schema: { type: 'integer', minimum: 1 } })
  @ApiQuery({ name: 'page_size', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } })
  @ApiOkResponse({
    type: [LogEntryDto],
    headers: {
      'Total-Number': { description: `Matching entries, exact up to ${LOG_COUNT_CAP}.`, schema: { type: 'string' } },
      'Total-Number-Is-Capped': { description: '`true` when the total was capped.', schema: { type: 'string' } },
      Link: { description: 'RFC 8288 links: first, prev, next, last.', schema: { type: 'string' } },
    },
  })
  @ApiErrorResponses('guard.invalid_input', 'guard.invalid_pagination', 'log.invalid_time_window')
  async list(
    @Query() query: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LogEntryDto[]> {
    const filter = parseLogQuery(query);
    const pagination = parsePagination(query);
    const { logs, total, capped } = await this.logsService.list(filter, pagination);
    setPageHeaders(reply, request, this.config.endpoint, pagination, total, { capped });
    return logs.map(toLogEntry);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one audit log entry', description: 'Any key, including those the list hides.' })
  @ApiOkResponse({ type: LogEntryDto })
  @ApiErrorResponses('entity.not_exists_with_id')
  async get(@IdParam('id', 21, logNotFound) id: string): Promise<LogEntryDto> {
    return toLogEntry(await this.logsService.getById(id));
  }
}
