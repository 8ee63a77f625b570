import { describe, expect, test } from '@jest/globals';
import {
  concatBytes,
  ipv6Packet,
  linkFrame,
  parseIp,
  tcpPacket,
  tcpSegment,
} from '../../test/helpers/packets.js';
import type { PacketRecord } from '../capture/types.js';
import { AnomalyLog } from '../common/anomaly.js';
import { Decoder, formatAddress } from './index.js';

function record(bytes: Uint8Array, len = bytes.length): PacketRecord {
  return {
    index: 3,
    tsSec: 0,
    tsNsec: 0,
    hasTs: true,
    caplen: bytes.length,
    len,
    interfaceId: 0,
    linktype: 1,
    buf: bytes,
    offset: 0,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
}

function decode(bytes: Uint8Array, len = bytes.length) {
  const log = new AnomalyLog();
  const v = new Decoder(log).decode(record(bytes, len));
  return { v, log };
}

const C = parseIp('2001:db8::1');
const D = parseIp('2001:db8:0:1::2');
const segment = tcpSegment({ srcPort: 443, dstPort: 50000, flags: 'PA', payload: 100 }, C, D);

describe('IPv6 header', () => {
  test('fields: traffic class split into DSCP/ECN, hop limit, payload length, addresses', () => {
    const frame = tcpPacket({
      src: '2001:db8::1',
      dst: '2001:db8:0:1::2',
      srcPort: 1,
      dstPort: 2,
      ip: { dscp: 10, ecn: 2, ttl: 33, flowLabel: 0xabcde },
    });
    const { v } = decode(frame);
    expect(v.ipVersion).toBe(6);
    expect(v.dscp).toBe(10);
    expect(v.ecn).toBe(2);
    expect(v.ttl).toBe(33);
    expect(v.ipLength).toBe(20);
    expect(v.ipId).toBe(-1);
    expect(v.ipHeaderLength).toBe(40);
    expect(Array.from(v.src)).toEqual([0x20010db8, 0, 0, 1]);
    expect(formatAddress(6, v.dst)).toBe('2001:db8:0:1::2');
  });
});

describe('IPv6 extension headers', () => {
  test('hop-by-hop, routing and destination options are walked to TCP', () => {
    const pkt = ipv6Packet(C, D, 6, segment, {
      extensions: [
        { kind: 'hopByHop' },
        { kind: 'routing', data: new Uint8Array(14) },
        { kind: 'destination' },
      ],
    });
    const { v, log } = decode(linkFrame(pkt));
    expect(v.ipHeaderLength).toBe(40 + 8 + 16 + 8);
    expect(v.proto).toBe(6);
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(100);
    expect(log.total).toBe(0);
  });

  test('first fragment: id kept, transport decoded', () => {
    const pkt = ipv6Packet(C, D, 6, segment.subarray(0, 64), {
      extensions: [{ kind: 'fragment', offset: 0, more: true, id: 0xdeadbeef }],
    });
    const { v } = decode(linkFrame(pkt));
    expect(v.isFragment).toBe(true);
    expect(v.ipId).toBe(0xdeadbeef);
    expect(v.fragOffset).toBe(0);
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(44);
  });

  test('later fragment: offset in bytes, no transport', () => {
    const pkt = ipv6Packet(C, D, 6, segment.subarray(64), {
      extensions: [{ kind: 'fragment', offset: 64, more: false, id: 5 }],
    });
    const { v } = decode(linkFrame(pkt));
    expect(v.isFragment).toBe(true);
    expect(v.fragOffset).toBe(64);
    expect(v.proto).toBe(6);
    expect(v.isTcp).toBe(false);
    expect(v.l4Offset).toBe(-1);
  });

  test('AH counts 4-byte units; ESP ends the chain', () => {
    // AH: next header TCP, payload length 4 -> (4 + 2) * 4 = 24 bytes.
    const ah = new Uint8Array(24);
    ah[0] = 6;
    ah[1] = 4;
    const withAh = ipv6Packet(C, D, 51, concatBytes([ah, segment]));
    const { v } = decode(linkFrame(withAh));
    expect(v.ipHeaderLength).toBe(64);
    expect(v.isTcp).toBe(true);

    const esp = ipv6Packet(C, D, 50, new Uint8Array(40));
    const r = decode(linkFrame(esp));
    expect(r.v.proto).toBe(50);
    expect(r.v.isTcp).toBe(false);
    expect(r.log.total).toBe(0);
  });

  test('an extension header longer than the payload', () => {
    const pkt = ipv6Packet(C, D, 6, segment, { extensions: [{ kind: 'hopByHop' }] });
    pkt[41] = 200; // hop-by-hop length: 1608 bytes
    const { v, log } = decode(linkFrame(pkt));
    expect(v.isTcp).toBe(false);
    expect(log.count('decode.bad_ipv6_extension')).toBe(1);
  });

  test('a chain longer than followed', () => {
    const exts = Array.from({ length: 20 }, () => ({ kind: 'destination' as const }));
    const { v, log } = decode(linkFrame(ipv6Packet(C, D, 6, segment, { extensions: exts })));
    expect(v.isTcp).toBe(false);
    expect(log.count('decode.bad_ipv6_extension')).toBe(1);
  });

  test('IPv6 in IPv6', () => {
    const e = parseIp('fd00::1');
    const f = parseIp('fd00::2');
    const inner = ipv6Packet(e, f, 6, tcpSegment({ srcPort: 9, dstPort: 10 }, e, f));
    const { v } = decode(linkFrame(ipv6Packet(C, D, 41, inner)));
    expect(formatAddress(6, v.src)).toBe('fd00::1');
    expect(v.l3Offset).toBe(14 + 40);
    expect(v.dstPort).toBe(10);
  });
});

describe('IPv6 payload length 0', () => {
  test('BIG TCP without a jumbo option: the frame length gives the payload, as tcpdump does', () => {
    const pkt = ipv6Packet(C, D, 6, segment, { lengthField: 0 });
    const { v, log } = decode(linkFrame(pkt));
    expect(v.ipLength).toBe(0);
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(100);
    expect(log.total).toBe(0);
  });

  test('jumbogram: the hop-by-hop Jumbo Payload option gives the length', () => {
    // Hop-by-hop header: next TCP, length 0 (8 bytes), option 0xC2 length 4 = 8 + segment length.
    const hbh = Uint8Array.from([6, 0, 0xc2, 4, 0, 0, 0, 8 + segment.length]);
    const pkt = ipv6Packet(C, D, 0, concatBytes([hbh, segment]), { lengthField: 0 });
    pkt[6] = 0;
    const trailer = new Uint8Array(10);
    const { v } = decode(linkFrame(pkt, { trailer }));
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(100);
  });

  test('payload length beyond the frame: flagged, frame length used', () => {
    const pkt = ipv6Packet(C, D, 6, segment, { lengthField: 4000 });
    const { v, log } = decode(linkFrame(pkt));
    expect(v.isTcp).toBe(true);
    expect(v.payloadLength).toBe(100);
    expect(log.count('decode.ip_length_exceeds_frame')).toBe(1);
  });
});
