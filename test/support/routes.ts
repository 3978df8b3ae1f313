/**
 * Every route the server exposes, as `METHOD path` in OpenAPI path syntax: the document must list
 * exactly these, so a shrinking document cannot hollow out the walks over it.
 */
export const ROUTES = [
  'GET /api/status',
  'GET /api/status/live',
  'GET /api/users',
  'POST /api/users',
  'GET /api/users/{userId}',
  'PATCH /api/users/{userId}',
  'DELETE /api/users/{userId}',
  'PATCH /api/users/{userId}/password',
  'PATCH /api/users/{userId}/is-suspended',
  'GET /api/users/{userId}/custom-data',
  'PATCH /api/users/{userId}/custom-data',
  'PATCH /api/users/{userId}/profile',
  'GET /api/users/{userId}/has-password',
  'POST /api/users/{userId}/password/verify',
  'GET /api/users/{userId}/identities/{target}',
  'PUT /api/users/{userId}/identities/{target}',
  'DELETE /api/users/{userId}/identities/{target}',
  'GET /api/users/{userId}/all-identities',
  'GET /api/logs',
  'GET /api/logs/{id}',
  'POST /oidc/token',
  'GET /oidc/jwks',
  'GET /oidc/.well-known/openid-configuration',
];
