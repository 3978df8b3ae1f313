/**
 * The wire contract the e2e specs check the server against: the user object Logto's Management
 * API answers with, its error body and the English messages of its error codes. Declared once here
 * so that every spec asserts against the same shapes.
 */

/** Every key of a user object, in the order Logto emits them. */
export const USER_KEYS = [
  'id',
  'username',
  'primaryEmail',
  'primaryPhone',
  'name',
  'avatar',
  'customData',
  'identities',
  'lastSignInAt',
  'createdAt',
  'updatedAt',
  'profile',
  'applicationId',
  'cimdClientId',
  'isSuspended',
  'hasPassword',
] as const;

export type UserKey = (typeof USER_KEYS)[number];

export interface Address {
  formatted?: string;
  streetAddress?: string;
  locality?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

export interface Profile {
  familyName?: string;
  givenName?: string;
  middleName?: string;
  nickname?: string;
  preferredUsername?: string;
  profile?: string;
  website?: string;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  address?: Address;
}

export type PasswordAlgorithm = 'Argon2i' | 'Argon2id' | 'Argon2d' | 'SHA1' | 'SHA256' | 'MD5' | 'Bcrypt' | 'Legacy';

/** A user object as the API answers it; the optional keys appear only when asked for. */
export interface User {
  id: string;
  username: string | null;
  primaryEmail: string | null;
  primaryPhone: string | null;
  name: string | null;
  avatar: string | null;
  customData: Record<string, unknown>;
  identities: Record<string, unknown>;
  lastSignInAt: number | null;
  createdAt: number;
  updatedAt: number;
  profile: Profile;
  applicationId: string | null;
  cimdClientId: string | null;
  isSuspended: boolean;
  hasPassword: boolean;
  /** Only with `includeSsoIdentities`. */
  ssoIdentities?: unknown[];
  /** Only with `includePasswordHash`. */
  passwordDigest?: string | null;
  /** Only with `includePasswordHash`. */
  passwordAlgorithm?: PasswordAlgorithm | null;
}

/**
 * What a user just created through `POST /api/users` must equal: a 12-character `[0-9a-z]` id,
 * numeric timestamps, and every other field null, empty or false unless the body set it in `fields`.
 * For `toEqual`; key order is a separate check against `USER_KEYS`.
 */
export function expectedNewUser(fields: Partial<Record<UserKey, unknown>> = {}): Record<UserKey, unknown> {
  return {
    id: expect.stringMatching(/^[0-9a-z]{12}$/),
    username: null,
    primaryEmail: null,
    primaryPhone: null,
    name: null,
    avatar: null,
    customData: {},
    identities: {},
    lastSignInAt: null,
    createdAt: expect.any(Number),
    updatedAt: expect.any(Number),
    profile: {},
    applicationId: null,
    cimdClientId: null,
    isSuspended: false,
    hasPassword: false,
    ...fields,
  };
}

/** A Logto error body. Which keys are present depends on the error (README "Errors"). */
export interface ErrorBody {
  code?: string;
  message: string;
  data?: unknown;
  details?: string;
}

/** English messages of the error codes Roster answers with, as Logto words them (its `en` phrases). */
export const ERROR_MESSAGES = {
  'auth.authorization_header_missing': 'Authorization header is missing.',
  'auth.authorization_token_type_not_supported': 'Authorization type is not supported.',
  'auth.unauthorized': 'Unauthorized. Please check credentials and its scope.',
  'auth.jwt_sub_missing': 'Missing `sub` in JWT.',
  'auth.forbidden': 'Forbidden. Please check your user roles and permissions.',
  'service.unavailable': 'The service is temporarily unavailable. Please retry later.',
  'session.invalid_credentials': 'Incorrect account or password. Please check your input.',
  'guard.invalid_input': 'The request body is invalid.',
  'guard.invalid_pagination': 'The request pagination value is invalid.',
  'entity.not_found': 'The resource does not exist.',
  'entity.invalid_input': 'Invalid input. Value list must not be empty.',
  'entity.value_too_long': 'The length of value is too long and exceeds the limit.',
  'user.username_already_in_use': 'This username is already in use.',
  'user.email_already_in_use': 'This email is associated with an existing account.',
  'user.phone_already_in_use': 'This phone number is associated with an existing account.',
  'user.invalid_phone': 'Invalid phone number.',
  'user.password_and_digest': 'You cannot set both plain text password and password digest.',
  'user.password_algorithm_required': 'Password algorithm is required.',
  'user.identity_not_exist': 'The social account has not been registered yet.',
  'user.identity_already_in_use': 'The social account has been associated with an existing account.',
  'user.invalid_role_type': 'Invalid role type, can not assign machine-to-machine role to user.',
  'role.management_api_scopes_not_assignable_to_user_role': 'Cannot assign Management API scopes to a user role.',
  'entity.db_constraint_violated': 'Database constraint violated.',
  'scope.name_with_space': 'The name of the scope cannot contain any spaces.',
  'resource.cannot_modify_management_api': 'Cannot modify Logto Management API.',
  'resource.cannot_delete_management_api': 'Cannot delete Logto Management API.',
} as const;

export type ErrorCode = keyof typeof ERROR_MESSAGES;

/** The codes of the bearer-token guard. */
export type AuthErrorCode = Extract<ErrorCode, `auth.${string}`>;

/** The MD5 digest of `password`, for importing a user with `passwordAlgorithm: 'MD5'`. */
export const MD5_OF_PASSWORD = '5f4dcc3b5aa765d61d8327deb882cf99';

/** An API resource as the API answers it, keys in Logto's order. */
export interface Resource {
  tenantId: string;
  id: string;
  name: string;
  indicator: string;
  isDefault: boolean;
  accessTokenTtl: number;
  scopes?: Scope[];
}

/** A scope of an API resource, keys in Logto's order. */
export interface Scope {
  tenantId: string;
  id: string;
  resourceId: string;
  name: string;
  description: string | null;
  createdAt: number;
}

export const SCOPE_KEYS = ['tenantId', 'id', 'resourceId', 'name', 'description', 'createdAt'];

/** The Management API resource every database is seeded with. */
export const MANAGEMENT_API: Resource = {
  tenantId: 'default',
  id: 'management-api',
  name: 'Logto Management API',
  indicator: 'https://default.logto.app/api',
  isDefault: false,
  accessTokenTtl: 3600,
};
