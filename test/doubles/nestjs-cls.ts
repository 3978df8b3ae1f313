/**
 * The unit tier's stand-in for `nestjs-cls`. Its CommonJS build requires Nest 12's ES modules,
 * which Jest cannot do on Node 20, so in-process tests swap it for this map-backed context.
 * The real library runs in every e2e test.
 */
export class ClsService<Store extends Record<string, unknown> = Record<string, unknown>> {
  private store: Partial<Store> | undefined = {};

  isActive(): boolean {
    return this.store !== undefined;
  }

  get(): Partial<Store>;
  get<Key extends keyof Store>(key: Key): Store[Key] | undefined;
  get<Key extends keyof Store>(key?: Key): Partial<Store> | Store[Key] | undefined {
    return key === undefined ? this.store : this.store?.[key];
  }

  set<Key extends keyof Store>(key: Key, value: Store[Key]): void {
    this.store = Object.assign({}, this.store, { [key]: value });
  }

  enterWith(store: Partial<Store>): void {
    this.store = store;
  }

  /** Test-only: no context at all, as outside a request. */
  leave(): void {
    this.store = undefined;
  }
}

export class ClsModule {}

export type ClsStore = Record<string, unknown>;
