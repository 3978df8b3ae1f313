/** Largest accepted request body, as in Logto (1 MB of JSON). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
