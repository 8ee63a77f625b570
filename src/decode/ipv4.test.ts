import { describe, expect, test } from '@jest/globals';
import {
  ipv4Packet,
  ipv6Packet,
  linkFrame,
  parseIp,
  tcpPacket,
  tcpSegment,
  udpPacket,
} from '../../test/helpers/packets.js';
import type { PacketRecord } from '../capture/types.js';
import { AnomalyLog } from '../common/anomaly.js';
import { Decoder, formatAddress } from './index.js';

function record(bytes: Uint8Array, linktype = 1, len = bytes.length): PacketRecord {
  return {
    index: 7,
    tsSec: 0,
    tsNsec: 0,
    hasTs: true,
    caplen: bytes.length,
    len,
    interfaceId: 0,
    linktype,
    buf: bytes,
    offset: 0,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
}

function decode(bytes: Uint8Array, linktype = 1, len = bytes.length) {
  const log = new AnomalyLog();
  const v = new Decoder(log).decode(record(bytes, linktype, len));
  return { v, log };
}

const A = parseIp('192.0.2.1');
const B = parseIp('198.51.100.7');

describe('IPv4 header fields', () => {
  test('id, TTL, DSCP/ECN, DF, lengths', () => {
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 40000,
      dstPort: 443,
      payload: 10,
      ip: { id: 0xbeef, ttl: 57, dscp: 46, ecn: 3, df: true },
    });
    const { v, log } = decode(frame);
    expect(v.ipVersion).toBe(4);
    expect(v.src[3]).toBe(0xc0000201);
    expect(Array.from(v.src.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(formatAddress(4, v.dst)).toBe('198.51.100.7');
    expect(v.proto).toBe(6);
    expect(v.ipId).toBe(0xbeef);
    expect(v.ttl).toBe(57);
    expect(v.dscp).toBe(46);
    expect(v.ecn).toBe(3);
    expect(v.dontFragment).toBe(true);
    expect(v.isFragment).toBe(false);
    expect(v.ipLength).toBe(20 + 20 + 10);
    expect(v.ipHeaderLength).toBe(20);
    expect(v.l4Offset).toBe(34);
    expect(v.payloadLength).toBe(10);
    expect(log.total).toBe(0);
  });

  test('options are skipped by IHL', () => {
    // Record Route-like option padded to 8 bytes: NOP, NOP, then a 6-byte unknown option.
    const options = Uint8Array.from([1, 1, 0x88, 4, 0x12, 0x34, 0, 0]);
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      ip: { options },
    });
    const { v } = decode(frame);
    expect(v.ipHeaderLength).toBe(28);
    expect(v.l4Offset).toBe(14 + 28);
    expect(v.isTcp).toBe(true);
    expect(v.dstPort).toBe(2);
  });

  test('Ethernet padding after a short IP packet is not payload', () => {
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      link: { trailer: new Uint8Array(6) },
    });
    const { v } = decode(frame);
    expect(v.payloadLength).toBe(0);
    expect(v.payloadCaptured).toBe(0);
    expect(v.truncated).toBe(false);
  });
});

describe('IPv4 fragments', () => {
  const segment = tcpSegment({ srcPort: 5000, dstPort: 80, payload: 64 }, A, B);

  test('first fragment (MF, offset 0) decodes the transport header and is marked', () => {
    const frame = linkFrame(ipv4Packet(A, B, 6, segment.subarray(0, 48), { mf: true, id: 9 }));
    const { v } = decode(frame);
    expect(v.isFragment).toBe(true);
    expect(v.fragOffset).toBe(0);
    expect(v.isTcp).toBe(true);
    expect(v.srcPort).toBe(5000);
    // On-wire length of this fragment only: 48 - 20 bytes of TCP header.
    expect(v.payloadLength).toBe(28);
  });

  test('later fragment: offset in bytes, no transport header', () => {
    const frame = linkFrame(ipv4Packet(A, B, 6, segment.subarray(48), { fragOffset: 48, id: 9 }));
    const { v, log } = decode(frame);
    expect(v.isFragment).toBe(true);
    expect(v.fragOffset).toBe(48);
    expect(v.proto).toBe(6);
    expect(v.isTcp).toBe(false);
    expect(v.srcPort).toBe(-1);
    expect(v.l4Offset).toBe(-1);
    expect(log.total).toBe(0);
  });
});

describe('IPv4 lengths', () => {
  test('total length 0 (TSO / BIG TCP): the frame length is the packet length', () => {
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      payload: 3000,
      ip: { lengthField: 0 },
    });
    const { v, log } = decode(frame);
    expect(v.ipLength).toBe(0);
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(3000);
    expect(v.payloadCaptured).toBe(3000);
    expect(log.total).toBe(0);
  });

  test('total length 0 with a snap length: on-wire length from the record', () => {
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      payload: 3000,
      ip: { lengthField: 0 },
    });
    const { v } = decode(frame.subarray(0, 96), 1, frame.length);
    expect(v.payloadLength).toBe(3000);
    expect(v.payloadCaptured).toBe(96 - 54);
    expect(v.truncated).toBe(true);
  });

  test('IHL below 5 words', () => {
    const frame = tcpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 1, dstPort: 2 });
    frame[14] = 0x44;
    const { v, log } = decode(frame);
    expect(v.ipVersion).toBe(0);
    expect(v.isTcp).toBe(false);
    expect(log.count('decode.bad_ip_header_length')).toBe(1);
  });

  test('total length shorter than the header', () => {
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      ip: { lengthField: 12 },
    });
    const { v, log } = decode(frame);
    expect(v.ipVersion).toBe(4);
    expect(v.isTcp).toBe(false);
    expect(log.count('decode.bad_ip_header_length')).toBe(1);
  });

  test('total length beyond the frame: frame length used, flagged', () => {
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      payload: 8,
      ip: { lengthField: 1500 },
    });
    const { v, log } = decode(frame);
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(8);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.ip_length_exceeds_frame')).toBe(1);
  });

  test('options cut by the snap length: addresses kept, no transport', () => {
    const options = new Uint8Array(20).fill(1);
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      ip: { options },
    });
    const { v, log } = decode(frame.subarray(0, 14 + 30), 1, frame.length);
    expect(formatAddress(4, v.src)).toBe('192.0.2.1');
    expect(v.isTcp).toBe(false);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_ip')).toBe(1);
  });
});

describe('IP-in-IP tunnels', () => {
  test('IPv4 in IPv4 in IPv4: the innermost header carries the flow', () => {
    const inner = ipv4Packet(
      parseIp('10.9.9.1'),
      parseIp('10.9.9.2'),
      6,
      tcpSegment({ srcPort: 7, dstPort: 8 }, A, B),
      { ttl: 3 },
    );
    const middle = ipv4Packet(parseIp('172.16.0.1'), parseIp('172.16.0.2'), 4, inner, { ttl: 2 });
    const outer = ipv4Packet(parseIp('192.0.2.1'), parseIp('192.0.2.2'), 4, middle, { ttl: 1 });
    const { v } = decode(linkFrame(outer));
    expect(formatAddress(4, v.src)).toBe('10.9.9.1');
    expect(formatAddress(4, v.dst)).toBe('10.9.9.2');
    expect(v.ttl).toBe(3);
    expect(v.l3Offset).toBe(14 + 40);
    expect(v.isTcp).toBe(true);
    expect(v.dstPort).toBe(8);
  });

  test('6in4 (protocol 41)', () => {
    const c = parseIp('2001:db8::a');
    const d = parseIp('2001:db8::b');
    const inner = ipv6Packet(c, d, 6, tcpSegment({ srcPort: 21, dstPort: 3000, flags: 'SA' }, c, d));
    const { v } = decode(linkFrame(ipv4Packet(A, B, 41, inner)));
    expect(v.ipVersion).toBe(6);
    expect(formatAddress(6, v.src)).toBe('2001:db8::a');
    expect(v.srcPort).toBe(21);
    expect(v.flags).toBe(0x12);
  });

  test('IPv4 in IPv6 (protocol 4 behind an IPv6 header)', () => {
    const c = parseIp('2001:db8::a');
    const d = parseIp('2001:db8::b');
    const inner = ipv4Packet(A, B, 17, Uint8Array.from([0, 53, 0, 54, 0, 8, 0, 0]));
    const { v } = decode(linkFrame(ipv6Packet(c, d, 4, inner)));
    expect(v.ipVersion).toBe(4);
    expect(formatAddress(4, v.src)).toBe('192.0.2.1');
    expect(v.proto).toBe(17);
    expect(v.srcPort).toBe(53);
  });

  test('a tunnelled packet split across outer fragments: not a length error', () => {
    const inner = ipv4Packet(
      parseIp('10.9.9.1'),
      parseIp('10.9.9.2'),
      6,
      tcpSegment({ srcPort: 7, dstPort: 8, payload: 200 }, A, B),
    );
    const firstPart = inner.subarray(0, 120);
    const { v, log } = decode(linkFrame(ipv4Packet(A, B, 4, firstPart, { mf: true, id: 3 })));
    expect(v.isFragment).toBe(true);
    expect(formatAddress(4, v.src)).toBe('10.9.9.1');
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(120 - 40);
    expect(v.truncated).toBe(false);
    expect(log.total).toBe(0);
  });

  test('nesting deeper than followed stops with an anomaly', () => {
    let pkt = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2 }).subarray(14);
    for (let i = 0; i < 9; i++) pkt = ipv4Packet(A, B, 4, pkt);
    const { v, log } = decode(linkFrame(pkt));
    expect(log.count('decode.tunnel_too_deep')).toBe(1);
    expect(v.srcPort).toBe(-1);
  });
});
