import { RequestError } from '../../common/errors/request-error.js';

/** The RFC 6749 §5.2 errors the token endpoint answers. */
export const OAUTH_ERROR_CODES = ['invalid_request', 'invalid_client', 'invalid_target', 'unsupported_grant_type'] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/**
 * A token endpoint error: RFC 6749 §5.2's `error` and `error_description`, plus the `code` and
 * `message` Logto adds so the body also reads like every other Logto error.
 */
export class OidcError extends RequestError {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(`oidc.${error}`, { interpolation: { description } });
  }

  override toBody(): Record<string, unknown> {
    return { code: this.code, message: this.message, error: this.error, error_description: this.description };
  }
}
