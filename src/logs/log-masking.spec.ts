import { MASK, maskSecrets } from './log-masking.js';

describe('maskSecrets', () => {
  it('masks secret-bearing keys at any depth, whatever their case', () => {
    expect(
      maskSecrets({
        password: 'p',
        passwordDigest: 'd',
        client_secret: 's',
        nested: { apiKey: 'k', PrivateKey: 'x', refresh_token: 't', token: 't', Authorization: 'Bearer x', credentials: ['c'] },
        list: [{ cookie: 'c', name: 'kept' }],
      }),
    ).toEqual({
      password: MASK,
      passwordDigest: MASK,
      client_secret: MASK,
      nested: { apiKey: MASK, PrivateKey: MASK, refresh_token: MASK, token: MASK, Authorization: MASK, credentials: MASK },
      list: [{ cookie: MASK, name: 'kept' }],
    });
  });

  it('keeps booleans about secrets and ordinary values', () => {
    expect(maskSecrets({ hasPassword: true, passwordVerified: false, username: 'alice', customData: { level: 1 } })).toEqual({
      hasPassword: true,
      passwordVerified: false,
      username: 'alice',
      customData: { level: 1 },
    });
  });

  it('drops script and environment-variable keys and undefined values', () => {
    expect(maskSecrets({ script: 'x', preScript: 'y', scriptBody: 'z', environmentVariables: {}, kept: 1, gone: undefined })).toEqual({
      kept: 1,
    });
  });

  it('passes primitives through', () => {
    expect(maskSecrets('text')).toBe('text');
    expect(maskSecrets(null)).toBeNull();
  });
});
