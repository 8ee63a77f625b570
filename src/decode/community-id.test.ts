import { describe, expect, test } from '@jest/globals';
import {
  icmpPacket,
  ipv4Packet,
  linkFrame,
  parseIp,
  tcpPacket,
  tcpSegment,
  udpPacket,
} from '../../test/helpers/packets.js';
import type { PacketRecord } from '../capture/types.js';
import { communityId, Decoder } from './index.js';

function record(bytes: Uint8Array): PacketRecord {
  return {
    index: 1,
    tsSec: 0,
    tsNsec: 0,
    hasTs: true,
    caplen: bytes.length,
    len: bytes.length,
    interfaceId: 0,
    linktype: 1,
    buf: bytes,
    offset: 0,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
}

const decoder = new Decoder();
const idOf = (frame: Uint8Array) => communityId(decoder.decode(record(frame)));

const segment = tcpSegment(
  { srcPort: 1234, dstPort: 80, payload: 64 },
  parseIp('10.0.0.1'),
  parseIp('10.0.0.2'),
);

// Expected values: what tshark 4.0.17 prints for the same frames (`--enable-protocol communityid`, seed 0,
// base64). The first is also the example flow of the Community ID specification.
const vectors: [string, Uint8Array, string][] = [
  [
    'TCP over IPv4',
    tcpPacket({ src: '128.232.110.120', dst: '66.35.250.204', srcPort: 34855, dstPort: 80, flags: 'S' }),
    '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
  ],
  [
    'the same flow, reverse direction',
    tcpPacket({ src: '66.35.250.204', dst: '128.232.110.120', srcPort: 80, dstPort: 34855, flags: 'SA' }),
    '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
  ],
  [
    'UDP over IPv4',
    udpPacket({ src: '192.168.1.52', dst: '8.8.8.8', srcPort: 54585, dstPort: 53 }),
    '1:d/FP5EW3wiY1vCndhwleRRKHowQ=',
  ],
  [
    'UDP over IPv6',
    udpPacket({ src: 'fe80::1', dst: 'ff02::fb', srcPort: 5353, dstPort: 5353 }),
    '1:vmVnlzQ4g6ZsPY2VX/lJfRJMmHo=',
  ],
  [
    'TCP over IPv6',
    tcpPacket({ src: '2001:db8::2', dst: '2001:db8::1', srcPort: 443, dstPort: 51000, flags: 'SA' }),
    '1:TZebe/ybIXr8J9lX26/lqPRYGuk=',
  ],
  [
    'equal addresses: ports decide the order',
    tcpPacket({ src: '10.0.0.1', dst: '10.0.0.1', srcPort: 9000, dstPort: 80 }),
    '1:h7TinaUh4GjLw6QxFuNrAT0ci7Y=',
  ],
  [
    'ICMP echo request',
    icmpPacket({ src: '192.168.0.89', dst: '192.168.0.1', type: 8, rest: 0x00010001 }),
    '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=',
  ],
  [
    'ICMP echo reply maps onto the request',
    icmpPacket({ src: '192.168.0.1', dst: '192.168.0.89', type: 0, rest: 0x00010001 }),
    '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=',
  ],
  [
    'ICMP destination unreachable is one-way',
    icmpPacket({ src: '10.0.0.1', dst: '10.0.0.2', type: 3, code: 1 }),
    '1:gkoOC4ouXvyYq0Ek/WqwbLoqcxM=',
  ],
  [
    'ICMP timestamp request',
    icmpPacket({ src: '10.0.0.2', dst: '10.0.0.1', type: 13, payload: 12 }),
    '1:th9CqcxflNss8X17pecPidKDzKw=',
  ],
  [
    'ICMPv6 echo request',
    icmpPacket({ src: 'fe80::200:86ff:fe05:80da', dst: 'fe80::260:97ff:fe07:69ea', type: 128 }),
    '1:QrVnZEjGihSsEkRF1XxqheQ1Za8=',
  ],
  [
    'ICMPv6 neighbor solicitation',
    icmpPacket({ src: 'fe80::2', dst: 'ff02::1:ff00:1', type: 135, payload: 16 }),
    '1:nmpdLchy5d7nEmu021Sgg4Qxwko=',
  ],
  [
    'ICMPv6 neighbor advertisement',
    icmpPacket({ src: 'fe80::1', dst: 'fe80::2', type: 136, payload: 16 }),
    '1:jXSMIMhnMomSaIrNtEPXqYE5Rc4=',
  ],
  [
    'ICMPv6 destination unreachable',
    icmpPacket({ src: '2001:db8::1', dst: '2001:db8::2', type: 1, code: 4, payload: 48 }),
    '1:bxlcj5MwLJ0Mq/msovtKJa8pGZ4=',
  ],
  [
    'GRE: no ports',
    linkFrame(ipv4Packet(parseIp('10.1.1.1'), parseIp('10.1.1.2'), 47, new Uint8Array(8))),
    '1:6bVMFPWneS3bg49/6T1HieDmRMQ=',
  ],
  [
    'SCTP',
    linkFrame(
      ipv4Packet(
        parseIp('192.168.170.8'),
        parseIp('192.168.170.56'),
        132,
        Uint8Array.from([
          0x1f, 0x90, 0x0e, 0x4e, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0,
        ]),
      ),
    ),
    '1:PmYkyXnn013Qmg9wJCvIcRtuCRc=',
  ],
  [
    'first IPv4 fragment: no ports',
    linkFrame(
      ipv4Packet(parseIp('10.0.0.1'), parseIp('10.0.0.2'), 6, segment.subarray(0, 48), { mf: true, id: 77 }),
    ),
    '1:H3aJwHWlOnBTHSVZnnD+QYJb9v0=',
  ],
  [
    'later IPv4 fragment: no ports',
    linkFrame(
      ipv4Packet(parseIp('10.0.0.1'), parseIp('10.0.0.3'), 6, segment.subarray(48), {
        fragOffset: 48,
        id: 78,
      }),
    ),
    '1:7WItaa0jHlf9B4KO2cxZBgXz7YY=',
  ],
];

describe('Community ID v1', () => {
  test.each(vectors)('%s', (_name, frame, expected) => {
    expect(idOf(frame)).toBe(expected);
  });

  test('no IP: null', () => {
    const arp = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1]);
    expect(idOf(arp)).toBeNull();
  });

  test('TCP whose ports were not captured: null', () => {
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2 });
    expect(idOf(frame.subarray(0, 14 + 20 + 2))).toBeNull();
  });

  test('a seed changes the hash', () => {
    const v = decoder.decode(record(vectors[0]![1]));
    expect(communityId(v, 1)).not.toBe(communityId(v, 0));
  });
});
