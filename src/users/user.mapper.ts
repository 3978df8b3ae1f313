import type { IdentityDto } from './dto/identity.dto.js';
import type { UserResponseDto } from './dto/user-response.dto.js';
import type { UserIdentity } from './user-identity.entity.js';
import type { User } from './user.entity.js';
import type { Role } from '../roles/role.entity.js';
import { toRoleResponse } from '../roles/role.mapper.js';

export interface UserResponseOptions {
  includePasswordHash?: boolean;
  includeSsoIdentities?: boolean;
  /** The user's roles, when the read asked for them. */
  roles?: readonly Role[];
}

/**
 * The only way a user leaves the service: every public key is listed here, in Logto's order, so a
 * column added to the entity (or the password hash) can never leak by accident.
 */
export function toUserResponse(user: User, options: UserResponseOptions = {}): UserResponseDto {
  return {
    id: user.id,
    username: user.username,
    primaryEmail: user.primaryEmail,
    primaryPhone: user.primaryPhone,
    name: user.name,
    avatar: user.avatar,
    customData: user.customData,
    identities: user.identities,
    lastSignInAt: user.lastSignInAt?.getTime() ?? null,
    createdAt: user.createdAt.getTime(),
    updatedAt: user.updatedAt.getTime(),
    profile: user.profile,
    applicationId: user.applicationId,
    cimdClientId: user.cimdClientId,
    isSuspended: user.isSuspended,
    hasPassword: user.passwordEncrypted !== null,
    ...(options.includeSsoIdentities ? { ssoIdentities: [] } : {}),
    ...(options.includePasswordHash ? { passwordDigest: user.passwordEncrypted, passwordAlgorithm: user.passwordEncryptionMethod } : {}),
    ...(options.roles ? { roles: options.roles.map(toRoleResponse) } : {}),
  };
}

/** `details` appears only when stored, as in Logto. */
export function toIdentityDto(identity: UserIdentity): IdentityDto {
  return identity.details === null ? { userId: identity.identityId } : { userId: identity.identityId, details: identity.details };
}
