/**
 * A size-bounded map whose entries expire at a given time. When full, the oldest entry goes
 * (insertion order), which is enough for caches of short-lived, mostly-reused values.
 */
export class ExpiringCache<Key, Value> {
  private readonly entries = new Map<Key, { value: Value; expiresAt: number }>();

  constructor(private readonly maxEntries: number) {}

  get(key: Key): Value | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: Key, value: Value, expiresAt: number): void {
    if (expiresAt <= Date.now()) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: Key): void {
    this.entries.delete(key);
  }
}
