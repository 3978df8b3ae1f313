import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsObject, IsString, ValidateNested } from 'class-validator';
import { IsOmittable } from './user-validators.js';

/** OpenID Connect standard address claim; unknown keys are dropped. */
export class AddressDto {
  @IsOmittable() @IsString() formatted?: string;
  @IsOmittable() @IsString() streetAddress?: string;
  @IsOmittable() @IsString() locality?: string;
  @IsOmittable() @IsString() region?: string;
  @IsOmittable() @IsString() postalCode?: string;
  @IsOmittable() @IsString() country?: string;
}

/** Standard OpenID Connect profile claims; unknown keys are dropped, non-string values rejected. */
export class ProfileDto {
  @IsOmittable() @IsString() familyName?: string;
  @IsOmittable() @IsString() givenName?: string;
  @IsOmittable() @IsString() middleName?: string;
  @IsOmittable() @IsString() nickname?: string;
  @IsOmittable() @IsString() preferredUsername?: string;
  @IsOmittable() @IsString() profile?: string;
  @IsOmittable() @IsString() website?: string;
  @IsOmittable() @IsString() gender?: string;
  @IsOmittable() @IsString() birthdate?: string;
  @IsOmittable() @IsString() zoneinfo?: string;
  @IsOmittable() @IsString() locale?: string;

  @IsOmittable()
  @IsObject()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;
}

/** A profile object: validated key by key, unknown keys dropped. */
export function IsProfile(): PropertyDecorator {
  return applyDecorators(
    IsObject(),
    ValidateNested(),
    Type(() => ProfileDto),
  );
}
