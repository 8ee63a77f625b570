import { describe, expect, test } from '@jest/globals';
import { formatAddress } from '../decode/index.js';
import {
  A_DUPLICATE_ACK,
  A_FAST_RETRANSMISSION,
  A_RETRANSMISSION,
  A_ZERO_WINDOW,
  A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
  H_RST_AFTER_SYNACK,
  H_SYN_UNANSWERED,
  H_SYNACK_BAD_ACK,
  H_SYNACK_RETRANSMITTED_AFTER_ACK,
} from '../tcp/index.js';
import { anomalyBits, parseAddress } from './sessions-select.js';

describe('parseAddress', () => {
  test.each([
    ['10.99.1.2', 4],
    ['0.0.0.0', 4],
    ['2001:db8::1', 6],
    ['[2001:DB8:0:0:0:0:0:1]', 6],
    ['::', 6],
    ['::1', 6],
    ['fe80::', 6],
    ['::ffff:10.0.0.1', 6],
    ['1:2:3:4:5:6:7:8', 6],
  ])('%s round-trips through the canonical printer', (text, version) => {
    const a = parseAddress(text)!;
    expect(a.ipVersion).toBe(version);
    const canonical = formatAddress(a.ipVersion, Uint32Array.from(a.words));
    expect(parseAddress(canonical)).toEqual(a);
  });

  test('IPv6 words are big-endian groups', () => {
    expect(parseAddress('2001:db8::1')!.words).toEqual([0x20010db8, 0, 0, 1]);
    expect(parseAddress('::ffff:10.0.0.1')!.words).toEqual([0, 0, 0xffff, 0x0a000001]);
    expect(parseAddress('10.99.1.2')!.words).toEqual([0, 0, 0, 0x0a630102]);
  });

  test.each([
    '10.0.0.256',
    '10.0.0',
    '10.0.0.1.5',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4::5:6:7:8',
    '12345::1',
    'g::1',
    'host.example',
    '',
  ])('%p is not an address', (text) => {
    expect(parseAddress(text)).toBeNull();
  });
});

describe('anomalyBits', () => {
  test('full id, short id, and prefixes', () => {
    expect(anomalyBits('tcp.analysis.duplicate_ack')).toBe(A_DUPLICATE_ACK);
    expect(anomalyBits('duplicate_ack')).toBe(A_DUPLICATE_ACK);
    expect(anomalyBits('tcp.analysis.zero_window')).toBe(
      A_ZERO_WINDOW | A_ZERO_WINDOW_PROBE | A_ZERO_WINDOW_PROBE_ACK,
    );
    expect(anomalyBits('retransmission')).toBe(A_RETRANSMISSION);
    expect(anomalyBits('fast')).toBe(A_FAST_RETRANSMISSION);
    expect(anomalyBits('tcp.handshake')).toBe(
      (H_SYNACK_BAD_ACK | H_SYNACK_RETRANSMITTED_AFTER_ACK | H_SYN_UNANSWERED | H_RST_AFTER_SYNACK) >>> 0,
    );
    expect(anomalyBits('nonsense')).toBe(0);
  });
});
