/** Logto's searchable fields of roles and of scopes (both have `id`, `name` and `description`). */
export const ROLE_SEARCH_FIELDS = ['id', 'name', 'description'] as const;
export type RoleSearchField = (typeof ROLE_SEARCH_FIELDS)[number];
