import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A machine-to-machine client. The secret is kept only as a scrypt hash. */
@Entity({ name: 'applications' })
export class Application {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 256 })
  name!: string;

  @Column({ name: 'secret_hash', type: 'varchar', length: 256 })
  secretHash!: string;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  scopes!: string[];

  @Column({ name: 'is_disabled', type: 'boolean', default: false })
  isDisabled!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', insert: false })
  updatedAt!: Date;
}
