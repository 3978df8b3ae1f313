import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A user holding a role (`users_roles`). */
@Entity({ name: 'users_roles' })
export class UserRole {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 12 })
  userId!: string;

  @PrimaryColumn({ name: 'role_id', type: 'varchar', length: 21 })
  roleId!: string;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;
}
