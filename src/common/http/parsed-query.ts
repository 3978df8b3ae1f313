import { Query } from '@nestjs/common';

/**
 * The whole URL query, handed to the handler only as `parse` types it. It stays a `@Query()`
 * parameter, so the global pipe's checks on query values run first, as for any other query.
 */
export function ParsedQuery<T>(parse: (query: Record<string, unknown>) => T): ParameterDecorator {
  return Query({ transform: parse });
}
