import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keeps `GET /api/users` fast at millions of rows:
 * - the unfiltered total comes from a counter maintained by a trigger in the same transaction as
 *   each insert and delete, spread over 16 slots so concurrent creates rarely wait on one row;
 * - `LIKE`/`ILIKE` searches (`%term%`) use trigram GIN indexes, and case-insensitive exact searches
 *   use indexes on the lower-cased columns.
 */
export class UsersSearchAndCounts1764295700000 implements MigrationInterface {
  name = 'UsersSearchAndCounts1764295700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE row_counts (
        table_name varchar(64) NOT NULL,
        slot smallint NOT NULL,
        count bigint NOT NULL DEFAULT 0,
        CONSTRAINT row_counts__table_slot PRIMARY KEY (table_name, slot)
      )
    `);
    await queryRunner.query(`INSERT INTO row_counts (table_name, slot, count) SELECT 'users', slot, 0 FROM generate_series(0, 15) AS slot`);
    await queryRunner.query(`UPDATE row_counts SET count = (SELECT count(*) FROM users) WHERE table_name = 'users' AND slot = 0`);
    await queryRunner.query(`
      CREATE FUNCTION users_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          UPDATE row_counts SET count = count + 1 WHERE table_name = 'users' AND slot = (hashtext(NEW.id) & 15);
        ELSE
          UPDATE row_counts SET count = count - 1 WHERE table_name = 'users' AND slot = (hashtext(OLD.id) & 15);
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(
      `CREATE TRIGGER users_row_count AFTER INSERT OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION users_count_rows()`,
    );

    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    for (const column of ['id', 'username', 'primary_email', 'primary_phone', 'name']) {
      await queryRunner.query(`CREATE INDEX users__${column}_trgm ON users USING gin (${column} gin_trgm_ops)`);
    }
    for (const column of ['id', 'primary_phone', 'name']) {
      await queryRunner.query(`CREATE INDEX users__${column}_lower ON users (lower(${column}))`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['id', 'primary_phone', 'name']) await queryRunner.query(`DROP INDEX users__${column}_lower`);
    for (const column of ['id', 'username', 'primary_email', 'primary_phone', 'name']) {
      await queryRunner.query(`DROP INDEX users__${column}_trgm`);
    }
    await queryRunner.query(`DROP TRIGGER users_row_count ON users`);
    await queryRunner.query(`DROP FUNCTION users_count_rows()`);
    await queryRunner.query(`DROP TABLE row_counts`);
  }
}
