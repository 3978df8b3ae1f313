import { hash } from '@node-rs/argon2';
import { runCpuBound } from '../../common/cpu-bound.js';

/** `@node-rs/argon2` exports `Algorithm` as a const enum, which isolated modules cannot inline. */
const ARGON2I = 1;

/**
 * Hashes a new password with Logto's parameters (Argon2i, 8 MiB, 8 passes, 1 lane, 32-byte hash,
 * 16-byte random salt). The native addon runs on libuv's thread pool, off the event loop.
 */
export function hashPassword(password: string): Promise<string> {
  return runCpuBound(() => hash(password, { algorithm: ARGON2I, memoryCost: 8192, timeCost: 8, parallelism: 1, outputLen: 32 }));
}
