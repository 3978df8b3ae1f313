import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One audit log row. `payload` always has `key` and `result`; see `LogsService.record`. */
@Entity({ name: 'logs' })
export class Log {
  @PrimaryColumn({ type: 'varchar', length: 21 })
  id!: string;

  @Column({ type: 'varchar', length: 128 })
  key!: string;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  payload!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, update: false })
  createdAt!: Date;
}
