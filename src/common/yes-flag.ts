const YES_VALUES = new Set(['1', 'true', 'y', 'yes', 'yep', 'yeah']);

/** Logto's reading of boolean query flags: true only for a small set of "yes" spellings. */
export function isYes(value: unknown): boolean {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && YES_VALUES.has(first.toLowerCase());
}
