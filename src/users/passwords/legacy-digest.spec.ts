import { createCipheriv, createHash, pbkdf2Sync, scryptSync } from 'node:crypto';
import { RequestError } from '../../common/errors/request-error.js';
import type { ErrorCode } from '../../common/errors/error-codes.js';
import {
  FIREBASE_VECTOR as FIREBASE,
  firebaseExpression,
  legacyExpression as expression,
  LEGACY_SHA512_OF_PASSWORD as SHA512_VECTOR,
  pbkdf2Expression,
} from '../../../test/support/password-vectors.js';
import { parseLegacyDigest, verifyLegacyDigest } from './legacy-digest.js';

/** `Legacy` expressions (README, "Passwords"): parsing at import, and recomputing them at verification. */

/** The RequestError `action` throws; fails the test if it throws nothing or something else. */
function caught(action: () => unknown): RequestError {
  try {
    action();
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected a RequestError, but nothing was thrown');
}

function expectRejected(text: string, code: ErrorCode, status = 400): RequestError {
  const error = caught(() => parseLegacyDigest(text));
  expect({ code: error.code, status: error.status }).toEqual({ code, status });
  return error;
}

const md5 = (input: string): string => createHash('md5').update(input, 'utf8').digest('hex');

const toUrlSafe = (base64: string): string => base64.replace(/\+/g, '-').replace(/\//g, '_');

describe('verifyLegacyDigest', () => {
  describe('generic digests', () => {
    it('verifies the known sha512 vector for `password`', async () => {
      await expect(verifyLegacyDigest('password', SHA512_VECTOR)).resolves.toBe(true);
    });

    it('rejects a wrong password against the sha512 vector', async () => {
      await expect(verifyLegacyDigest('Password', SHA512_VECTOR)).resolves.toBe(false);
    });

    it('concatenates the arguments around `@` (md5 of salt + password)', async () => {
      const text = expression('md5', ['salt', '@'], md5('saltpassword'));
      await expect(verifyLegacyDigest('password', text)).resolves.toBe(true);
      await expect(verifyLegacyDigest('passwordx', text)).resolves.toBe(false);
    });

    it('puts the password in place of every `@`, before and after other arguments', async () => {
      const text = expression('sha256', ['@', ':', 'pepper', ':', '@'], createHash('sha256').update('pw:pepper:pw').digest('hex'));
      await expect(verifyLegacyDigest('pw', text)).resolves.toBe(true);
      await expect(verifyLegacyDigest('pepper', text)).resolves.toBe(false);
    });

    it('accepts any digest Node offers (sha3-256, blake2b512)', async () => {
      for (const algorithm of ['sha3-256', 'blake2b512']) {
        const text = expression(algorithm, ['@'], createHash(algorithm).update('secret').digest('hex'));
        await expect(verifyLegacyDigest('secret', text)).resolves.toBe(true);
      }
    });

    it('hashes the password as UTF-8', async () => {
      const text = expression('md5', ['@'], md5('pässwörd✓'));
      await expect(verifyLegacyDigest('pässwörd✓', text)).resolves.toBe(true);
    });

    it('never matches an upper-case expected hash', async () => {
      await expect(verifyLegacyDigest('password', expression('md5', ['@'], md5('password').toUpperCase()))).resolves.toBe(false);
    });
  });

  describe('pbkdf2', () => {
    it('verifies a plain-text salt', async () => {
      const expected = pbkdf2Sync('password', 'NaCl-salt', 1000, 32, 'sha256').toString('hex');
      const text = pbkdf2Expression('NaCl-salt', '1000', '32', 'sha256', expected);
      await expect(verifyLegacyDigest('password', text)).resolves.toBe(true);
      await expect(verifyLegacyDigest('wrong', text)).resolves.toBe(false);
    });

    it('verifies a `hex:` salt as raw bytes, not as its text', async () => {
      const saltBytes = Buffer.from('00ff10ab7f80c3', 'hex');
      const expected = pbkdf2Sync('password', saltBytes, 500, 64, 'sha512').toString('hex');
      const text = pbkdf2Expression('hex:00ff10ab7f80c3', '500', '64', 'sha512', expected);
      await expect(verifyLegacyDigest('password', text)).resolves.toBe(true);
      await expect(verifyLegacyDigest('wrong', text)).resolves.toBe(false);
      const asText = pbkdf2Sync('password', 'hex:00ff10ab7f80c3', 500, 64, 'sha512').toString('hex');
      await expect(verifyLegacyDigest('password', pbkdf2Expression('hex:00ff10ab7f80c3', '500', '64', 'sha512', asText))).resolves.toBe(
        false,
      );
    });

    it('accepts upper-case hex in a `hex:` salt', async () => {
      const expected = pbkdf2Sync('password', Buffer.from('abcdef', 'hex'), 10, 16, 'sha1').toString('hex');
      await expect(verifyLegacyDigest('password', pbkdf2Expression('hex:ABCDEF', '10', '16', 'sha1', expected))).resolves.toBe(true);
    });

    it('treats `pbkdf2Sync` as a name of pbkdf2', async () => {
      const expected = pbkdf2Sync('password', 'salt', 100, 20, 'sha1').toString('hex');
      await expect(verifyLegacyDigest('password', pbkdf2Expression('salt', '100', '20', 'sha1', expected, 'pbkdf2Sync'))).resolves.toBe(
        true,
      );
    });
  });

  describe('firebase-scrypt', () => {
    it('verifies the public Firebase test vector', async () => {
      await expect(verifyLegacyDigest(FIREBASE.password, firebaseExpression())).resolves.toBe(true);
    });

    it('rejects a wrong password against the Firebase vector', async () => {
      await expect(verifyLegacyDigest('user2password', firebaseExpression())).resolves.toBe(false);
    });

    it('accepts URL-safe base64 for the salt, signer key and separator', async () => {
      const text = firebaseExpression({ salt: toUrlSafe(FIREBASE.salt), signerKey: toUrlSafe(FIREBASE.signerKey) });
      expect(text).toMatch(/[-_]/);
      await expect(verifyLegacyDigest(FIREBASE.password, text)).resolves.toBe(true);
    });

    /** A firebase-scrypt expression for `password`, computed independently with node:crypto. */
    function referenceExpression(password: string, rounds: number, memCost: number): string {
      const salt = Buffer.from('some-salt');
      const separator = Buffer.from([0x07]);
      const signerKey = Buffer.from('signer-key-bytes-of-any-length!!');
      const key = scryptSync(password, Buffer.concat([salt, separator]), 32, { N: 2 ** memCost, r: rounds, p: 1, maxmem: 2 ** 30 });
      const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
      return firebaseExpression({
        salt: salt.toString('base64'),
        signerKey: signerKey.toString('base64'),
        saltSeparator: separator.toString('base64'),
        rounds: String(rounds),
        memCost: String(memCost),
        hash: Buffer.concat([cipher.update(signerKey), cipher.final()]).toString('base64'),
      });
    }

    it('agrees with a reference computation for other parameters', async () => {
      const text = referenceExpression('hunter2', 4, 10);
      await expect(verifyLegacyDigest('hunter2', text)).resolves.toBe(true);
      await expect(verifyLegacyDigest('hunter3', text)).resolves.toBe(false);
    });

    it.each([
      [1, 1],
      [16, 1],
      [1, 2],
      [16, 17],
    ])('verifies every accepted cost, down to the smallest and up to the bounds (rounds %i, memCost %i)', async (rounds, memCost) => {
      const text = referenceExpression('hunter2', rounds, memCost);
      expect(parseLegacyDigest(text)).toMatchObject({ kind: 'firebase-scrypt', blockSize: rounds, logN: memCost });
      await expect(verifyLegacyDigest('hunter2', text)).resolves.toBe(true);
    });
  });

  it('answers "no match" (never throws) for an expression that does not parse', async () => {
    await expect(verifyLegacyDigest('password', 'not json')).resolves.toBe(false);
    await expect(verifyLegacyDigest('password', expression('nope', ['@'], 'x'))).resolves.toBe(false);
  });
});

describe('parseLegacyDigest', () => {
  it('accepts the cost bounds themselves', () => {
    expect(parseLegacyDigest(pbkdf2Expression('salt', '2000000', '128', 'sha256'))).toMatchObject({
      kind: 'pbkdf2',
      iterations: 2_000_000,
      keyLength: 128,
    });
    expect(parseLegacyDigest(firebaseExpression({ rounds: '16', memCost: '17' }))).toMatchObject({
      kind: 'firebase-scrypt',
      blockSize: 16,
      logN: 17,
    });
  });

  describe('password.invalid_legacy_password_format', () => {
    it.each([
      ['not JSON', 'not json'],
      ['truncated JSON', '["md5", ["@"], "ab"'],
      ['a JSON object', JSON.stringify({ algorithm: 'md5', args: ['@'], hash: 'ab' })],
      ['a JSON string', JSON.stringify('md5')],
      ['an empty array', '[]'],
      ['two elements', JSON.stringify(['md5', ['@']])],
      ['four elements', JSON.stringify(['md5', ['@'], 'ab', 'extra'])],
      ['args not an array', expression('md5', '@', 'ab')],
      ['a non-string algorithm', expression(5, ['@'], 'ab')],
      ['a non-string expected hash', expression('md5', ['@'], 12)],
      ['a non-string argument', expression('md5', [1, '@'], 'ab')],
    ])('rejects %s', (_, text) => {
      const error = expectRejected(text, 'password.invalid_legacy_password_format');
      expect(error.message).toBe('Invalid legacy password format.');
    });

    it.each([
      ['no arguments', expression('md5', [], 'ab')],
      ['arguments without `@`', expression('md5', ['salt', 'password'], 'ab')],
      ['`@` only inside another argument', expression('md5', ['salt@'], 'ab')],
      ['pbkdf2 without `@`', expression('pbkdf2', ['salt', '1000', '32', 'sha256', 'x'], 'ab')],
      ['firebase-scrypt without `@`', expression('firebase-scrypt', ['c2FsdA==', 'a2V5', 'Bw==', '8', '14', 'x'], 'ab')],
    ])('rejects %s (missing `@`)', (_, text) => {
      expectRejected(text, 'password.invalid_legacy_password_format');
    });

    it.each([
      ['pbkdf2 with four arguments and `@`', expression('pbkdf2', ['salt', '1000', '32', '@'], 'ab')],
      ['pbkdf2 with six arguments', expression('pbkdf2', ['salt', '1000', '32', 'sha256', '@', 'extra'], 'ab')],
      ['pbkdf2 with `@` not last', expression('pbkdf2', ['@', 'salt', '1000', '32', 'sha256'], 'ab')],
      ['firebase-scrypt with five arguments', expression('firebase-scrypt', ['c2FsdA==', 'a2V5', 'Bw==', '8', '@'], 'ab')],
      ['firebase-scrypt with seven arguments', expression('firebase-scrypt', ['c2FsdA==', 'a2V5', 'Bw==', '8', '14', '@', 'x'], 'ab')],
      ['firebase-scrypt with `@` not last', expression('firebase-scrypt', ['@', 'c2FsdA==', 'a2V5', 'Bw==', '8', '14'], 'ab')],
    ])('rejects %s (wrong arity)', (_, text) => {
      expectRejected(text, 'password.invalid_legacy_password_format');
    });

    it.each([
      ['odd-length hex', 'hex:abc'],
      ['non-hex characters', 'hex:zz11'],
      ['a space', 'hex:a bc'],
    ])('rejects a `hex:` salt with %s', (_, salt) => {
      expectRejected(pbkdf2Expression(salt, '1000', '32', 'sha256'), 'password.invalid_legacy_password_format');
    });

    it.each([
      ['a word', 'ten'],
      ['a fraction', '1.5'],
      ['a negative number', '-5'],
      ['zero', '0'],
      ['an empty string', ''],
      ['an exponent', '1e3'],
      ['surrounding spaces', ' 1000 '],
    ])('rejects pbkdf2 iterations given as %s', (_, iterations) => {
      expectRejected(pbkdf2Expression('salt', iterations, '32', 'sha256'), 'password.invalid_legacy_password_format');
    });

    it.each([['abc'], ['0'], ['32.0']])('rejects pbkdf2 key length %p', (keyLength) => {
      expectRejected(pbkdf2Expression('salt', '1000', keyLength, 'sha256'), 'password.invalid_legacy_password_format');
    });

    it.each([
      ['rounds', { rounds: 'eight' }],
      ['rounds', { rounds: '0' }],
      ['memCost', { memCost: '14.5' }],
      ['memCost', { memCost: '' }],
    ])('rejects non-integer firebase-scrypt %s', (_, fields) => {
      expectRejected(firebaseExpression(fields), 'password.invalid_legacy_password_format');
    });

    it.each([
      ['salt', { salt: 'not base64!' }],
      ['signer key', { signerKey: 'a b c' }],
      ['salt separator', { saltSeparator: 'B*==' }],
    ])('rejects a firebase-scrypt %s that is not base64', (_, fields) => {
      expectRejected(firebaseExpression(fields), 'password.invalid_legacy_password_format');
    });
  });

  describe('password.unsupported_legacy_hash_algorithm', () => {
    it.each([['nope'], ['sha0'], ['MD6'], ['']])('rejects the digest name %p and names it in the message', (algorithm) => {
      const error = expectRejected(expression(algorithm, ['@'], 'ab'), 'password.unsupported_legacy_hash_algorithm');
      expect(error.message).toBe(`Unsupported legacy hash algorithm: ${algorithm}.`);
    });

    it('rejects an unknown pbkdf2 digest argument', () => {
      const error = expectRejected(pbkdf2Expression('salt', '1000', '32', 'sha999'), 'password.unsupported_legacy_hash_algorithm');
      expect(error.message).toBe('Unsupported legacy hash algorithm: sha999.');
    });
  });

  describe('cost bounds → guard.invalid_input', () => {
    it.each([
      ['pbkdf2 iterations over 2,000,000', pbkdf2Expression('salt', '2000001', '32', 'sha256')],
      ['pbkdf2 key length over 128', pbkdf2Expression('salt', '1000', '129', 'sha256')],
      ['firebase-scrypt memCost over 17', firebaseExpression({ memCost: '18' })],
      ['firebase-scrypt rounds over 16', firebaseExpression({ rounds: '17' })],
    ])('rejects %s', (_, text) => {
      const error = expectRejected(text, 'guard.invalid_input');
      expect(error.message).toBe('The request body is invalid.');
      expect(error.details).toContain('passwordDigest');
    });
  });
});
