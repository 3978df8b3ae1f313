import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { randomUUID } from 'node:crypto';
import { RequestError } from '../common/errors/request-error.js';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import type { Application } from './applications/application.entity.js';
import { ApplicationsService } from './applications/applications.service.js';
import type { Caller } from '../common/request-context.js';
import { ACCESS_TOKEN_TTL_SECONDS, SIGNING_ALGORITHM, SigningKeysService } from './signing-keys/signing-keys.service.js';

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  /** Omitted when no requested scope was granted, as Logto does. */
  scope?: string;
}

/**
 * Requested scopes intersected with the application's. Without a `scope` parameter the
 * application gets all of its scopes (RFC 6749 §3.3 lets the server choose a default).
 */
function grantedScopes(application: Application, requestedScope: string | undefined): string[] {
  if (requestedScope === undefined) return application.scopes;
  const requested = new Set(requestedScope.split(' ').filter(Boolean));
  return application.scopes.filter((scope) => requested.has(scope));
}

/**
 * Whether a failed token check is the token's fault (401): jose's own errors, or the unknown-key
 * answer of the key lookup. Anything else, such as a key lookup that could not reach the database,
 * is not the client's mistake and must reach the exception filter (503).
 */
export function isTokenRejection(error: unknown): boolean {
  return error instanceof errors.JOSEError || error instanceof RequestError;
}

/**
 * A signature check costs a few hundred microseconds; clients reuse one token for an hour. Verified
 * tokens are remembered until their `exp` (bounded, least recently used evicted first). The `exp` is
 * compared with the wall clock, as jose compares it, rather than turned into a cache TTL on a
 * monotonic clock. Only the signature and claims are cached: whether the application is still enabled is checked on every request
 * (`ApplicationsService.isActive`).
 */
const MAX_CACHED_TOKENS = 10_000;

@Injectable()
export class TokensService {
  private readonly verifiedTokens = new LRUCache<string, { caller: Caller; expiresAt: number }>({ max: MAX_CACHED_TOKENS });

  constructor(
    private readonly signingKeys: SigningKeysService,
    private readonly applications: ApplicationsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** An RFC 9068 access token for the Management API, signed with the active key. */
  async issue(application: Application, requestedScope: string | undefined): Promise<TokenResponse> {
    const scopes = grantedScopes(application, requestedScope);
    const scope = scopes.length > 0 ? scopes.join(' ') : undefined;
    const { kid, privateKey } = await this.signingKeys.activeSigningKey();
    const accessToken = await new SignJWT({ client_id: application.id, ...(scope ? { scope } : {}) })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: 'at+jwt', kid })
      .setJti(randomUUID())
      .setSubject(application.id)
      .setIssuer(this.config.issuer)
      .setAudience(this.config.managementApiResource)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
      .sign(privateKey);
    return { access_token: accessToken, expires_in: ACCESS_TOKEN_TTL_SECONDS, token_type: 'Bearer', ...(scope ? { scope } : {}) };
  }

  /**
   * Checks signature (against the stored keys), issuer, audience, expiry and not-before with no clock
   * tolerance, then that the application is still enabled. Any failure of the token is 401
   * `auth.unauthorized`.
   */
  async verify(token: string): Promise<Caller> {
    const cached = this.verifiedTokens.get(token);
    const caller = cached && cached.expiresAt > Date.now() ? cached.caller : await this.verifySignatureAndClaims(token);
    if (!(await this.applications.isActive(caller.applicationId))) throw new RequestError('auth.unauthorized');
    return caller;
  }

  private async verifySignatureAndClaims(token: string): Promise<Caller> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.signingKeys.verificationKey(header.kid), {
        issuer: this.config.issuer,
        audience: this.config.managementApiResource,
        algorithms: [SIGNING_ALGORITHM],
        typ: 'at+jwt',
        // jose checks exp only when present; a token that never expires is not one we issue.
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      if (isTokenRejection(error)) throw new RequestError('auth.unauthorized');
      throw error;
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') throw new RequestError('auth.jwt_sub_missing');
    if (payload.scope !== undefined && typeof payload.scope !== 'string') throw new RequestError('auth.unauthorized');
    const applicationId = typeof payload.client_id === 'string' ? payload.client_id : payload.sub;
    const caller = { applicationId, subject: payload.sub, scopes: payload.scope?.split(' ').filter(Boolean) ?? [] };
    if (payload.exp !== undefined) this.verifiedTokens.set(token, { caller, expiresAt: payload.exp * 1000 });
    return caller;
  }
}
