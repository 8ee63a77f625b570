import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { KeyIndex, tagged } from './pair-index.js';

function valuesOf(k: KeyIndex, key: number): number[] {
  const out: number[] = [];
  for (let e = k.first(key); e >= 0; e = k.nextEntry(e)) out.push(k.valueAt(e));
  return out.sort((a, b) => a - b);
}

describe('KeyIndex', () => {
  test('counts, lists and unique values, through growth of both tables', () => {
    const k = new KeyIndex(2);
    for (let i = 0; i < 5000; i++) k.add((i * 2654435761) >>> 0, i);
    k.add(0xffffffff, 1);
    k.add(0xffffffff, 2);
    expect(k.size).toBe(5002);
    expect(k.count(0xffffffff)).toBe(2);
    expect(valuesOf(k, 0xffffffff)).toEqual([1, 2]);
    expect(k.unique(0xffffffff)).toBe(-1);
    expect(k.unique((4999 * 2654435761) >>> 0)).toBe(4999);
    expect(k.count(12345)).toBe(0);
    expect(k.first(12345)).toBe(-1);
  });

  test('negative and unsigned forms of a key are the same key', () => {
    const k = new KeyIndex();
    k.add(-1, 7);
    expect(k.unique(0xffffffff)).toBe(7);
  });

  test('agrees with a Map of arrays on random input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer()), { maxLength: 300 }),
        (pairs) => {
          const k = new KeyIndex(1);
          const m = new Map<number, number[]>();
          for (const [key, v] of pairs) {
            k.add(key, v);
            m.set(key, [...(m.get(key) ?? []), v]);
          }
          for (let key = 0; key <= 64; key++) {
            const want = (m.get(key) ?? []).sort((a, b) => a - b);
            expect(valuesOf(k, key)).toEqual(want);
            expect(k.count(key)).toBe(want.length);
          }
        },
      ),
    );
  });
});

describe('tagged', () => {
  test('the same hash under different tags differs; one tag keeps distinct hashes distinct', () => {
    expect(tagged(123, 0)).not.toBe(tagged(123, 1));
    const seen = new Set<number>();
    for (let h = 0; h < 10000; h++) seen.add(tagged(h, 5));
    expect(seen.size).toBe(10000);
  });
});
