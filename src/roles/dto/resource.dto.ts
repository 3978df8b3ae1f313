import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsString, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { IsOmittable } from './omittable.js';
import { ResourceResponseDto, ScopeResponseDto } from './scope.dto.js';

export class CreateResourceDto {
  @IsString()
  @MinLength(1)
  name!: string;

  /** The API identifier (the `aud` of its tokens); unique. Not checked to be a URI, as in Logto. */
  @IsString()
  @MinLength(1)
  indicator!: string;

  /** Seconds (default 3600). */
  @IsOmittable()
  @IsInt()
  @Min(0)
  accessTokenTtl?: number;
}

export class UpdateResourceDto {
  @IsOmittable()
  @IsString()
  @MinLength(1)
  name?: string;

  @IsOmittable()
  @IsInt()
  @Min(0)
  accessTokenTtl?: number;
}

export class ResourceIsDefaultDto {
  /** At most one resource is the default: setting one clears the other. */
  @IsBoolean()
  isDefault!: boolean;
}

export class ResourceWithScopesResponseDto extends ResourceResponseDto {
  /** Only with `includeScopes` on lists; always on create (empty). */
  scopes?: ScopeResponseDto[];
}

export class CreateScopeDto {
  /** No whitespace (400 `scope.name_with_space`); unique within the resource. */
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  name!: string;

  @IsOmittable()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @ApiProperty({ type: String, nullable: true, required: false })
  description?: string | null;
}

export class UpdateScopeDto {
  @IsOmittable()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  name?: string;

  @IsOmittable()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @ApiProperty({ type: String, nullable: true, required: false })
  description?: string | null;
}
