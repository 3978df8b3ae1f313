import { jest } from '@jest/globals';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { PassportModule } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import { ClsService } from 'nestjs-cls';
import { ClsService as ClsDouble } from '../../test/doubles/nestjs-cls.js';
import { Public, RequireScope } from '../common/auth/auth.decorators.js';
import { RequestError } from '../common/errors/request-error.js';
import type { Caller } from '../common/request-context.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { BearerStrategy } from './bearer.strategy.js';
import { TokensService } from './tokens.service.js';

class UsersRoutes {
  @Public()
  status(): void {}

  @RequireScope('users:read')
  list(): void {}

  @RequireScope('users:write')
  create(): void {}

  undeclared(): void {}
}

@Public()
class PublicRoutes {
  jwks(): void {}
}

type Route = { [Key in keyof UsersRoutes]: [typeof UsersRoutes, Key] }[keyof UsersRoutes] | [typeof PublicRoutes, 'jwks'];

interface FakeRequest {
  headers: Record<string, string>;
  user?: Caller;
}

const caller = (scopes: string[]): Caller => ({ applicationId: 'app-1', subject: 'app-1', scopes });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('BearerAuthGuard with the bearer strategy', () => {
  let guard: BearerAuthGuard;
  // The unit project maps nestjs-cls to this double; constructing it directly keeps its types.
  let cls: ClsDouble;
  const verify = jest.fn<TokensService['verify']>();

  beforeEach(async () => {
    verify.mockReset();
    cls = new ClsDouble();
    const moduleRef = await Test.createTestingModule({
      imports: [PassportModule],
      providers: [
        BearerStrategy,
        BearerAuthGuard,
        Reflector,
        { provide: TokensService, useValue: { verify } },
        { provide: ClsService, useValue: cls },
      ],
    }).compile();
    guard = moduleRef.get(BearerAuthGuard);
  });

  function contextFor([routes, handler]: Route, request: FakeRequest): ExecutionContextHost {
    return new ExecutionContextHost([request, {}], routes, Reflect.get(routes.prototype, handler) as () => void);
  }

  async function errorFor(route: Route, headers: Record<string, string>): Promise<RequestError | string> {
    const error = await rejection(guard.canActivate(contextFor(route, { headers })));
    return error instanceof RequestError ? error : `not a RequestError: ${String(error)}`;
  }

  async function admits(route: Route, scopes: string[]): Promise<boolean> {
    verify.mockResolvedValue(caller(scopes));
    return guard.canActivate(contextFor(route, { headers: { authorization: 'Bearer token' } })).then(
      (result) => result,
      (error: unknown) => {
        if (error instanceof RequestError && error.code === 'auth.forbidden') return false;
        throw error;
      },
    );
  }

  it('lets a public route through without a token, on the handler or the class', async () => {
    await expect(guard.canActivate(contextFor([UsersRoutes, 'status'], { headers: {} }))).resolves.toBe(true);
    await expect(guard.canActivate(contextFor([PublicRoutes, 'jwks'], { headers: {} }))).resolves.toBe(true);
    expect(verify).not.toHaveBeenCalled();
    expect(cls.get('caller')).toBeUndefined();
  });

  it('answers auth.authorization_header_missing without an Authorization header', async () => {
    expect(await errorFor([UsersRoutes, 'list'], {})).toMatchObject({ code: 'auth.authorization_header_missing', status: 401 });
    expect(verify).not.toHaveBeenCalled();
  });

  it('answers auth.authorization_token_type_not_supported to another scheme, naming Bearer', async () => {
    expect(await errorFor([UsersRoutes, 'list'], { authorization: 'Basic dXNlcjpwYXNz' })).toMatchObject({
      code: 'auth.authorization_token_type_not_supported',
      status: 401,
      data: { supportedTypes: ['Bearer'] },
    });
    expect(verify).not.toHaveBeenCalled();
  });

  it('verifies what follows "Bearer" and one separator, and keeps the code the token check answered', async () => {
    verify.mockRejectedValue(new RequestError('auth.jwt_sub_missing'));
    expect(await errorFor([UsersRoutes, 'list'], { authorization: 'Bearer abc.def.ghi' })).toMatchObject({ code: 'auth.jwt_sub_missing' });
    expect(verify).toHaveBeenCalledWith('abc.def.ghi');
  });

  it('lets an error that is not the token’s fault (a database outage) through unchanged', async () => {
    const outage = new Error('Connection terminated unexpectedly');
    verify.mockRejectedValue(outage);
    const error = await rejection(guard.canActivate(contextFor([UsersRoutes, 'list'], { headers: { authorization: 'Bearer t' } })));
    expect(error).toBe(outage);
  });

  it('answers auth.unauthorized when the strategy finds no caller', async () => {
    verify.mockResolvedValue(undefined as unknown as Caller);
    expect(await errorFor([UsersRoutes, 'list'], { authorization: 'Bearer t' })).toMatchObject({ code: 'auth.unauthorized', status: 401 });
  });

  it('answers auth.forbidden (403) to a token without the route’s scope, and stores no caller', async () => {
    verify.mockResolvedValue(caller(['users:read']));
    expect(await errorFor([UsersRoutes, 'create'], { authorization: 'Bearer t' })).toMatchObject({ code: 'auth.forbidden', status: 403 });
    expect(cls.get('caller')).toBeUndefined();
  });

  it('admits a token carrying the route’s scope, or all', async () => {
    expect(await admits([UsersRoutes, 'list'], ['users:read'])).toBe(true);
    expect(await admits([UsersRoutes, 'list'], ['logs:read', 'users:read'])).toBe(true);
    expect(await admits([UsersRoutes, 'list'], ['users:write'])).toBe(false);
    expect(await admits([UsersRoutes, 'create'], ['all'])).toBe(true);
    expect(await admits([UsersRoutes, 'list'], ['all'])).toBe(true);
  });

  it('requires all on a route that declares no scope', async () => {
    expect(await admits([UsersRoutes, 'undeclared'], ['users:read', 'users:write', 'logs:read'])).toBe(false);
    expect(await admits([UsersRoutes, 'undeclared'], ['all'])).toBe(true);
  });

  it('stores the verified caller on the request and in the request context', async () => {
    const verified = caller(['users:read']);
    verify.mockResolvedValue(verified);
    const request: FakeRequest = { headers: { authorization: 'Bearer t' } };
    await expect(guard.canActivate(contextFor([UsersRoutes, 'list'], request))).resolves.toBe(true);
    expect(request.user).toEqual(verified);
    expect(cls.get('caller')).toEqual(verified);
  });
});
