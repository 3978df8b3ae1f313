import { Inject, Injectable } from '@nestjs/common';
import { RequestError } from '../../common/errors/request-error.js';
import { Metrics } from '../../common/metrics.js';
import { type AppConfig, APP_CONFIG } from '../../config/app-config.js';
import { LogsService } from '../../logs/logs.service.js';
import { RateLimiterService } from '../../rate-limit/rate-limiter.service.js';
import { ApplicationsService } from '../applications/applications.service.js';
import { type TokenResponse, TokensService } from '../tokens.service.js';
import { OidcError } from './oidc-error.js';
import { readTokenRequest } from './token-request.js';

const TOKEN_LOG_KEY = 'ExchangeTokenBy.ClientCredentials';
const TOKEN_RATE_LIMIT_BUCKET = 'token-client';

/** What a failed token request's audit row says: the answer the client got, never internals. */
function tokenFailure(error: unknown): { message: string; code?: string } {
  if (error instanceof OidcError) return { message: error.description, code: error.code };
  if (error instanceof RequestError) return { message: error.message, code: error.code };
  return { message: 'Internal server error.' };
}

/** A failed request's `result` in `roster_token_requests_total`: the RFC 6749 error it answered, or why not. */
function tokenFailureResult(error: unknown): string {
  if (error instanceof OidcError) return error.error;
  if (error instanceof RequestError && error.code === 'request.too_many_requests') return 'rate_limited';
  return 'error';
}

/** The client-credentials grant of `POST /oidc/token`, each request audited whatever its outcome. */
@Injectable()
export class TokenExchangeService {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly tokens: TokensService,
    private readonly logs: LogsService,
    private readonly rateLimiter: RateLimiterService,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Checks, in Logto's order: the request's shape, the failure rate limit, the client's
   * credentials, the grant type and the resource; then issues a token.
   */
  async exchange(body: Record<string, unknown>, authorization: string | undefined): Promise<TokenResponse> {
    let applicationId: string | undefined;
    try {
      const request = readTokenRequest(body, authorization);
      // Only failures count (a client may fetch tokens in parallel bursts); unknown client ids are
      // counted alike, so a 429 reveals nothing about which ids exist.
      await this.rateLimiter.assertBelowLimit(TOKEN_RATE_LIMIT_BUCKET, request.clientId, this.config.tokenLimit);
      const application = await this.applications.authenticate(request.clientId, request.clientSecret);
      if (!application) {
        await this.rateLimiter.recordFailure(TOKEN_RATE_LIMIT_BUCKET, request.clientId, this.config.tokenLimit);
        throw new OidcError('invalid_client', 'client authentication failed');
      }
      applicationId = application.id;
      if (request.grantType !== 'client_credentials') {
        throw new OidcError('unsupported_grant_type', `unsupported grant_type requested (${request.grantType})`);
      }
      if (request.resource === undefined) {
        throw new OidcError('invalid_target', 'both `resource` and `organization_id` are not provided');
      }
      if (request.resource !== this.config.managementApiResource) {
        throw new OidcError('invalid_target', 'resource indicator is missing, or unknown');
      }
      const response = await this.tokens.issue(application, request.scope);
      await this.logs.record(TOKEN_LOG_KEY, { applicationId, params: body });
      this.metrics.tokenRequest('issued');
      return response;
    } catch (error) {
      this.metrics.tokenRequest(tokenFailureResult(error));
      await this.logs.record(TOKEN_LOG_KEY, { result: 'Error', applicationId, params: body, error: tokenFailure(error) });
      throw error;
    }
  }
}
