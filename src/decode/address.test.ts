import { describe, expect, test } from '@jest/globals';
import { parseIp } from '../../test/helpers/packets.js';
import { formatAddress } from './index.js';

function words(text: string): Uint32Array {
  const b = parseIp(text);
  const w = new Uint32Array(4);
  const first = b.length === 4 ? 3 : 0;
  for (let i = 0; i < b.length / 4; i++) {
    w[first + i] = ((b[4 * i]! << 24) | (b[4 * i + 1]! << 16) | (b[4 * i + 2]! << 8) | b[4 * i + 3]!) >>> 0;
  }
  return w;
}

describe('formatAddress', () => {
  test('IPv4 dotted quad, high bit set', () => {
    expect(formatAddress(4, words('255.1.0.254'))).toBe('255.1.0.254');
    expect(formatAddress(4, words('0.0.0.0'))).toBe('0.0.0.0');
  });

  // Left: input; right: what tshark 4.0.17 prints for it (ipv6.src).
  test.each([
    ['::', '::'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['::192.0.2.1', '::192.0.2.1'],
    ['2001:db8::', '2001:db8::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1::1', '2001:0:0:1::1'],
    ['fe80::', 'fe80::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['::2:3', '::0.2.0.3'],
    ['64:ff9b::c000:201', '64:ff9b::c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::ffff:0:0', '::ffff:0.0.0.0'],
    ['0:0:1::', '0:0:1::'],
    ['2001:DB8:0:0:0:0:0:ABCD', '2001:db8::abcd'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ])('IPv6 %s -> %s', (input, printed) => {
    expect(formatAddress(6, words(input))).toBe(printed);
  });

  test('no IP: empty string', () => {
    expect(formatAddress(0, new Uint32Array(4))).toBe('');
  });
});
