import { describe, expect, test } from '@jest/globals';
import type { PacketRecord } from '../capture/types.js';
import { AnomalyLog } from '../common/anomaly.js';
import { Decoder, formatAddress } from './index.js';

/** Hex with spaces, newlines and `# comments` allowed. */
function hex(text: string): Uint8Array {
  const digits = text.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  return Uint8Array.from(digits.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

function record(bytes: Uint8Array, linktype: number): PacketRecord {
  return {
    index: 1,
    tsSec: 0,
    tsNsec: 0,
    hasTs: true,
    caplen: bytes.length,
    len: bytes.length,
    interfaceId: 0,
    linktype,
    buf: bytes,
    offset: 0,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
}

// IPv4 10.0.0.1 -> 10.0.0.2, TCP 1234 -> 80, SYN, MSS 1460 (44 bytes).
const IPV4_TCP = `
  45 00 00 2c 12 34 40 00 40 06 00 00 0a 00 00 01 0a 00 00 02   # IPv4, total length 44, DF, TTL 64
  04 d2 00 50 00 00 00 01 00 00 00 00 60 02 ff ff 00 00 00 00   # TCP, data offset 6, SYN
  02 04 05 b4                                                   # MSS 1460
`;
// IPv6 2001:db8::1 -> 2001:db8::2, TCP 1234 -> 80, SYN (60 bytes).
const IPV6_TCP = `
  60 00 00 00 00 14 06 40                                        # IPv6, payload 20, next header TCP, hop limit 64
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
  04 d2 00 50 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00   # TCP SYN
`;
const MACS = '02 00 00 00 00 02 02 00 00 00 00 01';

function decode(bytes: Uint8Array, linktype: number, log = new AnomalyLog()) {
  const d = new Decoder(log);
  return { v: d.decode(record(bytes, linktype)), log };
}

function expectIpv4Tcp(v: ReturnType<Decoder['decode']>, l3Offset: number): void {
  expect(v.linkDecoded).toBe(true);
  expect(v.l3Offset).toBe(l3Offset);
  expect(v.ipVersion).toBe(4);
  expect(formatAddress(4, v.src)).toBe('10.0.0.1');
  expect(formatAddress(4, v.dst)).toBe('10.0.0.2');
  expect(v.isTcp).toBe(true);
  expect(v.srcPort).toBe(1234);
  expect(v.dstPort).toBe(80);
  expect(v.mss).toBe(1460);
  expect(v.truncated).toBe(false);
}

function expectIpv6Tcp(v: ReturnType<Decoder['decode']>, l3Offset: number): void {
  expect(v.linkDecoded).toBe(true);
  expect(v.l3Offset).toBe(l3Offset);
  expect(v.ipVersion).toBe(6);
  expect(formatAddress(6, v.src)).toBe('2001:db8::1');
  expect(formatAddress(6, v.dst)).toBe('2001:db8::2');
  expect(v.isTcp).toBe(true);
  expect(v.dstPort).toBe(80);
  expect(v.truncated).toBe(false);
}

describe('Ethernet and VLAN', () => {
  test('Ethernet II carrying IPv4', () => {
    const { v } = decode(hex(`${MACS} 08 00 ${IPV4_TCP}`), 1);
    expectIpv4Tcp(v, 14);
    expect(v.etherType).toBe(0x0800);
    expect(v.vlanCount).toBe(0);
  });

  test('Ethernet II carrying IPv6', () => {
    const { v } = decode(hex(`${MACS} 86 dd ${IPV6_TCP}`), 1);
    expectIpv6Tcp(v, 14);
    expect(v.etherType).toBe(0x86dd);
  });

  test('802.1Q tag: id is the low 12 bits of the TCI', () => {
    const { v } = decode(hex(`${MACS} 81 00 a0 64 08 00 ${IPV4_TCP}`), 1); // PCP 5, VID 100
    expectIpv4Tcp(v, 18);
    expect(v.vlanCount).toBe(1);
    expect(v.vlanIds[0]).toBe(100);
    expect(v.etherType).toBe(0x0800);
  });

  test('QinQ 802.1ad outer + 802.1Q inner, outermost first', () => {
    const { v } = decode(hex(`${MACS} 88 a8 00 0a 81 00 00 14 86 dd ${IPV6_TCP}`), 1);
    expectIpv6Tcp(v, 22);
    expect(v.vlanCount).toBe(2);
    expect([v.vlanIds[0], v.vlanIds[1]]).toEqual([10, 20]);
  });

  test('0x9100 outer tag and three stacked tags', () => {
    const { v } = decode(hex(`${MACS} 91 00 0f ff 88 a8 00 02 81 00 00 03 08 00 ${IPV4_TCP}`), 1);
    expectIpv4Tcp(v, 26);
    expect(Array.from(v.vlanIds.subarray(0, v.vlanCount))).toEqual([4095, 2, 3]);
  });

  test('more tags than followed: counted, not decoded further', () => {
    const tags = '81 00 00 01 '.repeat(9);
    const { v, log } = decode(hex(`${MACS} ${tags} 08 00 ${IPV4_TCP}`), 1);
    expect(v.vlanCount).toBe(8);
    expect(v.ipVersion).toBe(0);
    expect(log.count('decode.too_many_vlan_tags')).toBe(1);
  });

  test('802.3 length field with LLC/SNAP wrapping an EtherType', () => {
    const { v } = decode(hex(`${MACS} 00 34 aa aa 03 00 00 00 08 00 ${IPV4_TCP}`), 1);
    expectIpv4Tcp(v, 22);
  });

  test('802.3 with plain LLC (spanning tree) is not IP and not an anomaly', () => {
    const { v, log } = decode(hex(`${MACS} 00 26 42 42 03 00 00 00 00 00`), 1);
    expect(v.linkDecoded).toBe(true);
    expect(v.ipVersion).toBe(0);
    expect(log.total).toBe(0);
  });

  test('ARP is a known non-IP EtherType: no IP, no anomaly', () => {
    const { v, log } = decode(hex(`${MACS} 08 06 00 01 08 00 06 04 00 01`), 1);
    expect(v.etherType).toBe(0x0806);
    expect(v.ipVersion).toBe(0);
    expect(log.total).toBe(0);
  });

  test('frame shorter than the Ethernet header', () => {
    const { v, log } = decode(hex('02 00 00 00 00 02 02 00 00'), 1);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_ethernet')).toBe(1);
  });

  test('frame ending inside a VLAN tag', () => {
    const { v, log } = decode(hex(`${MACS} 81 00 00`), 1);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_vlan')).toBe(1);
  });
});

describe('MPLS and PPPoE (frames checked with tshark 4.0.17)', () => {
  test('two MPLS labels, then IPv4 by its version nibble', () => {
    const { v } = decode(hex(`${MACS} 88 47 00 01 40 40 00 02 01 3f ${IPV4_TCP}`), 1); // labels 20, 32 (bottom)
    expectIpv4Tcp(v, 22);
    expect(v.etherType).toBe(0x0800);
  });

  test('MPLS then IPv6', () => {
    const { v } = decode(hex(`${MACS} 88 48 00 01 41 40 ${IPV6_TCP}`), 1);
    expectIpv6Tcp(v, 18);
  });

  test('MPLS with a pseudowire control word is not followed, without complaint', () => {
    const { v, log } = decode(hex(`${MACS} 88 47 00 01 41 40 00 00 00 00 ${MACS} 08 00 ${IPV4_TCP}`), 1);
    expect(v.ipVersion).toBe(0);
    expect(log.total).toBe(0);
  });

  test('MPLS stack cut short, and a stack without a bottom label', () => {
    const cut = decode(hex(`${MACS} 88 47 00 01 40`), 1);
    expect(cut.v.truncated).toBe(true);
    expect(cut.log.count('decode.truncated_mpls')).toBe(1);
    const endless = decode(hex(`${MACS} 88 47 ${'00 01 40 40 '.repeat(20)} ${IPV4_TCP}`), 1);
    expect(endless.v.ipVersion).toBe(0);
    expect(endless.log.count('decode.too_many_mpls_labels')).toBe(1);
  });

  test('PPPoE session carrying IPv4 (PPP protocol 0x0021)', () => {
    const { v } = decode(hex(`${MACS} 88 64 11 00 12 34 00 2e 00 21 ${IPV4_TCP}`), 1);
    expectIpv4Tcp(v, 22);
  });

  test('PPPoE session carrying IPv6 (0x0057); LCP stops quietly', () => {
    expectIpv6Tcp(decode(hex(`${MACS} 88 64 11 00 12 34 00 3e 00 57 ${IPV6_TCP}`), 1).v, 22);
    const lcp = decode(hex(`${MACS} 88 64 11 00 12 34 00 06 c0 21 01 01 00 04`), 1);
    expect(lcp.v.ipVersion).toBe(0);
    expect(lcp.log.total).toBe(0);
  });

  test('PPPoE header cut short', () => {
    const { v, log } = decode(hex(`${MACS} 88 64 11 00 12`), 1);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_pppoe')).toBe(1);
  });
});

describe('Linux cooked captures', () => {
  test('SLL (113): protocol at byte 14', () => {
    const sll = '00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 00'; // to us, ARPHRD_ETHER, 6-byte address
    const { v } = decode(hex(`${sll} ${IPV4_TCP}`), 113);
    expectIpv4Tcp(v, 16);
  });

  test('SLL2 (276): protocol first, 20-byte header', () => {
    const sll2 = '86 dd 00 00 00 00 00 03 00 01 04 06 02 00 00 00 00 01 00 00'; // ifindex 3, outgoing
    const { v } = decode(hex(`${sll2} ${IPV6_TCP}`), 276);
    expectIpv6Tcp(v, 20);
  });

  test('SLL with a VLAN protocol follows the tag', () => {
    const sll = '00 00 00 01 00 06 02 00 00 00 00 01 00 00 81 00';
    const { v } = decode(hex(`${sll} 00 07 08 00 ${IPV4_TCP}`), 113);
    expectIpv4Tcp(v, 20);
    expect(v.vlanIds[0]).toBe(7);
  });

  test('truncated SLL and SLL2 headers', () => {
    const log = new AnomalyLog();
    expect(decode(hex('00 00 00 01 00 06'), 113, log).v.truncated).toBe(true);
    expect(decode(hex('86 dd 00 00'), 276, log).v.truncated).toBe(true);
    expect(log.count('decode.truncated_sll')).toBe(2);
  });
});

describe('BSD loopback (NULL 0, LOOP 108)', () => {
  test.each([
    ['NULL, little-endian AF_INET', 0, '02 00 00 00', IPV4_TCP],
    ['NULL, big-endian AF_INET', 0, '00 00 00 02', IPV4_TCP],
    ['LOOP, big-endian AF_INET', 108, '00 00 00 02', IPV4_TCP],
    ['LOOP, little-endian AF_INET', 108, '02 00 00 00', IPV4_TCP],
    ['NULL, AF_INET6 24 (NetBSD/OpenBSD)', 0, '18 00 00 00', IPV6_TCP],
    ['NULL, AF_INET6 28 (FreeBSD)', 0, '1c 00 00 00', IPV6_TCP],
    ['NULL, AF_INET6 30 (Darwin)', 0, '1e 00 00 00', IPV6_TCP],
    ['LOOP, big-endian AF_INET6 30', 108, '00 00 00 1e', IPV6_TCP],
  ])('%s', (_name, linktype, header, ip) => {
    const { v } = decode(hex(`${header} ${ip}`), linktype);
    if (ip === IPV4_TCP) expectIpv4Tcp(v, 4);
    else expectIpv6Tcp(v, 4);
  });

  test('Cisco HDLC framing inside a NULL capture', () => {
    const { v } = decode(hex(`0f 00 08 00 ${IPV4_TCP}`), 0);
    expectIpv4Tcp(v, 4);
  });

  test('unknown address family: counted, not decoded', () => {
    const { v, log } = decode(hex(`07 00 00 00 ${IPV4_TCP}`), 0);
    expect(v.ipVersion).toBe(0);
    expect(log.count('decode.unknown_null_family')).toBe(1);
  });

  test('shorter than the family field', () => {
    const { v, log } = decode(hex('02 00'), 0);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_null')).toBe(1);
  });
});

describe('raw IP link types', () => {
  test.each([
    [101, IPV4_TCP],
    [101, IPV6_TCP],
    [12, IPV4_TCP],
    [14, IPV6_TCP],
    [228, IPV4_TCP],
    [229, IPV6_TCP],
  ])('link type %i decides by the version nibble or the link type', (linktype, ip) => {
    const { v } = decode(hex(ip), linktype);
    if (ip === IPV4_TCP) expectIpv4Tcp(v, 0);
    else expectIpv6Tcp(v, 0);
    expect(v.etherType).toBe(ip === IPV4_TCP ? 0x0800 : 0x86dd);
  });

  test('IPv6 bytes on an IPv4 link: bad version, not decoded', () => {
    const { v, log } = decode(hex(IPV6_TCP), 228);
    expect(v.ipVersion).toBe(0);
    expect(log.count('decode.bad_ip_version')).toBe(1);
  });

  test('version 5 on a raw link', () => {
    const { v, log } = decode(hex('50 00 00 14'), 101);
    expect(v.ipVersion).toBe(0);
    expect(log.count('decode.bad_ip_version')).toBe(1);
  });

  test('empty raw frame', () => {
    const { v, log } = decode(new Uint8Array(0), 101);
    expect(v.truncated).toBe(true);
    expect(log.count('decode.truncated_ip')).toBe(1);
  });
});

describe('other link types', () => {
  test('Cisco HDLC (104)', () => {
    const { v } = decode(hex(`0f 00 86 dd ${IPV6_TCP}`), 104);
    expectIpv6Tcp(v, 4);
  });

  test('IP over InfiniBand (242): EtherType at byte 40, IP at 44', () => {
    const addressing = '00 '.repeat(40);
    const { v } = decode(hex(`${addressing} 08 00 00 00 ${IPV4_TCP}`), 242);
    expectIpv4Tcp(v, 44);
  });

  test('an unsupported link type is counted once per packet, never an error', () => {
    const log = new AnomalyLog();
    const d = new Decoder(log);
    const bytes = hex(`${MACS} 08 00 ${IPV4_TCP}`);
    for (let i = 0; i < 3; i++) {
      const v = d.decode(record(bytes, 127));
      expect(v.linkDecoded).toBe(false);
      expect(v.ipVersion).toBe(0);
      expect(v.isTcp).toBe(false);
    }
    expect(log.count('decode.unsupported_linktype')).toBe(3);
    expect(log.list()[0]?.examples[0]?.detail).toBe('link type 127');
  });
});
