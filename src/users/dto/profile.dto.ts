import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

/** OpenID Connect standard address claim; unknown keys are dropped. */
export class AddressDto {
  @IsOptional() @IsString() formatted?: string;
  @IsOptional() @IsString() streetAddress?: string;
  @IsOptional() @IsString() locality?: string;
  @IsOptional() @IsString() region?: string;
  @IsOptional() @IsString() postalCode?: string;
  @IsOptional() @IsString() country?: string;
}

/** Standard OpenID Connect profile claims; unknown keys are dropped, non-string values rejected. */
export class ProfileDto {
  @IsOptional() @IsString() familyName?: string;
  @IsOptional() @IsString() givenName?: string;
  @IsOptional() @IsString() middleName?: string;
  @IsOptional() @IsString() nickname?: string;
  @IsOptional() @IsString() preferredUsername?: string;
  @IsOptional() @IsString() profile?: string;
  @IsOptional() @IsString() website?: string;
  @IsOptional() @IsString() gender?: string;
  @IsOptional() @IsString() birthdate?: string;
  @IsOptional() @IsString() zoneinfo?: string;
  @IsOptional() @IsString() locale?: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;
}
