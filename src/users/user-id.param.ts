import { RequestError } from '../common/errors/request-error.js';
import { IdParam } from '../common/http/id-param.js';

/** The `:userId` path parameter (`users.id` is varchar(12)). */
export const UserIdParam = (): ParameterDecorator => IdParam('userId', 12, () => new RequestError('entity.not_found'));
