import { ApiProperty } from '@nestjs/swagger';
import { TENANT_ID } from './role.dto.js';

export class ResourceResponseDto {
  @ApiProperty({ enum: [TENANT_ID] })
  tenantId!: string;
  id!: string;
  name!: string;
  /** The `aud` of access tokens for this resource. */
  indicator!: string;
  isDefault!: boolean;
  /** Seconds. */
  accessTokenTtl!: number;
}

export class ScopeResponseDto {
  @ApiProperty({ enum: [TENANT_ID] })
  tenantId!: string;
  id!: string;
  resourceId!: string;
  name!: string;
  description!: string | null;
  /** Epoch milliseconds. */
  createdAt!: number;
}

export class RoleScopeResponseDto extends ScopeResponseDto {
  resource!: ResourceResponseDto;
}
