import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An API resource (`resources`): the audience of access tokens, owner of scopes. */
@Entity({ name: 'resources' })
export class Resource {
  @PrimaryColumn({ type: 'varchar', length: 21 })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  indicator!: string;

  @Column({ name: 'is_default', type: 'boolean' })
  isDefault!: boolean;

  /** Seconds; bigint, so the driver hands it over as a string. */
  @Column({ name: 'access_token_ttl', type: 'bigint' })
  accessTokenTtl!: string;
}
