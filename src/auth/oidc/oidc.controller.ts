import { Body, Controller, Get, Headers, HttpCode, Inject, Ip, Post, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { type AppConfig, APP_CONFIG } from '../../config/app-config.js';
import { Public } from '../../common/auth/auth.decorators.js';
import { ApiErrorResponses } from '../../common/errors/api-error-responses.decorator.js';
import { DiscoveryDto, JwksDto, OidcErrorBodyDto, TokenRequestDto, TokenResponseDto } from './dto/oidc.dto.js';
import { SCOPES } from '../../common/auth/scopes.js';
import { SigningKeysService } from '../signing-keys/signing-keys.service.js';
import type { TokenResponse } from '../tokens.service.js';
import { TokenExchangeService } from './token-exchange.service.js';

@ApiTags('OAuth 2.0')
@Public()
@Controller('oidc')
export class OidcController {
  constructor(
    private readonly tokenExchange: TokenExchangeService,
    private readonly signingKeys: SigningKeysService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('token')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Get an access token (client credentials)',
    description:
      'Authenticate the machine-to-machine application with HTTP Basic (`client_id:client_secret`) or ' +
      '`client_id` + `client_secret` fields. Tokens are valid for 3600 s. Failed requests are limited per client id ' +
      '(`TOKEN_MAX_ATTEMPTS`) and per client address (`TOKEN_FAILURES_PER_IP`); beyond either, 429 with `Retry-After`.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiResponse({
    status: 400,
    type: OidcErrorBodyDto,
    description:
      '`invalid_request` (malformed request, no or mixed client authentication; also a body that cannot be read, ' +
      "such as malformed or non-object JSON, NUL characters or nesting beyond 64 levels, with the platform's `code`), " +
      '`invalid_client` (unknown, disabled or wrong credentials), `unsupported_grant_type`, `invalid_target` ' +
      '(missing or unknown `resource`). Every 4xx of this route carries `error` and `error_description`.',
  })
  @ApiErrorResponses('request.too_many_requests')
  async token(
    @Body() body: Record<string, unknown>,
    @Headers('authorization') authorization: string | undefined,
    @Ip() clientIp: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    void reply.header('Pragma', 'no-cache');
    return this.tokenExchange.exchange(body, authorization, clientIp);
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
