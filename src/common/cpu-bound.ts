import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';

/**
 * Password and secret hashing (Argon2, bcrypt, PBKDF2, scrypt) runs on libuv's thread pool, off the
 * event loop, but it still needs CPU. With the pool's four threads busy on a two-core machine the
 * event loop gets a fifth of the CPU and every other request waits; so at most one such job per
 * core runs at a time, and the rest queue without blocking anything.
 */
export const runCpuBound = pLimit(Math.max(1, availableParallelism()));
