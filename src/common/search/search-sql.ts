import type { Search, SearchGroup, SearchMode } from './search-query.js';

/** A WHERE fragment and the values of its positional parameters. */
export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** The trusted SQL expression each searchable field is tested on; never client input. */
export type SearchColumns<Field extends string> = Readonly<Record<Field, string>>;

/**
 * Turns a parsed search into a parenthesised WHERE fragment with positional parameters from
 * `$<firstParamIndex>` on. `columns` maps each searchable field to its (trusted) SQL column; the
 * general group tests all of them. Returns undefined when there is nothing to search for.
 */
export function buildSearchCondition<Field extends string>(
  search: Search<Field>,
  columns: SearchColumns<Field>,
  firstParamIndex: number,
): SqlCondition | undefined {
  if (search.groups.length === 0) {
    return undefined;
  }
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${firstParamIndex + params.length - 1}`;
  };
  const conditions = search.groups.map((group) => buildGroupCondition(group, columnsToTest(group, columns), search.isCaseSensitive, bind));
  const jointOperator = search.joint === 'and' ? ' AND ' : ' OR ';
  return { sql: `(${conditions.join(jointOperator)})`, params };
}

function columnsToTest<Field extends string>(group: SearchGroup<Field>, columns: SearchColumns<Field>): string[] {
  if (group.field === undefined) {
    const allColumns: string[] = Object.values(columns);
    if (allColumns.length === 0) {
      throw new Error('A general search needs at least one column to test.');
    }
    return allColumns;
  }
  return [columns[group.field]];
}

/** One bound parameter per group, shared by every column the group tests. */
function buildGroupCondition(
  group: SearchGroup<string>,
  columns: readonly string[],
  isCaseSensitive: boolean,
  bind: (value: unknown) => string,
): string {
  const hasSeveralValues = group.values.length > 1;
  const placeholder = bind(hasSeveralValues ? group.values : group.values[0]);
  const tests = columns.map((column) =>
    group.mode === 'exact'
      ? exactTest(column, placeholder, hasSeveralValues, isCaseSensitive)
      : patternTest(column, placeholder, group.mode, isCaseSensitive),
  );
  return tests.length > 1 ? `(${tests.join(' OR ')})` : tests.join('');
}

/**
 * Case-insensitive tests compare `lower(column)` so a functional index on it can serve them, and
 * lower-case the values in SQL so both sides fold case by the same (database) rules.
 */
function exactTest(column: string, placeholder: string, hasSeveralValues: boolean, isCaseSensitive: boolean): string {
  if (isCaseSensitive) {
    return hasSeveralValues ? `${column} = ANY(${placeholder}::text[])` : `${column} = ${placeholder}`;
  }
  return hasSeveralValues
    ? `lower(${column}) = ANY(SELECT lower(search_value) FROM unnest(${placeholder}::text[]) AS search_value)`
    : `lower(${column}) = lower(${placeholder})`;
}

/** Patterns are passed through raw: the caller supplies any wildcards (`%`, `_`, regex syntax). */
function patternTest(column: string, placeholder: string, mode: Exclude<SearchMode, 'exact'>, isCaseSensitive: boolean): string {
  switch (mode) {
    case 'like':
      return `${column} ${isCaseSensitive ? 'LIKE' : 'ILIKE'} ${placeholder}`;
    case 'posix':
      return `${column} ${isCaseSensitive ? '~' : '~*'} ${placeholder}`;
    case 'similar_to':
      // SQL has no case-insensitive SIMILAR TO; parseSearch rejects that combination.
      return `${column} SIMILAR TO ${placeholder}`;
  }
}
