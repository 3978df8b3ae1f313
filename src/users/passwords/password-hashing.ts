import { hash } from '@node-rs/argon2';
import { runCpuBound } from '../../common/cpu-bound.js';

/** `@node-rs/argon2` exports `Algorithm` as a const enum, which isolated modules cannot inline. */
const ARGON2I = 1;

/**
 * One Argon2i hash with Logto's parameters (8 MiB, 8 passes, 1 lane, 32-byte hash, 16-byte random
 * salt) on libuv's thread pool, outside the process-wide limit: the password benchmark measures the
 * machine's raw hash rate with it.
 */
export function hashArgon2i(password: string): Promise<string> {
  return hash(password, { algorithm: ARGON2I, memoryCost: 8192, timeCost: 8, parallelism: 1, outputLen: 32 });
}

/** Hashes a new password off the event loop, queued behind the limit on concurrent CPU-bound jobs. */
export function hashPassword(password: string): Promise<string> {
  return runCpuBound(() => hashArgon2i(password));
}
