/**
 * Upper bounds on the work an imported hash may demand per verification. Logto has none, so one
 * crafted digest could pin a CPU (or, for scrypt/Argon2, gigabytes) on every check.
 */
export const COST_BOUNDS = {
  bcryptCost: 14,
  pbkdf2Iterations: 2_000_000,
  pbkdf2KeyLength: 128,
  /** scrypt N ≤ 2^17 (128 MiB at r = 8). */
  scryptLogN: 17,
  scryptBlockSize: 16,
  argon2MemoryKiB: 262_144,
  argon2Time: 10,
  argon2Parallelism: 16,
} as const;

/** Longest password accepted anywhere, in UTF-8 bytes; checked before any hashing. */
export const MAX_PASSWORD_BYTES = 256;
