import { timingSafeEqual } from 'node:crypto';

/** Compares two secrets (texts or bytes) in time that depends only on their length. */
export function equalsInConstantTime(actual: string | Buffer, expected: string | Buffer): boolean {
  const a = typeof actual === 'string' ? Buffer.from(actual) : actual;
  const b = typeof expected === 'string' ? Buffer.from(expected) : expected;
  return a.length === b.length && timingSafeEqual(a, b);
}
