import { RequestError } from '../errors/request-error.js';
import { parseSearch, type Search } from './search-query.js';

const USER_FIELDS = ['id', 'primary_email', 'primary_phone', 'username', 'name'] as const;
type UserField = (typeof USER_FIELDS)[number];

function parse(query: Record<string, unknown>): Search<UserField> {
  return parseSearch(query, USER_FIELDS);
}

/** The error `parse` throws; fails the test when it throws nothing. */
function parseError(query: Record<string, unknown>): RequestError {
  try {
    parse(query);
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected parseSearch to throw');
}

function expectInvalidInput(query: Record<string, unknown>, details: string): void {
  const error = parseError(query);
  expect(error.code).toBe('request.invalid_input');
  expect(error.status).toBe(400);
  expect(error.message).toBe(`Input is invalid. ${details}`);
  expect(error.data).toEqual({});
}

describe('parseSearch', () => {
  describe('groups', () => {
    it('has no groups, joint `or` and case-insensitivity when nothing is searched', () => {
      expect(parse({ page: '2', page_size: '10' })).toEqual({ groups: [], joint: 'or', isCaseSensitive: false });
    });

    it('reads `search` as the general group with the default `like` mode', () => {
      expect(parse({ search: '%tom%' }).groups).toEqual([{ values: ['%tom%'], mode: 'like' }]);
    });

    it('consumes other keys starting with `search` as general-group values, in order of appearance', () => {
      expect(parse({ searchFoo: 'a', search_params: 'b', mode: 'exact' }).groups).toEqual([{ values: ['a', 'b'], mode: 'exact' }]);
    });

    it('treats `search.` (no field name) as the general group', () => {
      expect(parse({ 'search.': 'a' }).groups).toEqual([{ values: ['a'], mode: 'like' }]);
    });

    it('accepts camelCase and snake_case field names and reports them in snake_case', () => {
      expect(parse({ 'search.primaryEmail': 'a%', 'search.primary_phone': '1%' }).groups).toEqual([
        { field: 'primary_email', values: ['a%'], mode: 'like' },
        { field: 'primary_phone', values: ['1%'], mode: 'like' },
      ]);
    });

    it('keeps the groups in order of first appearance', () => {
      const { groups } = parse({ 'search.name': 'n', search: 'g', 'search.id': 'i' });
      expect(groups.map((group) => group.field)).toEqual(['name', undefined, 'id']);
    });

    it('collects repeated values of one key in exact mode', () => {
      expect(parse({ 'search.primaryEmail': ['a@x.com', 'B@y.com', 'c@z.com'], 'mode.primaryEmail': 'exact' }).groups).toEqual([
        { field: 'primary_email', values: ['a@x.com', 'B@y.com', 'c@z.com'], mode: 'exact' },
      ]);
    });

    it('keeps duplicate values as sent', () => {
      expect(parse({ 'search.id': ['a', 'a', 'b'], 'mode.id': 'exact' }).groups[0]?.values).toEqual(['a', 'a', 'b']);
    });

    it('ignores query keys unrelated to search', () => {
      expect(parse({ excludeRoleId: 'r', includePasswordHash: 'true', page: '1' }).groups).toEqual([]);
    });
  });

  describe('modes', () => {
    it('uses the mode spelled like the field in its `search.` key', () => {
      expect(parse({ 'search.primaryEmail': 'a', 'mode.primaryEmail': 'posix' }).groups[0]?.mode).toBe('posix');
    });

    it('does not apply a mode spelled differently from the search key (`mode.primary_email`)', () => {
      expect(parse({ 'search.primaryEmail': 'a', 'mode.primary_email': 'exact' }).groups[0]?.mode).toBe('like');
    });

    it('falls back to the general mode for fields without their own', () => {
      const { groups } = parse({ 'search.name': 'n', 'search.id': 'i', 'mode.id': 'exact', mode: 'posix' });
      expect(groups.map((group) => group.mode)).toEqual(['posix', 'exact']);
    });

    it('falls back to `like` without any mode', () => {
      expect(parse({ 'search.username': 'u%' }).groups[0]?.mode).toBe('like');
    });

    it('lets the last of repeated modes win', () => {
      expect(parse({ 'search.name': 'n', 'mode.name': ['posix', 'exact'] }).groups[0]?.mode).toBe('exact');
    });

    it('takes general-mode keys in order of appearance, the last one winning', () => {
      expect(parse({ search: 'n', mode: 'posix', modeFoo: 'exact' }).groups[0]?.mode).toBe('exact');
    });

    it('does not validate modes that no group uses', () => {
      expect(parse({ 'search.name': 'n', 'mode.name': 'exact', 'mode.email': 'bogus' }).groups[0]?.mode).toBe('exact');
    });

    it("reads Logto's documented advanced search example (posix + like + similar_to, joint and)", () => {
      expect(
        parse({
          'search.name': '^Jerry((?!Jr).)*Jr{1}((?!Jr).)*$',
          'mode.name': 'posix',
          'search.username': 'search_%',
          'search.primaryPhone': '%0{3,}%',
          'mode.primaryPhone': 'similar_to',
          joint: 'and',
          isCaseSensitive: 'true',
        }),
      ).toEqual({
        groups: [
          { field: 'name', values: ['^Jerry((?!Jr).)*Jr{1}((?!Jr).)*$'], mode: 'posix' },
          { field: 'username', values: ['search_%'], mode: 'like' },
          { field: 'primary_phone', values: ['%0{3,}%'], mode: 'similar_to' },
        ],
        joint: 'and',
        isCaseSensitive: true,
      });
    });
  });

  describe('joint and case sensitivity', () => {
    it.each([
      [{}, 'or'],
      [{ joint: '' }, 'or'],
      [{ joint: 'or' }, 'or'],
      [{ joint: 'and' }, 'and'],
      [{ joint: ['and', 'bogus'] }, 'and'],
      [{ jointMode: 'and' }, 'and'],
      [{ joint: 'or', jointMode: 'and' }, 'or'],
      [{ joint: '', jointMode: 'and' }, 'or'],
    ])('reads %j as joint %s', (query, joint) => {
      expect(parse(query).joint).toBe(joint);
    });

    it.each([
      [{}, false],
      [{ isCaseSensitive: 'true' }, true],
      [{ isCaseSensitive: 'YES' }, true],
      [{ isCaseSensitive: '1' }, true],
      [{ isCaseSensitive: 'false' }, false],
      [{ isCaseSensitive: 'on' }, false],
    ])('reads %j as case sensitivity %s', (query, isCaseSensitive) => {
      expect(parse(query).isCaseSensitive).toBe(isCaseSensitive);
    });
  });

  describe('errors', () => {
    it('rejects nested field paths', () => {
      expectInvalidInput(
        { 'search.name.first': 'x' },
        'Unsupported nested search field path `name.first` detected. Only the first level field is supported.',
      );
    });

    it('rejects nested field paths in mode keys too', () => {
      expectInvalidInput(
        { 'mode.name.first': 'exact' },
        'Unsupported nested search field path `name.first` detected. Only the first level field is supported.',
      );
    });

    it('rejects fields outside the allowed list, listing the allowed ones', () => {
      expectInvalidInput(
        { 'search.email': 'a' },
        'Search field `email` is not valid, expect one of id, primary_email, primary_phone, username, name.',
      );
    });

    it('names an unknown camelCase field in snake_case', () => {
      expectInvalidInput(
        { 'search.emailAddress': 'a' },
        'Search field `email_address` is not valid, expect one of id, primary_email, primary_phone, username, name.',
      );
    });

    it('lists the allowed fields given by the caller', () => {
      expect(() => parseSearch({ 'search.username': 'a' }, ['id', 'name', 'description'])).toThrow(
        'Input is invalid. Search field `username` is not valid, expect one of id, name, description.',
      );
    });

    it('rejects an invalid field mode, naming the field as spelled in the query', () => {
      expectInvalidInput(
        { 'search.primaryEmail': 'a', 'mode.primaryEmail': 'similar to' },
        'Search match mode `similar to` for field `primaryEmail` is not valid, expect one of exact, like, similar_to, posix.',
      );
    });

    it('names the field when an invalid general mode is its fallback', () => {
      expectInvalidInput(
        { 'search.name': 'a', mode: 'fuzzy' },
        'Search match mode `fuzzy` for field `name` is not valid, expect one of exact, like, similar_to, posix.',
      );
    });

    it('names no field when the general group has an invalid mode', () => {
      expectInvalidInput(
        { search: 'a', mode: 'fuzzy' },
        'Search match mode `fuzzy` is not valid, expect one of exact, like, similar_to, posix.',
      );
    });

    it('rejects an empty mode', () => {
      expectInvalidInput(
        { 'search.name': 'a', 'mode.name': '' },
        'Search match mode `` for field `name` is not valid, expect one of exact, like, similar_to, posix.',
      );
    });

    it.each([{ joint: 'and1' }, { jointMode: 'and1' }, { joint: 'AND' }])('rejects the joint in %j', (query) => {
      const joint = Object.values(query)[0];
      expectInvalidInput(query, `Search joint mode \`${joint}\` is not valid, expect one of or, and.`);
    });

    it.each(['like', 'posix', 'similar_to'])('rejects several values in %s mode', (mode) => {
      expectInvalidInput(
        { 'search.name': ['a', 'b'], 'mode.name': mode, isCaseSensitive: 'true' },
        'Only one search value is allowed when search mode is not `exact`.',
      );
    });

    it('rejects several values when the mode defaults to like', () => {
      expectInvalidInput({ search: ['a', 'b'] }, 'Only one search value is allowed when search mode is not `exact`.');
    });

    it.each([[{ 'search.primaryEmail': '' }], [{ search: '' }], [{ 'search.id': ['a', ''], 'mode.id': 'exact' }]])(
      'rejects an empty value in %j',
      (query) => {
        expectInvalidInput(query, 'Search value cannot be empty.');
      },
    );

    it('rejects case-insensitive similar_to', () => {
      expectInvalidInput(
        { 'search.primaryPhone': '%0{3,}%', 'mode.primaryPhone': 'similar_to' },
        'Cannot use case-insensitive match for `similar to`.',
      );
    });

    it.each([
      [{ search: 'wild\\' }],
      [{ 'search.name': 'a\\\\\\', isCaseSensitive: 'true' }],
      [{ 'search.name': 'x\\', 'mode.name': 'similar_to', isCaseSensitive: 'true' }],
    ])('rejects a pattern ending in an unescaped backslash in %j', (query) => {
      expectInvalidInput(query, 'The search pattern must not end with an unescaped backslash.');
    });

    it.each([[{ search: 'a\\\\' }], [{ 'search.name': 'x\\', 'mode.name': 'exact' }], [{ 'search.name': 'x\\', 'mode.name': 'posix' }]])(
      'accepts an escaped backslash, and a trailing backslash outside like/similar_to, in %j',
      (query) => {
        expect(() => parse(query)).not.toThrow();
      },
    );

    it('checks the joint before the search keys', () => {
      expectInvalidInput({ 'search.email': 'a', joint: 'and1' }, 'Search joint mode `and1` is not valid, expect one of or, and.');
    });
  });
});
