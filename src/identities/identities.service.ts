import { Transactional } from '@nestjs-cls/transactional';
import { Injectable } from '@nestjs/common';
import { RequestError } from '../common/errors/request-error.js';
import { LogsService } from '../logs/logs.service.js';
import type { IdentityDto } from '../users/dto/identity.dto.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';

export interface LinkResult {
  /** The target was new for the user (201), rather than replaced (200). */
  created: boolean;
  identities: Record<string, IdentityDto>;
}

/**
 * The social identity routes' rules: Logto's error codes and the audit trail. The identities are
 * part of the user record, so they are stored and read through `UsersService`.
 */
@Injectable()
export class IdentitiesService {
  constructor(
    private readonly users: UsersService,
    private readonly logs: LogsService,
  ) {}

  async get(userId: string, target: string): Promise<IdentityDto> {
    await this.users.assertExists(userId);
    return (await this.users.findIdentity(userId, target)) ?? this.identityNotFound();
  }

  async listOfUser(userId: string): Promise<{ target: string; identity: IdentityDto }[]> {
    await this.users.assertExists(userId);
    return this.users.listIdentities(userId);
  }

  /** Links (or replaces) a social account; 422 when another user holds it (unique index). */
  @Transactional()
  async link(userId: string, target: string, identity: IdentityDto): Promise<LinkResult> {
    await this.users.assertExists(userId);
    const { created } = await this.users.linkIdentity(userId, target, identity);
    await this.logs.record('ManagementApi.User.Identity.Update', { userId, params: { target, identity } });
    return { created, identities: (await this.users.getById(userId)).identities };
  }

  @Transactional()
  async unlink(userId: string, target: string): Promise<User> {
    await this.users.assertExists(userId);
    if (!(await this.users.unlinkIdentity(userId, target))) this.identityNotFound();
    await this.logs.record('ManagementApi.User.Identity.Delete', { userId, params: { target } });
    return this.users.getById(userId);
  }

  private identityNotFound(): never {
    throw new RequestError('user.identity_not_exist');
  }
}
