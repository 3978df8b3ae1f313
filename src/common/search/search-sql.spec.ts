import { parseSearch } from './search-query.js';
import { buildSearchCondition } from './search-sql.js';

const USER_FIELDS = ['id', 'primary_email', 'primary_phone', 'username', 'name'] as const;
const USER_COLUMNS = {
  id: '"id"',
  primary_email: '"primary_email"',
  primary_phone: '"primary_phone"',
  username: '"username"',
  name: '"name"',
} as const;

function build(query: Record<string, unknown>, firstParamIndex = 1) {
  return buildSearchCondition(parseSearch(query, USER_FIELDS), USER_COLUMNS, firstParamIndex);
}

describe('buildSearchCondition', () => {
  it('returns undefined when there are no groups', () => {
    expect(build({})).toBeUndefined();
  });

  it('ORs every column for the general group, binding the value once', () => {
    expect(build({ search: '%search_tom%' })).toEqual({
      sql: '(("id" ILIKE $1 OR "primary_email" ILIKE $1 OR "primary_phone" ILIKE $1 OR "username" ILIKE $1' + ' OR "name" ILIKE $1))',
      params: ['%search_tom%'],
    });
  });

  it('tests only the named column for a field group', () => {
    expect(build({ 'search.username': 'abc%' })).toEqual({ sql: '("username" ILIKE $1)', params: ['abc%'] });
  });

  it('numbers parameters from firstParamIndex', () => {
    expect(build({ 'search.username': 'a%', 'search.name': 'b%' }, 4)).toEqual({
      sql: '("username" ILIKE $4 OR "name" ILIKE $5)',
      params: ['a%', 'b%'],
    });
  });

  it('combines groups with AND for joint `and`', () => {
    expect(build({ 'search.username': 'a%', search: 'b%', joint: 'and' }, 3)).toEqual({
      sql:
        '("username" ILIKE $3 AND ("id" ILIKE $4 OR "primary_email" ILIKE $4 OR "primary_phone" ILIKE $4' +
        ' OR "username" ILIKE $4 OR "name" ILIKE $4))',
      params: ['a%', 'b%'],
    });
  });

  describe('operators', () => {
    it.each([
      ['exact', false, '(lower("name") = lower($1))'],
      ['exact', true, '("name" = $1)'],
      ['like', false, '("name" ILIKE $1)'],
      ['like', true, '("name" LIKE $1)'],
      ['posix', false, '("name" ~* $1)'],
      ['posix', true, '("name" ~ $1)'],
      ['similar_to', true, '("name" SIMILAR TO $1)'],
    ])('builds %s with case sensitivity %s as %s', (mode, isCaseSensitive, sql) => {
      const query = { 'search.name': 'Jerry Swift', 'mode.name': mode, isCaseSensitive: String(isCaseSensitive) };
      expect(build(query)).toEqual({ sql, params: ['Jerry Swift'] });
    });

    it('binds several exact values as one array, lower-cased in SQL when case-insensitive', () => {
      const emails = ['A@x.com', 'b@y.com', 'C@Z.com'];
      expect(build({ 'search.primaryEmail': emails, 'mode.primaryEmail': 'exact' })).toEqual({
        sql: '(lower("primary_email") = ANY(SELECT lower(search_value) FROM unnest($1::text[]) AS search_value))',
        params: [emails],
      });
    });

    it('binds several exact values as one array compared as-is when case-sensitive', () => {
      const ids = ['a1', 'a1', 'b2', 'missing'];
      expect(build({ 'search.id': ids, 'mode.id': 'exact', isCaseSensitive: 'true' })).toEqual({
        sql: '("id" = ANY($1::text[]))',
        params: [ids],
      });
    });

    it('reuses the array parameter across columns in the general group', () => {
      expect(build({ search: ['a', 'b'], mode: 'exact', isCaseSensitive: 'yes' })).toEqual({
        sql:
          '(("id" = ANY($1::text[]) OR "primary_email" = ANY($1::text[]) OR "primary_phone" = ANY($1::text[])' +
          ' OR "username" = ANY($1::text[]) OR "name" = ANY($1::text[])))',
        params: [['a', 'b']],
      });
    });
  });

  it("builds Logto's documented advanced search example", () => {
    expect(
      build(
        {
          'search.name': '^Jerry((?!Jr).)*Jr{1}((?!Jr).)*$',
          'mode.name': 'posix',
          'search.username': 'search_%',
          'search.primaryPhone': '%0{3,}%',
          'mode.primaryPhone': 'similar_to',
          joint: 'and',
          isCaseSensitive: 'true',
        },
        2,
      ),
    ).toEqual({
      sql: '("name" ~ $2 AND "username" LIKE $3 AND "primary_phone" SIMILAR TO $4)',
      params: ['^Jerry((?!Jr).)*Jr{1}((?!Jr).)*$', 'search_%', '%0{3,}%'],
    });
  });

  it('uses the column expressions given by the caller', () => {
    const search = parseSearch({ 'search.name': 'admin%' }, ['name', 'description']);
    expect(buildSearchCondition(search, { name: 'r."name"', description: 'r."description"' }, 1)).toEqual({
      sql: '(r."name" ILIKE $1)',
      params: ['admin%'],
    });
  });
});
