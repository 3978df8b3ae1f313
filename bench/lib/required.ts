/**
 * `value`, or an error naming `what` is missing: for an index the code expects to exist (the first row
 * of a query that always returns one, a field of a /proc file), so a surprise fails loudly, not as NaN.
 */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`bench: missing ${what}`);
  return value;
}

/** `values` typed as holding at least one element (so `[0]` is defined), or an error naming `what` is missing. */
export function nonEmpty<T>(values: readonly T[], what: string): [T, ...T[]] {
  return [required(values[0], what), ...values.slice(1)];
}
