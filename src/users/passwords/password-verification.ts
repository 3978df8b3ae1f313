import { verify as verifyArgon2 } from '@node-rs/argon2';
import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import { createHash, randomBytes } from 'node:crypto';
import { equalsInConstantTime } from '../../common/constant-time.js';
import { runCpuBound } from '../../common/cpu-bound.js';
import type { PasswordAlgorithm } from '../user.entity.js';
import { verifyLegacyDigest } from './legacy-digest.js';
import { hashPassword } from './password-hashing.js';

/** Unsalted hashes whose check takes microseconds: a failure there must be padded out. */
const FAST_ALGORITHMS = new Set<PasswordAlgorithm>(['MD5', 'SHA1', 'SHA256', 'Legacy']);
const NODE_HASH_NAMES: Partial<Record<PasswordAlgorithm, string>> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256' };

/**
 * Checks a password against a stored digest. Argon2 and bcrypt run on libuv's thread pool (native
 * addons), PBKDF2 and scrypt too (Node's async crypto); the plain digests are microseconds.
 * Digests were checked at import, so an error here is treated as "no match", never a 500.
 */
export async function verifyPasswordDigest(password: string, algorithm: PasswordAlgorithm, digest: string): Promise<boolean> {
  try {
    switch (algorithm) {
      case 'Argon2i':
      case 'Argon2id':
      case 'Argon2d':
        return await runCpuBound(() => verifyArgon2(digest, password));
      case 'Bcrypt':
        return await runCpuBound(() => verifyBcrypt(password, digest));
      case 'MD5':
      case 'SHA1':
      case 'SHA256':
        return equalsInConstantTime(createHash(NODE_HASH_NAMES[algorithm]!).update(password, 'utf8').digest('hex'), digest);
      case 'Legacy':
        return await runCpuBound(() => verifyLegacyDigest(password, digest));
    }
  } catch {
    return false;
  }
}

let decoyDigest: Promise<string> | undefined;

/**
 * Spends what a real Argon2i check spends, so a failed check for a user without a password, or
 * with a fast hash, takes as long as one against an Argon2i hash.
 */
export async function runDecoyVerification(password: string): Promise<void> {
  decoyDigest ??= hashPassword(randomBytes(16).toString('hex'));
  const digest = await decoyDigest;
  await runCpuBound(() => verifyArgon2(digest, password));
}

export function needsDecoy(algorithm: PasswordAlgorithm | null): boolean {
  return algorithm === null || FAST_ALGORITHMS.has(algorithm);
}
