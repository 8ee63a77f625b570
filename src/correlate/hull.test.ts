import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { buildHull, hullAt, supportIntercept } from './hull.js';

function hullOf(side: 'upper' | 'lower', pts: [number, number][]) {
  const sorted = [...pts].sort((p, q) => p[0] - q[0]);
  return buildHull(
    side,
    sorted.length,
    (i) => sorted[i]![0],
    (i) => sorted[i]![1],
    () => true,
  );
}

describe('hull', () => {
  test('upper hull keeps the outer vertices, drops inner and collinear points', () => {
    const h = hullOf('upper', [
      [0, 0],
      [1, 2],
      [2, 1],
      [3, 2.9],
      [4, 0],
      [2, 2.5],
      [1.5, 2.25],
    ]);
    expect(Array.from(h.xs)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(h.ys)).toEqual([0, 2, 2.5, 2.9, 0]);
    for (let e = 1; e < h.slopes.length; e++) expect(h.slopes[e]!).toBeLessThan(h.slopes[e - 1]!);
  });

  test('lower hull, same x keeps the lowest point', () => {
    const h = hullOf('lower', [
      [0, 5],
      [0, 1],
      [1, 0],
      [2, 3],
      [2, 2],
    ]);
    expect(Array.from(h.xs)).toEqual([0, 1, 2]);
    expect(Array.from(h.ys)).toEqual([1, 0, 2]);
  });

  test('support intercept equals the brute-force extreme', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -1000, max: 1000 })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        (pts, alpha) => {
          const up = hullOf('upper', pts);
          const low = hullOf('lower', pts);
          const values = pts.map(([x, y]) => y - alpha * x);
          expect(supportIntercept(up, alpha)).toBeCloseTo(Math.max(...values), 6);
          expect(supportIntercept(low, alpha)).toBeCloseTo(Math.min(...values), 6);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  test('hullAt interpolates edges and averages slopes at vertices', () => {
    const h = hullOf('upper', [
      [0, 0],
      [2, 2],
      [4, 0],
    ]);
    expect(hullAt(h, 1)).toEqual({ y: 1, slope: 1 });
    expect(hullAt(h, 2)).toEqual({ y: 2, slope: 0 });
    expect(hullAt(h, 3)).toEqual({ y: 1, slope: -1 });
    expect(hullAt(hullOf('upper', []), 0)).toBeNull();
    expect(Number.isNaN(supportIntercept(hullOf('upper', []), 0))).toBe(true);
  });
});
