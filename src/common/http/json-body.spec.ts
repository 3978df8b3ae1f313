import { RequestError } from '../errors/request-error.js';
import { MalformedJsonError, parseFormBody, parseJsonBody } from './json-body.js';

describe('parseJsonBody', () => {
  it('treats an empty body as an empty object', () => {
    expect(parseJsonBody('')).toEqual({});
    expect(parseJsonBody('  \n')).toEqual({});
  });

  it("answers invalid JSON with the parser's message", () => {
    expect(() => parseJsonBody('{a')).toThrow(MalformedJsonError);
  });

  it.each(['"text"', '42', 'true', 'null'])('rejects the bare JSON value %s', (text) => {
    expect(() => parseJsonBody(text)).toThrow(new MalformedJsonError('invalid JSON, only supports object and array'));
  });

  it('drops prototype-polluting keys', () => {
    const parsed = parseJsonBody('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"name":"a"}') as Record<
      string,
      unknown
    >;
    expect(parsed).toEqual({ name: 'a' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a NUL character in a value', '{"name":"a\\u0000b"}', 'name'],
    ['a NUL character in a nested key', '{"customData":{"k\\u0000":1}}', 'customData.k\u0000'],
    ['a lone high surrogate', '{"customData":{"x":"\\ud800"}}', 'customData.x'],
    ['a lone low surrogate', '{"name":"\\udc00x"}', 'name'],
  ])('rejects %s as guard.invalid_input naming the key path', (_case, text, path) => {
    try {
      parseJsonBody(text);
      throw new Error('expected a RequestError');
    } catch (error) {
      expect(error).toBeInstanceOf(RequestError);
      expect((error as RequestError).code).toBe('guard.invalid_input');
      expect((error as RequestError).details).toContain(`"${path}"`);
    }
  });

  it('accepts paired surrogates (emoji)', () => {
    expect(parseJsonBody('{"name":"\\ud83d\\ude00"}')).toEqual({ name: '😀' });
  });

  it('rejects absurd nesting', () => {
    const deep = `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`;
    expect(() => parseJsonBody(deep)).toThrow(RequestError);
  });
});

describe('parseFormBody', () => {
  it('keeps repeated keys as arrays and ignores prototype keys', () => {
    expect(parseFormBody('a=1&b=2&a=3&__proto__=x')).toEqual({ a: ['1', '3'], b: '2' });
  });
});
