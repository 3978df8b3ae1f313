import type { PasswordAlgorithm } from '../user.entity.js';
import { IdentityDto } from './identity.dto.js';
import { ProfileDto } from './profile.dto.js';
import { RoleResponseDto } from '../../roles/dto/role.dto.js';

/** A user as the Management API returns it. Timestamps are epoch milliseconds. */
export class UserResponseDto {
  /** 12 characters of `[0-9a-z]`. */
  id!: string;
  username!: string | null;
  primaryEmail!: string | null;
  /** Digits only, normalised to country code + national number. */
  primaryPhone!: string | null;
  name!: string | null;
  avatar!: string | null;
  customData!: Record<string, unknown>;
  /** Social identities keyed by target (e.g. `github`). */
  identities!: Record<string, IdentityDto>;
  lastSignInAt!: number | null;
  createdAt!: number;
  updatedAt!: number;
  profile!: ProfileDto;
  applicationId!: string | null;
  cimdClientId!: string | null;
  isSuspended!: boolean;
  hasPassword!: boolean;
  /** Only with `includeSsoIdentities`; always empty (enterprise SSO is not supported). */
  ssoIdentities?: Record<string, unknown>[];
  /** Only with `includePasswordHash`. */
  passwordDigest?: string | null;
  /** Only with `includePasswordHash`. */
  passwordAlgorithm?: PasswordAlgorithm | null;
  /** Roster only, with `includeRoles`: the user's roles in catalogue order. */
  roles?: RoleResponseDto[];
}
