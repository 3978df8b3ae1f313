import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { generateStandardId } from '../../common/ids.js';
import { Application } from './application.entity.js';
import { generateClientSecret, hashClientSecret, verifyAgainstDecoy, verifyClientSecret } from './client-secret.js';
import { isScope, type Scope } from '../../common/auth/scopes.js';

/** An application as the CLI shows it: never the secret or its hash. */
export interface ApplicationSummary {
  id: string;
  name: string;
  scopes: string[];
  isDisabled: boolean;
  createdAt: string;
}

export interface CreatedApplication extends ApplicationSummary {
  /** Shown once, at creation; only its hash is stored. */
  secret: string;
}

function toSummary(application: Application): ApplicationSummary {
  return {
    id: application.id,
    name: application.name,
    scopes: application.scopes,
    isDisabled: application.isDisabled,
    createdAt: application.createdAt.toISOString(),
  };
}

export class UnknownScopeError extends Error {}

const ACTIVE_STATUS_TTL_MS = 1_000;

@Injectable()
export class ApplicationsService {
  private readonly activeStatus = new LRUCache<string, boolean>({ max: 10_000, ttl: ACTIVE_STATUS_TTL_MS });

  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get applications() {
    return this.txHost.tx.getRepository(Application);
  }

  async create(name: string, scopes: readonly string[]): Promise<CreatedApplication> {
    const unknown = scopes.filter((scope) => !isScope(scope));
    if (unknown.length > 0) throw new UnknownScopeError(`Unknown scope(s): ${unknown.join(', ')}`);
    const secret = generateClientSecret();
    const id = generateStandardId(21);
    await this.applications.insert({ id, name, secretHash: await hashClientSecret(secret), scopes: [...new Set(scopes)] });
    return { ...toSummary(await this.applications.findOneByOrFail({ id })), secret };
  }

  async list(): Promise<ApplicationSummary[]> {
    return (await this.applications.find({ order: { createdAt: 'ASC' } })).map(toSummary);
  }

  /** Returns false when there is no such application. */
  async setDisabled(id: string, isDisabled: boolean): Promise<boolean> {
    this.activeStatus.delete(id);
    const result = await this.applications.update({ id }, { isDisabled, updatedAt: () => 'clock_timestamp()' });
    return (result.affected ?? 0) > 0;
  }

  /**
   * The application these credentials belong to, if they are right and it is enabled. Unknown and
   * disabled applications cost the same scrypt work as a wrong secret, so timing tells nothing.
   */
  async authenticate(id: string, secret: string): Promise<Application | null> {
    const application = await this.applications.findOneBy({ id });
    if (!application || application.isDisabled) return verifyAgainstDecoy(secret).then(() => null);
    return (await verifyClientSecret(secret, application.secretHash)) ? application : null;
  }

  /**
   * Whether tokens of this application may still be used. Asked on every authenticated request, so
   * the answer is kept for a second: disabling an application takes effect on every replica within
   * that second (at once on the replica that disabled it).
   */
  async isActive(id: string): Promise<boolean> {
    const known = this.activeStatus.get(id);
    if (known !== undefined) return known;
    const active = await this.applications.exists({ where: { id, isDisabled: false } });
    this.activeStatus.set(id, active);
    return active;
  }

  /**
   * Makes sure the bootstrap application exists with exactly these credentials and full access.
   * Idempotent, and safe when several replicas start at once (one upsert statement).
   */
  async ensureBootstrapApplication(id: string, secret: string): Promise<void> {
    const existing = await this.applications.findOneBy({ id });
    const secretHash =
      existing && (await verifyClientSecret(secret, existing.secretHash)) ? existing.secretHash : await hashClientSecret(secret);
    const scopes: Scope[] = ['all'];
    await this.applications
      .createQueryBuilder()
      .insert()
      .values({ id, name: 'Bootstrap application', secretHash, scopes, isDisabled: false })
      .orUpdate(['secret_hash', 'scopes', 'is_disabled'], ['id'])
      .execute();
  }
}
