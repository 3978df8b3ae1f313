import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import { RequestError } from '../common/errors/request-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { LogsService } from '../logs/logs.service.js';
import { RateLimiterService } from '../rate-limit/rate-limiter.service.js';
import { RolesService } from '../roles/roles.service.js';
import type { CreateUserDto } from './dto/create-user.dto.js';
import { hashArgon2i } from './passwords/password-hashing.js';
import { verifyPasswordDigest } from './passwords/password-verification.js';
import type { User } from './user.entity.js';
import { UserIdentitiesRepository } from './user-identities.repository.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** Would pass the DTO (a string) but is no MD5 digest: `assertImportableDigest` refuses it. */
const BAD_MD5_DIGEST = 'not-hex';
/** Parses as digits but is no phone number: `user.invalid_phone`. */
const UNPARSEABLE_PHONE = '12';
const VERIFY_LIMIT = { limit: 10, windowSeconds: 300 };

type Repo = Pick<
  UsersRepository,
  | 'existsById'
  | 'findPasswordById'
  | 'replacePasswordDigest'
  | 'isUsernameTaken'
  | 'isEmailTaken'
  | 'isPhoneTaken'
  | 'lockUsernameIgnoringCase'
  | 'insertUnlessTaken'
  | 'update'
>;
type Mocked<T> = { [Key in keyof T]: T[Key] extends (...args: never[]) => unknown ? jest.Mock<T[Key]> : never };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof RequestError ? error.code : `not a RequestError: ${String(error)}`),
  );
}

describe('UsersService', () => {
  /** What the mocked repository holds as taken; usernames compared as the case setting says. */
  let taken: { usernames: string[]; emails: string[]; phones: string[] };
  let config: { usernameCaseSensitive: boolean; passwordVerifyLimit: typeof VERIFY_LIMIT };
  let repo: Mocked<Repo>;
  let logs: Mocked<Pick<LogsService, 'record' | 'buildAuditRow'>>;
  let rateLimiter: Mocked<Pick<RateLimiterService, 'consume' | 'reset'>>;
  let roles: Mocked<Pick<RolesService, 'assignDefaultRoles'>>;
  let service: UsersService;

  beforeEach(async () => {
    taken = { usernames: [], emails: [], phones: [] };
    config = { usernameCaseSensitive: true, passwordVerifyLimit: VERIFY_LIMIT };
    repo = {
      existsById: jest.fn<Repo['existsById']>().mockResolvedValue(true),
      findPasswordById: jest.fn<Repo['findPasswordById']>().mockResolvedValue(null),
      replacePasswordDigest: jest.fn<Repo['replacePasswordDigest']>().mockResolvedValue(true),
      isUsernameTaken: jest.fn<Repo['isUsernameTaken']>((username, caseSensitive) =>
        Promise.resolve(
          taken.usernames.some((name) => (caseSensitive ? name === username : name.toLowerCase() === username.toLowerCase())),
        ),
      ),
      isEmailTaken: jest.fn<Repo['isEmailTaken']>((email) => Promise.resolve(taken.emails.includes(email))),
      isPhoneTaken: jest.fn<Repo['isPhoneTaken']>((phone) => Promise.resolve(taken.phones.includes(phone))),
      lockUsernameIgnoringCase: jest.fn<Repo['lockUsernameIgnoringCase']>().mockResolvedValue(undefined),
      insertUnlessTaken: jest.fn<Repo['insertUnlessTaken']>((values) => Promise.resolve({ ...values } as User)),
      update: jest.fn<Repo['update']>((id, values) => Promise.resolve({ id, ...values } as User)),
    };
    logs = {
      record: jest.fn<LogsService['record']>().mockResolvedValue(undefined),
      buildAuditRow: jest.fn<LogsService['buildAuditRow']>((key, event) => ({ id: 'log-id', key, payload: { ...event } })),
    };
    rateLimiter = {
      consume: jest.fn<RateLimiterService['consume']>().mockResolvedValue(undefined),
      reset: jest.fn<RateLimiterService['reset']>().mockResolvedValue(undefined),
    };
    roles = { assignDefaultRoles: jest.fn<RolesService['assignDefaultRoles']>().mockResolvedValue(undefined) };
    const moduleRef = await Test.createTestingModule({
      providers: [
        UsersService,
        { provide: UsersRepository, useValue: repo },
        { provide: UserIdentitiesRepository, useValue: {} },
        { provide: LogsService, useValue: logs },
        { provide: RateLimiterService, useValue: rateLimiter },
        { provide: RolesService, useValue: roles },
        { provide: APP_CONFIG, useValue: config as Partial<AppConfig> },
      ],
    }).compile();
    service = moduleRef.get(UsersService);
  });

  describe('create', () => {
    it('stores normalised values with an imported digest and a fresh 12-character id, audited under that id', async () => {
      const input: CreateUserDto = {
        username: 'alice',
        primaryEmail: '',
        primaryPhone: '610412345678',
        passwordDigest: md5('secret'),
        passwordAlgorithm: 'MD5',
        name: 'Alice',
      };
      const user = await service.create(input);
      expect(repo.insertUnlessTaken).toHaveBeenCalledTimes(1);
      const [values, audit] = repo.insertUnlessTaken.mock.calls[0]!;
      expect(values).toEqual({
        id: expect.stringMatching(/^[0-9a-z]{12}$/),
        username: 'alice',
        primaryEmail: null,
        primaryPhone: '61412345678',
        name: 'Alice',
        avatar: undefined,
        customData: {},
        profile: {},
        passwordEncrypted: md5('secret'),
        passwordEncryptionMethod: 'MD5',
        passwordUpdatedAt: expect.any(Date),
      });
      expect(audit).toEqual({ id: 'log-id', key: 'ManagementApi.User.Create', payload: { userId: values.id, params: input } });
      expect(user.id).toBe(values.id);
      expect(roles.assignDefaultRoles).toHaveBeenCalledWith([values.id]);
      // Case-sensitive usernames rely on the unique index: nothing is looked up before the insert.
      expect(repo.lockUsernameIgnoringCase).not.toHaveBeenCalled();
      expect(repo.isUsernameTaken).not.toHaveBeenCalled();
    });

    it('refuses a password with a digest, and a digest without its algorithm, before any lookup', async () => {
      taken.usernames.push('alice');
      expect(await codeOf(service.create({ username: 'alice', password: 'pw', passwordDigest: md5('pw'), passwordAlgorithm: 'MD5' }))).toBe(
        'user.password_and_digest',
      );
      expect(await codeOf(service.create({ username: 'alice', passwordDigest: md5('pw') }))).toBe('user.password_algorithm_required');
      expect(repo.isUsernameTaken).not.toHaveBeenCalled();
      expect(repo.insertUnlessTaken).not.toHaveBeenCalled();
    });

    describe("answers in Logto's order: username, e-mail, phone taken, then the digest, then an unparseable phone", () => {
      const everythingWrong: CreateUserDto = {
        username: 'alice',
        primaryEmail: 'alice@example.com',
        primaryPhone: UNPARSEABLE_PHONE,
        passwordDigest: BAD_MD5_DIGEST,
        passwordAlgorithm: 'MD5',
      };

      it.each([
        { taking: 'username and e-mail', usernames: ['alice'], emails: ['alice@example.com'], code: 'user.username_already_in_use' },
        { taking: 'e-mail', usernames: [], emails: ['alice@example.com'], code: 'user.email_already_in_use' },
        { taking: 'nothing', usernames: [], emails: [], code: 'guard.invalid_input' },
      ])('with a bad digest and an unparseable phone, $taking taken: $code', async ({ usernames, emails, code }) => {
        taken.usernames.push(...usernames);
        taken.emails.push(...emails);
        expect(await codeOf(service.create(everythingWrong))).toBe(code);
        expect(repo.insertUnlessTaken).not.toHaveBeenCalled();
      });

      it('an unparseable phone is last', async () => {
        expect(await codeOf(service.create({ ...everythingWrong, passwordDigest: md5('pw') }))).toBe('user.invalid_phone');
        expect(repo.isUsernameTaken).toHaveBeenCalled();
        expect(repo.isEmailTaken).toHaveBeenCalled();
        expect(repo.insertUnlessTaken).not.toHaveBeenCalled();
      });

      it('a taken phone comes after the username and e-mail, before the digest', async () => {
        const input = { ...everythingWrong, primaryPhone: '610412345678' };
        taken.phones.push('61412345678');
        expect(await codeOf(service.create(input))).toBe('user.phone_already_in_use');
        taken.emails.push('alice@example.com');
        expect(await codeOf(service.create(input))).toBe('user.email_already_in_use');
        expect(repo.insertUnlessTaken).not.toHaveBeenCalled();
      });

      it('the digest error is the one about passwordDigest', async () => {
        const error = await service.create({ ...everythingWrong, primaryPhone: undefined }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RequestError);
        expect((error as RequestError).data).toMatchObject({ issues: [{ path: ['passwordDigest'] }] });
      });

      it('a Legacy algorithm without a digest comes after a taken e-mail', async () => {
        const input: CreateUserDto = { primaryEmail: 'alice@example.com', passwordAlgorithm: 'Legacy' };
        expect(await codeOf(service.create(input))).toBe('password.unsupported_encryption_method');
        taken.emails.push('alice@example.com');
        expect(await codeOf(service.create(input))).toBe('user.email_already_in_use');
      });
    });

    it('draws another id when the insert found nothing unique taken (the id was)', async () => {
      repo.insertUnlessTaken.mockResolvedValueOnce(null).mockResolvedValueOnce(null);
      const user = await service.create({ username: 'alice', primaryEmail: 'alice@example.com' });
      const ids = repo.insertUnlessTaken.mock.calls.map(([values]) => values.id);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
      expect(user.id).toBe(ids[2]);
      expect(repo.isUsernameTaken).toHaveBeenCalledTimes(2);
      expect(repo.isEmailTaken).toHaveBeenCalledTimes(2);
      expect(repo.insertUnlessTaken.mock.calls.map(([values, audit]) => audit.payload.userId === values.id)).toEqual([true, true, true]);
    });

    it('gives up after five ids', async () => {
      repo.insertUnlessTaken.mockResolvedValue(null);
      await expect(service.create({ username: 'alice' })).rejects.toThrow('No free user id after 5 attempts');
      expect(repo.insertUnlessTaken).toHaveBeenCalledTimes(5);
    });

    it('answers the identifier a concurrent create took when the insert did not happen', async () => {
      repo.insertUnlessTaken.mockImplementationOnce(() => {
        taken.emails.push('alice@example.com');
        return Promise.resolve(null);
      });
      expect(await codeOf(service.create({ username: 'alice', primaryEmail: 'alice@example.com' }))).toBe('user.email_already_in_use');
      expect(repo.insertUnlessTaken).toHaveBeenCalledTimes(1);
    });

    it('locks and checks the username ignoring case before inserting when usernames are case-insensitive', async () => {
      config.usernameCaseSensitive = false;
      taken.usernames.push('Alice');
      expect(await codeOf(service.create({ username: 'alice' }))).toBe('user.username_already_in_use');
      expect(repo.lockUsernameIgnoringCase).toHaveBeenCalledWith('alice');
      expect(repo.isUsernameTaken).toHaveBeenCalledWith('alice', false, undefined);
      expect(repo.lockUsernameIgnoringCase.mock.invocationCallOrder[0]).toBeLessThan(repo.isUsernameTaken.mock.invocationCallOrder[0]!);
      expect(repo.insertUnlessTaken).not.toHaveBeenCalled();
    });

    it('lets case-sensitive usernames differ in case, and takes no lock', async () => {
      taken.usernames.push('Alice');
      await expect(service.create({ username: 'alice' })).resolves.toMatchObject({ username: 'alice' });
      repo.insertUnlessTaken.mockResolvedValueOnce(null);
      taken.usernames.push('bob');
      expect(await codeOf(service.create({ username: 'bob' }))).toBe('user.username_already_in_use');
      expect(repo.isUsernameTaken).toHaveBeenCalledWith('bob', true, undefined);
      expect(repo.lockUsernameIgnoringCase).not.toHaveBeenCalled();
    });

    it('takes no username lock nor looks anything up before the insert without a username, whatever the case setting', async () => {
      config.usernameCaseSensitive = false;
      await service.create({ primaryEmail: 'alice@example.com' });
      expect(repo.lockUsernameIgnoringCase).not.toHaveBeenCalled();
      expect(repo.isEmailTaken).not.toHaveBeenCalled();
      expect(repo.insertUnlessTaken).toHaveBeenCalledTimes(1);
    });
  });

  describe('update', () => {
    it('answers entity.invalid_input to an update without fields, after checking the user exists', async () => {
      expect(await codeOf(service.update('u1', {}))).toBe('entity.invalid_input');
      expect(repo.existsById).toHaveBeenCalledWith('u1');
      repo.existsById.mockResolvedValue(false);
      expect(await codeOf(service.update('u1', {}))).toBe('entity.not_found');
      expect(repo.update).not.toHaveBeenCalled();
      expect(logs.record).not.toHaveBeenCalled();
    });

    it("checks collisions in Logto's update order: e-mail, phone, username", async () => {
      const input = { username: 'alice', primaryEmail: 'alice@example.com', primaryPhone: '610412345678' };
      taken.usernames.push('alice');
      taken.emails.push('alice@example.com');
      taken.phones.push('61412345678');
      expect(await codeOf(service.update('u1', input))).toBe('user.email_already_in_use');
      taken.emails = [];
      expect(await codeOf(service.update('u1', input))).toBe('user.phone_already_in_use');
      taken.phones = [];
      expect(await codeOf(service.update('u1', input))).toBe('user.username_already_in_use');
      expect(repo.isEmailTaken).toHaveBeenCalledWith('alice@example.com', 'u1');
      expect(repo.isPhoneTaken).toHaveBeenCalledWith('61412345678', 'u1');
      expect(repo.isUsernameTaken).toHaveBeenCalledWith('alice', true, 'u1');
      expect(repo.update).not.toHaveBeenCalled();
      expect(logs.record).not.toHaveBeenCalled();
    });

    it('locks the username ignoring case only when usernames are case-insensitive', async () => {
      await service.update('u1', { username: 'alice' });
      expect(repo.lockUsernameIgnoringCase).not.toHaveBeenCalled();
      config.usernameCaseSensitive = false;
      taken.usernames.push('ALICE');
      expect(await codeOf(service.update('u1', { username: 'alice' }))).toBe('user.username_already_in_use');
      expect(repo.lockUsernameIgnoringCase).toHaveBeenCalledWith('alice');
      expect(repo.isUsernameTaken).toHaveBeenLastCalledWith('alice', false, 'u1');
    });

    it('sets only the given fields ("" clears) and logs the update', async () => {
      const input = { name: '', primaryPhone: '610412345678' };
      await expect(service.update('u1', input)).resolves.toEqual({ id: 'u1', name: null, primaryPhone: '61412345678' });
      expect(repo.update).toHaveBeenCalledWith('u1', { name: null, primaryPhone: '61412345678' });
      expect(logs.record).toHaveBeenCalledWith('ManagementApi.User.Update', { userId: 'u1', params: input });
    });
  });

  describe('verifyPassword', () => {
    let argon2iDigest: string;

    beforeAll(async () => {
      argon2iDigest = await hashArgon2i('secret');
    });

    function storedPassword(passwordEncrypted: string | null, passwordEncryptionMethod: User['passwordEncryptionMethod']): void {
      repo.findPasswordById.mockResolvedValue({ passwordEncrypted, passwordEncryptionMethod });
    }

    it('answers entity.not_found for an unknown user, counting nothing', async () => {
      expect(await codeOf(service.verifyPassword('u1', 'secret'))).toBe('entity.not_found');
      expect(rateLimiter.consume).not.toHaveBeenCalled();
      expect(logs.record).not.toHaveBeenCalled();
    });

    it.each([
      ['a wrong password (MD5)', md5('secret'), 'MD5' as const, 'wrong'],
      ['a wrong password (Argon2i)', null, 'Argon2i' as const, 'wrong'],
      ['no password at all', null, null, 'secret'],
    ])('logs an Error row and answers session.invalid_credentials to %s', async (_case, digest, algorithm, password) => {
      storedPassword(algorithm === 'Argon2i' ? argon2iDigest : digest, algorithm);
      expect(await codeOf(service.verifyPassword('u1', password))).toBe('session.invalid_credentials');
      expect(rateLimiter.consume).toHaveBeenCalledWith('password-verify', 'u1', VERIFY_LIMIT);
      expect(logs.record.mock.calls).toEqual([['ManagementApi.User.Password.Verify', { result: 'Error', userId: 'u1' }]]);
      expect(rateLimiter.reset).not.toHaveBeenCalled();
      expect(repo.replacePasswordDigest).not.toHaveBeenCalled();
    });

    it('checks nothing once the rate limit refuses', async () => {
      storedPassword(md5('secret'), 'MD5');
      const limited = new RequestError('request.too_many_requests', { interpolation: { seconds: 60 } });
      rateLimiter.consume.mockRejectedValue(limited);
      await expect(service.verifyPassword('u1', 'secret')).rejects.toBe(limited);
      expect(rateLimiter.reset).not.toHaveBeenCalled();
      expect(logs.record).not.toHaveBeenCalled();
    });

    it('on a match with another hash, resets the limit and upgrades the digest to Argon2i', async () => {
      storedPassword(md5('secret'), 'MD5');
      await service.verifyPassword('u1', 'secret');
      expect(rateLimiter.reset).toHaveBeenCalledWith('password-verify', 'u1');
      expect(repo.replacePasswordDigest).toHaveBeenCalledTimes(1);
      const [id, expected, upgraded] = repo.replacePasswordDigest.mock.calls[0]!;
      expect({ id, expected }).toEqual({ id: 'u1', expected: md5('secret') });
      expect(upgraded).toMatch(/^\$argon2i\$/);
      expect(await verifyPasswordDigest('secret', 'Argon2i', upgraded)).toBe(true);
      expect(logs.record.mock.calls).toEqual([
        ['ManagementApi.User.Password.Verify', { userId: 'u1', params: { upgradedToArgon2i: true } }],
      ]);
    });

    it('logs no upgrade when the digest changed meanwhile', async () => {
      storedPassword(md5('secret'), 'MD5');
      repo.replacePasswordDigest.mockResolvedValue(false);
      await service.verifyPassword('u1', 'secret');
      expect(logs.record).toHaveBeenCalledWith('ManagementApi.User.Password.Verify', {
        userId: 'u1',
        params: { upgradedToArgon2i: false },
      });
    });

    it('on a match with Argon2i, resets the limit and keeps the digest', async () => {
      storedPassword(argon2iDigest, 'Argon2i');
      await service.verifyPassword('u1', 'secret');
      expect(rateLimiter.reset).toHaveBeenCalledWith('password-verify', 'u1');
      expect(repo.replacePasswordDigest).not.toHaveBeenCalled();
      expect(logs.record.mock.calls).toEqual([
        ['ManagementApi.User.Password.Verify', { userId: 'u1', params: { upgradedToArgon2i: false } }],
      ]);
    });
  });
});
