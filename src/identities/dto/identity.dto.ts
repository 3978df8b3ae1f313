import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IdentityDto } from '../../users/dto/identity.dto.js';
import { IsCustomData, IsOmittable } from '../../users/dto/user-validators.js';

/** Body of `PUT /api/users/:userId/identities/:target`. */
export class PutIdentityDto {
  /** The user's id at the social provider. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(256)
  userId!: string;

  /** Provider user info, stored as given. */
  @IsOmittable()
  @IsCustomData()
  details?: Record<string, unknown>;
}

export class IdentityResponseDto {
  identity!: IdentityDto;
}

export class SocialIdentityEntryDto {
  /** The provider, e.g. `github`. */
  target!: string;
  identity!: IdentityDto;
}

export class AllIdentitiesResponseDto {
  socialIdentities!: SocialIdentityEntryDto[];
  /** Always empty: enterprise SSO is not supported. */
  ssoIdentities!: Record<string, unknown>[];
}
