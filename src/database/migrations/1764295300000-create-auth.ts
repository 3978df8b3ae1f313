import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Machine-to-machine applications and the token signing keys, shared by every replica. */
export class CreateAuth1764295300000 implements MigrationInterface {
  name = 'CreateAuth1764295300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE applications (
        id varchar(64) PRIMARY KEY,
        name varchar(256) NOT NULL,
        secret_hash varchar(256) NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        is_disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
      )
    `);
    await queryRunner.query(`
      CREATE TABLE signing_keys (
        id varchar(32) PRIMARY KEY,
        algorithm varchar(16) NOT NULL,
        private_jwk jsonb NOT NULL,
        public_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        retired_at timestamptz
      )
    `);
    // At most one key signs at a time; the rest only verify until their last tokens expire.
    await queryRunner.query(`CREATE UNIQUE INDEX signing_keys__one_active ON signing_keys ((true)) WHERE retired_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE signing_keys`);
    await queryRunner.query(`DROP TABLE applications`);
  }
}
