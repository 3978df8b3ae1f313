import { ApiProperty, OmitType } from '@nestjs/swagger';
import { OAUTH_ERROR_CODES, type OAuthErrorCode } from '../oidc-error.js';
import { ErrorBodyDto } from '../../../common/errors/error-body.dto.js';
/** `POST /oidc/token` form (or JSON) fields. Client credentials go here or in an HTTP Basic header. */
export class TokenRequestDto {
  /** Only `client_credentials`; any other value is `unsupported_grant_type`. */
  @ApiProperty({ enum: ['client_credentials'] })
  grant_type!: string;
  /** With `client_secret`, when not using HTTP Basic. */
  client_id?: string;
  client_secret?: string;
  /** Must be the Management API indicator (`MANAGEMENT_API_RESOURCE`, by default `https://default.logto.app/api`). */
  resource!: string;
  /** Space-separated: `all`, `users:read`, `users:write`, `logs:read`, `roles:read`, `roles:write`, `resources:read`, `resources:write`. Intersected with the application's scopes; all of them when omitted. */
  scope?: string;
}

export class TokenResponseDto {
  /** A JWT (`typ: at+jwt`, ES384). */
  access_token!: string;
  /** Seconds: 3600. */
  expires_in!: number;
  token_type!: string;
  /** The granted scopes; absent when none was granted. */
  scope?: string;
}

/**
 * Every 4xx of the token endpoint: RFC 6749 §5.2's `error` and `error_description`, with Logto's
 * `code` and `message`.
 */
export class OidcErrorBodyDto extends OmitType(ErrorBodyDto, ['code'] as const) {
  /** `oidc.<error>` from the token exchange; the platform's code (e.g. `guard.invalid_input`, `request.too_many_requests`) when another layer refused the request; absent for malformed JSON. */
  code?: string;
  /** `invalid_request` for every refusal before the exchange (body, content type, rate limit). */
  @ApiProperty({ enum: OAUTH_ERROR_CODES })
  error!: OAuthErrorCode;
  /** The same text as `message`. */
  error_description!: string;
}

export class JwksDto {
  /** Public JWKs (EC P-384), including retired keys whose tokens may still be valid. */
  keys!: Record<string, unknown>[];
}

export class DiscoveryDto {
  issuer!: string;
  token_endpoint!: string;
  jwks_uri!: string;
  grant_types_supported!: string[];
  token_endpoint_auth_methods_supported!: string[];
  scopes_supported!: string[];
  response_types_supported!: string[];
}
