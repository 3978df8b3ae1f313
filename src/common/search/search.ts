import { RequestError } from '../errors/request-error.js';
import { isYes } from '../yes-flag.js';

export type SearchMode = 'exact' | 'like' | 'similar_to' | 'posix';

export interface SearchGroup {
  /** snake_case field name from the allowed list; undefined for the general group (all fields). */
  field?: string;
  values: string[];
  mode: SearchMode;
}

export interface Search {
  groups: SearchGroup[];
  joint: 'or' | 'and';
  isCaseSensitive: boolean;
}

const SEARCH_MODES: readonly SearchMode[] = ['exact', 'like', 'similar_to', 'posix'];
const JOINT_MODES: readonly Search['joint'][] = ['or', 'and'];
const DEFAULT_MODE: SearchMode = 'like';
/** An odd number of backslashes at the end: the last one escapes nothing. */
const DANGLING_ESCAPE = /(?<!\\)(?:\\\\)*\\$/;

/** Values and modes as written in the query, keyed by raw field spelling; `undefined` is the general group. */
type RawField = string | undefined;

interface RawSearchKeys {
  values: Map<RawField, string[]>;
  modes: Map<RawField, string>;
}

/**
 * Reads Logto's search query language (`search`, `search.<field>`, `mode`, `mode.<field>`, `joint`,
 * `isCaseSensitive`) from a parsed URL query. Every syntax problem is a 400 `request.invalid_input`.
 */
export function parseSearch(query: Record<string, unknown>, allowedFields: readonly string[]): Search {
  const joint = parseJoint(query);
  const isCaseSensitive = isYes(query.isCaseSensitive);
  const { values, modes } = collectSearchKeys(query);
  const groups = [...values].map(([rawField, groupValues]) => toSearchGroup(rawField, groupValues, modes, allowedFields, isCaseSensitive));
  return { groups, joint, isCaseSensitive };
}

/**
 * Turns a parsed search into a parenthesised WHERE fragment with positional parameters from
 * `$<firstParamIndex>` on. `columns` maps each searchable field to its (trusted) SQL column; the
 * general group tests all of them. Returns undefined when there is nothing to search for.
 */
export function buildSearchCondition(
  search: Search,
  columns: Readonly<Record<string, string>>,
  firstParamIndex: number,
): { sql: string; params: unknown[] } | undefined {
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

function invalidSearch(details: string): RequestError {
  return new RequestError('request.invalid_input', { interpolation: { details }, data: {} });
}

/** The parsed query holds a string per key, or an array when the key was repeated. */
function queryValues(value: unknown): string[] {
  if (typeof value === 'string') {
    return [value];
  }
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function parseJoint(query: Record<string, unknown>): Search['joint'] {
  // `jointMode` is an older spelling, honoured only when `joint` is not sent at all.
  const jointValue = query.joint === undefined ? query.jointMode : query.joint;
  const joint = queryValues(jointValue)[0];
  if (!joint) {
    return 'or';
  }
  if (!isOneOf(JOINT_MODES, joint)) {
    throw invalidSearch(`Search joint mode \`${joint}\` is not valid, expect one of ${JOINT_MODES.join(', ')}.`);
  }
  return joint;
}

function collectSearchKeys(query: Record<string, unknown>): RawSearchKeys {
  const values = new Map<RawField, string[]>();
  const modes = new Map<RawField, string>();
  for (const [key, value] of Object.entries(query)) {
    if (key.startsWith('search')) {
      const rawField = fieldOfKey(key, 'search');
      const keyValues = queryValues(value);
      if (keyValues.length > 0) {
        values.set(rawField, [...(values.get(rawField) ?? []), ...keyValues]);
      }
    } else if (key.startsWith('mode')) {
      const rawField = fieldOfKey(key, 'mode');
      const lastMode = queryValues(value).at(-1);
      if (lastMode !== undefined) {
        modes.set(rawField, lastMode);
      }
    }
  }
  return { values, modes };
}

/**
 * The field named by a `search.<field>` / `mode.<field>` key. Any other key with the prefix
 * (`search`, `searchFoo`, `search_params`, `search.`) addresses the general group, as in Logto.
 */
function fieldOfKey(key: string, prefix: 'search' | 'mode'): RawField {
  const dottedPrefix = `${prefix}.`;
  if (!key.startsWith(dottedPrefix)) {
    return undefined;
  }
  const path = key.slice(dottedPrefix.length);
  if (path.includes('.')) {
    throw invalidSearch(`Unsupported nested search field path \`${path}\` detected. Only the first level field is supported.`);
  }
  return path === '' ? undefined : path;
}

function toSearchGroup(
  rawField: RawField,
  values: string[],
  modes: ReadonlyMap<RawField, string>,
  allowedFields: readonly string[],
  isCaseSensitive: boolean,
): SearchGroup {
  const field = rawField === undefined ? undefined : allowedFieldName(rawField, allowedFields);
  const mode = modeFor(rawField, modes);
  assertValuesFitMode(values, mode);
  if (mode === 'similar_to' && !isCaseSensitive) {
    throw invalidSearch('Cannot use case-insensitive match for `similar to`.');
  }
  // PostgreSQL only notices a dangling escape when a row's text reaches it, so the same request
  // would answer 200 or 500 depending on the data; reject it up front instead.
  if ((mode === 'like' || mode === 'similar_to') && values.some((value) => DANGLING_ESCAPE.test(value))) {
    throw invalidSearch('The search pattern must not end with an unescaped backslash.');
  }
  return field === undefined ? { values, mode } : { field, values, mode };
}

function allowedFieldName(rawField: string, allowedFields: readonly string[]): string {
  const field = toSnakeCase(rawField);
  if (!allowedFields.includes(field)) {
    throw invalidSearch(`Search field \`${field}\` is not valid, expect one of ${allowedFields.join(', ')}.`);
  }
  return field;
}

function toSnakeCase(name: string): string {
  return name
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * A field's own mode is found only under the exact spelling used in its `search.` key
 * (`mode.primary_email` does not govern `search.primaryEmail`), then the general `mode` applies.
 */
function modeFor(rawField: RawField, modes: ReadonlyMap<RawField, string>): SearchMode {
  const mode = modes.get(rawField) ?? modes.get(undefined) ?? DEFAULT_MODE;
  if (!isOneOf(SEARCH_MODES, mode)) {
    const forField = rawField === undefined ? '' : ` for field \`${rawField}\``;
    throw invalidSearch(`Search match mode \`${mode}\`${forField} is not valid, expect one of ${SEARCH_MODES.join(', ')}.`);
  }
  return mode;
}

function assertValuesFitMode(values: readonly string[], mode: SearchMode): void {
  if (mode !== 'exact' && values.length > 1) {
    throw invalidSearch('Only one search value is allowed when search mode is not `exact`.');
  }
  if (values.includes('')) {
    throw invalidSearch('Search value cannot be empty.');
  }
}

function isOneOf<T extends string>(options: readonly T[], value: string): value is T {
  return (options as readonly string[]).includes(value);
}

function columnsToTest(group: SearchGroup, columns: Readonly<Record<string, string>>): string[] {
  if (group.field === undefined) {
    const allColumns = Object.values(columns);
    if (allColumns.length === 0) {
      throw new Error('A general search needs at least one column to test.');
    }
    return allColumns;
  }
  const column = columns[group.field];
  if (column === undefined) {
    throw new Error(`No column is mapped for search field \`${group.field}\`.`);
  }
  return [column];
}

/** One bound parameter per group, shared by every column the group tests. */
function buildGroupCondition(
  group: SearchGroup,
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
