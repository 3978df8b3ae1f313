import { IsBoolean, IsDefined, IsString, MinLength } from 'class-validator';
import { IsProfile, ProfileDto } from './profile.dto.js';
import { IsCustomData } from './user-validators.js';

export class UpdatePasswordDto {
  /** The new plain-text password; hashed with Argon2i. */
  @IsString()
  @MinLength(1)
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
