/** Access tokens live one hour, as Logto's Management API tokens do. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
/** Logto signs with EC P-384 keys. */
export const SIGNING_ALGORITHM = 'ES384';
