import { RequestError } from '../errors/request-error.js';
import { isYes } from '../yes-flag.js';

export type SearchMode = 'exact' | 'like' | 'similar_to' | 'posix';

export interface SearchGroup<Field extends string = string> {
  /** snake_case field name from the allowed list; undefined for the general group (all fields). */
  field?: Field;
  values: string[];
  mode: SearchMode;
}

export interface Search<Field extends string = string> {
  groups: SearchGroup<Field>[];
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
export function parseSearch<Field extends string>(query: Record<string, unknown>, allowedFields: readonly Field[]): Search<Field> {
  const joint = parseJoint(query);
  const isCaseSensitive = isYes(query.isCaseSensitive);
  const { values, modes } = collectSearchKeys(query);
  const groups = [...values].map(([rawField, groupValues]) => toSearchGroup(rawField, groupValues, modes, allowedFields, isCaseSensitive));
  return { groups, joint, isCaseSensitive };
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

function toSearchGroup<Field extends string>(
  rawField: RawField,
  values: string[],
  modes: ReadonlyMap<RawField, string>,
  allowedFields: readonly Field[],
  isCaseSensitive: boolean,
): SearchGroup<Field> {
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

function allowedFieldName<Field extends string>(rawField: string, allowedFields: readonly Field[]): Field {
  const field = toSnakeCase(rawField);
  if (!isOneOf(allowedFields, field)) {
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
