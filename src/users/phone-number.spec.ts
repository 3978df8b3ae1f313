import { RequestError } from '../common/errors/request-error.js';
import { normalizePhoneNumber } from './phone-number.js';

describe('normalizePhoneNumber', () => {
  it.each([
    ['610412345678', '61412345678'],
    ['61412345678', '61412345678'],
    ['4407911123456', '447911123456'],
    ['8613800138000', '8613800138000'],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalizePhoneNumber(input)).toBe(expected);
  });

  it.each(['12', '999999999', '123456789012345678901'])('rejects %s as user.invalid_phone', (input) => {
    expect(() => normalizePhoneNumber(input)).toThrow(new RequestError('user.invalid_phone'));
  });
});
