import { randomBytes } from 'node:crypto';
import { type Sdk, sdkFor } from './clients.js';
import type { PasswordAlgorithm, Profile, User } from './wire.js';

/**
 * Test data: values no other test of the run can have taken, and users created through the SDK.
 * A test server's database lives as long as its spec file, so values must be unique per call.
 */

/** Differs between runs and files, so values never collide with leftovers of another run. */
const RUN = randomBytes(4).toString('hex');
let sequence = 0;

/** A fresh name: letters of `prefix`, then a per-call number and the run's tag (usable as a username). */
export function uniqueName(prefix = 'user'): string {
  sequence += 1;
  return `${prefix}_${sequence}_${RUN}`;
}

export const uniqueEmail = (): string => `${uniqueName('mail')}@example.com`;

/**
 * An Australian mobile national number (`4` + 8 digits), never the same twice in a run:
 * `61<national>` and `610<national>` (with the trunk zero) are one number.
 */
const phoneBase = 20_000_000 + Math.floor(Math.random() * 60_000_000);
export function uniqueNationalMobile(): string {
  sequence += 1;
  return `4${phoneBase + sequence}`;
}

/** A fresh phone number in its normalised international form (`61…`). */
export const uniquePhone = (): string => `61${uniqueNationalMobile()}`;

/** A random letters-only tag (`g`–`p` stand for the digits): safe inside usernames, emails, LIKE patterns and regexes. */
export function uniqueLetters(length = 16): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length)
    .replace(/[0-9]/g, (digit) => String.fromCharCode(103 + Number(digit)));
}

/** The body of `POST /api/users`. */
export interface CreateUserBody {
  username?: string;
  primaryEmail?: string;
  primaryPhone?: string;
  password?: string;
  passwordDigest?: string;
  passwordAlgorithm?: PasswordAlgorithm;
  name?: string;
  avatar?: string | null;
  customData?: Record<string, unknown>;
  profile?: Profile;
}

/**
 * Creates a user through the official SDK with exactly `body` (nothing is filled in) and fails the
 * test unless the answer is 200. `target` is a test server (its shared SDK client) or an SDK client.
 */
export async function createUser(target: { baseUrl: string } | Sdk, body: CreateUserBody = {}): Promise<User> {
  const sdk = 'baseUrl' in target ? sdkFor(target.baseUrl) : target;
  const { data, response } = await sdk.POST('/api/users', { body });
  expect(response.status).toBe(200);
  return data as unknown as User;
}
