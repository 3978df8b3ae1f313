import { parseOptions } from '@node-rs/argon2';
import type { PasswordAlgorithm } from '../user.entity.js';
import { COST_BOUNDS } from './cost-bounds.js';
import { invalidDigest } from './digest-errors.js';
import { parseLegacyDigest } from './legacy-digest.js';

const HEX_LENGTHS: Partial<Record<PasswordAlgorithm, number>> = { MD5: 32, SHA1: 40, SHA256: 64 };
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(?:i|d|id)\$(?:v=(?:16|19)\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

function assertArgon2(digest: string): void {
  if (!ARGON2.test(digest)) throw invalidDigest('(invalid_string) not an Argon2 PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)');
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(digest);
  } catch {
    throw invalidDigest('(invalid_string) the Argon2 parameters, salt or hash are invalid');
  }
  if (options.memoryCost > COST_BOUNDS.argon2MemoryKiB) {
    throw invalidDigest(`(too_big) Argon2 memory must be at most ${COST_BOUNDS.argon2MemoryKiB} KiB`);
  }
  if (options.timeCost > COST_BOUNDS.argon2Time) {
    throw invalidDigest(`(too_big) Argon2 time cost must be at most ${COST_BOUNDS.argon2Time}`);
  }
  if (options.parallelism > COST_BOUNDS.argon2Parallelism) {
    throw invalidDigest(`(too_big) Argon2 parallelism must be at most ${COST_BOUNDS.argon2Parallelism}`);
  }
}

function assertBcrypt(digest: string): void {
  const match = BCRYPT.exec(digest);
  if (!match) {
    throw invalidDigest('(invalid_string) not a bcrypt hash ($2a$, $2b$ or $2y$, two-digit cost, 53 characters of salt and hash)');
  }
  const cost = Number(match[1]);
  if (cost < 4 || cost > COST_BOUNDS.bcryptCost) {
    throw invalidDigest(`(too_big) bcrypt cost must be between 4 and ${COST_BOUNDS.bcryptCost}`);
  }
}

/**
 * Checks an imported digest before it is stored, unlike Logto, so that verifying it later can never
 * fail on its format (a 500) or cost more than the bounds allow.
 */
export function assertImportableDigest(algorithm: PasswordAlgorithm, digest: string): void {
  switch (algorithm) {
    case 'Argon2i':
    case 'Argon2id':
    case 'Argon2d':
      return assertArgon2(digest);
    case 'Bcrypt':
      return assertBcrypt(digest);
    case 'MD5':
    case 'SHA1':
    case 'SHA256': {
      const length = HEX_LENGTHS[algorithm];
      if (!new RegExp(`^[0-9a-f]{${length}}$`).test(digest)) {
        throw invalidDigest(`(invalid_string) a ${algorithm} digest is ${length} lower-case hex characters`);
      }
      return;
    }
    case 'Legacy':
      parseLegacyDigest(digest);
      return;
  }
}
