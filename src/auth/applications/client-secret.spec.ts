import { cpuBoundQueue } from '../../common/cpu-bound.js';
import { generateClientSecret, hashClientSecret, verifyAgainstDecoy, verifyClientSecret } from './client-secret.js';

describe('client secrets', () => {
  it('stores a salted scrypt hash that verifies only the right secret', async () => {
    const secret = generateClientSecret();
    expect(secret).toMatch(/^[0-9A-Za-z]{32}$/);
    const stored = await hashClientSecret(secret);
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain(secret);
    expect(await hashClientSecret(secret)).not.toBe(stored);
    await expect(verifyClientSecret(secret, stored)).resolves.toBe(true);
    await expect(verifyClientSecret(`${secret}x`, stored)).resolves.toBe(false);
  });

  it('refuses a stored value of another format', async () => {
    await expect(verifyClientSecret('x', 'plain-text')).resolves.toBe(false);
  });

  it('answers false after the work of a real check: a scrypt derivation on the hashing pool', async () => {
    await verifyAgainstDecoy('warm-up'); // the decoy's own hash is made on first use
    const check = verifyAgainstDecoy('anything');
    let settled = false;
    void check.finally(() => (settled = true));
    let sawDerivation = false;
    while (!settled) {
      sawDerivation ||= cpuBoundQueue().active > 0;
      await new Promise(setImmediate);
    }
    await expect(check).resolves.toBe(false);
    expect(sawDerivation).toBe(true);
  });
});
