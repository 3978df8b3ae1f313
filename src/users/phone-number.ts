import { parsePhoneNumberWithError } from 'libphonenumber-js';
import { RequestError } from '../common/errors/request-error.js';

/**
 * Normalises an international phone number given as digits (country code first, no `+`) to
 * country code + national number, dropping a trunk `0` (`610412345678` → `61412345678`), so both
 * spellings of one number meet in the unique index. Unparseable numbers are a 422.
 */
export function normalizePhoneNumber(digits: string): string {
  try {
    const parsed = parsePhoneNumberWithError(`+${digits}`);
    return `${parsed.countryCallingCode}${parsed.nationalNumber}`;
  } catch {
    throw new RequestError('user.invalid_phone');
  }
}
