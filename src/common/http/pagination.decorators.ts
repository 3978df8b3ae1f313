import { applyDecorators, type Type } from '@nestjs/common';
import { ApiOkResponse, ApiQuery } from '@nestjs/swagger';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './pagination.js';

/** Documents `page` and `page_size`, the parameters `parsePagination` reads. */
export function ApiPagination(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'page', required: false, description: '1-based page number (default 1).', schema: { type: 'integer', minimum: 1 } }),
    ApiQuery({
      name: 'page_size',
      required: false,
      description: `Page size (default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}).`,
      schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
    }),
  );
}

/**
 * Documents a 200 that answers a page of `type` with the headers `setPageHeaders` writes;
 * `capped` when the route stops counting past a cap.
 */
export function ApiPagedResponse(type: Type<unknown>, { capped }: { capped: boolean }): MethodDecorator {
  const cappedHeader = {
    'Total-Number-Is-Capped': {
      description: '`true` when counting stopped at the cap: `Total-Number` is then the cap plus one, and no `last` link is given.',
      schema: { type: 'string' },
    },
  };
  return ApiOkResponse({
    type: [type],
    headers: {
      'Total-Number': { description: 'Number of matching items (not of pages).', schema: { type: 'string' } },
      ...(capped ? cappedHeader : {}),
      Link: { description: 'RFC 8288 links with rel `first`, `prev`, `next` and `last`, as absolute URLs.', schema: { type: 'string' } },
    },
  });
}
