import { generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { RequestError } from '../common/errors/request-error.js';
import { isTokenRejection } from './tokens.service.js';

describe('isTokenRejection', () => {
  async function verifyError(token: string, key: Parameters<typeof jwtVerify>[1]): Promise<unknown> {
    return jwtVerify(token, key).then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it('rejects what jose finds wrong with a token', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    const { publicKey: otherKey } = await generateKeyPair('ES384');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES384' }).setExpirationTime('1h').sign(privateKey);
    expect(isTokenRejection(await verifyError(token, otherKey))).toBe(true);
    expect(isTokenRejection(await verifyError('not.a.jwt', otherKey))).toBe(true);
  });

  it("rejects the key lookup's unknown-kid answer", () => {
    expect(isTokenRejection(new RequestError('auth.unauthorized'))).toBe(true);
  });

  it('lets a database failure of the key lookup through (it answers 503, not 401)', async () => {
    const { privateKey } = await generateKeyPair('ES384');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'ES384', kid: 'k' }).sign(privateKey);
    const outage = new Error('Connection terminated unexpectedly');
    const error = await verifyError(token, () => Promise.reject(outage));
    expect(error).toBe(outage);
    expect(isTokenRejection(error)).toBe(false);
  });
});
