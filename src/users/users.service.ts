import { Transactional } from '@nestjs-cls/transactional';
import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig, APP_CONFIG } from '../config/app-config.js';
import { RequestError } from '../common/errors/request-error.js';
import { generateStandardId } from '../common/ids.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import type { ProfileDto } from './dto/profile.dto.js';
import type { UpdateUserDto } from './dto/update-user.dto.js';
import { LogsService } from '../logs/logs.service.js';
import { assertImportableDigest } from './passwords/imported-digest.js';
import { hashPassword } from './passwords/password-hashing.js';
import { needsDecoy, runDecoyVerification, verifyPasswordDigest } from './passwords/password-verification.js';
import { normalizePhoneNumber } from './phone-number.js';
import type { IdentityDto } from './dto/identity.dto.js';
import { toIdentityDto } from './user.mapper.js';
import type { User } from './user.entity.js';
import { UserIdentitiesRepository } from './user-identities.repository.js';
import type { UserListQuery } from './user-list-query.js';
import { type UserFilter, UsersRepository, type UserValues } from './users.repository.js';
import type { Role } from '../roles/role.entity.js';
import { RolesService } from '../roles/roles.service.js';

const ID_ATTEMPTS = 5;
const PASSWORD_VERIFY_BUCKET = 'password-verify';

/** Logto's step 7 (a `Legacy` algorithm needs its digest), plus Roster's format and cost checks. */
function assertImportablePassword({ passwordAlgorithm, passwordDigest }: CreateUserDto): void {
  if (passwordAlgorithm === 'Legacy' && passwordDigest === undefined) {
    throw new RequestError('password.unsupported_encryption_method', { interpolation: { name: passwordAlgorithm } });
  }
  if (passwordAlgorithm !== undefined && passwordDigest !== undefined) assertImportableDigest(passwordAlgorithm, passwordDigest);
}

/** `""` clears a string column, exactly like `null`. */
function emptyToNull<T extends string | null | undefined>(value: T): T | null {
  return value === '' ? null : value;
}

function stripUndefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Searches count their matches only this far; beyond, the total reads 10001 and is flagged capped. */
export const SEARCH_COUNT_CAP = 10_000;

export interface UserPage {
  users: User[];
  /** Exact, or `SEARCH_COUNT_CAP + 1` when `capped`. */
  total: number;
  capped: boolean;
  /** Another page follows this one. */
  hasMore: boolean;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly identities: UserIdentitiesRepository,
    private readonly logs: LogsService,
    private readonly rateLimiter: RateLimiterService,
    private readonly roles: RolesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A page of users and the total. The unfiltered total is exact (a counter); a search's total is
   * exact up to `SEARCH_COUNT_CAP` and reported as capped beyond it. One row more than the page is
   * read, so whether a next page exists is known either way.
   */
  async list({ search, paging, exclusion, roleId }: UserListQuery): Promise<UserPage> {
    const limit = paging.pageSize + 1;
    const page = paging.kind === 'keyset' ? { limit, after: paging.after } : { limit, offset: paging.offset };
    const filter: UserFilter = { search, holderOf: roleId, notHolderOf: exclusion && 'roleId' in exclusion ? exclusion.roleId : undefined };
    const [rows, { total, capped }] = await Promise.all([this.users.findPage(filter, page), this.count(filter)]);
    return { users: rows.slice(0, paging.pageSize), hasMore: rows.length > paging.pageSize, total, capped };
  }

  /**
   * Exact from counters and the role index where the filter allows (all users, a role's holders or
   * everyone else); otherwise counted up to `SEARCH_COUNT_CAP` and flagged when capped.
   */
  private async count(filter: UserFilter): Promise<{ total: number; capped: boolean }> {
    const { search, holderOf, notHolderOf } = filter;
    if (search.groups.length === 0 && (holderOf === undefined || notHolderOf === undefined)) {
      if (holderOf !== undefined) return { total: await this.roles.countHolders(holderOf), capped: false };
      if (notHolderOf === undefined) return { total: await this.users.countAll(), capped: false };
      const [all, holders] = await Promise.all([this.users.countAll(), this.roles.countHolders(notHolderOf)]);
      return { total: all - holders, capped: false };
    }
    const counted = await this.users.countMatchingUpTo(filter, SEARCH_COUNT_CAP + 1);
    return { total: counted, capped: counted > SEARCH_COUNT_CAP };
  }

  /** Each user's roles, for reads with `includeRoles`. */
  rolesOfUsers(users: readonly User[]): Promise<Map<string, Role[]>> {
    return this.roles.rolesOfUsers(users.map(({ id }) => id));
  }

  async assertExists(id: string): Promise<void> {
    if (!(await this.users.existsById(id))) this.notFound();
  }

  /** 404 `entity.not_found` unless every one of `ids` is a user. */
  async assertAllExist(ids: readonly string[]): Promise<void> {
    const found = new Set(await this.users.findExistingIds(ids));
    if (ids.some((id) => !found.has(id))) this.notFound();
  }

  async getById(id: string): Promise<User> {
    return (await this.users.findById(id)) ?? this.notFound();
  }

  async create(input: CreateUserDto): Promise<User> {
    if (input.password !== undefined && input.passwordDigest !== undefined) throw new RequestError('user.password_and_digest');
    if (input.passwordDigest !== undefined && input.passwordAlgorithm === undefined) {
      throw new RequestError('user.password_algorithm_required');
    }
    const username = emptyToNull(input.username);
    const primaryEmail = emptyToNull(input.primaryEmail);
    // Hash before anything touches the database, so no connection or lock is held while Argon2 runs.
    const values: UserValues = {
      username,
      primaryEmail,
      primaryPhone: await this.normalizePhoneInLogtoOrder(input, { username, primaryEmail }),
      name: emptyToNull(input.name),
      avatar: emptyToNull(input.avatar),
      customData: input.customData ?? {},
      profile: { ...input.profile },
      ...(await this.passwordValues(input)),
    };
    // The unique index on usernames is case-sensitive: ignoring case takes a lock and a check first.
    if (values.username && !this.config.usernameCaseSensitive) return this.insertUserLockingUsername(input, values);
    return this.insertUserWithDefaultRoles(input, values);
  }

  @Transactional()
  private async insertUserLockingUsername(input: CreateUserDto, values: UserValues): Promise<User> {
    await this.assertIdentifiersAvailable(values);
    return this.insertUserWithDefaultRoles(input, values);
  }

  /** The user holds its default roles from the moment it exists: one transaction. */
  @Transactional()
  private async insertUserWithDefaultRoles(input: CreateUserDto, values: UserValues): Promise<User> {
    const user = await this.insertUser(input, values);
    await this.roles.assignDefaultRoles([user.id]);
    return user;
  }

  /**
   * Inserts with a fresh id. Errors come in Logto's order: a taken username, e-mail or phone, then
   * an unusable imported digest; they are looked up only when the insert did not happen.
   */
  private async insertUser(input: CreateUserDto, values: UserValues): Promise<User> {
    try {
      assertImportablePassword(input);
    } catch (error) {
      await this.assertIdentifiersAvailable(values);
      throw error;
    }
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt += 1) {
      const id = generateStandardId(12);
      const audit = this.logs.buildAuditRow('ManagementApi.User.Create', { userId: id, params: input });
      const user = await this.users.insertUnlessTaken({ ...values, id }, audit);
      if (user) return user;
      // Nothing unique is taken after all: the id was, so draw another.
      await this.assertIdentifiersAvailable(values);
    }
    throw new Error(`No free user id after ${ID_ATTEMPTS} attempts`);
  }

  /**
   * The stored form of the phone. An unparseable one is Logto's last check on create (422
   * `user.invalid_phone`): a taken username or e-mail and an unusable digest are answered first.
   */
  private async normalizePhoneInLogtoOrder(
    input: CreateUserDto,
    identifiers: Pick<UserValues, 'username' | 'primaryEmail'>,
  ): Promise<string | null> {
    if (!input.primaryPhone) return null;
    try {
      return normalizePhoneNumber(input.primaryPhone);
    } catch (error) {
      await this.assertIdentifiersAvailable(identifiers);
      assertImportablePassword(input);
      throw error;
    }
  }

  /** Throws the error for the first taken identifier, checked in Logto's order: username, e-mail, phone. */
  private async assertIdentifiersAvailable({ username, primaryEmail, primaryPhone }: UserValues): Promise<void> {
    if (username) await this.assertUsernameAvailable(username);
    if (primaryEmail && (await this.users.isEmailTaken(primaryEmail))) throw new RequestError('user.email_already_in_use');
    if (primaryPhone && (await this.users.isPhoneTaken(primaryPhone))) throw new RequestError('user.phone_already_in_use');
  }

  /** Applies the given fields; collisions are checked in Logto's update order: email, phone, username. */
  @Transactional()
  async update(id: string, input: UpdateUserDto): Promise<User> {
    const values: UserValues = stripUndefined({
      username: emptyToNull(input.username),
      primaryEmail: emptyToNull(input.primaryEmail),
      primaryPhone: input.primaryPhone ? normalizePhoneNumber(input.primaryPhone) : emptyToNull(input.primaryPhone),
      name: emptyToNull(input.name),
      avatar: emptyToNull(input.avatar),
      customData: input.customData,
      profile: input.profile && { ...input.profile },
    });
    await this.assertExists(id);
    if (Object.keys(values).length === 0) throw new RequestError('entity.invalid_input');
    if (values.primaryEmail && (await this.users.isEmailTaken(values.primaryEmail, id))) {
      throw new RequestError('user.email_already_in_use');
    }
    if (values.primaryPhone && (await this.users.isPhoneTaken(values.primaryPhone, id))) {
      throw new RequestError('user.phone_already_in_use');
    }
    if (values.username) await this.assertUsernameAvailable(values.username, id);
    const user = (await this.users.update(id, values)) ?? this.notFound();
    await this.logs.record('ManagementApi.User.Update', { userId: id, params: input });
    return user;
  }

  async updatePassword(id: string, password: string): Promise<User> {
    // Hash before the transaction opens, so no connection is held while Argon2 runs.
    const values = await this.passwordValues({ password });
    return this.applyPassword(id, values, password);
  }

  /** The password reaches the audit log only as `******` (LogsService masks every password key). */
  @Transactional()
  private async applyPassword(id: string, values: UserValues, password: string): Promise<User> {
    const user = (await this.users.update(id, values)) ?? this.notFound();
    await this.logs.record('ManagementApi.User.Password.Update', { userId: id, params: { password } });
    return user;
  }

  @Transactional()
  async updateSuspension(id: string, isSuspended: boolean): Promise<User> {
    const user = (await this.users.update(id, { isSuspended })) ?? this.notFound();
    await this.logs.record('ManagementApi.User.SuspensionStatus.Update', { userId: id, params: { isSuspended } });
    return user;
  }

  /** Deletes the user and, by cascade, its identities and role links; its log rows stay. */
  @Transactional()
  async delete(id: string): Promise<void> {
    if (!(await this.users.deleteById(id))) this.notFound();
    await this.logs.record('ManagementApi.User.Delete', { userId: id });
  }

  async getCustomData(id: string): Promise<Record<string, unknown>> {
    return (await this.getById(id)).customData;
  }

  @Transactional()
  async mergeCustomData(id: string, patch: Record<string, unknown>): Promise<Record<string, unknown>> {
    const merged = (await this.users.mergeJson(id, 'custom_data', patch)) ?? this.notFound();
    await this.logs.record('ManagementApi.User.CustomData.Update', { userId: id, params: { customData: patch } });
    return merged;
  }

  @Transactional()
  async mergeProfile(id: string, patch: ProfileDto): Promise<Record<string, unknown>> {
    const merged = (await this.users.mergeJson(id, 'profile', patch)) ?? this.notFound();
    await this.logs.record('ManagementApi.User.Profile.Update', { userId: id, params: { profile: patch } });
    return merged;
  }

  /**
   * Checks a user's password: 204 on a match, 422 `session.invalid_credentials` otherwise (also when
   * the user has no password), each attempt logged and counted against the user's rate limit. A
   * match with any hash but Argon2i re-hashes the password as Argon2i.
   */
  async verifyPassword(id: string, password: string): Promise<void> {
    const user = (await this.users.findPasswordById(id)) ?? this.notFound();
    await this.rateLimiter.consume(PASSWORD_VERIFY_BUCKET, id, this.config.passwordVerifyLimit);
    const { passwordEncrypted: digest, passwordEncryptionMethod: algorithm } = user;
    const matches = digest !== null && algorithm !== null && (await verifyPasswordDigest(password, algorithm, digest));
    if (!matches) {
      if (needsDecoy(algorithm)) await runDecoyVerification(password);
      await this.logs.record('ManagementApi.User.Password.Verify', { result: 'Error', userId: id });
      throw new RequestError('session.invalid_credentials');
    }
    await this.rateLimiter.reset(PASSWORD_VERIFY_BUCKET, id);
    // Hash outside the transaction, so no connection is held while Argon2 runs.
    const upgrade = algorithm === 'Argon2i' ? undefined : await hashPassword(password);
    await this.recordVerifiedPassword(id, digest, upgrade);
  }

  @Transactional()
  private async recordVerifiedPassword(id: string, verifiedDigest: string, argon2iDigest: string | undefined): Promise<void> {
    const upgraded = argon2iDigest !== undefined && (await this.users.replacePasswordDigest(id, verifiedDigest, argon2iDigest));
    await this.logs.record('ManagementApi.User.Password.Verify', { userId: id, params: { upgradedToArgon2i: upgraded } });
  }

  async hasPassword(id: string): Promise<boolean> {
    return (await this.getById(id)).passwordEncrypted !== null;
  }

  private async assertUsernameAvailable(username: string, exceptUserId?: string): Promise<void> {
    const caseSensitive = this.config.usernameCaseSensitive;
    if (!caseSensitive) await this.users.lockUsernameIgnoringCase(username);
    if (await this.users.isUsernameTaken(username, caseSensitive, exceptUserId)) {
      throw new RequestError('user.username_already_in_use');
    }
  }

  /** Password columns for a plain password (hashed here) or an imported digest (stored as given). */
  private async passwordValues(input: Pick<CreateUserDto, 'password' | 'passwordDigest' | 'passwordAlgorithm'>): Promise<UserValues> {
    if (input.password !== undefined) {
      return { passwordEncrypted: await hashPassword(input.password), passwordEncryptionMethod: 'Argon2i', passwordUpdatedAt: new Date() };
    }
    if (input.passwordDigest !== undefined && input.passwordAlgorithm !== undefined) {
      return { passwordEncrypted: input.passwordDigest, passwordEncryptionMethod: input.passwordAlgorithm, passwordUpdatedAt: new Date() };
    }
    return {};
  }

  /** The user's social identity at `target`, or null; the user's existence is the caller's to check. */
  async findIdentity(userId: string, target: string): Promise<IdentityDto | null> {
    const identity = await this.identities.findOne(userId, target);
    return identity && toIdentityDto(identity);
  }

  async listIdentities(userId: string): Promise<{ target: string; identity: IdentityDto }[]> {
    return (await this.identities.findAllOfUser(userId)).map((identity) => ({
      target: identity.target,
      identity: toIdentityDto(identity),
    }));
  }

  /** Links or replaces the identity at `target`; tells whether the target was new for the user. */
  linkIdentity(userId: string, target: string, identity: IdentityDto): Promise<{ created: boolean }> {
    return this.identities.upsert(userId, target, identity.userId, identity.details ?? null);
  }

  /** False when the user had no identity at `target`. */
  unlinkIdentity(userId: string, target: string): Promise<boolean> {
    return this.identities.delete(userId, target);
  }

  private notFound(): never {
    throw new RequestError('entity.not_found');
  }
}
