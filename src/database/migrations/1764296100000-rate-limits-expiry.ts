import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each counter row says when its window ends, so housekeeping can purge ended windows by an index
 * scan, whatever limit wrote them. Rows from before this migration do not know their window; they
 * are given a day, longer than any window Roster's defaults use, so none is purged early.
 */
export class RateLimitsExpiry1764296100000 implements MigrationInterface {
  name = 'RateLimitsExpiry1764296100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE rate_limits ADD COLUMN expires_at timestamptz`);
    await queryRunner.query(`UPDATE rate_limits SET expires_at = window_started_at + interval '1 day'`);
    await queryRunner.query(`ALTER TABLE rate_limits ALTER COLUMN expires_at SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX rate_limits__expires_at ON rate_limits (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE rate_limits DROP COLUMN expires_at`);
  }
}
