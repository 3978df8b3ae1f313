import { grantsAccess } from './scopes.js';

describe('grantsAccess', () => {
  it('accepts the required scope or all, nothing else', () => {
    expect(grantsAccess(['users:read'], 'users:read')).toBe(true);
    expect(grantsAccess(['all'], 'users:write')).toBe(true);
    expect(grantsAccess(['users:read'], 'users:write')).toBe(false);
    expect(grantsAccess([], 'all')).toBe(false);
    expect(grantsAccess(['users:write'], 'all')).toBe(false);
  });
});
