import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { lowerBound, stableOrder, upperBound } from './sorted.js';

describe('binary searches', () => {
  const a = Float64Array.from([1, 3, 3, 3, 7]);
  test('lower bound: first at or above', () => {
    expect([0, 1, 2, 3, 7, 8].map((v) => lowerBound(a, v))).toEqual([0, 0, 1, 1, 4, 5]);
    expect(lowerBound(new Float64Array(0), 5)).toBe(0);
  });
  test('upper bound: first above', () => {
    expect([0, 1, 2, 3, 7, 8].map((v) => upperBound(a, v))).toEqual([0, 1, 1, 4, 5, 5]);
  });
});

/** The order a comparison sort gives: by key, equal keys by position. */
function reference(keys: Float64Array, positions: Int32Array): number[] {
  return Array.from(positions).sort((p, q) => keys[p]! - keys[q]! || p - q);
}

function ascending(n: number, skip = 1): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < n; i += skip) out.push(i);
  return Int32Array.from(out);
}

describe('stableOrder', () => {
  test('integer keys of every width (each radix digit, both 32-bit halves) sort like a comparison sort', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 20 }), { minLength: 0, maxLength: 300 }),
        fc.integer({ min: 0, max: 33 }),
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        (raw, scale, base) => {
          // Keys up to about 2^53 apart, with ties: every digit of the sort is used for some runs.
          const keys = Float64Array.from(raw, (v) => base + v * 2 ** scale);
          const positions = ascending(keys.length);
          expect(Array.from(stableOrder(keys, positions))).toEqual(reference(keys, positions));
        },
      ),
    );
  });

  test('a subset of positions, fractional keys, sorted input', () => {
    const keys = Float64Array.from([5, 1.5, 3, 1.5, 9, 0.25, 3]);
    const some = ascending(7, 2);
    expect(Array.from(stableOrder(keys, some))).toEqual(reference(keys, some));
    const all = ascending(7);
    expect(Array.from(stableOrder(keys, all))).toEqual([5, 1, 3, 2, 6, 0, 4]);
    const inOrder = Float64Array.from([1, 2, 2, 7]);
    expect(Array.from(stableOrder(inOrder, ascending(4)))).toEqual([0, 1, 2, 3]);
  });

  test('keys spanning more than 2^53 fall back to the comparison sort', () => {
    const keys = Float64Array.from([2 ** 60, -(2 ** 60), 0, 2 ** 60]);
    expect(Array.from(stableOrder(keys, ascending(4)))).toEqual([1, 2, 0, 3]);
  });

  test('a new array: the input is left as it was', () => {
    const keys = Float64Array.from([3, 2, 1]);
    const positions = ascending(3);
    expect(Array.from(stableOrder(keys, positions))).toEqual([2, 1, 0]);
    expect(Array.from(positions)).toEqual([0, 1, 2]);
  });
});
