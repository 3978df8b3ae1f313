import { generateClientSecret, hashClientSecret, verifyAgainstDecoy, verifyClientSecret } from './client-secret.js';
import { grantsAccess } from './scopes.js';

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

  it('answers false after doing the work of a real check', async () => {
    await expect(verifyAgainstDecoy('anything')).resolves.toBe(false);
  });
});

describe('grantsAccess', () => {
  it('accepts the required scope or all, nothing else', () => {
    expect(grantsAccess(['users:read'], 'users:read')).toBe(true);
    expect(grantsAccess(['all'], 'users:write')).toBe(true);
    expect(grantsAccess(['users:read'], 'users:write')).toBe(false);
    expect(grantsAccess([], 'all')).toBe(false);
    expect(grantsAccess(['users:write'], 'all')).toBe(false);
  });
});
