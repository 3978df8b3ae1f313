import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ClsService } from 'nestjs-cls';
import { RequestError } from '../common/errors/request-error.js';
import { IS_PUBLIC_KEY, REQUIRED_SCOPE_KEY } from '../common/auth/auth.decorators.js';
import type { Caller, RequestContextStore } from '../common/request-context.js';
import { grantsAccess, type Scope } from '../common/auth/scopes.js';

/**
 * The one global guard: every route needs a valid bearer token unless marked `@Public()`, and the
 * token must carry the route's `@RequireScope` (routes that declare none need `all`). Guards run
 * before pipes, so a request without a token is a 401 before any validation or lookup.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') {
  constructor(
    private readonly reflector: Reflector,
    private readonly cls: ClsService<RequestContextStore>,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    await super.canActivate(context);
    const caller = context.switchToHttp().getRequest<FastifyRequest & { user: Caller }>().user;
    const required = this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE_KEY, targets) ?? 'all';
    if (!grantsAccess(caller.scopes, required)) throw new RequestError('auth.forbidden');
    this.cls.set('caller', caller);
    return true;
  }

  /** Errors thrown by the strategy already carry the right Logto code; keep them. */
  override handleRequest<TUser = Caller>(error: unknown, user: TUser | false): TUser {
    if (error) throw error instanceof Error ? error : new RequestError('auth.unauthorized');
    if (!user) throw new RequestError('auth.unauthorized');
    return user;
  }
}
