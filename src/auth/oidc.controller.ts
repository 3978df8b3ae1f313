import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { RequestError } from '../common/errors/request-error.js';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';
import { LogsService } from '../logs/logs.service.js';
import { ApplicationsService } from './applications.service.js';
import { Public } from './auth.decorators.js';
import { ApiErrorResponses } from '../common/errors/api-error-responses.decorator.js';
import { DiscoveryDto, JwksDto, OidcErrorBodyDto, TokenRequestDto, TokenResponseDto } from './dto/oidc.dto.js';
import { OidcError } from './oidc-error.js';
import { SCOPES } from './scopes.js';
import { SigningKeysService } from './signing-keys.service.js';
import { readTokenRequest } from './token-request.js';
import { type TokenResponse, TokensService } from './tokens.service.js';

const TOKEN_LOG_KEY = 'ExchangeTokenBy.ClientCredentials';
const TOKEN_RATE_LIMIT_BUCKET = 'token-client';

/** What a failed token request's audit row says: the answer the client got, never internals. */
function tokenFailure(error: unknown): { message: string; code?: string } {
  if (error instanceof OidcError) return { message: error.description, code: error.code };
  if (error instanceof RequestError) return { message: error.message, code: error.code };
  return { message: 'Internal server error.' };
}

@ApiTags('OAuth 2.0')
@Public()
@Controller('oidc')
export class OidcController {
  constructor(
    private readonly applications: ApplicationsService,
    private readonly tokens: TokensService,
    private readonly signingKeys: SigningKeysService,
    private readonly logs: LogsService,
    private readonly rateLimiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Get an access token (client credentials)',
    description:
      'Authenticate the machine-to-machine application with HTTP Basic (`client_id:client_secret`) or ' +
      '`client_id` + `client_secret` fields. Tokens are valid for 3600 s.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiResponse({
    status: 400,
    type: OidcErrorBodyDto,
    description:
      '`invalid_request` (malformed request, no or mixed client authentication), `invalid_client` (unknown, ' +
      'disabled or wrong credentials), `unsupported_grant_type`, `invalid_target` (missing or unknown `resource`).',
  })
  @ApiErrorResponses('request.too_many_requests')
  async token(
    @Body() body: Record<string, unknown>,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    void reply.header('Pragma', 'no-cache');
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
      return response;
    } catch (error) {
      const failure = tokenFailure(error);
      await this.logs.record(TOKEN_LOG_KEY, { result: 'Error', applicationId, params: body, error: failure });
      throw error;
    }
  }

  /** Public keys that verify access tokens */
  @Get('jwks')
  jwks(): Promise<JwksDto> {
    return this.signingKeys.publicJwks();
  }

  /** Authorization server metadata */
  @Get('.well-known/openid-configuration')
  discovery(): DiscoveryDto {
    return {
      issuer: this.config.issuer,
      token_endpoint: `${this.config.issuer}/token`,
      jwks_uri: `${this.config.issuer}/jwks`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [...SCOPES],
      response_types_supported: [],
    };
  }
}
