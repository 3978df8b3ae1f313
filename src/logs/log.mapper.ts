import type { LogEntryDto } from './dto/log-entry.dto.js';
import type { Log } from './log.entity.js';

export function toLogEntry(log: Log): LogEntryDto {
  return { tenantId: 'default', id: log.id, key: log.key, payload: log.payload, createdAt: log.createdAt.getTime() };
}
