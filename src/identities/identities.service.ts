import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { RequestError } from '../common/errors/request-error.js';
import { LogsService } from '../logs/logs.service.js';
import type { LinkedIdentity, User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { IdentitiesRepository } from './identities.repository.js';
import type { UserIdentity } from './user-identity.entity.js';

export function toLinkedIdentity(identity: UserIdentity): LinkedIdentity {
  return identity.details === null ? { userId: identity.identityId } : { userId: identity.identityId, details: identity.details };
}

export interface LinkResult {
  /** The target was new for the user (201), rather than replaced (200). */
  created: boolean;
  identities: Record<string, LinkedIdentity>;
}

@Injectable()
export class IdentitiesService {
  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly users: UsersService,
    private readonly logs: LogsService,
  ) {}

  async get(userId: string, target: string): Promise<LinkedIdentity> {
    await this.users.assertExists(userId);
    const identity = await this.identities.findOne(userId, target);
    if (!identity) throw new RequestError('user.identity_not_exist');
    return toLinkedIdentity(identity);
  }

  async listOfUser(userId: string): Promise<{ target: string; identity: LinkedIdentity }[]> {
    await this.users.assertExists(userId);
    return (await this.identities.findAllOfUser(userId)).map((identity) => ({
      target: identity.target,
      identity: toLinkedIdentity(identity),
    }));
  }

  /** Links (or replaces) a social account; 422 when another user holds it (unique index). */
  @Transactional()
  async link(userId: string, target: string, identityId: string, details: Record<string, unknown> | undefined): Promise<LinkResult> {
    await this.users.assertExists(userId);
    const { created } = await this.identities.upsert(userId, target, identityId, details ?? null);
    await this.logs.record('ManagementApi.User.Identity.Update', { userId, params: { target, identity: { userId: identityId, details } } });
    return { created, identities: (await this.users.getById(userId)).identities };
  }

  @Transactional()
  async unlink(userId: string, target: string): Promise<User> {
    await this.users.assertExists(userId);
    if (!(await this.identities.delete(userId, target))) throw new RequestError('user.identity_not_exist');
    await this.logs.record('ManagementApi.User.Identity.Delete', { userId, params: { target } });
    return this.users.getById(userId);
  }
}
