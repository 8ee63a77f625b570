import { describe, expect, test } from '@jest/globals';
import { icmpPacket, ipv4Packet, linkFrame, parseIp, udpPacket } from '../../test/helpers/packets.js';
import type { PacketRecord } from '../capture/types.js';
import { AnomalyLog } from '../common/anomaly.js';
import { Decoder } from './index.js';

function record(bytes: Uint8Array, len = bytes.length): PacketRecord {
  return {
    index: 2,
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
  return { v: new Decoder(log).decode(record(bytes, len)), log };
}

describe('UDP, SCTP and ICMP (read for flow identity only)', () => {
  test('UDP ports over IPv4 and IPv6', () => {
    const v4 = decode(
      udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5353, dstPort: 53, payload: 12 }),
    ).v;
    expect([v4.proto, v4.srcPort, v4.dstPort, v4.isTcp]).toEqual([17, 5353, 53, false]);
    expect(v4.l4Offset).toBe(34);
    const v6 = decode(udpPacket({ src: 'fe80::1', dst: 'ff02::fb', srcPort: 5353, dstPort: 5353 })).v;
    expect([v6.proto, v6.srcPort, v6.dstPort]).toEqual([17, 5353, 5353]);
  });

  test('SCTP common header ports', () => {
    const sctp = Uint8Array.from([0x1f, 0x90, 0x0e, 0x4e, 0, 0, 0, 1, 0, 0, 0, 0]);
    const { v } = decode(linkFrame(ipv4Packet(parseIp('10.0.0.1'), parseIp('10.0.0.2'), 132, sctp)));
    expect([v.proto, v.srcPort, v.dstPort]).toEqual([132, 8080, 3662]);
  });

  test('ICMP and ICMPv6 type and code; no ports', () => {
    const icmp = decode(icmpPacket({ src: '10.0.0.1', dst: '10.0.0.2', type: 3, code: 4 })).v;
    expect([icmp.proto, icmp.icmpType, icmp.icmpCode, icmp.srcPort]).toEqual([1, 3, 4, -1]);
    const icmp6 = decode(icmpPacket({ src: 'fe80::1', dst: 'fe80::2', type: 135, payload: 16 })).v;
    expect([icmp6.proto, icmp6.icmpType, icmp6.icmpCode]).toEqual([58, 135, 0]);
  });

  test('headers cut short: what was captured is kept, the cut is counted', () => {
    const udp = udpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1000, dstPort: 2000, payload: 20 });
    const cut = decode(udp.subarray(0, 34 + 5), udp.length);
    expect([cut.v.srcPort, cut.v.dstPort, cut.v.truncated]).toEqual([1000, 2000, true]);
    expect(cut.log.count('decode.truncated_transport')).toBe(1);
    const noPorts = decode(udp.subarray(0, 34 + 3), udp.length);
    expect(noPorts.v.srcPort).toBe(-1);
    const icmp = icmpPacket({ src: '10.0.0.1', dst: '10.0.0.2', type: 8 });
    const icmpCut = decode(icmp.subarray(0, 34 + 1), icmp.length);
    expect(icmpCut.v.icmpType).toBe(-1);
    expect(icmpCut.log.count('decode.truncated_transport')).toBe(1);
  });
});
