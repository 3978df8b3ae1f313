/**
 * Logto's error codes that Roster answers with: HTTP status and English message template.
 * `{{name}}` placeholders are filled from the error's interpolation values; unfilled ones render empty.
 */
export const ERROR_CODES = {
  'guard.invalid_input': { status: 400, message: 'The request {{type}} is invalid.' },
  'guard.invalid_pagination': { status: 400, message: 'The request pagination value is invalid.' },
  'request.invalid_input': { status: 400, message: 'Input is invalid. {{details}}' },
  'request.entity_too_large': { status: 413, message: 'The request body is larger than the limit of {{limit}}.' },
  'request.unsupported_media_type': { status: 415, message: 'The content type {{contentType}} is not supported.' },
  'request.route_not_found': { status: 404, message: 'The requested route does not exist.' },
  'request.method_not_allowed': { status: 405, message: 'The method is not allowed for this route.' },
  'entity.not_found': { status: 404, message: 'The resource does not exist.' },
  'entity.not_exists_with_id': { status: 404, message: 'The {{name}} with ID `{{id}}` does not exist.' },
  'entity.invalid_input': { status: 422, message: 'Invalid input. Value list must not be empty.' },
  'entity.value_too_long': { status: 422, message: 'The length of value is too long and exceeds the limit.' },
  'user.username_already_in_use': { status: 422, message: 'This username is already in use.' },
  'user.email_already_in_use': { status: 422, message: 'This email is associated with an existing account.' },
  'user.phone_already_in_use': { status: 422, message: 'This phone number is associated with an existing account.' },
  'user.invalid_phone': { status: 422, message: 'Invalid phone number.' },
  'user.identity_not_exist': { status: 404, message: 'The social account has not been registered yet.' },
  'user.identity_already_in_use': { status: 422, message: 'The social account has been associated with an existing account.' },
  'log.invalid_time_window': { status: 400, message: '`end_time` must be after `start_time`.' },
  'user.password_and_digest': { status: 400, message: 'You cannot set both plain text password and password digest.' },
  'user.password_algorithm_required': { status: 400, message: 'Password algorithm is required.' },
  'auth.authorization_header_missing': { status: 401, message: 'Authorization header is missing.' },
  'auth.authorization_token_type_not_supported': { status: 401, message: 'Authorization type is not supported.' },
  'auth.unauthorized': { status: 401, message: 'Unauthorized. Please check credentials and its scope.' },
  'auth.jwt_sub_missing': { status: 401, message: 'Missing `sub` in JWT.' },
  'auth.forbidden': { status: 403, message: 'Forbidden. Please check your user roles and permissions.' },
  'oidc.invalid_request': { status: 400, message: '{{description}}' },
  'oidc.invalid_client': { status: 400, message: '{{description}}' },
  'oidc.invalid_target': { status: 400, message: '{{description}}' },
  'oidc.invalid_scope': { status: 400, message: '{{description}}' },
  'oidc.unsupported_grant_type': { status: 400, message: '{{description}}' },
  'password.unsupported_encryption_method': { status: 400, message: 'The encryption method {{name}} is not supported.' },
  'password.invalid_legacy_password_format': { status: 400, message: 'Invalid legacy password format.' },
  'password.unsupported_legacy_hash_algorithm': { status: 400, message: 'Unsupported legacy hash algorithm: {{algorithm}}.' },
  'session.invalid_credentials': { status: 422, message: 'Incorrect account or password. Please check your input.' },
  'request.too_many_requests': { status: 429, message: 'Too many attempts. Retry after {{seconds}} seconds.' },
  'service.unavailable': { status: 503, message: 'The service is temporarily unavailable. Please retry later.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
