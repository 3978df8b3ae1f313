/*
 * The roles module's public SQL surface: the users list filters by role inside its own query (so a
 * filtered page stays one indexed statement), and embeds this test instead of reaching into the
 * roles repository. It is answered from the `(user_id, role_id)` primary key of `users_roles`.
 */

/** True when the user whose id is `userIdColumn` holds the role bound at `roleIdParam` (e.g. `$3`). */
export function holdsRoleSql(userIdColumn: string, roleIdParam: string): string {
  return `EXISTS (SELECT 1 FROM users_roles WHERE users_roles.user_id = ${userIdColumn} AND users_roles.role_id = ${roleIdParam})`;
}
