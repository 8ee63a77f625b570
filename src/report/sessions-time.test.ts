import { describe, expect, test } from '@jest/globals';
import {
  formatClock,
  formatDurationNs,
  formatSpan,
  parseUserTime,
  shortDuration,
  spanNs,
} from './sessions-time.js';

describe('parseUserTime', () => {
  test('epoch seconds keep every fraction digit', () => {
    expect(parseUserTime('1795336575', 'local')).toEqual({ sec: 1795336575, nsec: 0 });
    expect(parseUserTime('1795336575.5', 'local')).toEqual({ sec: 1795336575, nsec: 500000000 });
    expect(parseUserTime(' 1795336575.442181123 ', 'utc')).toEqual({ sec: 1795336575, nsec: 442181123 });
  });

  test('ISO 8601 with a zone, fraction beyond milliseconds exact', () => {
    expect(parseUserTime('2026-11-22T08:36:15.442181123Z', 'local')).toEqual({
      sec: 1795336575,
      nsec: 442181123,
    });
    expect(parseUserTime('2026-11-22T09:36:15.25+01:00', 'local')).toEqual({
      sec: 1795336575,
      nsec: 250000000,
    });
    expect(parseUserTime('2026-11-22T08:36:15Z', 'local')).toEqual({ sec: 1795336575, nsec: 0 });
  });

  test('times without a zone are in the listing zone', () => {
    const local = new Date(2026, 10, 22, 8, 36, 15).getTime() / 1000;
    expect(parseUserTime('2026-11-22 08:36:15', 'local')).toEqual({ sec: local, nsec: 0 });
    expect(parseUserTime('2026-11-22 08:36:15.27', 'local')).toEqual({ sec: local, nsec: 270000000 });
    expect(parseUserTime('2026-11-22T08:36:15.273', 'local')).toEqual({ sec: local, nsec: 273000000 });
    expect(parseUserTime('2026-11-22 08:36:15.273', 'utc')).toEqual({ sec: 1795336575, nsec: 273000000 });
    expect(parseUserTime('2026-11-22T08:36:15', 'utc')).toEqual({ sec: 1795336575, nsec: 0 });
  });

  test.each([
    'yesterday',
    '',
    '2026-11-22',
    '2026-11-22 08:36',
    '2026-13-01 00:00:00',
    '2026-11-22 24:00:01',
    '2026-11-22T08:36:15.1234567890Z',
    '1795336575.1234567890',
    '-5',
  ])('%p cannot be read', (text) => {
    expect(parseUserTime(text, 'local')).toBeNull();
    expect(parseUserTime(text, 'utc')).toBeNull();
  });
});

describe('printing', () => {
  test('UTC clock', () => {
    expect(formatClock(1795336575, 442181123, 'utc')).toBe('2026-11-22 08:36:15.442');
    expect(formatClock(1e15, 0, 'utc')).toBeNull();
  });

  test('exact spans, also across a second and backwards', () => {
    expect(formatSpan(10, 900000000, 12, 100000000)).toBe('1.200000000');
    expect(formatSpan(12, 100000000, 10, 900000000)).toBe('-1.200000000');
    expect(formatSpan(5, 5, 5, 5)).toBe('0.000000000');
    expect(formatSpan(0, 0, 18446744073709, 551615000)).toBe('18446744073709.551615000');
    expect(spanNs(10, 900000000, 12, 100000000)).toBe(1200000000);
    expect(spanNs(0, 0, 18446744073709, 0)).toBeNull();
    expect(formatDurationNs(-1500000000)).toBe('-1.500000000');
  });

  test('short durations never print "1000" of a unit', () => {
    expect(shortDuration(999)).toBe('999ns');
    expect(shortDuration(999_499)).toBe('999us');
    expect(shortDuration(999_500)).toBe('1.0ms');
    expect(shortDuration(99_949_999)).toBe('99.9ms');
    expect(shortDuration(99_950_000)).toBe('100ms');
    expect(shortDuration(999_600_000)).toBe('1.00s');
    expect(shortDuration(59_996_000_000)).toBe('1m00s');
    expect(shortDuration(3_725e9)).toBe('1h02m');
    expect(shortDuration(-2e6)).toBe('-2.0ms');
  });
});
