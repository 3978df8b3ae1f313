import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { RequestError } from '../errors/request-error.js';
import { isUnstorableText, UnparsableBody } from './json-body.js';
import { rawJsonProperties, withoutPrototypeKeys } from './raw-json.js';

interface Issue {
  code: string;
  path: string[];
  message: string;
}

/** Query values reach SQL as parameters; PostgreSQL cannot even compare text holding NUL. */
function assertStorableQuery(value: unknown): void {
  const values = typeof value === 'string' ? [value] : Object.values((value ?? {}) as Record<string, unknown>).flat();
  if (values.some((item) => typeof item === 'string' && isUnstorableText(item))) {
    throw invalidInput('query', [{ code: 'invalid_string', path: [], message: 'NUL characters are not allowed' }]);
  }
}

const PRIMITIVE_TYPES = new Set<unknown>([String, Boolean, Number, Array, Object]);

function collectIssues(errors: ValidationError[], parentPath: string[] = []): Issue[] {
  return errors.flatMap((error) => {
    const path = [...parentPath, error.property];
    const own = Object.entries(error.constraints ?? {}).map(([code, message]) => ({ code, path, message }));
    return [...own, ...collectIssues(error.children ?? [], path)];
  });
}

function invalidInput(type: string, issues: Issue[]): RequestError {
  return new RequestError('guard.invalid_input', {
    interpolation: { type },
    details: issues.map(({ code, path, message }) => `Error in key path "${path.join('.')}": (${code}) ${message}`).join('\n'),
    data: { issues },
  });
}

/**
 * Validates bodies, queries and path parameters against their DTO classes. Unknown properties are
 * dropped silently (as Logto does) and failures become 400 `guard.invalid_input` with `details`.
 */
@Injectable()
export class RequestValidationPipe implements PipeTransform {
  transform(value: unknown, { metatype, type }: ArgumentMetadata): unknown {
    if (value instanceof UnparsableBody) throw value.error;
    if (type === 'query') assertStorableQuery(value);
    if (!metatype || PRIMITIVE_TYPES.has(metatype) || type === 'custom') return value;
    const typeLabel = type === 'param' ? 'params' : type;
    const input = value ?? {};
    if (typeof input !== 'object' || Array.isArray(input)) {
      throw invalidInput(typeLabel, [
        { code: 'invalid_type', path: [], message: `Expected object, received ${Array.isArray(input) ? 'array' : typeof input}` },
      ]);
    }
    const rawKeys = rawJsonProperties(metatype);
    const fields = input as Record<string, unknown>;
    const shaped = withoutPrototypeKeys(Object.fromEntries(Object.entries(fields).filter(([key]) => !rawKeys.includes(key)))) as object;
    const instance = Object.assign(
      plainToInstance<object, object>(metatype as new () => object, shaped),
      Object.fromEntries(rawKeys.filter((key) => key in fields).map((key) => [key, fields[key]])),
    );
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: false });
    if (errors.length > 0) throw invalidInput(typeLabel, collectIssues(errors));
    return instance;
  }
}
