import { Param, type PipeTransform } from '@nestjs/common';
import type { RequestError } from '../errors/request-error.js';

/**
 * A path id that cannot exist (longer than its column, empty, or holding a NUL that PostgreSQL
 * cannot even compare) is answered as "not found" without a database round trip.
 */
class IdShapePipe implements PipeTransform<string, string> {
  constructor(
    private readonly maxLength: number,
    private readonly notFound: (id: string) => RequestError,
  ) {}

  transform(value: string): string {
    if (value.length === 0 || value.length > this.maxLength || value.includes('\u0000')) throw this.notFound(value);
    return value;
  }
}

export function IdParam(name: string, maxLength: number, notFound: (id: string) => RequestError): ParameterDecorator {
  return Param(name, new IdShapePipe(maxLength, notFound));
}
