import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A permission of an API resource (`scopes`). */
@Entity({ name: 'scopes' })
export class ResourceScope {
  @PrimaryColumn({ type: 'varchar', length: 21 })
  id!: string;

  @Column({ name: 'resource_id', type: 'varchar', length: 21 })
  resourceId!: string;

  @Column({ type: 'varchar', length: 256 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;
}
