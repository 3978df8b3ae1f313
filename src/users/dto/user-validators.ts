import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches, MinLength, registerDecorator, ValidateIf, type ValidationOptions } from 'class-validator';
import { RawJson } from '../../common/http/raw-json.js';
import { MAX_PASSWORD_BYTES } from '../passwords/cost-bounds.js';

/** Field formats from Logto's user guard; quoted because they are part of the wire contract. */
export const USERNAME_PATTERN = /^[A-Z_a-z]\w*$/;
export const EMAIL_PATTERN = /^\S+@\S+\.\S+$/;
export const PHONE_PATTERN = /^\d+$/;

/** `""`, or what starts like an absolute URL (a scheme and `:`); the server then parses it as WHATWG URL. */
const ABSOLUTE_URL_OR_EMPTY_PATTERN = '^$|^[A-Za-z][A-Za-z0-9+.-]*:';

/** Deeper `customData` only costs storage and parsing; Logto has no limit, Roster stops at 32 levels. */
export const MAX_CUSTOM_DATA_DEPTH = 32;

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

function IsAbsoluteUrl(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isAbsoluteUrl',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: '$property must be an absolute URL', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && URL.canParse(value) },
    });
}

function HasMaxDepth(maxDepth: number): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'maxDepth',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property must not be nested deeper than ${maxDepth} levels` },
      validator: { validate: (value: unknown) => depthOf(value) <= maxDepth },
    });
}

/**
 * May be left out, but not sent as `null` (class-validator's `IsOptional` would let `null` through,
 * and Logto's guards reject it where a field is not clearable).
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_, value) => value !== undefined);
}

/**
 * A password: 1 to 256 UTF-8 bytes, checked before anything is hashed. JSON Schema counts characters,
 * not bytes, so the document's `maxLength` is the bound a client can check before sending.
 */
export function IsPassword(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ minLength: 1, maxLength: MAX_PASSWORD_BYTES }),
    IsString(),
    MinLength(1),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'maxBytes',
        target: target.constructor,
        propertyName: propertyName as string,
        options: { message: `$property must be at most ${MAX_PASSWORD_BYTES} bytes of UTF-8` },
        validator: { validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value, 'utf8') <= MAX_PASSWORD_BYTES },
      }),
  );
}

/** A string matching `pattern`; with `clearable`, `""` and `null` are accepted too (they clear the field). */
export function IsFormattedString(pattern: RegExp, { clearable }: { clearable: boolean }): PropertyDecorator {
  const format = [IsString(), Matches(pattern)];
  if (!clearable) return applyDecorators(ApiProperty({ pattern: pattern.source }), IsOmittable(), ...format);
  return applyDecorators(
    ApiProperty({ pattern: `^$|${pattern.source}` }),
    IsOptional(),
    ValidateIf((_, value) => value !== ''),
    ...format,
  );
}

/** An avatar: an absolute URL (any scheme, as WHATWG URL parses it), or `""`/`null` to clear it. */
export function IsAvatar(): PropertyDecorator {
  return applyDecorators(
    // JSON Schema's `format: uri` cannot also allow `""`; a pattern still tells clients a scheme is required.
    ApiProperty({ pattern: ABSOLUTE_URL_OR_EMPTY_PATTERN }),
    IsOptional(),
    ValidateIf((_, value) => value !== ''),
    IsString(),
    IsAbsoluteUrl(),
  );
}

/** A JSON object (not an array), nested at most `MAX_CUSTOM_DATA_DEPTH` levels. */
export function IsCustomData(): PropertyDecorator {
  return applyDecorators(RawJson(), IsObject(), HasMaxDepth(MAX_CUSTOM_DATA_DEPTH));
}
