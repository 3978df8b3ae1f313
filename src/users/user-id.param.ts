import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import { RequestError } from '../common/errors/request-error.js';

/** `users.id` is varchar(12): anything longer, or with a NUL PostgreSQL cannot compare, names no user. */
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be refused
const POSSIBLE_USER_ID = /^[^\u0000]{1,12}$/;

@Injectable()
export class UserIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!POSSIBLE_USER_ID.test(value)) throw new RequestError('entity.not_found');
    return value;
  }
}

/** The `:userId` path parameter; an id that cannot exist is a 404 without a database round trip. */
export const UserIdParam = (): ParameterDecorator => Param('userId', UserIdPipe);
