import { createHash, getHashes, pbkdf2, scrypt, createCipheriv } from 'node:crypto';
import { equalsInConstantTime } from '../../common/constant-time.js';
import { RequestError } from '../../common/errors/request-error.js';
import { COST_BOUNDS } from './cost-bounds.js';
import { invalidDigest } from './digest-errors.js';

/** Enough for the largest accepted cost (128 · r · N bytes at N = 2^17, r = 16), with headroom. */
const SCRYPT_MAX_MEMORY = 128 * COST_BOUNDS.scryptBlockSize * 2 ** COST_BOUNDS.scryptLogN + 16 * 1024 * 1024;

/** The plaintext's place among a legacy expression's arguments. */
const PLACEHOLDER = '@';

export type LegacyDigest =
  | { kind: 'digest'; algorithm: string; args: string[]; expected: string }
  | { kind: 'pbkdf2'; salt: Buffer; iterations: number; keyLength: number; digest: string; expected: string }
  | { kind: 'firebase-scrypt'; salt: Buffer; signerKey: Buffer; logN: number; blockSize: number; expected: string };

const invalidFormat = (): RequestError => new RequestError('password.invalid_legacy_password_format');

function decodeSalt(text: string): Buffer {
  if (!text.startsWith('hex:')) return Buffer.from(text, 'utf8');
  const hex = text.slice(4);
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw invalidFormat();
  return Buffer.from(hex, 'hex');
}

/** Firebase exports use standard or URL-safe base64. */
function decodeBase64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) throw invalidFormat();
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function integerWithin(text: string, min: number, max: number, what: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(value) || value < min) throw invalidFormat();
  if (value > max) throw invalidDigest(`(too_big) ${what} must be at most ${max}`);
  return value;
}

function parseExpression(text: string): [string, string[], string] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidFormat();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalidFormat();
  const [algorithm, args, expected] = parsed as unknown[];
  if (typeof algorithm !== 'string' || typeof expected !== 'string' || !Array.isArray(args)) throw invalidFormat();
  if (!args.every((arg) => typeof arg === 'string') || !args.includes(PLACEHOLDER)) throw invalidFormat();
  return [algorithm, args, expected];
}

/**
 * Parses and checks a `Legacy` digest, `[algorithm, args, expectedHash]` as JSON (README, "Passwords"), so that
 * verifying it later cannot fail for its shape or cost: a generic Node digest with `@` placeholders,
 * `pbkdf2` (`[salt, iterations, keylen, digest, "@"]`) or `firebase-scrypt`
 * (`[salt, signerKey, saltSeparator, rounds, memCost, "@"]`).
 */
export function parseLegacyDigest(text: string): LegacyDigest {
  const [algorithm, args, expected] = parseExpression(text);
  if (algorithm === 'pbkdf2' || algorithm === 'pbkdf2Sync') {
    if (args.length !== 5 || args[4] !== PLACEHOLDER) throw invalidFormat();
    const [salt, iterations, keyLength, digest] = args as [string, string, string, string];
    if (!getHashes().includes(digest)) {
      throw new RequestError('password.unsupported_legacy_hash_algorithm', { interpolation: { algorithm: digest } });
    }
    return {
      kind: 'pbkdf2',
      salt: decodeSalt(salt),
      iterations: integerWithin(iterations, 1, COST_BOUNDS.pbkdf2Iterations, 'PBKDF2 iterations'),
      keyLength: integerWithin(keyLength, 1, COST_BOUNDS.pbkdf2KeyLength, 'PBKDF2 key length'),
      digest,
      expected,
    };
  }
  if (algorithm === 'firebase-scrypt') {
    if (args.length !== 6 || args[5] !== PLACEHOLDER) throw invalidFormat();
    const [salt, signerKey, separator, rounds, memCost] = args as [string, string, string, string, string];
    return {
      kind: 'firebase-scrypt',
      salt: Buffer.concat([decodeBase64(salt), decodeBase64(separator)]),
      signerKey: decodeBase64(signerKey),
      blockSize: integerWithin(rounds, 1, COST_BOUNDS.scryptBlockSize, 'scrypt rounds'),
      logN: integerWithin(memCost, 1, COST_BOUNDS.scryptLogN, 'scrypt memory cost (log2 N)'),
      expected,
    };
  }
  if (!getHashes().includes(algorithm)) {
    throw new RequestError('password.unsupported_legacy_hash_algorithm', { interpolation: { algorithm } });
  }
  return { kind: 'digest', algorithm, args, expected };
}

function derivePbkdf2(password: string, digest: Extract<LegacyDigest, { kind: 'pbkdf2' }>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, digest.salt, digest.iterations, digest.keyLength, digest.digest, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

async function firebaseScrypt(password: string, digest: Extract<LegacyDigest, { kind: 'firebase-scrypt' }>): Promise<string> {
  const N = 2 ** digest.logN;
  const key = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password, digest.salt, 32, { N, r: digest.blockSize, p: 1, maxmem: SCRYPT_MAX_MEMORY }, (error, derived) =>
      error ? reject(error) : resolve(derived),
    );
  });
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(digest.signerKey), cipher.final()]).toString('base64');
}

/** Recomputes a legacy digest (PBKDF2 and scrypt on libuv's thread pool); any failure is "no match". */
export async function verifyLegacyDigest(password: string, text: string): Promise<boolean> {
  try {
    const digest = parseLegacyDigest(text);
    switch (digest.kind) {
      case 'digest': {
        const input = digest.args.map((arg) => (arg === PLACEHOLDER ? password : arg)).join('');
        return equalsInConstantTime(createHash(digest.algorithm).update(input, 'utf8').digest('hex'), digest.expected);
      }
      case 'pbkdf2':
        return equalsInConstantTime((await derivePbkdf2(password, digest)).toString('hex'), digest.expected);
      case 'firebase-scrypt':
        return equalsInConstantTime(await firebaseScrypt(password, digest), digest.expected);
    }
  } catch {
    return false;
  }
}
