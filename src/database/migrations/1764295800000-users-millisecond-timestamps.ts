import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API speaks epoch milliseconds, and keyset cursors carry a position in milliseconds. A
 * `created_at` with microseconds (imported rows, direct SQL) would sort between two cursor
 * positions and be skipped, so the column is held to millisecond precision on every write.
 */
export class UsersMillisecondTimestamps1764295800000 implements MigrationInterface {
  name = 'UsersMillisecondTimestamps1764295800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION users_truncate_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.created_at := date_trunc('milliseconds', NEW.created_at);
        RETURN NEW;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER users_created_at_precision BEFORE INSERT OR UPDATE OF created_at ON users
      FOR EACH ROW EXECUTE FUNCTION users_truncate_created_at()
    `);
    await queryRunner.query(
      `UPDATE users SET created_at = date_trunc('milliseconds', created_at) WHERE created_at <> date_trunc('milliseconds', created_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER users_created_at_precision ON users`);
    await queryRunner.query(`DROP FUNCTION users_truncate_created_at()`);
  }
}
