import type { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { exportJWK, generateKeyPair } from 'jose';
import { RequestError } from '../../common/errors/request-error.js';
import { MAX_CACHED_KIDS, SigningKeysService } from './signing-keys.service.js';

const REAL_KID = 'real-key';

/**
 * The service's kid lookup against a table holding one published key: a query builder that
 * remembers which kids were looked up, so a test sees which answers came from the cache.
 */
async function serviceWithOneKey(): Promise<{ service: SigningKeysService; lookups: string[] }> {
  const { publicKey } = await generateKeyPair('ES384', { extractable: true });
  const row = { id: REAL_KID, algorithm: 'ES384', publicJwk: await exportJWK(publicKey) };
  const lookups: string[] = [];
  const queryBuilder = {
    kid: '',
    where(_sql: string, { kid }: { kid: string }) {
      this.kid = kid;
      return this;
    },
    andWhere() {
      return this;
    },
    getOne() {
      lookups.push(this.kid);
      return Promise.resolve(this.kid === REAL_KID ? row : null);
    },
  };
  const txHost = { tx: { getRepository: () => ({ createQueryBuilder: () => queryBuilder }) } };
  return { service: new SigningKeysService(txHost as unknown as TransactionHost<TransactionalAdapterTypeOrm>), lookups };
}

describe('SigningKeysService.verificationKey', () => {
  it('keeps the key in use while a stream of unknown kids passes through the bounded cache', async () => {
    const { service, lookups } = await serviceWithOneKey();
    const realKey = await service.verificationKey(REAL_KID);
    for (let index = 0; index < 3 * MAX_CACHED_KIDS; index += 1) {
      await expect(service.verificationKey(`random-${index}`)).rejects.toEqual(new RequestError('auth.unauthorized'));
      // Real traffic keeps asking for the real key, far more rarely than the cache's bound.
      if (index % (MAX_CACHED_KIDS / 4) === 0) expect(await service.verificationKey(REAL_KID)).toBe(realKey);
    }
    expect(lookups.filter((kid) => kid === REAL_KID)).toEqual([REAL_KID]);
    expect(lookups).toHaveLength(1 + 3 * MAX_CACHED_KIDS);
  });

  it('still forgets the least recently used kid once the bound is reached', async () => {
    const { service, lookups } = await serviceWithOneKey();
    await service.verificationKey(REAL_KID);
    for (let index = 0; index < MAX_CACHED_KIDS; index += 1) await service.verificationKey(`random-${index}`).catch(() => undefined);
    await service.verificationKey(REAL_KID);
    expect(lookups.filter((kid) => kid === REAL_KID)).toEqual([REAL_KID, REAL_KID]);
  });
});
