import { createSdk, request, type RawResponse } from './support/clients.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { ERROR_MESSAGES, type ErrorBody, MD5_OF_PASSWORD, type User } from './support/wire.js';
import { parseLinks, type QueryPairs, toQueryString } from './support/links.js';
import { at } from './support/at.js';

/**
 * `GET /api/users`: ordering, pagination headers and the search query language, against one
 * fixed data set seeded once. Every test only reads, so counts are exact.
 */

interface SeedUser {
  key: string;
  username: string;
  name?: string;
  primaryEmail?: string;
  primaryPhone?: string;
  password?: string;
  passwordDigest?: string;
  passwordAlgorithm?: 'MD5';
}

const TOMS: SeedUser[] = [1, 2, 3, 4, 5].map((index) => ({
  key: `tom${index}`,
  username: `search_tom${index}`,
  name: 'Tom Scott',
  primaryEmail: `tom${index}@scott.example`,
  primaryPhone: `1310805000${index}`,
  ...(index === 1 ? { password: 'tom-secret-1' } : {}),
}));

const JERRYS: SeedUser[] = [
  { key: 'jerry1', username: 'search_jerry1', name: 'Jerry Swift', primaryEmail: 'Jerry.Swift@Example.com', primaryPhone: '13108050006' },
  { key: 'jerry2', username: 'search_jerry2', name: 'JERRY SWIFT', primaryPhone: '13108050000' },
  { key: 'jerry3', username: 'search_jerry3', name: 'Jerry Swift Jr', primaryPhone: '13108050007' },
  { key: 'jerry4', username: 'search_jerry4', name: 'Jerry Jr Swift', primaryPhone: '13108050008' },
  { key: 'jerry5', username: 'search_jerry5', name: 'Jerry Swift Jr Jr', primaryPhone: '13108050009' },
  { key: 'jerry6', username: 'jerry_jr', name: 'Jerry Jr' },
  { key: 'jerry7', username: 'search_jerry7', name: 'Jerry Jr the Third', primaryPhone: '447911123456' },
];

const OTHERS: SeedUser[] = [
  { key: 'wild1', username: 'wild_card', name: 'Wild Card' },
  { key: 'wild2', username: 'wildXcard', name: 'Wild X Card' },
  { key: 'mixed', username: 'mixed_case', name: 'Mixed Case', primaryEmail: 'Mixed.Case@Roster.Test', primaryPhone: '61412345678' },
  { key: 'conan', username: 'conan', name: "Conan O'Brien" },
  { key: 'digest', username: 'digest_user', passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' },
  ...[1, 2, 3, 4, 5, 6].map((index) => ({ key: `member${index}`, username: `member_${index}`, name: `Member ${index}` })),
];

const SEED: SeedUser[] = [...TOMS, ...JERRYS, ...OTHERS];
const TOTAL = SEED.length;

const INVALID_PAGINATION = { code: 'guard.invalid_pagination', message: ERROR_MESSAGES['guard.invalid_pagination'] };

function chunk<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}

function sorted(values: readonly (string | null)[]): (string | null)[] {
  return [...values].sort();
}

describe('GET /api/users: listing, pagination and search', () => {
  let server: TestServer;
  const ids = new Map<string, string>();

  const idOf = (key: string): string => {
    const id = ids.get(key);
    if (id === undefined) throw new Error(`no seeded user ${key}`);
    return id;
  };

  const list = (pairs: QueryPairs = []): Promise<RawResponse<User[]>> => {
    const query = toQueryString(pairs);
    return request<User[]>(server.baseUrl, 'GET', `/api/users${query ? `?${query}` : ''}`);
  };

  /** A successful list: asserts 200 and that `Total-Number` is present, returns body and total. */
  const listOk = async (pairs: QueryPairs = []): Promise<{ users: User[]; total: number; response: RawResponse<User[]> }> => {
    const response = await list(pairs);
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
    const totalHeader = response.headers.get('total-number');
    expect(totalHeader).toMatch(/^\d+$/);
    return { users: response.body, total: Number(totalHeader), response };
  };

  /** Search with a page large enough for every match: the page and `Total-Number` must agree. */
  const search = async (pairs: QueryPairs): Promise<User[]> => {
    const { users, total } = await listOk([...pairs, ['page_size', '100']]);
    expect(total).toBe(users.length);
    return users;
  };

  const searchedKeys = async (pairs: QueryPairs): Promise<string[]> => {
    const keyById = new Map([...ids].map(([key, id]) => [id, key]));
    return (await search(pairs)).map((user) => keyById.get(user.id) ?? `unknown:${user.id}`).sort();
  };

  const expectSearchError = async (pairs: QueryPairs, message: string | RegExp): Promise<void> => {
    const response = await request<ErrorBody>(server.baseUrl, 'GET', `/api/users?${toQueryString(pairs)}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'request.invalid_input', data: {}, message: expect.any(String) });
    if (typeof message === 'string') {
      expect(response.body.message).toBe(message);
    } else {
      expect(response.body.message).toMatch(message);
    }
  };

  /**
   * Search patterns the database cannot compile: each is a client error, never a 500 (and never
   * a silent 200). All cases are sent before asserting, so a failure lists every offending one.
   */
  const expectInvalidPatterns = async (cases: readonly QueryPairs[]): Promise<void> => {
    const outcomes = await Promise.all(
      cases.map(async (pairs) => {
        const response = await request<ErrorBody>(server.baseUrl, 'GET', `/api/users?${toQueryString(pairs)}`);
        const body: Partial<ErrorBody> = typeof response.body === 'object' && response.body !== null ? response.body : {};
        return { query: toQueryString(pairs), status: response.status, code: body.code, message: body.message };
      }),
    );
    expect(outcomes).toEqual(
      outcomes.map(({ query }) => ({
        query,
        status: 400,
        code: 'request.invalid_input',
        message: expect.stringMatching(/^Input is invalid\. (?!.*(regular expression|LIKE pattern|postgres))/i),
      })),
    );
  };

  const databaseOrder = async (): Promise<string[]> =>
    (await server.query<{ id: string }>('SELECT id FROM users ORDER BY created_at DESC, id DESC')).map((row) => row.id);

  beforeAll(async () => {
    server = await startTestServer();
    const sdk = createSdk(server.baseUrl);
    // Small concurrent batches: users created in the same millisecond share `createdAt`.
    for (const batch of chunk(SEED, 4)) {
      await Promise.all(
        batch.map(async ({ key, ...body }) => {
          const created = await sdk.POST('/api/users', { body });
          if (created.response.status !== 200 || !created.data) {
            throw new Error(`seeding ${key} failed with ${created.response.status}: ${JSON.stringify(created.error)}`);
          }
          ids.set(key, created.data.id);
        }),
      );
    }
    // Make a tie certain: all Toms share one creation instant, so only `id DESC` orders them.
    const tomIds = TOMS.map(({ key }) => idOf(key));
    await server.query('UPDATE users SET created_at = (SELECT min(created_at) FROM users WHERE id = ANY($1)) WHERE id = ANY($1)', [tomIds]);
  });

  afterAll(async () => {
    await server.stop();
  });

  describe('order and totals', () => {
    it('without parameters reports every user in Total-Number and returns the first 20, newest first', async () => {
      const { users, total } = await listOk();
      expect(total).toBe(TOTAL);
      expect(users).toHaveLength(20);
      expect(users.map((user) => user.id)).toEqual((await databaseOrder()).slice(0, 20));
    });

    it('orders by createdAt descending and breaks ties by id descending, exactly as ORDER BY created_at DESC, id DESC', async () => {
      const { users } = await listOk([['page_size', '100']]);
      expect(users.map((user) => user.id)).toEqual(await databaseOrder());
      for (let index = 1; index < users.length; index += 1) {
        const [previous, current] = [users[index - 1], users[index]];
        expect(previous?.createdAt).toBeGreaterThanOrEqual(current?.createdAt ?? Infinity);
      }
      const tomIds = new Set(TOMS.map(({ key }) => idOf(key)));
      const tomsInOrder = users.filter((user) => tomIds.has(user.id)).map((user) => user.id);
      expect(tomsInOrder).toEqual([...tomIds].sort().reverse());
      expect(new Set(users.filter((user) => tomIds.has(user.id)).map((user) => user.createdAt)).size).toBe(1);
    });

    it('answers the official SDK with a page of users and Total-Number', async () => {
      const sdk = createSdk(server.baseUrl);
      const { data, response } = await sdk.GET('/api/users', { params: { query: { page: 2, page_size: 5 } } });
      expect(response.status).toBe(200);
      expect(response.headers.get('total-number')).toBe(String(TOTAL));
      expect(data?.map((user) => user.id)).toEqual((await databaseOrder()).slice(5, 10));
    });
  });

  describe('pagination', () => {
    it('defaults to 20 per page and accepts page_size up to 100', async () => {
      expect((await listOk([['page', '2']])).users.map((user) => user.id)).toEqual((await databaseOrder()).slice(20, 40));
      const largest = await listOk([['page_size', '100']]);
      expect(largest.users).toHaveLength(TOTAL);
      const tooLarge = await list([['page_size', '101']]);
      expect(tooLarge.status).toBe(400);
      expect(tooLarge.body).toEqual(INVALID_PAGINATION);
    });

    it.each(['page', 'page_size'])('rejects a %s that is not a positive integer with guard.invalid_pagination', async (key) => {
      for (const value of ['0', '-1', '1.5', '1e20', 'abc']) {
        const response = await list([[key, value]]);
        expect({ value, status: response.status, body: response.body }).toEqual({ value, status: 400, body: INVALID_PAGINATION });
      }
    });

    it('treats empty page and page_size as absent (page 1, 20 per page)', async () => {
      const expected = (await databaseOrder()).slice(0, 20);
      const emptyPage = await listOk([['page', '']]);
      expect(emptyPage.users.map((user) => user.id)).toEqual(expected);
      const emptySize = await listOk([['page_size', '']]);
      expect(emptySize.users.map((user) => user.id)).toEqual(expected);
    });

    it('returns an empty page past the end, with Total-Number and Link still set', async () => {
      const { users, total, response } = await listOk([
        ['page', '50'],
        ['page_size', '10'],
      ]);
      expect(users).toEqual([]);
      expect(total).toBe(TOTAL);
      const links = parseLinks(response.headers.get('link'));
      expect([...links.keys()].sort()).toEqual(['first', 'last', 'prev']);
      expect(links.get('first')?.searchParams.get('page')).toBe('1');
      expect(links.get('prev')?.searchParams.get('page')).toBe('49');
      expect(links.get('last')?.searchParams.get('page')).toBe(String(Math.ceil(TOTAL / 10)));
    });

    it('emits absolute Link URLs that include /api/users, with first always, prev after page 1, next before the last page', async () => {
      const lastPage = Math.ceil(TOTAL / 5);
      const expectLinks = (header: string | null, expected: Record<string, number>): void => {
        const links = parseLinks(header);
        expect(Object.fromEntries([...links].map(([rel, url]) => [rel, Number(url.searchParams.get('page'))]))).toEqual(expected);
        for (const url of links.values()) {
          expect(`${url.origin}${url.pathname}`).toBe(`${server.baseUrl}/api/users`);
          expect(url.searchParams.get('page_size')).toBe('5');
        }
      };
      expectLinks((await listOk([['page_size', '5']])).response.headers.get('link'), { first: 1, next: 2, last: lastPage });
      expectLinks(
        (
          await listOk([
            ['page', '2'],
            ['page_size', '5'],
          ])
        ).response.headers.get('link'),
        {
          first: 1,
          prev: 1,
          next: 3,
          last: lastPage,
        },
      );
      expectLinks(
        (
          await listOk([
            ['page', String(lastPage)],
            ['page_size', '5'],
          ])
        ).response.headers.get('link'),
        {
          first: 1,
          prev: lastPage - 1,
          last: lastPage,
        },
      );
    });

    it('has last = 1 and no next or prev link when nothing matches', async () => {
      const { users, total, response } = await listOk([['search', 'nobody-matches-this']]);
      expect(users).toEqual([]);
      expect(total).toBe(0);
      expect(response.headers.get('total-number')).toBe('0');
      const links = parseLinks(response.headers.get('link'));
      expect(Object.fromEntries([...links].map(([rel, url]) => [rel, url.searchParams.get('page')]))).toEqual({ first: '1', last: '1' });
    });

    /** Follows `rel="next"` from the first page to the end, collecting every page. */
    const walkNextLinks = async (pairs: QueryPairs): Promise<{ pages: User[][]; links: URL[] }> => {
      const pages: User[][] = [];
      const links: URL[] = [];
      let path: string | undefined = `/api/users?${toQueryString(pairs)}`;
      while (path !== undefined && pages.length <= TOTAL) {
        const response: RawResponse<User[]> = await request<User[]>(server.baseUrl, 'GET', path);
        expect(response.status).toBe(200);
        pages.push(response.body);
        const next = parseLinks(response.headers.get('link')).get('next');
        if (next) {
          expect(next.href.startsWith(`${server.baseUrl}/api/users?`)).toBe(true);
          links.push(next);
        }
        path = next ? next.href.slice(server.baseUrl.length) : undefined;
      }
      return { pages, links };
    };

    it('walks every user exactly once by following next links', async () => {
      const { pages } = await walkNextLinks([['page_size', '4']]);
      expect(pages).toHaveLength(Math.ceil(TOTAL / 4));
      const walked = pages.flat().map((user) => user.id);
      expect(new Set(walked).size).toBe(walked.length);
      expect(walked).toEqual(await databaseOrder());
    });

    it('keeps the other query parameters in the links, and Total-Number counts the search, not the page', async () => {
      const { pages, links } = await walkNextLinks([
        ['search', '%search_tom%'],
        ['page_size', '2'],
      ]);
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(
        pages
          .flat()
          .map((user) => user.id)
          .sort(),
      ).toEqual(TOMS.map(({ key }) => idOf(key)).sort());
      for (const link of links) {
        expect(link.searchParams.get('search')).toBe('%search_tom%');
        expect(link.searchParams.get('page_size')).toBe('2');
      }
      const firstPage = await listOk([
        ['search', '%search_tom%'],
        ['page_size', '2'],
      ]);
      expect(firstPage.total).toBe(5);
      expect(firstPage.users).toHaveLength(2);
    });
  });

  describe('general search (all fields)', () => {
    it('matches a like pattern in any field, case-insensitively', async () => {
      const toms = await search([['search', '%search_tom%']]);
      expect(toms).toHaveLength(5);
      expect(toms.every((user) => user.name === 'Tom Scott')).toBe(true);
      expect(await searchedKeys([['search', '%SCOTT.EXAMPLE%']])).toEqual(['tom1', 'tom2', 'tom3', 'tom4', 'tom5']);
      // A user matching in several columns (name and e-mail) is counted once.
      expect(await searchedKeys([['search', '%scott%']])).toEqual(['tom1', 'tom2', 'tom3', 'tom4', 'tom5']);
    });

    it('finds the ten users whose phone contains 1310805000', async () => {
      const users = await search([['search', '%1310805000%']]);
      expect(users).toHaveLength(10);
      expect(users.every((user) => user.primaryPhone?.includes('1310805000'))).toBe(true);
    });

    it('treats a like value without wildcards as case-insensitive equality', async () => {
      expect(await searchedKeys([['search', 'jerry swift']])).toEqual(['jerry1', 'jerry2']);
      expect(
        await searchedKeys([
          ['search', 'Jerry Swift'],
          ['isCaseSensitive', 'true'],
        ]),
      ).toEqual(['jerry1']);
      expect(
        await searchedKeys([
          ['search', 'jerry swift'],
          ['isCaseSensitive', 'true'],
        ]),
      ).toEqual([]);
    });

    it('accepts several exact values for the general group', async () => {
      expect(
        await searchedKeys([
          ['search', 'tom1@scott.example'],
          ['search', 'SEARCH_TOM2'],
          ['mode', 'exact'],
        ]),
      ).toEqual(['tom1', 'tom2']);
    });
  });

  describe('field search', () => {
    it('treats _ as a single-character wildcard, and \\_ as a literal underscore', async () => {
      expect(await searchedKeys([['search.username', 'wild_card']])).toEqual(['wild1', 'wild2']);
      expect(await searchedKeys([['search.username', 'wild\\_card']])).toEqual(['wild1']);
    });

    it('accepts camelCase and snake_case field names', async () => {
      expect(await searchedKeys([['search.primaryPhone', '13108050006']])).toEqual(['jerry1']);
      expect(await searchedKeys([['search.primary_phone', '13108050006']])).toEqual(['jerry1']);
      expect(await searchedKeys([['search.primaryEmail', 'tom_@scott.example']])).toHaveLength(5);
      expect(await searchedKeys([['search.primary_email', 'tom_@scott.example']])).toHaveLength(5);
    });

    it('looks a field mode up by the spelling used in its search key, then the general mode, then like', async () => {
      const value = 'tom_@scott.example';
      const count = async (extra: QueryPairs): Promise<number> => (await search([['search.primaryEmail', value], ...extra])).length;
      expect(await count([])).toBe(5);
      expect(await count([['mode.primaryEmail', 'exact']])).toBe(0);
      expect(await count([['mode.primary_email', 'exact']])).toBe(5);
      expect(await count([['mode', 'exact']])).toBe(0);
      expect(
        await count([
          ['mode', 'exact'],
          ['mode.primaryEmail', 'like'],
        ]),
      ).toBe(5);
      expect(
        await count([
          ['mode.primaryEmail', 'exact'],
          ['mode.primaryEmail', 'like'],
        ]),
      ).toBe(5);
      expect(
        await count([
          ['mode.primaryEmail', 'like'],
          ['mode.primaryEmail', 'exact'],
        ]),
      ).toBe(0);
      expect(
        (
          await search([
            ['search.primary_email', value],
            ['mode.primary_email', 'exact'],
          ])
        ).length,
      ).toBe(0);
    });

    it('matches exact mode case-insensitively unless isCaseSensitive is set', async () => {
      const insensitive = await search([
        ['search.name', 'jerry swift'],
        ['mode.name', 'exact'],
      ]);
      expect(sorted(insensitive.map((user) => user.name))).toEqual(['JERRY SWIFT', 'Jerry Swift']);
      expect(
        await search([
          ['search.name', 'jerry swift'],
          ['mode.name', 'exact'],
          ['isCaseSensitive', 'true'],
        ]),
      ).toEqual([]);
      expect(
        await searchedKeys([
          ['search.name', 'Jerry Swift'],
          ['mode.name', 'exact'],
          ['isCaseSensitive', 'yes'],
        ]),
      ).toEqual(['jerry1']);
    });

    it('matches posix regular expressions with ~* by default and ~ when case-sensitive', async () => {
      expect(
        await searchedKeys([
          ['search.name', '^jerry swift( jr)?$'],
          ['mode.name', 'posix'],
        ]),
      ).toEqual(['jerry1', 'jerry2', 'jerry3']);
      expect(
        await searchedKeys([
          ['search.name', '^Jerry Swift( Jr)?$'],
          ['mode.name', 'posix'],
          ['isCaseSensitive', 'true'],
        ]),
      ).toEqual(['jerry1', 'jerry3']);
    });

    it('matches similar_to when case-sensitive, and rejects it otherwise', async () => {
      expect(
        await searchedKeys([
          ['search.username', 'search_tom[1-3]'],
          ['mode.username', 'similar_to'],
          ['isCaseSensitive', 'true'],
        ]),
      ).toEqual(['tom1', 'tom2', 'tom3']);
      await expectSearchError(
        [
          ['search.username', 'search_tom[1-3]'],
          ['mode.username', 'similar_to'],
        ],
        'Input is invalid. Cannot use case-insensitive match for `similar to`.',
      );
    });

    it('combines groups with joint=or by default and joint=and on request (jointMode only when joint is absent)', async () => {
      const groups: QueryPairs = [
        ['search.name', 'Tom Scott'],
        ['search.primaryPhone', '13108050006'],
        ['mode', 'exact'],
      ];
      expect(await searchedKeys(groups)).toEqual(['jerry1', 'tom1', 'tom2', 'tom3', 'tom4', 'tom5']);
      expect(await searchedKeys([...groups, ['joint', 'or']])).toHaveLength(6);
      expect(await searchedKeys([...groups, ['joint', '']])).toHaveLength(6);
      expect(await searchedKeys([...groups, ['joint', 'and']])).toEqual([]);

      const overlapping: QueryPairs = [
        ['search.name', 'Tom Scott'],
        ['search.primaryPhone', '13108050001'],
        ['mode', 'exact'],
      ];
      expect(await searchedKeys([...overlapping, ['joint', 'and']])).toEqual(['tom1']);
      expect(await searchedKeys([...overlapping, ['jointMode', 'and']])).toEqual(['tom1']);
      expect(await searchedKeys([...overlapping, ['joint', 'or'], ['jointMode', 'and']])).toHaveLength(5);
    });

    it('combines posix, like and similar_to groups with joint=and (hybrid search)', async () => {
      const users = await search([
        ['search.name', '^Jerry((?!Jr).)*Jr{1}((?!Jr).)*$'],
        ['mode.name', 'posix'],
        ['search.username', 'search_%'],
        ['search.primaryPhone', '%0{3,}%'],
        ['mode.primaryPhone', 'similar_to'],
        ['joint', 'and'],
        ['isCaseSensitive', 'true'],
      ]);
      expect(sorted(users.map((user) => user.username))).toEqual(['search_jerry3', 'search_jerry4']);
    });

    it('combines posix and similar_to groups with or by default and with and on request', async () => {
      const hybrid: QueryPairs = [
        ['search.name', '^Tom Scott$'],
        ['mode.name', 'posix'],
        ['search.primaryEmail', 'tom[1-3]@scott.example'],
        ['mode.primaryEmail', 'similar_to'],
        ['isCaseSensitive', 'true'],
      ];
      expect(await searchedKeys(hybrid)).toEqual(['tom1', 'tom2', 'tom3', 'tom4', 'tom5']);
      expect(await searchedKeys([...hybrid, ['joint', 'and']])).toEqual(['tom1', 'tom2', 'tom3']);
    });

    it('accepts several exact e-mail values, matched case-insensitively unless isCaseSensitive is set', async () => {
      const emails: QueryPairs = [
        ['search.primaryEmail', 'JERRY.SWIFT@example.com'],
        ['search.primaryEmail', 'tom1@scott.example'],
        ['search.primaryEmail', 'mixed.case@roster.test'],
        ['mode.primaryEmail', 'exact'],
      ];
      expect(await searchedKeys(emails)).toEqual(['jerry1', 'mixed', 'tom1']);
      expect(await searchedKeys([...emails, ['isCaseSensitive', 'true']])).toEqual(['tom1']);
    });

    it('accepts repeated exact ids, ignoring a duplicate and a non-existent id', async () => {
      const pairs: QueryPairs = [
        ['search.id', idOf('tom2')],
        ['search.id', idOf('jerry3')],
        ['search.id', idOf('tom2')],
        ['search.id', 'nonexistent0'],
        ['search.id', idOf('conan')],
        ['mode.id', 'exact'],
        ['isCaseSensitive', 'true'],
      ];
      expect(await searchedKeys(pairs)).toEqual(['conan', 'jerry3', 'tom2']);
      const upperCased: QueryPairs = [
        ['search.id', idOf('conan').toUpperCase()],
        ['mode.id', 'exact'],
      ];
      expect(await searchedKeys(upperCased)).toEqual(['conan']);
      expect(await searchedKeys([...upperCased, ['isCaseSensitive', 'true']])).toEqual(/\p{Ll}/u.test(idOf('conan')) ? [] : ['conan']);
    });
  });

  describe('search syntax errors (400 request.invalid_input, data {})', () => {
    it('rejects several values outside exact mode', async () => {
      const message = 'Input is invalid. Only one search value is allowed when search mode is not `exact`.';
      await expectSearchError(
        [
          ['search.name', 'Tom Scott'],
          ['search.name', 'Jerry Swift'],
        ],
        message,
      );
      await expectSearchError(
        [
          ['search', '%tom%'],
          ['search', '%jerry%'],
          ['mode', 'posix'],
        ],
        message,
      );
    });

    it('rejects excludeRoleId together with excludeOrganizationId; an unknown role or any organization alone excludes nobody', async () => {
      await expectSearchError(
        [
          ['excludeRoleId', 'role-1'],
          ['excludeOrganizationId', 'org-1'],
        ],
        'Input is invalid. Parameter `excludeRoleId` and `excludeOrganizationId` cannot be used at the same time.',
      );
      const all = await list([['page_size', '100']]);
      for (const exclude of ['excludeRoleId', 'excludeOrganizationId']) {
        const filtered = await list([
          [exclude, 'x'],
          ['page_size', '100'],
        ]);
        expect(filtered.status).toBe(200);
        expect(filtered.headers.get('total-number')).toBe(all.headers.get('total-number'));
        expect(filtered.body.map((user) => user.id)).toEqual(all.body.map((user) => user.id));
      }
    });

    it('rejects an empty search value', async () => {
      await expectSearchError([['search.primaryEmail', '']], 'Input is invalid. Search value cannot be empty.');
      await expectSearchError([['search', '']], 'Input is invalid. Search value cannot be empty.');
      await expectSearchError(
        [
          ['search.primaryEmail', 'tom1@scott.example'],
          ['search.primaryEmail', ''],
          ['mode.primaryEmail', 'exact'],
        ],
        'Input is invalid. Search value cannot be empty.',
      );
    });

    it('rejects an unknown mode, an unknown field and an unknown joint', async () => {
      await expectSearchError(
        [
          ['search.primaryEmail', 'tom1@scott.example'],
          ['mode.primaryEmail', 'similar to'],
        ],
        'Input is invalid. Search match mode `similar to` for field `primaryEmail` is not valid, expect one of exact, like, similar_to, posix.',
      );
      await expectSearchError(
        [
          ['search', '%tom%'],
          ['mode', 'fuzzy'],
        ],
        /is not valid/,
      );
      await expectSearchError(
        [['search.email', 'tom1@scott.example']],
        'Input is invalid. Search field `email` is not valid, expect one of id, primary_email, primary_phone, username, name.',
      );
      await expectSearchError(
        [
          ['search', '%tom%'],
          ['joint', 'and1'],
        ],
        'Input is invalid. Search joint mode `and1` is not valid, expect one of or, and.',
      );
    });

    it('rejects a nested field path', async () => {
      await expectSearchError(
        [['search.name.first', 'Jerry']],
        'Input is invalid. Unsupported nested search field path `name.first` detected. Only the first level field is supported.',
      );
    });

    it('sends the error keys in Logto order: code, data, message', async () => {
      const response = await list([['search.email', 'x']]);
      expect(Object.keys(response.body as unknown as ErrorBody)).toEqual(['code', 'data', 'message']);
    });
  });

  describe('patterns the database cannot compile', () => {
    it('rejects an invalid POSIX regular expression with 400, not 500, whether or not a row reaches it', async () => {
      await expectInvalidPatterns([
        [
          ['search.name', '('],
          ['mode.name', 'posix'],
        ],
        [
          ['search.name', '('],
          ['mode.name', 'posix'],
          ['isCaseSensitive', 'true'],
        ],
        [
          ['search', '[a-'],
          ['mode', 'posix'],
        ],
        [
          ['search.username', 'a{1,1000}'],
          ['mode.username', 'posix'],
        ],
        // No row reaches the regex here: the pattern must still be refused, not answered with [].
        [
          ['search.id', 'nonexistent0'],
          ['mode.id', 'exact'],
          ['search.name', '('],
          ['mode.name', 'posix'],
          ['joint', 'and'],
        ],
      ]);
    });

    it('rejects an invalid SIMILAR TO pattern with 400, not 500, whether or not a row reaches it', async () => {
      const similarTo: QueryPairs = [
        ['search.name', '('],
        ['mode.name', 'similar_to'],
        ['isCaseSensitive', 'true'],
      ];
      await expectInvalidPatterns([similarTo, [['search.id', 'nonexistent0'], ['mode.id', 'exact'], ...similarTo, ['joint', 'and']]]);
    });

    it('rejects a LIKE pattern ending in a backslash with 400, whether or not a row reaches it', async () => {
      await expectInvalidPatterns([
        [['search.username', 'wild\\']],
        [
          ['search.username', 'wild\\'],
          ['isCaseSensitive', 'true'],
        ],
        [['search', 'wild\\']],
        [['search.name', 'no such name\\']],
      ]);
    });

    it('keeps serving searches after rejecting bad patterns', async () => {
      await expectInvalidPatterns([
        [
          ['search.name', '('],
          ['mode.name', 'posix'],
        ],
      ]);
      expect(await searchedKeys([['search.username', 'conan']])).toEqual(['conan']);
    });
  });

  describe('SQL-looking values', () => {
    it('are matched literally, never executed', async () => {
      expect(await search([['search', "' OR 1=1 --"]])).toEqual([]);
      expect(await search([['search.name', "%'; DROP TABLE users; --"]])).toEqual([]);
      expect(
        await search([
          ['search.name', "x' OR 'x'='x"],
          ['mode.name', 'exact'],
        ]),
      ).toEqual([]);
      expect(
        await search([
          ['search.id', "' OR ''='"],
          ['search.id', 'a'],
          ['mode.id', 'exact'],
        ]),
      ).toEqual([]);
      expect(await searchedKeys([['search.name', "Conan O'Brien"]])).toEqual(['conan']);
      const { count } = at(await server.query<{ count: string }>('SELECT count(*) AS count FROM users'), 0);
      expect(Number(count)).toBe(TOTAL);
    });
  });

  describe('includePasswordHash', () => {
    it('omits passwordDigest and passwordAlgorithm by default', async () => {
      for (const pairs of [[], [['includePasswordHash', 'false']]] as QueryPairs[]) {
        const { users } = await listOk([...pairs, ['page_size', '100']]);
        expect(users).toHaveLength(TOTAL);
        for (const user of users) {
          expect(Object.keys(user)).not.toContain('passwordDigest');
          expect(Object.keys(user)).not.toContain('passwordAlgorithm');
        }
      }
    });

    it('adds the hash and its algorithm, or nulls, to every listed user', async () => {
      const { users } = await listOk([
        ['includePasswordHash', 'true'],
        ['page_size', '100'],
      ]);
      expect(users).toHaveLength(TOTAL);
      const byId = new Map(users.map((user) => [user.id, user]));
      const withPassword = byId.get(idOf('tom1'));
      expect(withPassword?.passwordAlgorithm).toBe('Argon2i');
      expect(withPassword?.passwordDigest).toEqual(expect.stringMatching(/^\$argon2i\$/));
      expect(byId.get(idOf('digest'))).toMatchObject({ passwordDigest: MD5_OF_PASSWORD, passwordAlgorithm: 'MD5' });
      expect(byId.get(idOf('jerry1'))).toMatchObject({ passwordDigest: null, passwordAlgorithm: null });
      for (const user of users) {
        expect(Object.keys(user)).toEqual(expect.arrayContaining(['passwordDigest', 'passwordAlgorithm']));
      }
    });
  });
});
