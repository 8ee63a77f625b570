import { describe, expect, test } from '@jest/globals';
import { contains, parsePrefix } from './pair-hints.js';

const v4 = (a: number) => ({ ipVersion: 4 as const, addr: [0, 0, 0, a >>> 0], port: 0 });

describe('hint prefixes', () => {
  test('IPv4 addresses and prefixes', () => {
    const p = parsePrefix('10.99.2.0/24')!;
    expect(contains(p, v4(0x0a630202))).toBe(true);
    expect(contains(p, v4(0x0a630302))).toBe(false);
    expect(contains(parsePrefix('10.99.1.10')!, v4(0x0a63010a))).toBe(true);
    expect(contains(parsePrefix('10.99.1.10')!, v4(0x0a63010b))).toBe(false);
    expect(contains(parsePrefix('0.0.0.0/0')!, v4(0xffffffff))).toBe(true);
  });

  test('IPv6 prefixes, and no match across families', () => {
    const p = parsePrefix('2001:db8::/32')!;
    expect(contains(p, { ipVersion: 6, addr: [0x20010db8, 0, 0, 1], port: 0 })).toBe(true);
    expect(contains(p, { ipVersion: 6, addr: [0x20010db9, 0, 0, 1], port: 0 })).toBe(false);
    expect(contains(parsePrefix('::1')!, { ipVersion: 6, addr: [0, 0, 0, 1], port: 0 })).toBe(true);
    expect(contains(p, v4(0x20010db8))).toBe(false);
  });

  test('not an address', () => {
    for (const bad of [
      '',
      'host.example',
      '10.0.0.256',
      '10.0.0.0/33',
      '1::2::3',
      '10.0.0.1/8/1',
      '10.0.0.0/x',
    ]) {
      expect(parsePrefix(bad)).toBeNull();
    }
  });
});
