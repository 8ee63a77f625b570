import { describe, expect, test } from '@jest/globals';
import { formatTs, fromRelNs, isoUtc, relNs } from './time.js';

describe('time', () => {
  test('formatTs prints nine decimals', () => {
    expect(formatTs(954147395, 148077000)).toBe('954147395.148077000');
    expect(formatTs(0, 5)).toBe('0.000000005');
    expect(formatTs(4294967296, 0)).toBe('4294967296.000000000');
  });
  test('formatTs prints negative times the human way', () => {
    expect(formatTs(-2, 500000000)).toBe('-1.500000000');
  });
  test('relNs and fromRelNs round-trip', () => {
    const base = 1700000000;
    const ns = relNs(1700000123, 456789012, base);
    expect(ns).toBe(123456789012);
    expect(fromRelNs(base, ns)).toEqual({ sec: 1700000123, nsec: 456789012 });
    expect(fromRelNs(base, -1)).toEqual({ sec: base - 1, nsec: 999999999 });
  });
  test('isoUtc keeps nanoseconds', () => {
    expect(isoUtc(954147395, 148077000)).toBe('2000-03-27T08:56:35.148077000Z');
    expect(isoUtc(1e300, 0)).toBeNull();
  });
});
