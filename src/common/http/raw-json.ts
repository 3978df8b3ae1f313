/**
 * Properties holding free-form JSON (`customData`, identity `details`). The validation pipe hands
 * them to the DTO untouched: class-transformer would otherwise walk into them, drop keys named like
 * `Object.prototype` members (`toString`) and crash on `constructor`.
 */
const RAW_JSON_PROPERTIES = Symbol('rawJsonProperties');

export function RawJson(): PropertyDecorator {
  return (target, propertyKey) => {
    const existing = (Reflect.getMetadata(RAW_JSON_PROPERTIES, target.constructor) as (string | symbol)[] | undefined) ?? [];
    Reflect.defineMetadata(RAW_JSON_PROPERTIES, [...existing, propertyKey], target.constructor);
  };
}

export function rawJsonProperties(dto: object): string[] {
  return ((Reflect.getMetadata(RAW_JSON_PROPERTIES, dto) as (string | symbol)[] | undefined) ?? []).filter(
    (key): key is string => typeof key === 'string',
  );
}

/** Drops keys that name `Object.prototype` members, at any depth: no DTO declares them. */
export function withoutPrototypeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !(key in Object.prototype))
      .map(([key, child]) => [key, withoutPrototypeKeys(child)]),
  );
}
