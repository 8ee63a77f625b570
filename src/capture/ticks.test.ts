import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { makeTickScale, precisionDigits, ticksToTime } from './ticks.js';

/** The definition, in BigInt: seconds = floor(ticks / T), nanoseconds = floor(rem * 1e9 / T). */
function reference(ticks: bigint, base: 10 | 2, exponent: number, offset: number): [number, number] {
  const t = BigInt(base) ** BigInt(exponent);
  return [Number(ticks / t) + offset, Number(((ticks % t) * 1000000000n) / t)];
}

function convert(ticks: bigint, base: 10 | 2, exponent: number, offset = 0): [number, number] {
  const out = { tsSec: 0, tsNsec: 0 };
  ticksToTime(Number(ticks >> 32n), Number(ticks & 0xffffffffn), makeTickScale(base, exponent, offset), out);
  return [out.tsSec, out.tsNsec];
}

describe('64-bit tick counts to seconds + nanoseconds', () => {
  test('known values', () => {
    expect(convert(4_294_967_296_000_000n, 10, 6)).toEqual([4294967296, 0]);
    expect(convert(1_700_000_000_123_456_789n, 10, 9)).toEqual([1700000000, 123456789]);
    expect(convert(0xffffffff_ffffffffn, 10, 6)).toEqual([18446744073709, 551615000]);
    expect(convert(0xffffffff_ffffffffn, 10, 9)).toEqual([18446744073, 709551615]);
    expect(convert(1_234_567n, 10, 12)).toEqual([0, 1234]); // picoseconds truncate toward zero
    expect(convert(3n, 2, 1)).toEqual([1, 500000000]);
    expect(convert(5n, 10, 0, 100)).toEqual([105, 0]);
  });

  test('exact for any 64-bit count at any resolution (against BigInt)', () => {
    const resolution = fc.oneof(
      fc.record({ base: fc.constant(10 as const), exponent: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ base: fc.constant(2 as const), exponent: fc.integer({ min: 0, max: 64 }) }),
    );
    const ticks = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 0n, max: 2n ** 32n }),
      fc.bigInt({ min: 2n ** 52n, max: 2n ** 62n }),
    );
    fc.assert(
      fc.property(ticks, resolution, fc.integer({ min: -1e9, max: 1e9 }), (t, r, offset) => {
        expect(convert(t, r.base, r.exponent, offset)).toEqual(reference(t, r.base, r.exponent, offset));
      }),
      { numRuns: 2000 },
    );
  });

  test('one scale reused over a sequence of counts (the per-high-word cache) stays exact', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[10 | 2, number]>([10, 6], [10, 9], [10, 11], [2, 20], [2, 32], [2, 36]),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.bigInt({ min: 0n, max: 2n ** 33n }), { maxLength: 20 }),
        ([base, exponent], starts, steps) => {
          const scale = makeTickScale(base, exponent);
          const out = { tsSec: 0, tsNsec: 0 };
          for (const start of starts) {
            let t = start;
            for (const step of steps) {
              t = (t + step) % 2n ** 64n;
              ticksToTime(Number(t >> 32n), Number(t & 0xffffffffn), scale, out);
              expect([out.tsSec, out.tsNsec]).toEqual(reference(t, base, exponent, 0));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('packet-sized steps, back and forth across seconds and high words (the last-second cache), stay exact', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<[10 | 2, number]>(
          [10, 0],
          [10, 3],
          [10, 6],
          [10, 9],
          [10, 11],
          [2, 0],
          [2, 20],
          [2, 32],
        ),
        // Starts near a second boundary, near a high-word boundary, or anywhere.
        fc.oneof(
          fc.bigInt({ min: 0n, max: 2n ** 64n - 2n ** 40n }),
          fc.bigInt({ min: 2n ** 32n - 2000n, max: 2n ** 32n + 2000n }),
          fc.constantFrom(1_700_000_000n * 10n ** 9n - 3n, 4_294_967_295n * 10n ** 6n),
        ),
        fc.array(fc.bigInt({ min: -3000n, max: 3000n }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -5, max: 5 }),
        ([base, exponent], start, steps, offset) => {
          const scale = makeTickScale(base, exponent, offset);
          const out = { tsSec: 0, tsNsec: 0 };
          let t = start;
          for (const step of steps) {
            t += step;
            if (t < 0n) t = 0n;
            ticksToTime(Number(t >> 32n), Number(t & 0xffffffffn), scale, out);
            expect([out.tsSec, out.tsNsec]).toEqual(reference(t, base, exponent, offset));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('one tick at a time over second and high-word boundaries, up then down, on one scale', () => {
    for (const [base, exponent] of [
      [10, 0],
      [10, 3],
      [10, 6],
      [10, 9],
      [2, 20],
    ] as const) {
      const scale = makeTickScale(base, exponent, 7);
      const out = { tsSec: 0, tsNsec: 0 };
      const t = BigInt(base) ** BigInt(exponent);
      for (const edge of [1_700_000_000n * t, 2n ** 32n, 5n * 2n ** 32n - ((5n * 2n ** 32n) % t)]) {
        const ticks = [];
        for (let d = -4n; d <= 4n; d++) ticks.push(edge + d);
        for (const x of [...ticks, ...ticks.reverse()]) {
          ticksToTime(Number(x >> 32n), Number(x & 0xffffffffn), scale, out);
          expect([out.tsSec, out.tsNsec]).toEqual(reference(x, base, exponent, 7));
        }
      }
    }
  });

  test('counts just below and at multiples of the resolution', () => {
    for (const [base, exponent] of [
      [10, 6],
      [10, 9],
      [10, 11],
      [2, 30],
      [2, 37],
    ] as const) {
      const t = BigInt(base) ** BigInt(exponent);
      for (const k of [1n, 1_700_000_000n, 4_294_967_296n, 2n ** 43n]) {
        for (const d of [-1n, 0n, 1n]) {
          const ticks = k * t + d;
          if (ticks >= 2n ** 64n) continue;
          expect(convert(ticks, base, exponent)).toEqual(reference(ticks, base, exponent, 0));
        }
      }
    }
  });

  test('precision in decimal digits', () => {
    expect(precisionDigits(10, 6)).toBe(6);
    expect(precisionDigits(10, 9)).toBe(9);
    expect(precisionDigits(2, 20)).toBe(7);
    expect(precisionDigits(2, 30)).toBe(10);
  });
});
