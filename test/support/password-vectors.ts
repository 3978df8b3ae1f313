/** Known-answer vectors for imported password digests, shared by the unit and e2e suites. */

/** A `Legacy` digest expression: `[algorithm, args, expected]` as JSON (Logto's `Legacy` algorithm; README "Passwords"). */
export const legacyExpression = (algorithm: unknown, args: unknown, expected: unknown): string =>
  JSON.stringify([algorithm, args, expected]);

/** sha512 of `password`, as a `Legacy` expression. */
export const LEGACY_SHA512_OF_PASSWORD = legacyExpression(
  'sha512',
  ['@'],
  'b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86',
);

export interface FirebaseFields {
  salt: string;
  signerKey: string;
  saltSeparator: string;
  rounds: string;
  memCost: string;
  password: string;
  hash: string;
}

/** The public Firebase scrypt test vector (firebase/scrypt README). */
export const FIREBASE_VECTOR: Readonly<FirebaseFields> = {
  salt: '42xEC+ixf3L2lw==',
  signerKey: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
  saltSeparator: 'Bw==',
  rounds: '8',
  memCost: '14',
  password: 'user1password',
  hash: 'lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==',
};

/** A firebase-scrypt expression from the vector, with some fields replaced. */
export function firebaseExpression(fields: Partial<FirebaseFields> = {}): string {
  const { salt, signerKey, saltSeparator, rounds, memCost, hash } = { ...FIREBASE_VECTOR, ...fields };
  return legacyExpression('firebase-scrypt', [salt, signerKey, saltSeparator, rounds, memCost, '@'], hash);
}

export const pbkdf2Expression = (
  salt: string,
  iterations: string,
  keyLength: string,
  digest: string,
  expected = 'ab',
  name = 'pbkdf2',
): string => legacyExpression(name, [salt, iterations, keyLength, digest, '@'], expected);
