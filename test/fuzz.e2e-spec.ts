/**
 * Property-based fuzzing of every operation in the server's own OpenAPI document (/api/swagger.json):
 * path parameters, query parameters and request bodies (README: "Errors", and the "Body over 1 MB",
 * "NUL characters" and "`customData` nesting" rows of the Compatibility table).
 *
 * For every generated request: the answer is one the document declares (status, content type, and a
 * body valid against its schema, unlisted fields counting as invalid: see support/openapi-contract.ts);
 * no 5xx; a 4xx carries Logto's error body (`{ code, data?, details?, message }`, or `{ message }` for
 * malformed JSON; the token endpoint's OAuth body on /oidc); and a 4xx leaves the database exactly as
 * it was (users, identities, applications, signing keys, audit rows). 2xx answers are allowed: ids
 * sometimes hit real users, so mutations may succeed. Token requests come as forms and as JSON, some
 * near the valid one. Every method no route declares is sent to every documented path.
 *
 * Runs are reproducible: the seed is fixed (FUZZ_SEED, default 42) and each operation runs FUZZ_RUNS
 * cases per dimension (default 50: about 20 s for the whole file when nothing fails). A failure report
 * names the seed and path to replay. Longer local runs:
 *
 *   npx nest build && FUZZ_RUNS=500 FUZZ_SEED=$RANDOM \
 *     node --experimental-vm-modules node_modules/jest/bin/jest.js test/fuzz.e2e-spec.ts --selectProjects e2e
 *
 * (FUZZ_TIMEOUT_MS raises the per-test timeout for such runs; default 300000.)
 */
import { METHODS } from 'node:http';
import fc from 'fast-check';
import { type ClientCredentials, clientCredentialsGrant, request } from './support/clients.js';
import {
  classifyErrorBody,
  databaseSnapshot,
  errorCodeOf,
  percentEncode,
  rawHttp,
  type RawHttpRequest,
  type RawHttpResponse,
} from './support/bad-input.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { expectedNewUser, type User, USER_KEYS } from './support/wire.js';
import { at } from './support/at.js';
import { ROUTES } from './support/routes.js';
import { type ContractDocument, OpenApiContract } from './support/openapi-contract.js';

const SEED = Number(process.env.FUZZ_SEED ?? 42);
const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 300_000);

// ---------------------------------------------------------------------------------------------
// The OpenAPI document, as far as the fuzzer reads it
// ---------------------------------------------------------------------------------------------

interface SchemaObject {
  type?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, SchemaObject>;
  additionalProperties?: boolean | SchemaObject;
  required?: string[];
  $ref?: string;
  allOf?: SchemaObject[];
}

interface ParameterObject {
  name: string;
  in: string;
}

interface OperationObject {
  parameters?: ParameterObject[];
  requestBody?: { content: Record<string, { schema: SchemaObject }> };
}

interface OpenApiDocument extends ContractDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, SchemaObject> };
}

/** One operation of the document, reduced to what the generators need. */
interface Operation {
  method: string;
  template: string;
  pathParams: string[];
  queryParams: string[];
  /** The resolved request body schema, when the operation takes one. */
  body?: SchemaObject;
  /** The media types the document lists for the body. */
  bodyMediaTypes: string[];
  label: string;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function resolveSchema(schema: SchemaObject, document: OpenApiDocument): SchemaObject {
  if (schema.$ref) {
    const referenced = document.components.schemas[schema.$ref.split('/').at(-1) ?? ''];
    if (!referenced) throw new Error(`${schema.$ref} is not in the OpenAPI document`);
    return resolveSchema(referenced, document);
  }
  const [only] = schema.allOf ?? [];
  if (schema.allOf?.length === 1 && only) return resolveSchema(only, document);
  if (!schema.properties) return schema;
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([name, property]) => [name, resolveSchema(property, document)]),
  );
  return { ...schema, properties };
}

function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => {
        const parameters = operation.parameters ?? [];
        const bodySchema = Object.values(operation.requestBody?.content ?? {})[0]?.schema;
        return {
          method: method.toUpperCase(),
          template,
          pathParams: parameters.filter((parameter) => parameter.in === 'path').map(({ name }) => name),
          queryParams: parameters.filter((parameter) => parameter.in === 'query').map(({ name }) => name),
          body: bodySchema && resolveSchema(bodySchema, document),
          bodyMediaTypes: Object.keys(operation.requestBody?.content ?? {}),
          label: `${method.toUpperCase()} ${template}`,
        };
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** A generated request, printed compactly in fast-check's failure reports (bodies can be 200 KB). */
interface FuzzCase {
  operation: Operation;
  request: RawHttpRequest;
}

function fuzzCase(operation: Operation, request: RawHttpRequest): FuzzCase {
  const describeCase = (): string => {
    const body = request.body;
    const shownBody = body === undefined ? 'no body' : `${body.length} bytes: ${JSON.stringify(body.toString('latin1').slice(0, 300))}`;
    const path = JSON.stringify(request.path.length > 300 ? `${request.path.slice(0, 300)}… (${request.path.length} chars)` : request.path);
    return `${request.method} ${path} [content-type: ${JSON.stringify(request.headers?.['content-type'] ?? null)}] ${shownBody}`;
  };
  return { operation, request, [fc.toStringMethod]: describeCase } as FuzzCase;
}

/** Ids of real users: path parameters sometimes hit them, so handlers run beyond the lookup. */
const realUserIds: string[] = [];
const realUserId = fc.nat({ max: 1000 }).map((index) => at(realUserIds, index % realUserIds.length));

/** Path segments that have broken routers before: traversal, encoded slashes, NUL, bad encodings. */
const ODD_SEGMENTS = [
  '%2F',
  'a%2Fb',
  '..',
  '%2E%2E',
  '.',
  '%2e',
  '..%2F..%2Fstatus',
  '%00',
  'a%00b',
  '%E0%A4%A',
  '%',
  '%ZZ',
  '%ED%A0%80',
  '%FF%FE',
  '%C0%AF',
  '%F0%9F%98%80',
  '%20',
  '+',
  ';',
  ';a=b',
  '%3F',
  '%23',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  '0',
  '-1',
  '1e309',
  'a'.repeat(10 * 1024),
  "'%20OR%20'1'='1",
  '%25',
  '%2500',
  '~',
  'A'.repeat(12),
  'a'.repeat(13),
  '%0A',
  '%0D%0A',
];

const pathSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_SEGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(percentEncode) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map(percentEncode) },
  { weight: 1, arbitrary: fc.integer({ min: 13, max: 6_000 }).map((length) => 'a'.repeat(length)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(realUserId, fc.constantFrom('%00', '%2F', '/..', '%2F..', '.', ';x', '%20', 'A', '%'))
      .map(([id, suffix]) => id + suffix),
  },
  { weight: 2, arbitrary: realUserId },
);

/** Query values that trip number parsing, SQL, regular expressions and decoders. */
const ODD_QUERY_VALUES = [
  '1e309',
  '-1e309',
  '-0',
  '0',
  '-1',
  '1.5',
  '1e20',
  'abc',
  '',
  'NaN',
  'Infinity',
  '9007199254740993',
  '99999999999999999999999',
  '0x10',
  ' 1',
  '+1',
  '01',
  'true',
  'yes',
  'null',
  '[]',
  '{}',
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  '%',
  '_',
  '\\',
  '(',
  '[',
  '*',
  '.*',
  '(a+)+$',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '😀',
  'é',
  '&',
  '=',
  '#',
  'like',
  'exact',
  'posix',
  'similar_to',
  'or',
  'and',
  'ManagementApi.User.Create',
  'ExchangeTokenBy.ClientCredentials',
];

/** Query keys: the documented ones plus search syntax, prototype names and bracket forms. */
const EXTRA_QUERY_KEYS = [
  'page',
  'page_size',
  'search',
  'search.id',
  'search.username',
  'search.primaryEmail',
  'search.primary_phone',
  'search.name',
  'search.name.first',
  'search.',
  'search.customData',
  'mode',
  'mode.name',
  'mode.username',
  'joint',
  'jointMode',
  'isCaseSensitive',
  'cursor',
  'userId',
  'roleId',
  'excludeRoleId',
  'excludeUserId',
  'includeRoles',
  'type',
  'includeScopes',
  'logKey',
  'start_time',
  'end_time',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'page[]',
  'page[0]',
  'a[b]',
  '',
];

/** Junk appended verbatim to a query string (not percent-encoded by us). */
const RAW_QUERY_JUNK = [
  '%00',
  '%',
  '%zz',
  '%E0%A4%A',
  '&&&',
  '==',
  'a=%ED%A0%80',
  'page=1&page=2',
  ';',
  '?',
  'page_size=%FF',
  'search=%C0%AF',
];

const queryValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...ODD_QUERY_VALUES) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_000 }).map((length) => '9'.repeat(length)) },
  // Long, but seven of them still fit Node's 16 KB request-line limit (beyond it see bad-input.e2e-spec.ts).
  { weight: 1, arbitrary: fc.constant('x'.repeat(1_500)) },
);

function queryString(operation: Operation): fc.Arbitrary<string> {
  const key = fc.oneof(
    {
      weight: 4,
      arbitrary: operation.queryParams.length > 0 ? fc.constantFrom(...operation.queryParams) : fc.constantFrom(...EXTRA_QUERY_KEYS),
    },
    { weight: 2, arbitrary: fc.constantFrom(...EXTRA_QUERY_KEYS) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  );
  const entries = fc.array(fc.tuple(key, queryValue), { minLength: 1, maxLength: 6 });
  return fc
    .tuple(entries, fc.boolean(), queryValue, fc.option(fc.constantFrom(...RAW_QUERY_JUNK), { nil: undefined }))
    .map(([pairs, repeatFirst, repeatedValue, junk]) => {
      const [first] = pairs;
      const all = repeatFirst && first ? [...pairs, [first[0], repeatedValue] as const] : pairs;
      const parts = all.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`);
      if (junk !== undefined) parts.push(junk);
      return `?${parts.join('&')}`;
    });
}

/** Strings shaped like the fields' formats, so some bodies get past validation into the handlers. */
const PLAUSIBLE_STRINGS = [
  '',
  'user_1',
  'A',
  '_',
  '1abc',
  'a@b.co',
  'x@y',
  'A@EXAMPLE.IO',
  '61412345678',
  '610412345678',
  '+61412345678',
  '123',
  '0',
  'https://example.com/a.png',
  'javascript:alert(1)',
  'data:,x',
  'not a url',
  'Argon2i',
  'MD5',
  'Bcrypt',
  'Legacy',
  'SHA256',
  '5f4dcc3b5aa765d61d8327deb882cf99',
  '$2b$04$abcdefghijklmnopqrstuuOdvPEMzJZ8vWaMMI4gMkLMS3VgxDbd2',
  '["md5","salt","@"]',
  '$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
  'password',
  'github',
  'client_credentials',
  'https://default.logto.app/api',
  'all',
  'roster-test',
  "Robert'); DROP TABLE users;--",
  '%',
  '\\',
];

/** Up to ~200 KB of one character (multi-byte and NUL included). */
const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.constantFrom('x', 'é', '😀', '\u0000', ' ', '\ud800'))
  .map(([length, character]) => character.repeat(Math.ceil(length / character.length)));

const stringValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PLAUSIBLE_STRINGS) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z_]\w{0,20}$/) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
  { weight: 1, arbitrary: hugeString },
);

/** Values of every JSON type, for "wrong type" and free-form fields. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  stringValue,
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

function valueFor(schema: SchemaObject): fc.Arbitrary<unknown> {
  let right: fc.Arbitrary<unknown>;
  if (schema.enum) right = fc.constantFrom(...schema.enum);
  else if (schema.type === 'string') right = stringValue;
  else if (schema.type === 'boolean') right = fc.boolean();
  else if (schema.properties) right = objectFor(schema);
  else {
    right = fc.oneof(
      fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(...PROTOTYPE_KEYS)), fc.jsonValue({ maxDepth: 4 }), {
        maxKeys: 5,
      }),
      fc.object(),
    );
  }
  return fc.oneof({ weight: 3, arbitrary: right }, { weight: 2, arbitrary: anyJson });
}

/** An object with any subset of the schema's properties (right or wrong types) plus unknown keys. */
function objectFor(schema: SchemaObject): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, valueFor(property)]));
  const known = fc.record(properties, { requiredKeys: [] });
  const unknown = fc.dictionary(
    fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('id', 'createdAt', 'isSuspended', 'passwordDigest')),
    anyJson,
    { maxKeys: 2 },
  );
  return fc.tuple(unknown, known).map(([extra, fields]) => ({ ...extra, ...fields }));
}

/** `depth` levels of objects, arrays or both, as raw JSON text. */
const deepNesting = fc.tuple(fc.integer({ min: 40, max: 100 }), fc.constantFrom('object', 'array', 'mixed')).map(([depth, kind]) => {
  const open = (level: number): string => (kind === 'array' || (kind === 'mixed' && level % 2 === 1) ? '[' : '{"a":');
  const close = (level: number): string => (kind === 'array' || (kind === 'mixed' && level % 2 === 1) ? ']' : '}');
  const levels = Array.from({ length: depth }, (_, level) => level);
  return `${levels.map(open).join('')}1${levels.reverse().map(close).join('')}`;
});

/** JSON fragments that JSON.stringify cannot produce: overflowing numbers, lone surrogates, NUL, prototype keys. */
const rawFragment = fc.oneof(
  fc.constantFrom(
    '1e309',
    '-1e309',
    '-0',
    '-0.0',
    '1E400',
    '1e-400',
    '123456789012345678901234567890',
    '"\\ud800"',
    '"x\\udfff"',
    '"\\udc00\\ud800"',
    '"a\\u0000b"',
    '"\\u0000"',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"prototype":{"polluted":true}}',
    '"\\ud83d\\ude00"',
    'true',
    'null',
    '[]',
    '{}',
    '[null]',
    '{"a\\u0000":1}',
    '{"\\ud800":1}',
    '"\\u202e"',
    '"\\uffff"',
    '"\\ufeff"',
  ),
  deepNesting,
);

function rawJsonText(schema: SchemaObject): fc.Arbitrary<string> {
  const property = fc.constantFrom(...Object.keys(schema.properties ?? {}), ...PROTOTYPE_KEYS, 'x');
  return fc.oneof(
    fc.tuple(property, rawFragment).map(([name, fragment]) => `{"${name}":${fragment}}`),
    fc.tuple(property, rawFragment).map(([name, fragment]) => `{"${name}":{"inner":${fragment}}}`),
    fc
      .tuple(fc.constantFrom(...PROTOTYPE_KEYS), property, rawFragment)
      .map(([proto, name, fragment]) => `{"${proto}":{"${name}":${fragment}},"${name}":${fragment}}`),
    fc.tuple(property, rawFragment, rawFragment).map(([name, first, second]) => `{"${name}":${first},"${name}":${second}}`),
    deepNesting,
  );
}

/** Not JSON at all, or not a JSON object. */
const INVALID_JSON = [
  'NaN',
  "{'a':1}",
  '{"a":1,}',
  '{"a":01}',
  '{"a":"\\x41"}',
  '{"a":"\n"}',
  '\ufeff{}',
  '{"a":1}garbage',
  '[1,2',
  '',
  ' ',
  'null',
  '"str"',
  '42',
  '-0',
  '1e309',
  'true',
  '{',
  '}',
  '{"a"}',
  '{"a":}',
  '\u0000',
  '{"a":"\\u00"}',
  '{"a":"\\ud800\\u"}',
];

function jsonText(schema: SchemaObject): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
    { weight: 4, arbitrary: objectFor(schema).map((value) => JSON.stringify(value)) },
    { weight: 3, arbitrary: rawJsonText(schema) },
    { weight: 1, arbitrary: fc.constantFrom(...INVALID_JSON) },
  );
}

const ODD_CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/xml',
  'text/xml',
  'multipart/form-data; boundary=fuzz',
  undefined,
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json;charset=UTF-8',
  'APPLICATION/JSON',
  'application/x-www-form-urlencoded',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/vnd.api+json',
  'application/octet-stream',
  '*/*',
  'application/json, text/plain',
  'application',
  ';',
  'application/json; boundary=x',
  '',
];

/** Bodies for the odd content types: JSON, a form, a multipart message or XML. */
function oddBody(schema: SchemaObject): fc.Arbitrary<string> {
  const fields = objectFor(schema).map((value) =>
    Object.entries(value).map(([key, field]) => [key, typeof field === 'string' ? field : JSON.stringify(field)] as const),
  );
  return fc.oneof(
    jsonText(schema),
    fields.map((pairs) => pairs.map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`).join('&')),
    fields.map(
      (pairs) =>
        `${pairs.map(([key, value]) => `--fuzz\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`).join('')}--fuzz--\r\n`,
    ),
    fc.constant('<?xml version="1.0"?><user><username>x</username></user>'),
  );
}

/** Byte sequences that are not UTF-8: stray continuation bytes, overlong forms, encoded surrogates, truncations. */
const INVALID_UTF8 = [[0xff, 0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xfe], [0xc3]];

function invalidUtf8Body(schema: SchemaObject): fc.Arbitrary<Buffer> {
  const property = fc.constantFrom(...Object.keys(schema.properties ?? {}), 'x');
  const bytes = fc.constantFrom(...INVALID_UTF8).map((sequence) => Buffer.from(sequence));
  return fc.oneof(
    fc.tuple(property, bytes).map(([name, invalid]) => Buffer.concat([Buffer.from(`{"${name}":"a`), invalid, Buffer.from('b"}')])),
    fc.tuple(property, bytes).map(([name, invalid]) => Buffer.concat([Buffer.from(`{"${name}":{"`), invalid, Buffer.from('":1}}')])),
    bytes.map((invalid) => Buffer.concat([invalid, Buffer.from('{}')])),
    fc.constant(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"name":"x"}', 'utf16le')])),
  );
}

interface BodyCase {
  contentType: string | undefined;
  body: Buffer;
}

const FORM = 'application/x-www-form-urlencoded';

const formText = (pairs: fc.Arbitrary<(readonly [string, string])[]>): fc.Arbitrary<string> =>
  fc
    .tuple(pairs, fc.option(fc.constantFrom(...RAW_QUERY_JUNK), { nil: undefined }))
    .map(([fields, junk]) =>
      [...fields.map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`), ...(junk ? [junk] : [])].join('&'),
    );

/** A form of the schema's fields (values right, wrong or huge; objects as JSON text), sometimes with raw junk. */
function formBody(schema: SchemaObject): fc.Arbitrary<BodyCase> {
  const pairs = objectFor(schema).map((value) =>
    Object.entries(value).map(([key, field]) => [key, typeof field === 'string' ? field : JSON.stringify(field)] as const),
  );
  return formText(pairs).map((text) => ({ contentType: FORM, body: Buffer.from(text) }));
}

/**
 * Client-credentials requests near the valid one: each field right, wrong or left out, some fields
 * repeated, as a form or as JSON, so the exchange itself runs (and sometimes succeeds) as well as
 * the body checks in front of it.
 */
function tokenRequestBody({ clientId, clientSecret }: ClientCredentials): fc.Arbitrary<BodyCase> {
  const right = clientCredentialsGrant({ clientId, clientSecret });
  const field = (name: string): fc.Arbitrary<string | undefined> =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(right[name]) },
      { weight: 2, arbitrary: stringValue },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
  const fields = fc.record(Object.fromEntries(Object.keys(right).map((name) => [name, field(name)])));
  const present = fields.map((record) => Object.entries(record).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const repeated = fc.tuple(present, fc.boolean()).map(([pairs, repeat]) => (repeat && pairs[0] ? [...pairs, pairs[0]] : pairs));
  return fc.oneof(
    formText(repeated).map((text) => ({ contentType: FORM, body: Buffer.from(text) })),
    present.map((pairs) => ({ contentType: 'application/json', body: Buffer.from(JSON.stringify(Object.fromEntries(pairs))) })),
  );
}

function bodyCase(operation: Operation, credentials: ClientCredentials): fc.Arbitrary<BodyCase> {
  const schema = operation.body!;
  const takesForms = operation.bodyMediaTypes.includes(FORM);
  return fc.oneof(
    { weight: takesForms ? 4 : 0, arbitrary: formBody(schema) },
    { weight: takesForms ? 4 : 0, arbitrary: tokenRequestBody(credentials) },
    { weight: 6, arbitrary: jsonText(schema).map((text) => ({ contentType: 'application/json', body: Buffer.from(text) })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...ODD_CONTENT_TYPES), oddBody(schema))
        .map(([contentType, text]) => ({ contentType, body: Buffer.from(text) })),
    },
    { weight: 1, arbitrary: invalidUtf8Body(schema).map((body) => ({ contentType: 'application/json', body })) },
  );
}

/** Path parameters: fuzzed ones from `segments`, the rest a real user id and a plausible target. */
function pathWith(operation: Operation, segments: Record<string, string>): string {
  return operation.template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const segment = segments[name];
    if (segment === undefined) throw new Error(`no value for the path parameter ${name} of ${operation.template}`);
    return segment;
  });
}

const plausibleTarget = fc.constantFrom('github', 'google', 'facebook', 'x');

function ordinaryPathParams(operation: Operation): fc.Arbitrary<Record<string, string>> {
  const byName: Record<string, fc.Arbitrary<string>> = Object.fromEntries(
    operation.pathParams.map((name) => [name, name === 'target' ? plausibleTarget : realUserId]),
  );
  return fc.record(byName);
}

/** A body the operation would plausibly take, for cases that fuzz something else. */
function ordinaryBody(operation: Operation): Partial<BodyCase> {
  return operation.body ? { contentType: 'application/json', body: Buffer.from('{}') } : {};
}

function toRequest(operation: Operation, path: string, { contentType, body }: Partial<BodyCase>): RawHttpRequest {
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  return { method: operation.method, path, headers, body, auth: path.startsWith('/api/') };
}

/** Fuzzed path parameters, within Node's 16 KB request-line limit (beyond it see bad-input.e2e-spec.ts). */
const fuzzedPathParams = (operation: Operation): fc.Arbitrary<Record<string, string>> =>
  fc
    .record(Object.fromEntries(operation.pathParams.map((name) => [name, pathSegment])))
    .filter((segments) => Object.values(segments).join('').length < 14_000);

const pathCase = (operation: Operation): fc.Arbitrary<FuzzCase> =>
  fuzzedPathParams(operation).map((segments) =>
    fuzzCase(operation, toRequest(operation, pathWith(operation, segments), ordinaryBody(operation))),
  );

const queryCase = (operation: Operation): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(ordinaryPathParams(operation), queryString(operation))
    .map(([segments, query]) =>
      fuzzCase(operation, toRequest(operation, `${pathWith(operation, segments)}${query}`, ordinaryBody(operation))),
    );

const bodyFuzzCase = (operation: Operation, credentials: ClientCredentials): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(
      fc.oneof({ weight: 9, arbitrary: ordinaryPathParams(operation) }, { weight: 1, arbitrary: fuzzedPathParams(operation) }),
      bodyCase(operation, credentials),
    )
    .map(([segments, body]) => fuzzCase(operation, toRequest(operation, pathWith(operation, segments), body)));

/** Keys that name Object.prototype members: legitimate customData keys all the same. */
const PROTOTYPE_MEMBER_KEYS = [
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  'constructor',
  'prototype',
  'length',
  '0',
  '',
];

/**
 * Whether the parser may drop something from `value` by design: `__proto__` keys, and `constructor`
 * keys holding a `prototype` (secure-json-parse; see http-platform.e2e-spec.ts).
 */
function hasDroppedPrototypeKeys(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(
    ([key, child]) =>
      key === '__proto__' ||
      (key === 'constructor' && child !== null && typeof child === 'object' && 'prototype' in child) ||
      hasDroppedPrototypeKeys(child),
  );
}

/** customData any client may store: any keys (Object.prototype names included), any JSON values, no NUL. */
const storableCustomData = fc
  .dictionary(
    fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom(...PROTOTYPE_MEMBER_KEYS)),
    fc.jsonValue({ maxDepth: 4, stringUnit: 'grapheme' }),
    { maxKeys: 6 },
  )
  .map((value) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>)
  .filter((value) => !JSON.stringify(value).includes('\\u0000') && !hasDroppedPrototypeKeys(value));

/**
 * Methods the document never declares: everything Node's parser knows but CONNECT (a proxy tunnel)
 * and HEAD (answered for every GET route). A path's undeclared standard methods join them there.
 */
const FOREIGN_METHODS = METHODS.filter(
  (method) => !['CONNECT', 'HEAD', ...HTTP_METHODS.map((name) => name.toUpperCase())].includes(method),
);
/** Named by the outside fuzzer's report: every path gets them with every stray body, with and without a token. */
const REPORTED_METHODS = ['QUERY', 'PROPFIND', 'TRACE'];

/** Bodies an undeclared method may arrive with, with and without a content type. */
const STRAY_BODIES: Partial<BodyCase>[] = [
  {},
  { contentType: 'application/json', body: Buffer.from('{"username":"stray_method"}') },
  { contentType: 'application/json', body: Buffer.from('{') },
  { contentType: 'text/plain', body: Buffer.from('stray') },
  { contentType: undefined, body: Buffer.from('{"username":"stray_method"}') },
  { contentType: FORM, body: Buffer.from('grant_type=client_credentials&resource=x') },
];

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

describe(`fuzzing every operation of /api/swagger.json (seed ${SEED}, ${RUNS} runs per operation and dimension)`, () => {
  let server: TestServer;
  let operations: Operation[];
  let document: OpenApiDocument;
  let contract: OpenApiContract;
  let userSequence = 0;

  async function createRealUser(): Promise<string> {
    userSequence += 1;
    const suffix = `${userSequence}_${Date.now().toString(36)}`;
    const created = await request<User>(server.baseUrl, 'POST', '/api/users', {
      json: {
        username: `fuzz_${suffix}`,
        primaryEmail: `fuzz.${suffix}@example.io`,
        password: 'Fuzz-Password-1',
        customData: { seeded: true },
        profile: { nickname: 'seed' },
      },
    });
    expect(created.status).toBe(200);
    const linked = await request(server.baseUrl, 'PUT', `/api/users/${created.body.id}/identities/github`, {
      json: { userId: `gh_${suffix}` },
    });
    expect(linked.status).toBe(201);
    return created.body.id;
  }

  /** Replaces pool users a fuzzed DELETE removed, so later cases still hit real users. */
  async function refillRealUsers(): Promise<void> {
    const alive = new Set(
      (await server.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1)', [realUserIds])).map(({ id }) => id),
    );
    for (let index = 0; index < realUserIds.length; index += 1) {
      const id = realUserIds[index];
      if (id === undefined || !alive.has(id)) realUserIds[index] = await createRealUser();
    }
  }

  /**
   * The document's verdict on an answer: that of the operation the case was made for, or, when the
   * fuzzed path matched no route at all, that of the error body every unknown route answers.
   */
  function contractProblems({ operation }: FuzzCase, response: RawHttpResponse): string[] {
    const missedEveryRoute = response.status === 404 && errorCodeOf(response.text) === 'request.route_not_found';
    if (missedEveryRoute) return contract.componentProblems('ErrorBodyDto', response.text);
    return contract.problemsWith(operation.method, operation.template, response);
  }

  /** What is wrong with the answer to one generated request (empty when nothing is). */
  function problemsWith(generated: FuzzCase, response: RawHttpResponse, databaseChanged: boolean): string[] {
    const { request: sent } = generated;
    const problems = contractProblems(generated, response);
    if (response.status >= 500) problems.push(`answered ${response.status}: ${response.text.slice(0, 300)}`);
    if (response.status < 400 || response.status >= 500) return problems;
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/json')) problems.push(`a ${response.status} with content-type ${JSON.stringify(contentType)}`);
    const kind = classifyErrorBody(response.text);
    const isTokenEndpoint = `${sent.method} ${sent.path.split('?')[0]}` === 'POST /oidc/token';
    // Every 4xx of the token endpoint carries RFC 6749's fields; no other route's does.
    const allowed = isTokenEndpoint
      ? kind === 'oidc'
      : kind === 'logto' || (kind === 'message-only' && response.status === 400 && sent.body !== undefined);
    if (!allowed) {
      problems.push(`a ${response.status} whose body is ${kind.startsWith('not an error body') ? kind : `${kind} (not allowed here)`}`);
    }
    if (databaseChanged) problems.push(`a ${response.status} (${response.text.slice(0, 200)}) that changed the database`);
    return problems;
  }

  async function check(generated: FuzzCase): Promise<void> {
    const before = await databaseSnapshot(server);
    const response = await rawHttp(server.baseUrl, generated.request);
    const rejected = response.status >= 400 && response.status < 500;
    const databaseChanged = rejected && JSON.stringify(await databaseSnapshot(server)) !== JSON.stringify(before);
    expect(problemsWith(generated, response, databaseChanged)).toEqual([]);
    if (generated.request.method === 'DELETE' && response.status < 300) await refillRealUsers();
  }

  async function fuzz(
    dimension: string,
    selected: Operation[],
    arbitraryFor: (operation: Operation) => fc.Arbitrary<FuzzCase>,
  ): Promise<void> {
    expect(selected.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const [index, operation] of selected.entries()) {
      const result = await fc.check(
        fc.asyncProperty(arbitraryFor(operation), (generated) => check(generated)),
        { seed: SEED + index, numRuns: RUNS },
      );
      if (result.failed) {
        const cause = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        failures.push(`${dimension} of ${operation.label}:\n${fc.defaultReportMessage(result)}\n${cause}`);
      }
    }
    // Every operation runs even after one fails, so a report lists all of them.
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
  }

  beforeAll(async () => {
    server = await startTestServer();
    const served = await request<OpenApiDocument>(server.baseUrl, 'GET', '/api/swagger.json');
    expect(served.status).toBe(200);
    document = served.body;
    operations = operationsOf(document);
    contract = new OpenApiContract(document);
    for (let count = 0; count < 3; count += 1) realUserIds.push(await createRealUser());
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('walks every documented operation, including all of users, identities, logs and the token endpoint', () => {
    expect(operations.map(({ label }) => label)).toEqual(expect.arrayContaining(ROUTES));
    expect(operations.filter(({ pathParams }) => pathParams.includes('userId'))).toHaveLength(19);
    expect(
      operations
        .filter(({ body }) => body !== undefined)
        .map(({ label }) => label)
        .sort(),
    ).toEqual(
      [
        'PATCH /api/resources/{id}',
        'PATCH /api/resources/{id}/is-default',
        'PATCH /api/resources/{resourceId}/scopes/{scopeId}',
        'PATCH /api/roles/{id}',
        'PATCH /api/users/{userId}',
        'PATCH /api/users/{userId}/custom-data',
        'PATCH /api/users/{userId}/is-suspended',
        'PATCH /api/users/{userId}/password',
        'PATCH /api/users/{userId}/profile',
        'POST /api/users',
        'POST /api/resources',
        'POST /api/resources/{resourceId}/scopes',
        'POST /api/roles',
        'POST /api/roles/{id}/scopes',
        'POST /api/roles/{id}/users',
        'POST /api/users/{userId}/password/verify',
        'POST /api/users/{userId}/roles',
        'POST /oidc/token',
        'PUT /api/users/{userId}/identities/{target}',
        'PUT /api/users/{userId}/roles',
      ].sort(),
    );
  });

  it(
    'answers only as documented (status, content type, schema), never 5xx, and changes nothing on 4xx, for fuzzed path parameters',
    async () => {
      await fuzz(
        'path parameters',
        operations.filter(({ pathParams }) => pathParams.length > 0),
        pathCase,
      );
    },
    TIMEOUT_MS,
  );

  it(
    'answers only as documented (status, content type, schema), never 5xx, and changes nothing on 4xx, for fuzzed query strings',
    async () => {
      await fuzz('query strings', operations, queryCase);
    },
    TIMEOUT_MS,
  );

  it(
    'answers only as documented (status, content type, schema), never 5xx, and changes nothing on 4xx, for fuzzed bodies and content types',
    async () => {
      await fuzz(
        'bodies',
        operations.filter(({ body }) => body !== undefined),
        (operation) => bodyFuzzCase(operation, server.credentials),
      );
    },
    TIMEOUT_MS,
  );

  it('answers every undeclared method on every documented path 404 request.route_not_found, as documented, changing nothing', async () => {
    const before = await databaseSnapshot(server);
    const requests: RawHttpRequest[] = [];
    const withBody = ({ contentType, body }: Partial<BodyCase>): Pick<RawHttpRequest, 'headers' | 'body'> => ({
      headers: contentType === undefined ? {} : { 'content-type': contentType },
      body,
    });
    for (const [template, item] of Object.entries(document.paths)) {
      const path = template
        .replace('{userId}', at(realUserIds, 0))
        .replace('{target}', 'github')
        .replace(/\{\w+\}/g, 'x');
      const undeclaredStandard = HTTP_METHODS.filter((method) => !(method in item)).map((method) => method.toUpperCase());
      for (const [index, method] of [...FOREIGN_METHODS, ...undeclaredStandard].entries()) {
        requests.push({ method, path, ...withBody(at(STRAY_BODIES, index % STRAY_BODIES.length)), auth: index % 2 === 0 });
      }
      for (const method of REPORTED_METHODS) {
        for (const stray of STRAY_BODIES) {
          for (const auth of [true, false]) requests.push({ method, path, ...withBody(stray), auth });
        }
      }
    }
    const problems: string[] = [];
    for (const sent of requests) {
      const response = await rawHttp(server.baseUrl, sent);
      const found = [
        ...(response.status === 404 ? [] : [`answered ${response.status}`]),
        ...(errorCodeOf(response.text) === 'request.route_not_found' ? [] : ['not request.route_not_found']),
        ...contract.componentProblems('ErrorBodyDto', response.text),
      ];
      const shown = `${sent.method} ${sent.path} (${sent.headers?.['content-type'] ?? 'no content type'}, ${sent.auth ? 'token' : 'no token'})`;
      if (found.length > 0) problems.push(`${shown}: ${found.join('; ')}: ${response.text.slice(0, 200)}`);
    }
    expect(requests.length).toBeGreaterThan(500);
    expect(problems).toEqual([]);
    expect(await databaseSnapshot(server)).toEqual(before);
  });

  it(
    'stores any accepted customData exactly as sent, whatever its keys (round trip through POST and GET …/custom-data)',
    async () => {
      await fc.assert(
        fc.asyncProperty(storableCustomData, async (customData) => {
          const created = await request<User>(server.baseUrl, 'POST', '/api/users', { json: { customData } });
          expect({ status: created.status, customData: created.body.customData }).toEqual({ status: 200, customData });
          const stored = await request(server.baseUrl, 'GET', `/api/users/${created.body.id}/custom-data`);
          expect(stored.body).toEqual(customData);
        }),
        { seed: SEED, numRuns: RUNS * 2 },
      );
    },
    TIMEOUT_MS,
  );

  it('still serves afterwards: status 204, every pool user readable, and a new user created clean', async () => {
    expect((await request(server.baseUrl, 'GET', '/api/status')).status).toBe(204);
    await refillRealUsers();
    for (const userId of realUserIds) {
      const response = await request<User>(server.baseUrl, 'GET', `/api/users/${userId}`);
      expect({ status: response.status, id: response.body.id }).toEqual({ status: 200, id: userId });
    }
    const fresh = await request<User>(server.baseUrl, 'POST', '/api/users', { json: {} });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toEqual(expectedNewUser());
    expect(Object.keys(fresh.body)).toEqual([...USER_KEYS]);
  });
});
