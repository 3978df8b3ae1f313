import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, type JWTHeaderParameters, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { RequestError } from '../common/errors/request-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Application } from './applications/application.entity.js';
import { ApplicationsService } from './applications/applications.service.js';
import { ACCESS_TOKEN_TTL_SECONDS, SigningKeysService } from './signing-keys/signing-keys.service.js';
import { isTokenRejection, TokensService } from './tokens.service.js';

describe('isTokenRejection', () => {
  async function verifyError(token: string, key: Parameters<typeof jwtVerify>[1]): Promise<unknown> {
    return jwtVerify(token, key).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('rejects what jose finds wrong with a token', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    const { publicKey: otherKey } = await generateKeyPair('ES384');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES384' }).setExpirationTime('1h').sign(privateKey);
    expect(isTokenRejection(await verifyError(token, otherKey))).toBe(true);
    expect(isTokenRejection(await verifyError('not.a.jwt', otherKey))).toBe(true);
  });

  it("rejects the key lookup's unknown-kid answer", () => {
    expect(isTokenRejection(new RequestError('auth.unauthorized'))).toBe(true);
  });

  it('lets a database failure of the key lookup through (it answers 503, not 401)', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: 'k' }).sign(privateKey);
    const outage = new Error('Connection terminated unexpectedly');
    const error = await verifyError(token, () => Promise.reject(outage));
    expect(error).toBe(outage);
    expect(isTokenRejection(error)).toBe(false);
  });
});

const ISSUER = 'https://roster.test/oidc';
const RESOURCE = 'https://default.logto.app/api';
const KID = 'kid-1';
const NOW = Date.UTC(2030, 0, 1, 12);

function application(id: string, scopes: string[]): Application {
  return { id, name: id, secretHash: 'unused', scopes, isDisabled: false, createdAt: new Date(NOW), updatedAt: new Date(NOW) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await rejection(promise);
  return error instanceof RequestError ? error.code : `not a RequestError: ${String(error)}`;
}

describe('TokensService', () => {
  let keyPair: Awaited<ReturnType<typeof generateKeyPair>>;
  let tokens: TokensService;
  const activeSigningKey = jest.fn<SigningKeysService['activeSigningKey']>();
  const verificationKey = jest.fn<SigningKeysService['verificationKey']>();
  const isActive = jest.fn<ApplicationsService['isActive']>();

  beforeAll(async () => {
    keyPair = await generateKeyPair('ES384');
  });

  beforeEach(async () => {
    // Only the clock is faked: jose's WebCrypto calls resolve through Node's own queues.
    jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    activeSigningKey.mockReset().mockResolvedValue({ kid: KID, privateKey: keyPair.privateKey });
    verificationKey.mockReset().mockImplementation((kid) => {
      if (kid !== KID) return Promise.reject(new RequestError('auth.unauthorized'));
      return Promise.resolve(keyPair.publicKey);
    });
    isActive.mockReset().mockResolvedValue(true);
    const moduleRef = await Test.createTestingModule({
      providers: [
        TokensService,
        { provide: SigningKeysService, useValue: { activeSigningKey, verificationKey } },
        { provide: ApplicationsService, useValue: { isActive } },
        { provide: APP_CONFIG, useValue: { issuer: ISSUER, managementApiResource: RESOURCE } as AppConfig },
      ],
    }).compile();
    tokens = moduleRef.get(TokensService);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  /** A token signed with the service's key, with claims of the caller's choosing. */
  function signed(claims: JWTPayload, header: Partial<JWTHeaderParameters> = {}): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: KID, ...header }).sign(keyPair.privateKey);
  }

  const validClaims = (): JWTPayload => ({
    sub: 'app-1',
    client_id: 'app-1',
    iss: ISSUER,
    aud: RESOURCE,
    scope: 'all',
    iat: Math.floor(NOW / 1000),
    exp: Math.floor(NOW / 1000) + 60,
  });

  it('issues a token that verifies as its application, with the granted scopes', async () => {
    const issued = await tokens.issue(application('app-1', ['users:read', 'logs:read']), 'users:read all');
    expect({ ...issued, access_token: typeof issued.access_token }).toEqual({
      access_token: 'string',
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      token_type: 'Bearer',
      scope: 'users:read',
    });
    expect(decodeProtectedHeader(issued.access_token)).toEqual({ alg: 'ES384', typ: 'at+jwt', kid: KID });
    expect(decodeJwt(issued.access_token)).toMatchObject({
      sub: 'app-1',
      client_id: 'app-1',
      iss: ISSUER,
      aud: RESOURCE,
      iat: NOW / 1000,
      exp: NOW / 1000 + ACCESS_TOKEN_TTL_SECONDS,
    });

    await expect(tokens.verify(issued.access_token)).resolves.toEqual({ applicationId: 'app-1', subject: 'app-1', scopes: ['users:read'] });
    expect(verificationKey).toHaveBeenCalledWith(KID);
    expect(isActive).toHaveBeenCalledWith('app-1');
  });

  it('grants every scope of the application without a scope parameter, and omits scope when none is granted', async () => {
    const all = await tokens.issue(application('app-1', ['users:read', 'logs:read']), undefined);
    expect(all.scope).toBe('users:read logs:read');
    const none = await tokens.issue(application('app-1', ['users:read']), 'logs:read');
    expect('scope' in none).toBe(false);
    expect('scope' in decodeJwt(none.access_token)).toBe(false);
    await expect(tokens.verify(none.access_token)).resolves.toEqual({ applicationId: 'app-1', subject: 'app-1', scopes: [] });
  });

  it('checks the signature once and answers the same token from its cache afterwards', async () => {
    const token = await signed(validClaims());
    const first = await tokens.verify(token);
    await expect(tokens.verify(token)).resolves.toEqual(first);
    expect(verificationKey).toHaveBeenCalledTimes(1);
    expect(isActive).toHaveBeenCalledTimes(2);
  });

  // Replaces the e2e test that waited out a real 3-second exp (test/scale-correctness.e2e-spec.ts).
  it('stops accepting a cached token once its exp has passed', async () => {
    const token = await signed(validClaims());
    await tokens.verify(token);
    jest.setSystemTime(NOW + 59_999);
    await expect(tokens.verify(token)).resolves.toMatchObject({ applicationId: 'app-1' });
    expect(verificationKey).toHaveBeenCalledTimes(1); // still from the cache
    jest.setSystemTime(NOW + 60_000);
    expect(await codeOf(tokens.verify(token))).toBe('auth.unauthorized');
    expect(await codeOf(tokens.verify(token))).toBe('auth.unauthorized');
  });

  it('rejects a cached token once its application is disabled, and accepts it again once enabled', async () => {
    const token = await signed(validClaims());
    await tokens.verify(token);
    isActive.mockResolvedValue(false);
    expect(await codeOf(tokens.verify(token))).toBe('auth.unauthorized');
    isActive.mockResolvedValue(true);
    await expect(tokens.verify(token)).resolves.toMatchObject({ applicationId: 'app-1' });
    expect(verificationKey).toHaveBeenCalledTimes(1); // the signature check was cached throughout
  });

  it('lets a key lookup that failed for another reason than the token (a database outage) through', async () => {
    const outage = new Error('Connection terminated unexpectedly');
    verificationKey.mockRejectedValue(outage);
    expect(await rejection(tokens.verify(await signed(validClaims())))).toBe(outage);
    expect(isActive).not.toHaveBeenCalled();
  });

  it('answers auth.unauthorized for an unknown kid, a foreign signature, a wrong issuer, audience or type, an early token or a non-string scope', async () => {
    const { privateKey: foreignKey } = await generateKeyPair('ES384');
    const foreign = await new SignJWT(validClaims()).setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: KID }).sign(foreignKey);
    const cases = [
      await signed(validClaims(), { kid: 'unknown' }),
      foreign,
      await signed({ ...validClaims(), iss: 'https://elsewhere.test/oidc' }),
      await signed({ ...validClaims(), aud: 'https://elsewhere.test/api' }),
      await signed(validClaims(), { typ: 'JWT' }),
      await signed({ ...validClaims(), nbf: Math.floor(NOW / 1000) + 1 }),
      await signed({ ...validClaims(), scope: ['all'] }),
      'not.a.jwt',
    ];
    const codes: (string | undefined)[] = [];
    for (const token of cases) codes.push(await codeOf(tokens.verify(token)));
    expect(codes).toEqual(cases.map(() => 'auth.unauthorized'));
    expect(isActive).not.toHaveBeenCalled();
  });

  it('answers auth.unauthorized for a token without exp, even one signed with our key', async () => {
    const withoutExp = validClaims();
    delete withoutExp.exp;
    expect(await codeOf(tokens.verify(await signed(withoutExp)))).toBe('auth.unauthorized');
  });

  it('answers auth.jwt_sub_missing for a token without a subject', async () => {
    const withoutSub = validClaims();
    delete withoutSub.sub;
    expect(await codeOf(tokens.verify(await signed(withoutSub)))).toBe('auth.jwt_sub_missing');
    expect(await codeOf(tokens.verify(await signed({ ...validClaims(), sub: '' })))).toBe('auth.jwt_sub_missing');
  });

  it('takes the application from client_id, or from sub when there is none', async () => {
    const withoutClientId = validClaims();
    delete withoutClientId.client_id;
    await expect(tokens.verify(await signed({ ...withoutClientId, sub: 'app-2', scope: 'users:read  logs:read' }))).resolves.toEqual({
      applicationId: 'app-2',
      subject: 'app-2',
      scopes: ['users:read', 'logs:read'],
    });
    expect(isActive).toHaveBeenCalledWith('app-2');
    await expect(tokens.verify(await signed({ ...validClaims(), client_id: 'app-3', sub: 'someone' }))).resolves.toEqual({
      applicationId: 'app-3',
      subject: 'someone',
      scopes: ['all'],
    });
    expect(isActive).toHaveBeenLastCalledWith('app-3');
  });
});
