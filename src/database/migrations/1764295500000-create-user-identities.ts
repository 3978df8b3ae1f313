import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Social identities in their own rows: one per (user, target), and one social account per target
 * across all users, both enforced by the database so concurrent links never lose or share one.
 */
export class CreateUserIdentities1764295500000 implements MigrationInterface {
  name = 'CreateUserIdentities1764295500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_identities (
        user_id varchar(12) NOT NULL,
        target varchar(256) NOT NULL,
        identity_id varchar(256) NOT NULL,
        details jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT user_identities__user_target PRIMARY KEY (user_id, target),
        CONSTRAINT user_identities__target_identity UNIQUE (target, identity_id),
        CONSTRAINT user_identities__user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT user_identities__details_object CHECK (details IS NULL OR jsonb_typeof(details) = 'object')
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_identities`);
  }
}
