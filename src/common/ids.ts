import { customAlphabet } from 'nanoid';

const LOWERCASE_ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * Ids shaped like Logto's: `length` characters of `[0-9a-z]` from a cryptographic source (users 12,
 * logs, applications and signing keys 21).
 */
export function generateStandardId(length: 12 | 21): string {
  return (length === 12 ? generate12 : generate21)();
}

const generate12 = customAlphabet(LOWERCASE_ALPHANUMERIC, 12);
const generate21 = customAlphabet(LOWERCASE_ALPHANUMERIC, 21);
