import { ApiProperty } from '@nestjs/swagger';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { IsOmittable } from './omittable.js';
import { ROLE_TYPES, type RoleType } from '../role.entity.js';

/** Roster serves one tenant; Logto's OSS build calls it `default`. */
export const TENANT_ID = 'default';

export class CreateRoleDto {
  /** Unique, case-sensitive. */
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  name!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(128)
  description!: string;

  /** Fixed once created. */
  @IsOmittable()
  @IsIn(ROLE_TYPES)
  @ApiProperty({ enum: ROLE_TYPES, required: false, default: 'User' })
  type?: RoleType;

  /** Given to every user created afterwards (`User` roles only). */
  @IsOmittable()
  @IsBoolean()
  isDefault?: boolean;

  /** Scopes the role carries from the start; repeated ids count once. */
  @IsOmittable()
  @IsArray()
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @ApiProperty({ type: [String], required: false, items: { type: 'string', minLength: 1 } })
  scopeIds?: string[];

  /** Only `default`, the one tenant. */
  @IsOmittable()
  @IsIn([TENANT_ID])
  @ApiProperty({ enum: [TENANT_ID], required: false })
  tenantId?: string;
}

export class UpdateRoleDto {
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  name?: string;

  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  description?: string;

  /** Affects only users created later. */
  @IsOmittable()
  @IsBoolean()
  isDefault?: boolean;
}

export class RoleResponseDto {
  @ApiProperty({ enum: [TENANT_ID] })
  tenantId!: string;
  id!: string;
  name!: string;
  description!: string;
  @ApiProperty({ enum: ROLE_TYPES })
  type!: RoleType;
  isDefault!: boolean;
}

export class FeaturedUserDto {
  id!: string;
  avatar!: string | null;
  name!: string | null;
}

export class RoleListItemDto extends RoleResponseDto {
  /** Every holder, not only this page's. */
  usersCount!: number;
  /** The three most recently assigned holders, newest first. */
  featuredUsers!: FeaturedUserDto[];
  /** Always 0: applications hold no roles here. */
  applicationsCount!: number;
  /** Always empty. */
  featuredApplications!: Record<string, unknown>[];
}

export class RoleIdsDto {
  /** Repeated ids count once. */
  @IsArray()
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @ApiProperty({ type: [String], items: { type: 'string', minLength: 1 } })
  roleIds!: string[];
}

export class UserIdsDto {
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @ApiProperty({ type: [String], minItems: 1, items: { type: 'string', minLength: 1 } })
  userIds!: string[];
}

export class ScopeIdsDto {
  @IsArray()
  @ArrayMinSize(1)
  @IsString({ each: true })
  @MinLength(1, { each: true })
  @ApiProperty({ type: [String], minItems: 1, items: { type: 'string', minLength: 1 } })
  scopeIds!: string[];
}

export class AddedRolesResponseDto {
  /** As sent. */
  roleIds!: string[];
  /** The roles the user did not hold before. */
  addedRoleIds!: string[];
}

export class ReplacedRolesResponseDto {
  /** The user's roles now: the ids sent, repeats removed. */
  roleIds!: string[];
}
