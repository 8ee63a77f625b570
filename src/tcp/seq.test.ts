import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';

describe('sequence arithmetic', () => {
  test('compares across the 2^32 wrap', () => {
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqDiff(0xfffffff0, 0x10)).toBe(-0x20);
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqLe(5, 5)).toBe(true);
    expect(seqGe(5, 5)).toBe(true);
    expect(seqLt(5, 5)).toBe(false);
    expect(seqAdd(0xffffffff, 2)).toBe(1);
  });

  test('a + n is after a for any n in (0, 2^31)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 0x7fffffff }),
        (a, n) => {
          const b = seqAdd(a, n);
          return seqGt(b, a) && seqLt(a, b) && seqDiff(b, a) === n && seqDiff(a, b) === -n;
        },
      ),
    );
  });
});
