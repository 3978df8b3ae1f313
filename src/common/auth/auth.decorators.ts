import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { ApiErrorResponses } from '../errors/api-error-responses.decorator.js';
import { ErrorBodyDto } from '../errors/error-body.dto.js';
import type { Scope } from './scopes.js';

export const IS_PUBLIC_KEY = 'roster:public';
export const REQUIRED_SCOPE_KEY = 'roster:required-scope';
export const BEARER_SECURITY_NAME = 'bearer';

/** Opens a route to callers without a token. Only status, discovery, JWKS and the token endpoint. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * The scope a route needs (`all` always suffices). Put it on each handler, not on the class: the
 * OpenAPI parts would otherwise be declared twice where a handler narrows the class's scope. The same decorator documents the bearer
 * requirement and the 401/403 answers in OpenAPI, so docs and enforcement cannot drift apart.
 */
export function RequireScope(scope: Scope): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPE_KEY, scope),
    ApiBearerAuth(BEARER_SECURITY_NAME),
    ApiErrorResponses(
      'auth.authorization_header_missing',
      'auth.authorization_token_type_not_supported',
      'auth.unauthorized',
      'auth.jwt_sub_missing',
    ),
    ApiResponse({
      status: 403,
      type: ErrorBodyDto,
      description: `\`auth.forbidden\`: the token lacks the \`${scope}\` scope (or \`all\`).`,
    }),
  );
}
