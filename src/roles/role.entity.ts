import { Column, Entity, PrimaryColumn } from 'typeorm';

export const ROLE_TYPES = ['User', 'MachineToMachine'] as const;
export type RoleType = (typeof ROLE_TYPES)[number];

/** A row of `roles`. Never returned to clients directly: see `toRoleResponse`. */
@Entity({ name: 'roles' })
export class Role {
  @PrimaryColumn({ type: 'varchar', length: 21 })
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 128 })
  description!: string;

  @Column({ type: 'enum', enum: ROLE_TYPES, enumName: 'role_type' })
  type!: RoleType;

  @Column({ name: 'is_default', type: 'boolean' })
  isDefault!: boolean;
}
