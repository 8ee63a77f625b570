import { describe, expect, test } from '@jest/globals';
import { endpointText, tupleText } from './endpoint.js';

describe('endpoint text', () => {
  test('IPv4 plain, IPv6 in brackets', () => {
    expect(endpointText('10.99.1.2', 443)).toBe('10.99.1.2:443');
    expect(endpointText('fd99:1::2', 8080)).toBe('[fd99:1::2]:8080');
    expect(endpointText('::ffff:10.0.0.1', 80)).toBe('[::ffff:10.0.0.1]:80');
    expect(tupleText({ srcIp: 'fd99:1::2', srcPort: 5, dstIp: '10.0.0.1', dstPort: 80 })).toBe(
      '[fd99:1::2]:5 -> 10.0.0.1:80',
    );
  });
});
