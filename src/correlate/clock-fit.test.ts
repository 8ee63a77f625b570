import { describe, expect, test } from '@jest/globals';
import { bandBound, type FitPoints, hullsOf, maxSeparation } from './clock-fit.js';
import { trimAtSlope } from './clock-trim.js';

/** Fit points from (x, y, weight) lists, already sorted by x. */
function points(fwd: [number, number, number?][], rev: [number, number, number?][]): FitPoints {
  const side = (list: [number, number, number?][]) => ({
    x: Float64Array.from(list.map((p) => p[0])),
    y: Float64Array.from(list.map((p) => p[1])),
    w: Float64Array.from(list.map((p) => p[2] ?? 1)),
    idx: Int32Array.from(list.map((_, i) => i)),
  });
  return { fwd: side(fwd), rev: side(rev) };
}

describe('trimAtSlope', () => {
  const fwd: [number, number, number?][] = [
    [0, -10],
    [10, -12],
    [20, -11],
  ];
  const rev: [number, number, number?][] = [
    [5, 10],
    [15, 12],
    [25, 11],
  ];

  test('a consistent set loses nothing', () => {
    const t = trimAtSlope(points(fwd, rev), 0, 0);
    expect(t.rejectedFwd + t.rejectedRev).toBe(0);
  });

  test('a forward point above the reverse cloud goes', () => {
    const t = trimAtSlope(points([...fwd, [30, 20]], rev), 0, 0);
    expect(Array.from(t.keptFwd)).toEqual([1, 1, 1, 0]);
    expect(t.rejectedRev).toBe(0);
  });

  test('weights decide which side of a lone conflict goes', () => {
    // One forward and one reverse point conflict only with each other.
    const f = (w: number): [number, number, number?][] => [...fwd, [30, 5, w]];
    const r = (w: number): [number, number, number?][] => [...rev, [35, 0, w]];
    const trustRev = trimAtSlope(points(f(0.1), r(1)), 0, 0);
    expect(trustRev.rejectedFwd).toBe(1);
    expect(trustRev.rejectedRev).toBe(0);
    const trustFwd = trimAtSlope(points(f(1), r(0.1)), 0, 0);
    expect(trustFwd.rejectedFwd).toBe(0);
    expect(trustFwd.rejectedRev).toBe(1);
  });

  test('equal cost: the point that stands out from its own direction goes', () => {
    // Forward at 9 sticks far above the forward cloud (about -11); reverse at 8 is near its cloud.
    const t = trimAtSlope(points([...fwd, [30, 9]], [...rev, [35, 8]]), 0, 0);
    expect(t.rejectedFwd).toBe(1);
    expect(t.rejectedRev).toBe(0);
  });

  test('never empties a direction', () => {
    const t = trimAtSlope(points([[0, 100]], rev), 0, 0);
    expect(t.rejectedFwd).toBe(0);
    expect(t.rejectedRev).toBe(2);
  });
});

describe('maxSeparation and bandBound', () => {
  test('parallel clouds: slope of the clouds, line midway, bound half the gap', () => {
    // Forward on y = 0.5x - 10, reverse on y = 0.5x + 10.
    const pts = points(
      [0, 10, 20, 30].map((x) => [x, 0.5 * x - 10] as [number, number]),
      [5, 15, 25, 35].map((x) => [x, 0.5 * x + 10] as [number, number]),
    );
    const { up, low } = hullsOf(pts, new Uint8Array(4).fill(1), new Uint8Array(4).fill(1));
    const sep = maxSeparation(up, low, -1, 1);
    expect(sep.alpha).toBeCloseTo(0.5, 12);
    expect(sep.theta).toBeCloseTo(0, 9);
    expect(sep.margin).toBeCloseTo(10, 9);
    expect(sep.atLimit).toBe(false);
    const band = bandBound(up, low, 0, -1, 1, sep, 0, 35);
    // At the ends the band is wider than in the middle: slopes from 0.5 - 20/30 to 0.5 + 20/30 fit.
    expect(band.bound).toBeGreaterThanOrEqual(10);
    expect(band.alphaLo).toBeLessThan(0.5);
    expect(band.alphaHi).toBeGreaterThan(0.5);
    // Brute force: every feasible line sampled on a grid stays within the bound at both ends.
    for (let a = -1; a <= 1; a += 0.01) {
      for (let th = -30; th <= 30; th += 0.25) {
        const ok =
          [0, 10, 20, 30].every((x) => 0.5 * x - 10 <= th + a * x) &&
          [5, 15, 25, 35].every((x) => 0.5 * x + 10 >= th + a * x);
        if (!ok) continue;
        for (const x of [0, 35]) {
          expect(Math.abs(th + a * x - (sep.theta + sep.alpha * x))).toBeLessThanOrEqual(band.bound + 1e-9);
        }
      }
    }
  });

  test('relaxation widens the band by rho on each side', () => {
    const pts = points(
      [
        [0, -1],
        [10, -1],
      ],
      [
        [0, 1],
        [10, 1],
      ],
    );
    const { up, low } = hullsOf(pts, new Uint8Array(2).fill(1), new Uint8Array(2).fill(1));
    const line = { theta: 0, alpha: 0 };
    expect(bandBound(up, low, 0, 0, 0, line, 0, 10).bound).toBeCloseTo(1, 12);
    expect(bandBound(up, low, 2, 0, 0, line, 0, 10).bound).toBeCloseTo(3, 12);
  });
});
