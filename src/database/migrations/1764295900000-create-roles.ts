import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The Management API resource as Logto seeds it, with Roster's finer scopes beside `all`. */
const MANAGEMENT_API_SCOPES: [id: string, name: string, description: string][] = [
  ['management-api-all', 'all', 'Default scope for Management API, allows all permissions.'],
  ['mapi-users-read', 'users:read', 'Read users.'],
  ['mapi-users-write', 'users:write', 'Create, update and delete users.'],
  ['mapi-logs-read', 'logs:read', 'Read audit logs.'],
  ['mapi-roles-read', 'roles:read', 'Read roles, their scopes and who holds them.'],
  ['mapi-roles-write', 'roles:write', 'Create, update and delete roles, and grant or revoke them.'],
  ['mapi-resources-read', 'resources:read', 'Read API resources and their scopes.'],
  ['mapi-resources-write', 'resources:write', 'Create, update and delete API resources and their scopes.'],
];

/**
 * Roles, API resources and their scopes, and the links between them. Roles and resources carry a
 * hidden creation sequence so that lists page in a stable order without exposing a new field.
 * A user's roles are looked up by `(user_id, role_id)` (the primary key) and a role's holders by
 * `(role_id, user_id)`; `(role_id, created_at)` serves "the most recently assigned holders".
 */
export class CreateRoles1764295900000 implements MigrationInterface {
  name = 'CreateRoles1764295900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE role_type AS ENUM ('User', 'MachineToMachine')`);
    await queryRunner.query(`
      CREATE TABLE roles (
        id varchar(21) PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        name varchar(128) NOT NULL,
        description varchar(128) NOT NULL,
        type role_type NOT NULL DEFAULT 'User',
        is_default boolean NOT NULL DEFAULT false,
        CONSTRAINT roles__name UNIQUE (name)
      )
    `);
    await queryRunner.query(`CREATE UNIQUE INDEX roles__seq ON roles (seq)`);
    await queryRunner.query(`CREATE INDEX roles__is_default ON roles (is_default) WHERE is_default AND type = 'User'`);
    await queryRunner.query(`
      CREATE TABLE users_roles (
        user_id varchar(12) NOT NULL,
        role_id varchar(21) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT users_roles__user_id_role_id PRIMARY KEY (user_id, role_id),
        CONSTRAINT users_roles__user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT users_roles__role FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
      )
    `);
    await queryRunner.query(`CREATE INDEX users_roles__role_id_user_id ON users_roles (role_id, user_id)`);
    await queryRunner.query(`CREATE INDEX users_roles__role_id_created_at ON users_roles (role_id, created_at DESC, user_id DESC)`);
    await queryRunner.query(`
      CREATE TABLE resources (
        id varchar(21) PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        name text NOT NULL,
        indicator text NOT NULL,
        is_default boolean NOT NULL DEFAULT false,
        access_token_ttl bigint NOT NULL DEFAULT 3600,
        CONSTRAINT resources__indicator UNIQUE (indicator)
      )
    `);
    await queryRunner.query(`CREATE UNIQUE INDEX resources__seq ON resources (seq)`);
    await queryRunner.query(`CREATE UNIQUE INDEX resources__one_default ON resources (is_default) WHERE is_default`);
    await queryRunner.query(`
      CREATE TABLE scopes (
        id varchar(21) PRIMARY KEY,
        resource_id varchar(21) NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
        name varchar(256) NOT NULL,
        description text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT scopes__resource_id_name UNIQUE (resource_id, name)
      )
    `);
    await queryRunner.query(`
      CREATE TABLE roles_scopes (
        role_id varchar(21) NOT NULL,
        scope_id varchar(21) NOT NULL,
        CONSTRAINT roles_scopes__role_id_scope_id PRIMARY KEY (role_id, scope_id),
        CONSTRAINT roles_scopes__role FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE,
        CONSTRAINT roles_scopes__scope FOREIGN KEY (scope_id) REFERENCES scopes (id) ON DELETE CASCADE
      )
    `);
    await queryRunner.query(`CREATE INDEX roles_scopes__scope_id ON roles_scopes (scope_id)`);

    await queryRunner.query(
      `INSERT INTO resources (id, name, indicator) VALUES ('management-api', 'Logto Management API', 'https://default.logto.app/api')`,
    );
    // One row at a time, so `created_at` (the scopes' list order) puts `all` first.
    for (const [id, name, description] of MANAGEMENT_API_SCOPES) {
      await queryRunner.query(`INSERT INTO scopes (id, resource_id, name, description) VALUES ($1, 'management-api', $2, $3)`, [
        id,
        name,
        description,
      ]);
    }
    await queryRunner.query(
      `INSERT INTO roles (id, name, description, type) VALUES
         ('management-api-access', 'Logto Management API access', 'This default role grants access to the Logto management API.', 'MachineToMachine')`,
    );
    await queryRunner.query(`INSERT INTO roles_scopes (role_id, scope_id) VALUES ('management-api-access', 'management-api-all')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE roles_scopes, scopes, resources, users_roles, roles`);
    await queryRunner.query(`DROP TYPE role_type`);
  }
}
