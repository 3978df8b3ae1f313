import { IsOptional, IsString, ValidateIf } from 'class-validator';
import { IsProfile, ProfileDto } from './profile.dto.js';
import {
  EMAIL_PATTERN,
  IsAvatar,
  IsCustomData,
  IsFormattedString,
  IsOmittable,
  PHONE_PATTERN,
  USERNAME_PATTERN,
} from './user-validators.js';

/** Every field is optional; `""` or `null` clears a field; `customData` and `profile` are replaced whole. */
export class UpdateUserDto {
  /** Same format as on create, or `""`/`null` to clear. */
  @IsFormattedString(USERNAME_PATTERN, { clearable: true })
  username?: string | null;

  /** Same format as on create, or `""`/`null` to clear. */
  @IsFormattedString(EMAIL_PATTERN, { clearable: true })
  primaryEmail?: string | null;

  /** Same format as on create, or `""`/`null` to clear. */
  @IsFormattedString(PHONE_PATTERN, { clearable: true })
  primaryPhone?: string | null;

  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  name?: string | null;

  @IsAvatar()
  avatar?: string | null;

  /** Replaces the whole `customData` object. */
  @IsOmittable()
  @IsCustomData()
  customData?: Record<string, unknown>;

  /** Replaces the whole profile. */
  @IsOmittable()
  @IsProfile()
  profile?: ProfileDto;
}
