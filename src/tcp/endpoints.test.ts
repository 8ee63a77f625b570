import { describe, expect, test } from '@jest/globals';
import { EndpointCache, SHARED_SLOTS } from './endpoints.js';

const words = (...w: number[]) => Uint32Array.from(w);

describe('shared endpoints', () => {
  test('the same address and port give the same frozen object', () => {
    const cache = new EndpointCache();
    const a = cache.get(4, words(0, 0, 0, 0xc0a80001), 443);
    const b = cache.get(4, words(0, 0, 0, 0xc0a80001), 443);
    expect(b).toBe(a);
    expect(a).toEqual({ ipVersion: 4, addr: [0, 0, 0, 0xc0a80001], port: 443 });
    expect(Object.isFrozen(a) && Object.isFrozen(a.addr)).toBe(true);
  });

  test('another port shares the address words only; another version or address shares nothing', () => {
    const cache = new EndpointCache();
    const a = cache.get(4, words(0, 0, 0, 7), 80);
    const b = cache.get(4, words(0, 0, 0, 7), 81);
    expect(b).not.toBe(a);
    expect(b.addr).toBe(a.addr);
    expect(cache.get(6, words(0, 0, 0, 7), 80)).toEqual({ ipVersion: 6, addr: [0, 0, 0, 7], port: 80 });
    expect(cache.get(4, words(0, 0, 0, 8), 80).addr).toEqual([0, 0, 0, 8]);
    expect(cache.get(4, words(0, 0, 0, 7), 80)).toBe(a);
  });

  test('bounded: more distinct endpoints than slots replace each other, answers stay right', () => {
    const cache = new EndpointCache();
    const first = cache.get(4, words(0, 0, 0, 1), 1);
    for (let i = 0; i < SHARED_SLOTS * 4; i++) cache.get(4, words(0, 0, 0, 1000 + i), i & 0xffff);
    const again = cache.get(4, words(0, 0, 0, 1), 1);
    expect(again).toEqual(first);
    expect(cache.get(4, words(0, 0, 0, 1), 1)).toBe(again);
  });
});
