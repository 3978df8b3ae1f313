import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { RequestError } from '../errors/request-error.js';
import { MalformedJsonError, parseJsonBody, UnparsableBody } from './json-body.js';
import { RawJson } from './raw-json.js';
import { RequestValidationPipe } from './validation.pipe.js';

class AddressDto {
  @IsString()
  city!: string;
}

class ProfileDto {
  @IsString()
  @MaxLength(5)
  name!: string;

  @IsOptional()
  @IsInt()
  age?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;

  @IsOptional()
  @RawJson()
  customData?: Record<string, unknown>;
}

const body: ArgumentMetadata = { type: 'body', metatype: ProfileDto };
const pipe = new RequestValidationPipe();

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the pipe to throw');
}

describe('RequestValidationPipe', () => {
  it('answers a valid body as an instance of its DTO, nested DTOs included', () => {
    const result = pipe.transform({ name: 'Ann', age: 30, address: { city: 'Oslo' } }, body);
    expect(result).toBeInstanceOf(ProfileDto);
    expect((result as ProfileDto).address).toBeInstanceOf(AddressDto);
    expect(result).toEqual({ name: 'Ann', age: 30, address: { city: 'Oslo' } });
  });

  it('drops unknown properties silently, as Logto does, at any depth', () => {
    const result = pipe.transform({ name: 'Ann', isAdmin: true, address: { city: 'Oslo', zip: '0150' } }, body);
    expect(result).toEqual({ name: 'Ann', address: { city: 'Oslo' } });
    expect(Object.keys(result as object)).not.toContain('isAdmin');
  });

  it('hands raw JSON properties over untouched, keys named like Object.prototype members included', () => {
    const customData = { toString: 'kept', constructor: { nested: [1, { valueOf: 2 }] }, plain: true };
    const result = pipe.transform({ name: 'Ann', customData }, body) as ProfileDto;
    expect(result.customData).toBe(customData);
  });

  it('answers an invalid body with 400 guard.invalid_input, every issue in details and data', () => {
    const error = thrown(() => pipe.transform({ name: 'Annabelle', age: 'old', address: { city: 7 } }, body));
    expect(error).toBeInstanceOf(RequestError);
    const { code, status, message, details, data } = error as RequestError;
    expect({ code, status, message }).toEqual({ code: 'guard.invalid_input', status: 400, message: 'The request body is invalid.' });
    expect(details?.split('\n')).toEqual([
      'Error in key path "name": (maxLength) name must be shorter than or equal to 5 characters',
      'Error in key path "age": (isInt) age must be an integer number',
      'Error in key path "address.city": (isString) city must be a string',
    ]);
    expect(data).toEqual({
      issues: [
        { code: 'maxLength', path: ['name'], message: 'name must be shorter than or equal to 5 characters' },
        { code: 'isInt', path: ['age'], message: 'age must be an integer number' },
        { code: 'isString', path: ['address', 'city'], message: 'city must be a string' },
      ],
    });
  });

  it('treats a missing body as {} and names params as "params"', () => {
    expect(thrown(() => pipe.transform(undefined, body))).toMatchObject({
      code: 'guard.invalid_input',
      details: expect.stringContaining('"name"'),
    });
    expect(thrown(() => pipe.transform({}, { type: 'param', metatype: ProfileDto }))).toMatchObject({
      message: 'The request params is invalid.',
    });
  });

  it('answers a body that is not an object with invalid_type', () => {
    expect(thrown(() => pipe.transform([{ name: 'Ann' }], body))).toMatchObject({
      code: 'guard.invalid_input',
      details: 'Error in key path "": (invalid_type) Expected object, received array',
    });
    expect(thrown(() => pipe.transform('Ann', body))).toMatchObject({ details: expect.stringContaining('received string') });
  });

  it('leaves primitive and custom parameters as they are', () => {
    expect(pipe.transform('42', { type: 'param', metatype: String })).toBe('42');
    const custom = { anything: true };
    expect(pipe.transform(custom, { type: 'custom', metatype: ProfileDto })).toBe(custom);
  });

  it('answers 400 guard.invalid_input to NUL in a query value, single or repeated, whatever the metatype', () => {
    const nulQuery = (value: unknown, metatype?: ArgumentMetadata['metatype']): unknown =>
      thrown(() => pipe.transform(value, { type: 'query', metatype }));
    const expected = { code: 'guard.invalid_input', status: 400, message: 'The request query is invalid.' };
    expect(nulQuery({ search: 'a\u0000b' }, Object)).toMatchObject(expected);
    expect(nulQuery({ search: ['ok', 'a\u0000'] })).toMatchObject(expected);
    expect(nulQuery('a\u0000', String)).toMatchObject(expected);
    expect(pipe.transform({ search: 'ab' }, { type: 'query', metatype: Object })).toEqual({ search: 'ab' });
  });

  describe('a body the parser could not read (deferred so that authentication answers first)', () => {
    it('throws the parse error only when the pipe runs, for any metatype', () => {
      const malformed = new MalformedJsonError('Unexpected token');
      const deferred = new UnparsableBody(malformed);
      expect(thrown(() => pipe.transform(deferred, body))).toBe(malformed);
      expect(thrown(() => pipe.transform(deferred, { type: 'body', metatype: Object }))).toBe(malformed);
      expect(thrown(() => pipe.transform(deferred, { type: 'custom' }))).toBe(malformed);
    });

    it("keeps the parser's own 400 for text the database could not store", () => {
      const parseError = thrown(() => parseJsonBody('{"name":"a\\u0000"}')) as Error;
      expect(thrown(() => pipe.transform(new UnparsableBody(parseError), body))).toMatchObject({
        code: 'guard.invalid_input',
        details: 'Error in key path "name": NUL characters and unpaired surrogates are not allowed',
      });
    });
  });
});
