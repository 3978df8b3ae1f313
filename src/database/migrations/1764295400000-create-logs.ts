import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log. No foreign key to users: a user's history outlives the user. Each filter the API
 * offers has an index ending in the list order (created_at, id), so a filtered page is an index scan.
 */
export class CreateLogs1764295400000 implements MigrationInterface {
  name = 'CreateLogs1764295400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE logs (
        id varchar(21) PRIMARY KEY,
        key varchar(128) NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )
    `);
    await queryRunner.query(`CREATE INDEX logs__created_at_id ON logs (created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX logs__key ON logs (key, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX logs__user_id ON logs ((payload->>'userId'), created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX logs__application_id ON logs ((payload->>'applicationId'), created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE logs`);
  }
}
