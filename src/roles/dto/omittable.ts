import { ValidateIf } from 'class-validator';

/** Absent is fine; `null` is not (unlike `@IsOptional`). */
export const IsOmittable = (): PropertyDecorator => ValidateIf((_, value) => value !== undefined);
