import { RequestError } from '../common/errors/request-error.js';
import { encodeCursor } from './list-cursor.js';
import { parseUserListQuery } from './user-list-query.param.js';

function errorOf(query: Record<string, unknown>): { code: string; message: string } {
  try {
    parseUserListQuery(query);
  } catch (error) {
    if (error instanceof RequestError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected parseUserListQuery to throw');
}

describe('parseUserListQuery', () => {
  it('reads an empty query as the first numbered page of 20, unfiltered, without hashes', () => {
    expect(parseUserListQuery({})).toEqual({
      search: { groups: [], joint: 'or', isCaseSensitive: false },
      paging: { kind: 'numbered', page: 1, pageSize: 20, offset: 0 },
      exclusion: undefined,
      roleId: undefined,
      includeRoles: false,
      includePasswordHash: false,
    });
  });

  it('reads numbered pages and their offset', () => {
    expect(parseUserListQuery({ page: '3', page_size: '50' }).paging).toEqual({ kind: 'numbered', page: 3, pageSize: 50, offset: 100 });
  });

  it('reads an empty cursor as the first keyset page, and a cursor as the position after which to start', () => {
    expect(parseUserListQuery({ cursor: '', page_size: '5' }).paging).toEqual({ kind: 'keyset', pageSize: 5, after: undefined });
    const cursor = encodeCursor({ createdAtMs: 1_700_000_000_000, id: 'abc123' });
    expect(parseUserListQuery({ cursor }).paging).toEqual({
      kind: 'keyset',
      pageSize: 20,
      after: { createdAtMs: 1_700_000_000_000, id: 'abc123' },
    });
  });

  it.each([
    ['a cursor with a page', { cursor: '', page: '1' }],
    ['a repeated cursor', { cursor: ['', ''] }],
    ['an unreadable cursor', { cursor: 'not-a-cursor' }],
    ['a bad page size with a cursor', { cursor: '', page_size: '0' }],
  ])('answers guard.invalid_pagination to %s', (_name, query) => {
    expect(errorOf(query).code).toBe('guard.invalid_pagination');
  });

  it('reads the search in the user fields, snake_cased', () => {
    expect(parseUserListQuery({ 'search.primaryEmail': '%@example.com' }).search.groups).toEqual([
      { field: 'primary_email', values: ['%@example.com'], mode: 'like' },
    ]);
    expect(errorOf({ 'search.password': 'x' }).message).toContain('Search field `password` is not valid');
  });

  it('reads roleId and includeRoles (Roster only)', () => {
    expect(parseUserListQuery({ roleId: ['r1', 'r2'], includeRoles: 'yes' })).toMatchObject({ roleId: 'r1', includeRoles: true });
    expect(parseUserListQuery({ includeRoles: 'no' }).includeRoles).toBe(false);
  });

  it('takes one exclusion flag and refuses both', () => {
    expect(parseUserListQuery({ excludeRoleId: 'r1' }).exclusion).toEqual({ roleId: 'r1' });
    expect(parseUserListQuery({ excludeOrganizationId: ['o1', 'o2'] }).exclusion).toEqual({ organizationId: 'o1' });
    expect(errorOf({ excludeRoleId: 'r1', excludeOrganizationId: 'o1' })).toEqual({
      code: 'request.invalid_input',
      message: 'Input is invalid. Parameter `excludeRoleId` and `excludeOrganizationId` cannot be used at the same time.',
    });
  });

  it('answers a bad page before both exclusion flags, and both exclusion flags before a bad search', () => {
    expect(errorOf({ page: '0', excludeRoleId: 'r', excludeOrganizationId: 'o' }).code).toBe('guard.invalid_pagination');
    expect(errorOf({ excludeRoleId: 'r', excludeOrganizationId: 'o', joint: 'xor' }).message).toContain('excludeRoleId');
  });

  it('reads includePasswordHash as a yes-flag', () => {
    expect(parseUserListQuery({ includePasswordHash: 'yes' }).includePasswordHash).toBe(true);
    expect(parseUserListQuery({ includePasswordHash: 'no' }).includePasswordHash).toBe(false);
  });
});
