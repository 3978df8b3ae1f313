import { hash as argon2Hash } from '@node-rs/argon2';
import { hash as bcryptHash } from '@node-rs/bcrypt';
import { createHash } from 'node:crypto';
import { RequestError } from '../../common/errors/request-error.js';
import type { PasswordAlgorithm } from '../user.entity.js';
import { assertImportableDigest } from './imported-digest.js';

/**
 * Digests imported on `POST /api/users` are checked for their format and cost before they are stored
 * (a deliberate difference from Logto, which accepts anything and answers 500 at verification).
 */

/** `@node-rs/argon2`'s `Algorithm` const enum, which isolated modules cannot inline. */
const ARGON2_VARIANTS = { Argon2d: 0, Argon2i: 1, Argon2id: 2 } as const;
type Argon2Name = keyof typeof ARGON2_VARIANTS;

function caught(action: () => unknown): RequestError | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  return undefined;
}

/** A 400 `guard.invalid_input` whose details name the `passwordDigest` key. */
function expectInvalidDigest(algorithm: PasswordAlgorithm, digest: string): void {
  const error = caught(() => assertImportableDigest(algorithm, digest));
  expect(error).toBeInstanceOf(RequestError);
  expect({ code: error?.code, status: error?.status, message: error?.message }).toEqual({
    code: 'guard.invalid_input',
    status: 400,
    message: 'The request body is invalid.',
  });
  expect(error?.details).toContain('passwordDigest');
}

function expectAccepted(algorithm: PasswordAlgorithm, digest: string): void {
  expect(() => assertImportableDigest(algorithm, digest)).not.toThrow();
}

const hexOf = (algorithm: string, input: string): string => createHash(algorithm).update(input).digest('hex');

describe('assertImportableDigest', () => {
  describe('Argon2', () => {
    const generated = {} as Record<Argon2Name, string>;

    beforeAll(async () => {
      for (const [name, algorithm] of Object.entries(ARGON2_VARIANTS) as [Argon2Name, number][]) {
        generated[name] = await argon2Hash('password', { algorithm, memoryCost: 1024, timeCost: 1, parallelism: 1 });
      }
    });

    /** The generated Argon2id hash with one `key=value` parameter replaced. */
    const withParameter = (key: 'm' | 't' | 'p', value: number): string =>
      generated.Argon2id.replace(new RegExp(`${key}=\\d+`), `${key}=${value}`);

    it.each(Object.keys(ARGON2_VARIANTS) as Argon2Name[])('accepts a genuine %s PHC string', (name) => {
      expect(generated[name]).toMatch(new RegExp(`^\\$${name.toLowerCase()}\\$v=19\\$`));
      expectAccepted(name, generated[name]);
    });

    it('accepts a PHC string without the version segment', () => {
      expectAccepted('Argon2i', generated.Argon2i.replace('$v=19', ''));
    });

    it('accepts the bounds themselves (m = 262144, t = 10, p = 16)', () => {
      expectAccepted('Argon2id', withParameter('m', 262_144));
      expectAccepted('Argon2id', withParameter('t', 10));
      expectAccepted('Argon2id', withParameter('p', 16));
    });

    it.each([
      ['memory over 262144 KiB', 'm', 262_145],
      ['time cost over 10', 't', 11],
      ['parallelism over 16', 'p', 17],
    ] as const)('rejects %s', (_, key, value) => {
      expectInvalidDigest('Argon2id', withParameter(key, value));
    });

    it.each([
      ['memory below Argon2’s minimum', 'm', 1],
      ['a zero time cost', 't', 0],
      ['zero lanes', 'p', 0],
    ] as const)('rejects parameters Argon2 itself refuses: %s', (_, key, value) => {
      expectInvalidDigest('Argon2id', withParameter(key, value));
    });

    it.each([
      ['garbage', () => 'not-an-argon2-hash'],
      ['an empty string', () => ''],
      ['an unknown variant', () => generated.Argon2id.replace('$argon2id$', '$argon2x$')],
      ['a missing hash segment', () => generated.Argon2i.replace(/\$[^$]+$/, '')],
      ['a hash that is not base64', () => generated.Argon2i.replace(/\$[^$]+$/, '$!!!!')],
      ['a one-character hash', () => generated.Argon2i.replace(/\$[^$]+$/, '$A')],
      ['a salt shorter than 8 bytes', () => generated.Argon2i.replace(/\$[^$]+(\$[^$]+)$/, '$AAAA$1')],
      ['missing parameters', () => generated.Argon2i.replace(/m=\d+,t=\d+,p=\d+/, 'm=1024,t=1')],
      ['a bcrypt hash', () => '$2b$04$DbXax4P0ws/l3RqH17kYOOvIpEAIEyVqQDxCMNB4OmXa7GWvVILAu'],
      ['trailing whitespace', () => `${generated.Argon2i} `],
    ])('rejects %s', (_, digest) => {
      expectInvalidDigest('Argon2i', digest());
    });
  });

  describe('Bcrypt', () => {
    let cost4: string;

    beforeAll(async () => {
      cost4 = await bcryptHash('password', 4);
    });

    const withCost = (cost: string): string => cost4.replace(/^\$2b\$04\$/, `$2b$${cost}$`);

    it('accepts a genuine $2b$ hash', () => {
      expect(cost4).toMatch(/^\$2b\$04\$.{53}$/);
      expectAccepted('Bcrypt', cost4);
    });

    it.each(['$2a$', '$2y$'])('accepts the %s prefix', (prefix) => {
      expectAccepted('Bcrypt', cost4.replace('$2b$', prefix));
    });

    it('accepts cost 14, the bound', () => {
      expectAccepted('Bcrypt', withCost('14'));
    });

    it.each([
      ['cost 15', () => withCost('15')],
      ['cost 31', () => withCost('31')],
      ['cost 03', () => withCost('03')],
      ['cost 00', () => withCost('00')],
      ['a one-digit cost', () => withCost('4')],
      ['the $2x$ prefix', () => cost4.replace('$2b$', '$2x$')],
      ['the $2$ prefix', () => cost4.replace('$2b$', '$2$')],
      ['one character too few', () => cost4.slice(0, -1)],
      ['one character too many', () => `${cost4}A`],
      ['a character outside bcrypt’s base64', () => `${cost4.slice(0, -1)}+`],
      ['garbage', () => 'not-a-bcrypt-hash'],
    ])('rejects %s', (_, digest) => {
      expectInvalidDigest('Bcrypt', digest());
    });
  });

  describe('hex digests', () => {
    const valid: Record<'MD5' | 'SHA1' | 'SHA256', string> = {
      MD5: hexOf('md5', 'password'),
      SHA1: hexOf('sha1', 'password'),
      SHA256: hexOf('sha256', 'password'),
    };

    it('has the known MD5 vector', () => {
      expect(valid.MD5).toBe('5f4dcc3b5aa765d61d8327deb882cf99');
    });

    describe.each(Object.keys(valid) as (keyof typeof valid)[])('%s', (algorithm) => {
      const digest = valid[algorithm];

      it('accepts lower-case hex of the right length', () => {
        expectAccepted(algorithm, digest);
      });

      it.each([
        ['upper-case hex', () => digest.toUpperCase()],
        ['one character too few', () => digest.slice(0, -1)],
        ['one character too many', () => `${digest}0`],
        ['a non-hex character', () => `${digest.slice(0, -1)}g`],
        ['surrounding whitespace', () => ` ${digest.slice(1)}`],
        ['an empty string', () => ''],
      ])('rejects %s', (_, value) => {
        expectInvalidDigest(algorithm, value());
      });
    });

    it('rejects a digest of another algorithm’s length', () => {
      expectInvalidDigest('SHA1', valid.MD5);
      expectInvalidDigest('SHA256', valid.SHA1);
      expectInvalidDigest('MD5', valid.SHA256);
    });
  });

  describe('Legacy', () => {
    it('accepts a valid expression', () => {
      expectAccepted('Legacy', JSON.stringify(['md5', ['salt', '@'], hexOf('md5', 'saltpassword')]));
    });

    it('answers the legacy codes, not guard.invalid_input, for a bad expression', () => {
      expect(caught(() => assertImportableDigest('Legacy', 'not json'))?.code).toBe('password.invalid_legacy_password_format');
      expect(caught(() => assertImportableDigest('Legacy', JSON.stringify(['nope', ['@'], 'ab'])))?.code).toBe(
        'password.unsupported_legacy_hash_algorithm',
      );
    });
  });
});
