import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A social account linked to a user: `identityId` is the user's id at the provider (`target`). */
@Entity({ name: 'user_identities' })
export class UserIdentity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 12 })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 256 })
  target!: string;

  @Column({ name: 'identity_id', type: 'varchar', length: 256 })
  identityId!: string;

  @Column({ type: 'jsonb', nullable: true })
  details!: Record<string, unknown> | null;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false })
  updatedAt!: Date;
}
