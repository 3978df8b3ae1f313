import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fixed-window attempt counters, shared by every replica (a limit kept in memory would not be). */
export class CreateRateLimits1764295600000 implements MigrationInterface {
  name = 'CreateRateLimits1764295600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE rate_limits (
        bucket varchar(64) NOT NULL,
        key varchar(256) NOT NULL,
        window_started_at timestamptz NOT NULL,
        hits integer NOT NULL,
        CONSTRAINT rate_limits__bucket_key PRIMARY KEY (bucket, key)
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rate_limits`);
  }
}
