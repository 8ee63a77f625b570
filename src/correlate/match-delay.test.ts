import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { DELAY_BUCKETS, DelayTable, delayBucket, INLINE_DELAYS } from './match-delay.js';

describe('delay histograms', () => {
  test('buckets are monotonic in the value and cover the range', () => {
    let prev = -1;
    for (let v = 0; v < 5000; v++) {
      const b = delayBucket(v);
      expect(b).toBeGreaterThanOrEqual(prev);
      prev = b;
    }
    for (let e = 4; e < 60; e++) {
      const lo = delayBucket(2 ** e - 1);
      const hi = delayBucket(2 ** e);
      expect(hi).toBeGreaterThanOrEqual(lo);
      expect(hi).toBeLessThan(DELAY_BUCKETS);
    }
    expect(delayBucket(15)).toBe(15);
    expect(delayBucket(16)).toBe(16);
    expect(delayBucket(31)).toBe(31);
    expect(delayBucket(32)).toBe(32);
    // Both branches (integer and floating) agree around 2^31.
    expect(delayBucket(2 ** 31 - 1)).toBe(delayBucket(2 ** 31) - 1);
    expect(delayBucket(2 ** 50)).toBe(DELAY_BUCKETS - 1);
  });

  test('count, min and max exact; quantiles within 1/32 of the exact order statistic', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.integer({ min: -5_000_000, max: 2_000_000_000 }), { minLength: 1, maxLength: 200 }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (lists) => {
          // Several histograms filled interleaved share one pool: none may disturb another.
          const table = new DelayTable(lists.length);
          const longest = Math.max(...lists.map((l) => l.length));
          for (let i = 0; i < longest; i++) {
            for (let h = 0; h < lists.length; h++) {
              const x = lists[h]![i];
              if (x !== undefined) table.add(h, x);
            }
          }
          lists.forEach((xs, h) => {
            const sorted = [...xs].sort((a, b) => a - b);
            const s = table.stats(h);
            expect(s.count).toBe(xs.length);
            expect(s.minNs).toBe(sorted[0]);
            expect(s.maxNs).toBe(sorted.at(-1));
            for (const [q, got] of [
              [0.5, s.p50Ns],
              [0.99, s.p99Ns],
            ] as const) {
              const exact = sorted[Math.max(1, Math.ceil(q * xs.length)) - 1]!;
              expect(Math.abs(got - exact)).toBeLessThanOrEqual(Math.abs(exact) / 32 + 1);
            }
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  test('delays kept exactly give the summaries the buckets give (EXACT FIRST DELAYS)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: -3_000, max: 200_000 }),
            fc.double({ min: -1e4, max: 3e9, noNaN: true }),
            fc.constantFrom(0, -0, -0.4, 0.5, 2 ** 31, -(2 ** 31) - 1, 2 ** 31 - 1),
          ),
          { minLength: 1, maxLength: INLINE_DELAYS + 4 },
        ),
        (xs) => {
          const exact = new DelayTable(1);
          const buckets = new DelayTable(1, 1, 0);
          for (const x of xs) {
            exact.add(0, x);
            buckets.add(0, x);
          }
          expect(exact.stats(0)).toEqual(buckets.stats(0));
          expect([exact.quantile(0, 0.5), exact.quantile(0, 0.99)]).toEqual([
            buckets.quantile(0, 0.5),
            buckets.quantile(0, 0.99),
          ]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('empty histogram: all zero; non-finite delays are not counted', () => {
    const table = new DelayTable(2);
    expect(table.stats(0)).toEqual({ count: 0, minNs: 0, p50Ns: 0, p99Ns: 0, maxNs: 0 });
    table.add(1, Number.NaN);
    table.add(1, Number.POSITIVE_INFINITY);
    table.add(1, 7);
    expect(table.stats(1)).toEqual({ count: 1, minNs: 7, p50Ns: 7, p99Ns: 7, maxNs: 7 });
  });
});
