import { jest } from '@jest/globals';
import { ExpiringCache } from './expiring-cache.js';

const NOW = Date.UTC(2030, 0, 1);

describe('ExpiringCache', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('answers an entry until its expiry time and forgets it from then on', () => {
    const cache = new ExpiringCache<string, number>(10);
    cache.set('a', 1, NOW + 1000);
    expect(cache.get('a')).toBe(1);
    jest.setSystemTime(NOW + 999);
    expect(cache.get('a')).toBe(1);
    jest.setSystemTime(NOW + 1000);
    expect(cache.get('a')).toBeUndefined();
    // Gone for good: turning the clock back does not bring it back.
    jest.setSystemTime(NOW);
    expect(cache.get('a')).toBeUndefined();
  });

  it('refuses an entry that has already expired', () => {
    const cache = new ExpiringCache<string, number>(10);
    cache.set('past', 1, NOW - 1);
    cache.set('now', 2, NOW);
    jest.setSystemTime(NOW - 10);
    expect(cache.get('past')).toBeUndefined();
    expect(cache.get('now')).toBeUndefined();
  });

  it('does not let a refused entry replace a live one, nor count towards the bound', () => {
    const cache = new ExpiringCache<string, number>(1);
    cache.set('a', 1, NOW + 1000);
    cache.set('a', 2, NOW);
    cache.set('b', 3, NOW - 1);
    expect(cache.get('a')).toBe(1);
  });

  it('evicts the oldest entry when full', () => {
    const cache = new ExpiringCache<string, number>(2);
    cache.set('a', 1, NOW + 1000);
    cache.set('b', 2, NOW + 1000);
    cache.set('c', 3, NOW + 1000);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
  });

  it('counts a replaced key as the newest, so it outlives entries set before it', () => {
    const cache = new ExpiringCache<string, number>(2);
    cache.set('a', 1, NOW + 1000);
    cache.set('b', 2, NOW + 1000);
    cache.set('a', 10, NOW + 2000);
    cache.set('c', 3, NOW + 1000);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([10, undefined, 3]);
  });

  it('replacing a key does not evict another entry', () => {
    const cache = new ExpiringCache<string, number>(2);
    cache.set('a', 1, NOW + 1000);
    cache.set('b', 2, NOW + 1000);
    cache.set('b', 20, NOW + 1000);
    expect([cache.get('a'), cache.get('b')]).toEqual([1, 20]);
  });

  it('deletes an entry at once, leaving the others', () => {
    const cache = new ExpiringCache<string, number>(10);
    cache.set('a', 1, NOW + 1000);
    cache.set('b', 2, NOW + 1000);
    cache.delete('a');
    cache.delete('missing');
    expect([cache.get('a'), cache.get('b')]).toEqual([undefined, 2]);
  });
});
