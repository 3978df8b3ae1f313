import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { ErrorBodyDto } from './error-body.dto.js';

/**
 * Documents the error answers of a route from the codes it can raise, grouped by status, so the
 * OpenAPI document lists exactly the codes the handler uses.
 */
export function ApiErrorResponses(...codes: ErrorCode[]): MethodDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const { status } = ERROR_CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        type: ErrorBodyDto,
        description: statusCodes.map((code) => `\`${code}\`: ${ERROR_CODES[code].message}`).join('<br>'),
      }),
    ),
  );
}
