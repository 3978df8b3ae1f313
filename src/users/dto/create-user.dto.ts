import { IsIn, IsString, MaxLength } from 'class-validator';
import { PASSWORD_ALGORITHMS, type PasswordAlgorithm } from '../user.entity.js';
import { IsProfile, ProfileDto } from './profile.dto.js';
import {
  EMAIL_PATTERN,
  IsAvatar,
  IsCustomData,
  IsFormattedString,
  IsOmittable,
  IsPassword,
  PHONE_PATTERN,
  USERNAME_PATTERN,
} from './user-validators.js';

export class CreateUserDto {
  /** ASCII letter or `_` first, then letters, digits or `_` (`^[A-Z_a-z]\w*$`). */
  @IsFormattedString(USERNAME_PATTERN, { clearable: false })
  username?: string;

  /** Matches `^\S+@\S+\.\S+$`; unique regardless of letter case. */
  @IsFormattedString(EMAIL_PATTERN, { clearable: false })
  primaryEmail?: string;

  /** Digits only, with the country code and no `+`; stored normalised (`610412345678` → `61412345678`). */
  @IsFormattedString(PHONE_PATTERN, { clearable: false })
  primaryPhone?: string;

  /** Plain-text password, hashed with Argon2i before storage. No password policy is applied. */
  @IsOmittable()
  @IsPassword()
  password?: string;

  /**
   * An existing password hash to import; requires `passwordAlgorithm`; cannot be combined with
   * `password`. Checked at creation: Argon2 PHC strings (memory ≤ 262144 KiB, time ≤ 10,
   * parallelism ≤ 16), bcrypt `$2a$/$2b$/$2y$` (cost 4–14), lower-case hex for MD5/SHA1/SHA256, or a
   * `Legacy` JSON expression (PBKDF2 iterations ≤ 2,000,000 and key length ≤ 128; firebase-scrypt
   * memCost ≤ 17, rounds ≤ 16). Upgraded to Argon2i on the first successful verification.
   */
  @IsOmittable()
  @IsString()
  @MaxLength(256)
  passwordDigest?: string;

  /** Algorithm of `passwordDigest`; ignored without it. */
  @IsOmittable()
  @IsIn(PASSWORD_ALGORITHMS)
  passwordAlgorithm?: PasswordAlgorithm;

  /** Display name; `""` is stored as `null`. */
  @IsOmittable()
  @IsString()
  name?: string;

  /** Absolute URL of the avatar image; `""` or `null` for none. */
  @IsAvatar()
  avatar?: string | null;

  /** Arbitrary JSON object, at most 32 levels deep. */
  @IsOmittable()
  @IsCustomData()
  customData?: Record<string, unknown>;

  /** Standard profile claims. */
  @IsOmittable()
  @IsProfile()
  profile?: ProfileDto;
}
