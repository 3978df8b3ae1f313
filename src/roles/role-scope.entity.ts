import { Entity, PrimaryColumn } from 'typeorm';

/** A scope carried by a role (`roles_scopes`). */
@Entity({ name: 'roles_scopes' })
export class RoleScope {
  @PrimaryColumn({ name: 'role_id', type: 'varchar', length: 21 })
  roleId!: string;

  @PrimaryColumn({ name: 'scope_id', type: 'varchar', length: 21 })
  scopeId!: string;
}
