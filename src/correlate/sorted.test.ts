import { describe, expect, test } from '@jest/globals';
import { lowerBound, upperBound } from './sorted.js';

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
