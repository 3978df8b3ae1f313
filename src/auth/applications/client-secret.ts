import { randomBytes, scrypt } from 'node:crypto';
import { customAlphabet } from 'nanoid';
import { equalsInConstantTime } from '../../common/constant-time.js';
import { runCpuBound } from '../../common/cpu-bound.js';

const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 32 alphanumeric characters: about 190 bits. */
export const generateClientSecret = customAlphabet(ALPHANUMERIC, 32);

/** scrypt cost: about 16 MiB and tens of milliseconds, run on libuv's thread pool. */
const COST = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(secret: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return runCpuBound(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scrypt(secret, salt, KEY_LENGTH, { ...cost, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
      }),
  );
}

/**
 * Client secrets are stored as scrypt hashes (a bootstrap secret is chosen by a person and may be
 * guessable, so a fast hash would not do). Format: `scrypt$N$r$p$salt$hash`, base64url parts.
 */
export async function hashClientSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(secret, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyClientSecret(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return equalsInConstantTime(actual, expected);
}

let decoyHash: Promise<string> | undefined;

/** Costs what a real check costs, so an unknown client id cannot be told apart by timing. */
export async function verifyAgainstDecoy(secret: string): Promise<false> {
  decoyHash ??= hashClientSecret(generateClientSecret());
  await verifyClientSecret(secret, await decoyHash);
  return false;
}
