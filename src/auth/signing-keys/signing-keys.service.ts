import { Transactional, TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { RequestError } from '../../common/errors/request-error.js';
import { generateStandardId } from '../../common/ids.js';
import { SigningKey } from './signing-key.entity.js';

/** Access tokens live one hour, as Logto's Management API tokens do; keys outlive what they signed. */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
/** Logto signs with EC P-384 keys. */
export const SIGNING_ALGORITHM = 'ES384';

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

export interface ActiveSigningKey {
  kid: string;
  privateKey: VerificationKey;
}

/** Any constant shared by all replicas, so only one creates or rotates a key at a time. */
const KEY_LOCK = 7_370_202_612;
/** Another replica may rotate; a signer picks up the new key within this time. */
const SIGNING_KEY_CACHE_MS = 60_000;
/** How long a kid lookup (found or not) is trusted before it is checked again. */
const KEY_LOOKUP_CACHE_MS = 60_000;
/**
 * Bounds the memory a stream of random kids can take. Least recently used goes first, so the real
 * keys, asked for on every uncached token, stay while random kids push out each other.
 */
export const MAX_CACHED_KIDS = 1_000;
/** A retired key stays published until every token it signed has expired, with a minute to spare. */
const RETIRED_KEY_GRACE = `${ACCESS_TOKEN_TTL_SECONDS + 60} seconds`;

/**
 * Token signing keys live in the database so every replica signs and verifies with the same set.
 * Rotation adds a key and retires the previous one; retired public keys stay in JWKS (and keep
 * verifying) until their last tokens have expired.
 */
@Injectable()
export class SigningKeysService {
  private activeKey?: { key: ActiveSigningKey; loadedAt: number };
  private readonly verificationKeys = new LRUCache<string, Promise<VerificationKey | undefined>>({
    max: MAX_CACHED_KIDS,
    ttl: KEY_LOOKUP_CACHE_MS,
  });

  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get keys() {
    return this.txHost.tx.getRepository(SigningKey);
  }

  private async lock(): Promise<void> {
    await this.txHost.tx.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
  }

  private async insertNewKey(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
    const id = generateStandardId(21);
    const publicJwk = { ...(await exportJWK(publicKey)), kid: id, alg: SIGNING_ALGORITHM, use: 'sig' };
    await this.keys.insert({ id, algorithm: SIGNING_ALGORITHM, privateJwk: await exportJWK(privateKey), publicJwk });
    return id;
  }

  /** Creates the first key on a fresh database; a no-op afterwards. */
  @Transactional()
  async ensureActiveKey(): Promise<void> {
    await this.lock();
    if (!(await this.findActive())) await this.insertNewKey();
  }

  /** Starts signing with a new key; the previous one keeps verifying until its tokens expire. */
  @Transactional()
  async rotate(): Promise<{ kid: string; retiredKid?: string }> {
    await this.lock();
    const previous = await this.findActive();
    if (previous) await this.keys.update({ id: previous.id }, { retiredAt: () => 'clock_timestamp()' });
    await this.txHost.tx.query(`DELETE FROM signing_keys WHERE retired_at < clock_timestamp() - $1::interval`, [RETIRED_KEY_GRACE]);
    const kid = await this.insertNewKey();
    this.activeKey = undefined;
    return { kid, retiredKid: previous?.id };
  }

  private findActive(): Promise<SigningKey | null> {
    return this.keys.createQueryBuilder('key').where('key.retired_at IS NULL').getOne();
  }

  async activeSigningKey(): Promise<ActiveSigningKey> {
    if (this.activeKey && Date.now() - this.activeKey.loadedAt < SIGNING_KEY_CACHE_MS) return this.activeKey.key;
    const row = await this.findActive();
    if (!row) throw new Error('No active signing key: the auth module did not initialise');
    const key = { kid: row.id, privateKey: await importJWK(row.privateJwk, row.algorithm) };
    this.activeKey = { key, loadedAt: Date.now() };
    return key;
  }

  /** The keys tokens may be verified with: the active one and those retired within the grace period. */
  private findPublished(): Promise<SigningKey[]> {
    return this.keys
      .createQueryBuilder('key')
      .where(`key.retired_at IS NULL OR key.retired_at > clock_timestamp() - :grace::interval`, { grace: RETIRED_KEY_GRACE })
      .orderBy('key.created_at', 'DESC')
      .getMany();
  }

  async publicJwks(): Promise<{ keys: JWK[] }> {
    return { keys: (await this.findPublished()).map((key) => key.publicJwk) };
  }

  /**
   * The public key for a token's `kid`; an unknown or expired kid is 401 `auth.unauthorized`.
   * A kid not seen before is looked up by primary key (another replica may just have rotated);
   * lookups share one query per kid, answers are remembered for a while (absent kids too, in a
   * bounded map), so neither a rotation nor a stream of random kids costs more than one indexed read.
   */
  async verificationKey(kid: string | undefined): Promise<VerificationKey> {
    if (kid === undefined) throw new RequestError('auth.unauthorized');
    let lookup = this.verificationKeys.get(kid);
    if (!lookup) {
      // A failed lookup (the database unreachable) is forgotten at once, not cached for a minute.
      lookup = this.loadPublishedKey(kid).catch((error: unknown) => {
        this.verificationKeys.delete(kid);
        throw error;
      });
      this.verificationKeys.set(kid, lookup);
    }
    const key = await lookup;
    if (!key) throw new RequestError('auth.unauthorized');
    return key;
  }

  private async loadPublishedKey(kid: string): Promise<VerificationKey | undefined> {
    const row = await this.keys
      .createQueryBuilder('key')
      .where('key.id = :kid', { kid })
      .andWhere(`(key.retired_at IS NULL OR key.retired_at > clock_timestamp() - :grace::interval)`, { grace: RETIRED_KEY_GRACE })
      .getOne();
    return row ? importJWK(row.publicJwk, row.algorithm) : undefined;
  }
}
