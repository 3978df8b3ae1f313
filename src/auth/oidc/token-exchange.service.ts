import { Inject, Injectable } from '@nestjs/common';
import { rateLimitAddressKey } from '../../common/client-address.js';
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
const TOKEN_IP_RATE_LIMIT_BUCKET = 'token-ip';

/** What a failed token request's audit row says: the answer the client got, never internals. */
function tokenFailure(error: unknown): { message: string; code?: string } {
  if (error instanceof OidcError) return { message: error.description, code: error.code };
  if (error instanceof RequestError) return { message: error.message, code: error.code };
  return { message: 'Internal server error.' };
}

const isRefusal = (error: unknown): boolean => error instanceof RequestError && error.code === 'request.too_many_requests';

/** A failed request's `result` in `roster_token_requests_total`: the RFC 6749 error it answered, or why not. */
function tokenFailureResult(error: unknown): string {
  if (error instanceof OidcError) return error.error;
  if (isRefusal(error)) return 'rate_limited';
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
   * Checks the client address's failure limit; then, in Logto's order: the request's shape, the
   * client id's failure limit, the client's credentials, the grant type and the resource; then
   * issues a token.
   */
  async exchange(body: Record<string, unknown>, authorization: string | undefined, clientIp: string): Promise<TokenResponse> {
    let applicationId: string | undefined;
    const address = rateLimitAddressKey(clientIp);
    try {
      // First, so that an address past its limit adds no row anywhere, whatever client id it names
      // (each new client id would otherwise add a counter row).
      await this.rateLimiter.assertBelowLimit(TOKEN_IP_RATE_LIMIT_BUCKET, address, this.config.tokenIpLimit);
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
      await this.recordFailure(error, { applicationId, params: body, address });
      throw error;
    }
  }

  /**
   * A refusal (429) costs no counter and no row of its own: the refusals of one address (an IPv6
   * /64, see `rateLimitAddressKey`) in one window are folded into one audit row. Any other failure
   * the client caused counts toward the address's limit and has its own row, so an address writes
   * at most `TOKEN_FAILURES_PER_IP` of those per window (a few more when requests race between the
   * check and the count). Outages (5xx) count toward nothing: the client did nothing wrong.
   */
  private async recordFailure(
    error: unknown,
    { applicationId, params, address }: { applicationId?: string; params: object; address: string },
  ): Promise<void> {
    const event = { result: 'Error' as const, applicationId, params, error: tokenFailure(error) };
    if (isRefusal(error)) {
      await this.logs.recordFolded(TOKEN_LOG_KEY, event, `token-refusals:${address}`, this.config.tokenIpLimit.windowSeconds);
      return;
    }
    if (error instanceof OidcError) await this.rateLimiter.recordFailure(TOKEN_IP_RATE_LIMIT_BUCKET, address, this.config.tokenIpLimit);
    await this.logs.record(TOKEN_LOG_KEY, event);
  }
}
