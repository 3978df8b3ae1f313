import { IsBoolean, IsDefined } from 'class-validator';
import { IsProfile, ProfileDto } from './profile.dto.js';
import { IsCustomData, IsPassword } from './user-validators.js';

export class UpdatePasswordDto {
  /** The new plain-text password (at most 256 UTF-8 bytes); hashed with Argon2i. */
  @IsPassword()
  password!: string;
}

export class VerifyPasswordDto {
  /** The password to check (at most 256 UTF-8 bytes). */
  @IsPassword()
  password!: string;
}

export class UpdateSuspensionDto {
  @IsBoolean()
  isSuspended!: boolean;
}

export class UpdateCustomDataDto {
  /** Top-level keys are merged into the stored object; a key cannot be removed, only set (possibly to `null`). */
  @IsDefined()
  @IsCustomData()
  customData!: Record<string, unknown>;
}

export class UpdateProfileDto {
  /** Top-level keys are merged into the stored profile; `address` is replaced as a whole. */
  @IsDefined()
  @IsProfile()
  profile!: ProfileDto;
}

export class HasPasswordResponseDto {
  hasPassword!: boolean;
}
