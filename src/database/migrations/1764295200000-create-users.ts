import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The users table. Uniqueness is enforced by the database, not by pre-checks alone:
 * the e-mail index is on the lower-cased value (e-mail is always case-insensitive), phones are
 * stored normalised so both trunk-zero spellings meet in one index entry.
 */
export class CreateUsers1764295200000 implements MigrationInterface {
  name = 'CreateUsers1764295200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TYPE users_password_encryption_method AS ENUM
        ('Argon2i', 'Argon2id', 'Argon2d', 'SHA1', 'SHA256', 'MD5', 'Bcrypt', 'Legacy')
    `);
    await queryRunner.query(`
      CREATE TABLE users (
        id varchar(12) PRIMARY KEY,
        username varchar(128),
        primary_email varchar(128),
        primary_phone varchar(128),
        password_encrypted varchar(256),
        password_encryption_method users_password_encryption_method,
        name varchar(128),
        avatar varchar(2048),
        profile jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(profile) = 'object'),
        application_id varchar(21),
        cimd_client_id varchar(2048),
        custom_data jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_data) = 'object'),
        is_suspended boolean NOT NULL DEFAULT false,
        last_sign_in_at timestamptz,
        password_updated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
      )
    `);
    await queryRunner.query(`CREATE UNIQUE INDEX users__username ON users (username)`);
    await queryRunner.query(`CREATE UNIQUE INDEX users__primary_email_lower ON users (lower(primary_email))`);
    await queryRunner.query(`CREATE UNIQUE INDEX users__primary_phone ON users (primary_phone)`);
    await queryRunner.query(`CREATE INDEX users__username_lower ON users (lower(username))`);
    await queryRunner.query(`CREATE INDEX users__created_at_id ON users (created_at DESC, id DESC)`);
    // JSON carries milliseconds, so updated_at moves by at least one millisecond on every update:
    // a client comparing two reads always sees a later value after a change.
    await queryRunner.query(`
      CREATE FUNCTION users_bump_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.updated_at := greatest(
          date_trunc('milliseconds', clock_timestamp()),
          OLD.updated_at + interval '1 millisecond'
        );
        RETURN NEW;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
      FOR EACH ROW EXECUTE FUNCTION users_bump_updated_at()
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE users`);
    await queryRunner.query(`DROP FUNCTION users_bump_updated_at()`);
    await queryRunner.query(`DROP TYPE users_password_encryption_method`);
  }
}
