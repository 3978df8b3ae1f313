import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { Injectable } from '@nestjs/common';
import { UserIdentity } from './user-identity.entity.js';

/** Every query on `user_identities`; joins the caller's transaction. */
@Injectable()
export class UserIdentitiesRepository {
  constructor(private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>) {}

  private get identities() {
    return this.txHost.tx.getRepository(UserIdentity);
  }

  findOne(userId: string, target: string): Promise<UserIdentity | null> {
    return this.identities.findOneBy({ userId, target });
  }

  findAllOfUser(userId: string): Promise<UserIdentity[]> {
    return this.identities.find({ where: { userId }, order: { createdAt: 'ASC', target: 'ASC' } });
  }

  /**
   * Links or replaces the user's identity for `target` in one statement, so concurrent links of
   * different targets all survive. Tells whether the target was new for the user.
   */
  async upsert(userId: string, target: string, identityId: string, details: Record<string, unknown> | null): Promise<{ created: boolean }> {
    const rows = await this.txHost.tx.query<{ created: boolean }[]>(
      `INSERT INTO user_identities (user_id, target, identity_id, details) VALUES ($1, $2, $3, $4)
       ON CONFLICT ON CONSTRAINT user_identities__user_target
       DO UPDATE SET identity_id = EXCLUDED.identity_id, details = EXCLUDED.details, updated_at = clock_timestamp()
       RETURNING (xmax = 0) AS created`,
      [userId, target, identityId, details],
    );
    return { created: rows[0]?.created ?? false };
  }

  async delete(userId: string, target: string): Promise<boolean> {
    const result = await this.identities.delete({ userId, target });
    return (result.affected ?? 0) > 0;
  }
}
