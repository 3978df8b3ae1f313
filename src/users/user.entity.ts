import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { IdentityDto } from './dto/identity.dto.js';

export const PASSWORD_ALGORITHMS = ['Argon2i', 'Argon2id', 'Argon2d', 'SHA1', 'SHA256', 'MD5', 'Bcrypt', 'Legacy'] as const;
export type PasswordAlgorithm = (typeof PASSWORD_ALGORITHMS)[number];

/** A row of `users`. Never returned to clients directly: see `toUserResponse`. */
@Entity({ name: 'users' })
export class User {
  @PrimaryColumn({ type: 'varchar', length: 12 })
  id!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  username!: string | null;

  @Column({ name: 'primary_email', type: 'varchar', length: 128, nullable: true })
  primaryEmail!: string | null;

  @Column({ name: 'primary_phone', type: 'varchar', length: 128, nullable: true })
  primaryPhone!: string | null;

  @Column({ name: 'password_encrypted', type: 'varchar', length: 256, nullable: true })
  passwordEncrypted!: string | null;

  @Column({
    name: 'password_encryption_method',
    type: 'enum',
    enum: PASSWORD_ALGORITHMS,
    enumName: 'users_password_encryption_method',
    nullable: true,
  })
  passwordEncryptionMethod!: PasswordAlgorithm | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  name!: string | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  avatar!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  profile!: Record<string, unknown>;

  @Column({ name: 'application_id', type: 'varchar', length: 21, nullable: true })
  applicationId!: string | null;

  @Column({ name: 'cimd_client_id', type: 'varchar', length: 2048, nullable: true })
  cimdClientId!: string | null;

  @Column({ name: 'custom_data', type: 'jsonb', default: () => `'{}'` })
  customData!: Record<string, unknown>;

  @Column({ name: 'is_suspended', type: 'boolean', default: false })
  isSuspended!: boolean;

  @Column({ name: 'last_sign_in_at', type: 'timestamptz', nullable: true })
  lastSignInAt!: Date | null;

  @Column({ name: 'password_updated_at', type: 'timestamptz', nullable: true })
  passwordUpdatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false, update: false })
  updatedAt!: Date;

  /** Not a column: assembled from `user_identities` by `UsersRepository` when a user is read. */
  identities!: Record<string, IdentityDto>;
}
