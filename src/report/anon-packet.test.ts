/**
 * Frames anonymized in place, checked against the same frames built directly with the pseudonymised
 * addresses: the headers (checksums included) must be byte for byte what a sender using those addresses
 * would have put on the wire, and the payload must be gone.
 */
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { announceSkip, corpusCaptures, corpusDir } from '../../test/helpers/corpus.js';
import {
  icmpPacket,
  ipv4Packet,
  LINKTYPE,
  type LinkSpec,
  linkFrame,
  parseIp,
  tcpPacket,
  tcpSegment,
  udpPacket,
} from '../../test/helpers/packets.js';
import { openCapture } from '../capture/index.js';
import type { PacketRecord } from '../capture/types.js';
import { Decoder } from '../decode/index.js';
import { internetSum } from './anon-checksum.js';
import { Anonymizer, formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './anonymize.js';

const KEY = '5a'.repeat(32);
const anon = new Anonymizer({ key: KEY });

function pseudonym(addr: string): string {
  const v4 = parseIpv4(addr);
  if (v4 !== null) return formatIpv4(anon.ipv4(v4));
  return formatIpv6(anon.ipv6(parseIpv6(addr)!));
}

function macText(mac: string): string {
  const b = Uint8Array.from(Buffer.from(mac.replace(/:/g, ''), 'hex'));
  anon.macAt(b, 0);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

function run(frame: Uint8Array, linktype: number = LINKTYPE.ETHERNET): Uint8Array {
  const buf = new Uint8Array(frame.length + 8);
  buf.set(frame, 8);
  const caplen = anon.anonymizePacket(buf, 8, frame.length, linktype);
  return buf.slice(8, 8 + caplen);
}

function decode(frame: Uint8Array, linktype: number, len: number) {
  const rec: PacketRecord = {
    index: 1,
    tsSec: 0,
    tsNsec: 0,
    hasTs: true,
    caplen: frame.length,
    len,
    interfaceId: 0,
    linktype,
    buf: frame,
    offset: 0,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
  return new Decoder().decode(rec);
}

const PAYLOAD = 'GET /routed-0012-1 HTTP/1.1\r\nHost: 10.99.2.2\r\n\r\n';
const MACS: LinkSpec = { srcMac: '00:1b:21:3c:4d:5e', dstMac: '00:25:90:aa:bb:cc' };

describe('anonymizePacket', () => {
  test('IPv4 TCP over Ethernet: addresses, MACs, checksums; payload cut; ports, seq, options kept', () => {
    const spec = {
      srcPort: 47820,
      dstPort: 8080,
      seq: 585244843,
      ack: 2675179227,
      flags: 'PA',
      options: [
        { kind: 'nop' as const },
        { kind: 'nop' as const },
        { kind: 'timestamps' as const, tsval: 7, tsecr: 9 },
      ],
      payload: PAYLOAD,
      ip: { ttl: 63, id: 0xde1f, df: true },
    };
    const frame = tcpPacket({ ...spec, src: '10.99.1.2', dst: '10.99.2.2', link: MACS });
    const out = run(frame);
    const expected = tcpPacket({
      ...spec,
      src: pseudonym('10.99.1.2'),
      dst: pseudonym('10.99.2.2'),
      link: { srcMac: macText(MACS.srcMac!), dstMac: macText(MACS.dstMac!) },
    });
    expect(out.length).toBe(frame.length - PAYLOAD.length);
    expect(Buffer.from(out).equals(Buffer.from(expected.subarray(0, out.length)))).toBe(true);
    const v = decode(out, LINKTYPE.ETHERNET, frame.length);
    expect([v.srcPort, v.dstPort, v.seq, v.ack, v.ttl, v.ipId, v.tsval, v.tsecr]).toEqual([
      47820, 8080, 585244843, 2675179227, 63, 0xde1f, 7, 9,
    ]);
    expect(v.payloadLength).toBe(PAYLOAD.length);
    expect(v.payloadCaptured).toBe(0);
    expect(Buffer.from(out).includes('routed-0012-1')).toBe(false);
  });

  test('IPv6 TCP over VLAN-tagged Ethernet: the same, over 128-bit addresses', () => {
    const spec = { srcPort: 40000, dstPort: 443, seq: 1, ack: 2, flags: 'PA', payload: PAYLOAD };
    const link = { ...MACS, vlans: [100, { id: 200, tpid: 0x88a8 }] };
    const frame = tcpPacket({ ...spec, src: '2001:db8:1::2', dst: '2001:db8:2::2', link });
    const out = run(frame);
    const expected = tcpPacket({
      ...spec,
      src: pseudonym('2001:db8:1::2'),
      dst: pseudonym('2001:db8:2::2'),
      link: { ...link, srcMac: macText(MACS.srcMac!), dstMac: macText(MACS.dstMac!) },
    });
    expect(out.length).toBe(frame.length - PAYLOAD.length);
    expect(Buffer.from(out).equals(Buffer.from(expected.subarray(0, out.length)))).toBe(true);
  });

  test('a packet without payload keeps a checksum that verifies over the whole segment', () => {
    const frame = tcpPacket({
      src: '192.0.2.1',
      dst: '198.51.100.7',
      srcPort: 1,
      dstPort: 2,
      flags: 'S',
      link: { linktype: LINKTYPE.RAW },
    });
    const out = run(frame, LINKTYPE.RAW);
    expect(out.length).toBe(frame.length);
    const pseudo = new Uint8Array(12);
    pseudo.set(out.subarray(12, 20), 0);
    pseudo[9] = 6;
    pseudo[11] = out.length - 20;
    expect(internetSum(out, 20, out.length, internetSum(pseudo, 0, 12))).toBe(0xffff);
    expect(internetSum(out, 0, 20)).toBe(0xffff);
  });

  test('UDP and ICMP: headers kept, payload and quoted packets cut; UDP "no checksum" stays 0', () => {
    const udp = udpPacket({
      src: '10.0.0.1',
      dst: '10.0.0.53',
      srcPort: 5353,
      dstPort: 53,
      payload: 'secret.example.',
    });
    const udpOut = run(udp);
    const udpWant = udpPacket({
      src: pseudonym('10.0.0.1'),
      dst: pseudonym('10.0.0.53'),
      srcPort: 5353,
      dstPort: 53,
      payload: 'secret.example.',
      link: { srcMac: macText('02:00:00:00:00:01'), dstMac: macText('02:00:00:00:00:02') },
    });
    expect(udpOut.length).toBe(14 + 20 + 8);
    expect(Buffer.from(udpOut).equals(Buffer.from(udpWant.subarray(0, udpOut.length)))).toBe(true);
    const noSum = udpPacket({
      src: '10.0.0.1',
      dst: '10.0.0.53',
      srcPort: 1,
      dstPort: 2,
      checksum: 'zero',
      payload: 'x',
    });
    const noSumOut = run(noSum);
    expect([noSumOut[14 + 20 + 6], noSumOut[14 + 20 + 7]]).toEqual([0, 0]);

    const quoted = tcpPacket({
      src: '10.99.1.2',
      dst: '10.99.2.2',
      srcPort: 1,
      dstPort: 2,
      link: { linktype: LINKTYPE.RAW },
    });
    const icmp = icmpPacket({ src: '10.99.1.1', dst: '10.99.1.2', type: 3, code: 1, payload: quoted });
    const icmpOut = run(icmp);
    expect(icmpOut.length).toBe(14 + 20 + 8);
    const hay = Buffer.from(icmpOut);
    for (const a of ['10.99.1.2', '10.99.2.2', '10.99.1.1'])
      expect(hay.includes(Buffer.from(parseIp(a)))).toBe(false);
  });

  test('IP-in-IP: the inner header is rewritten too, its checksums stay right', () => {
    const inner = ipv4Packet(
      parseIp('10.99.1.2'),
      parseIp('10.99.2.2'),
      6,
      tcpSegment(
        { srcPort: 1000, dstPort: 80, payload: PAYLOAD },
        parseIp('10.99.1.2'),
        parseIp('10.99.2.2'),
      ),
    );
    const outer = linkFrame(ipv4Packet(parseIp('203.0.113.1'), parseIp('203.0.113.2'), 4, inner), MACS);
    const out = run(outer);
    expect(out.length).toBe(14 + 20 + 20 + 20);
    const hay = Buffer.from(out);
    for (const a of ['10.99.1.2', '10.99.2.2', '203.0.113.1', '203.0.113.2'])
      expect(hay.includes(Buffer.from(parseIp(a)))).toBe(false);
    expect(internetSum(out, 14, 34)).toBe(0xffff);
    expect(internetSum(out, 34, 54)).toBe(0xffff);
    const v = decode(out, LINKTYPE.ETHERNET, outer.length);
    expect(formatIpv4(v.src[3]!)).toBe(pseudonym('10.99.1.2'));
    expect(formatIpv4(v.dst[3]!)).toBe(pseudonym('10.99.2.2'));
  });

  test('ARP: both MACs and both addresses pseudonymised', () => {
    const arp = new Uint8Array(28);
    arp.set([0, 1, 8, 0, 6, 4, 0, 1]);
    arp.set(Buffer.from('001b213c4d5e', 'hex'), 8);
    arp.set(parseIp('10.99.1.2'), 14);
    arp.set(parseIp('10.99.1.1'), 24);
    const frame = linkFrame(arp, MACS, 0x0806);
    const out = run(frame);
    expect(out.length).toBe(frame.length);
    const hay = Buffer.from(out);
    expect(hay.includes(Buffer.from(parseIp('10.99.1.2')))).toBe(false);
    expect(hay.includes(Buffer.from('001b213c4d5e', 'hex'))).toBe(false);
    const view = new DataView(out.buffer, out.byteOffset);
    expect(formatIpv4(view.getUint32(14 + 14))).toBe(pseudonym('10.99.1.2'));
    expect(formatIpv4(view.getUint32(14 + 24))).toBe(pseudonym('10.99.1.1'));
  });

  test('Linux cooked captures and loopback: the link address goes, IP is handled', () => {
    for (const linktype of [LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2, LINKTYPE.NULL, LINKTYPE.LOOP]) {
      const frame = tcpPacket({
        src: '10.99.1.2',
        dst: '10.99.2.2',
        srcPort: 1,
        dstPort: 2,
        payload: PAYLOAD,
        link: { linktype, srcMac: '00:1b:21:3c:4d:5e' },
      });
      const out = run(frame, linktype);
      expect(out.length).toBe(frame.length - PAYLOAD.length);
      const hay = Buffer.from(out);
      expect(hay.includes(Buffer.from(parseIp('10.99.1.2')))).toBe(false);
      expect(hay.includes(Buffer.from('001b213c4d5e', 'hex'))).toBe(false);
      const v = decode(out, linktype, frame.length);
      expect([v.isTcp, formatIpv4(v.src[3]!)]).toEqual([true, pseudonym('10.99.1.2')]);
    }
  });

  test('what is not understood is not kept; hostile frames never throw', () => {
    expect(run(new Uint8Array(100).fill(7), 147)).toEqual(new Uint8Array(0));
    // LLC frame (802.3 length): only the Ethernet header, with MACs rewritten.
    const llc = new Uint8Array(60);
    llc.set(Buffer.from('0180c2000000001b213c4d5e0026', 'hex'));
    expect(run(llc).length).toBe(14);
    // Random bytes in every link type: never an exception, never longer than the input.
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    const bad: string[] = [];
    for (let i = 0; i < 800; i++) {
      const n = rnd() % 120;
      const frame = Uint8Array.from({ length: n }, rnd);
      if (n > 14 && i % 2 === 0) {
        frame[12] = 0x08;
        frame[13] = 0;
        frame[14] = 0x40 | (rnd() & 0x0f);
      }
      for (const lt of [1, 0, 101, 113, 276, 228, 229]) {
        const buf = frame.slice();
        const caplen = anon.anonymizePacket(buf, 0, n, lt);
        if (!(caplen >= 0 && caplen <= n))
          bad.push(`${lt}: ${Buffer.from(frame).toString('hex')} -> ${caplen}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

/** Ones'-complement check of a decoded packet's innermost IPv4 header and of a whole TCP/UDP segment. */
function checksumsOf(
  frame: Uint8Array,
  linktype: number,
  len: number,
): { ip: boolean | null; l4: boolean | null } {
  const v = decode(frame, linktype, len);
  let ip: boolean | null = null;
  if (v.ipVersion === 4 && v.l3Offset >= 0 && v.l3Offset + v.ipHeaderLength <= frame.length)
    ip = internetSum(frame, v.l3Offset, v.l3Offset + v.ipHeaderLength) === 0xffff;
  let l4: boolean | null = null;
  const whole = v.ipLength > 0 && v.l3Offset + v.ipLength <= frame.length && !v.isFragment;
  if (whole && (v.proto === 6 || v.proto === 17) && v.l4Offset >= 0) {
    const end = v.l3Offset + v.ipLength;
    const segLen = end - v.l4Offset;
    const pseudo = new Uint8Array(v.ipVersion === 4 ? 12 : 40);
    const dv = new DataView(pseudo.buffer);
    if (v.ipVersion === 4) {
      dv.setUint32(0, v.src[3]!);
      dv.setUint32(4, v.dst[3]!);
      pseudo[9] = v.proto;
      dv.setUint16(10, segLen);
    } else {
      for (let i = 0; i < 4; i++) {
        dv.setUint32(i * 4, v.src[i]!);
        dv.setUint32(16 + i * 4, v.dst[i]!);
      }
      dv.setUint32(32, segLen);
      pseudo[39] = v.proto;
    }
    const stored =
      (frame[v.l4Offset + (v.proto === 6 ? 16 : 6)]! << 8) | frame[v.l4Offset + (v.proto === 6 ? 17 : 7)]!;
    if (!(v.proto === 17 && stored === 0))
      l4 = internetSum(frame, v.l4Offset, end, internetSum(pseudo, 0, pseudo.length)) === 0xffff;
  }
  return { ip, l4 };
}

/**
 * The innermost IP header's addresses as bytes (4 or 16 each), none for non-IP packets. 0.0.0.0 and
 * 255.255.255.255 are left out: a kept broadcast or zero MAC holds those bytes too (their pseudonyms are
 * checked like any other address's in the tests above).
 */
function addressBytes(v: ReturnType<typeof decode>): Buffer[] {
  const out: Buffer[] = [];
  for (const words of [v.src, v.dst]) {
    const w = words[3]! >>> 0;
    if (v.ipVersion === 4 && w !== 0 && w !== 0xffffffff)
      out.push(Buffer.from(Uint8Array.of(w >>> 24, w >>> 16, w >>> 8, w)));
    if (v.ipVersion === 6) {
      const b = Buffer.alloc(16);
      for (let i = 0; i < 4; i++) b.writeUInt32BE(words[i]!, i * 4);
      out.push(b);
    }
  }
  return out;
}

/**
 * tcpdump's TFO test capture makes its Fast Open cookies out of the client's address bytes. TCP options are
 * kept on purpose; a real cookie is the server's keyed MAC of the address, not the address.
 */
const TFO_COOKIE_IS_ADDRESS = new Set(['tcpdump/tfo-5c1fa7f9ae91.pcap']);

const corpus = corpusDir();
if (corpus === null) announceSkip('anonymizePacket on the corpus');

describe('anonymizePacket on every corpus capture', () => {
  (corpus ? test : test.skip)(
    'no address kept; a checksum right before is right after, wrong stays wrong',
    () => {
      const problems: string[] = [];
      let verified = 0;
      for (const rel of corpusCaptures(corpus!)) {
        let reader: ReturnType<typeof openCapture>;
        try {
          reader = openCapture(join(corpus!, rel));
        } catch {
          continue;
        }
        try {
          for (let rec = reader.next(); rec !== null; rec = reader.next()) {
            const frame = rec.buf.slice(rec.offset, rec.offset + rec.caplen);
            const before = checksumsOf(frame, rec.linktype, rec.len);
            const original = addressBytes(decode(frame, rec.linktype, rec.len));
            const caplen = anon.anonymizePacket(frame, 0, frame.length, rec.linktype);
            if (caplen > frame.length) problems.push(`${rel} #${rec.index}: longer`);
            // Verify on the full frame (addresses rewritten, nothing cut yet is what checksums cover).
            const after = checksumsOf(frame, rec.linktype, rec.len);
            if (before.ip !== null && after.ip !== before.ip)
              problems.push(`${rel} #${rec.index}: IP ${before.ip} -> ${after.ip}`);
            if (before.l4 !== null && after.l4 !== before.l4)
              problems.push(`${rel} #${rec.index}: L4 ${before.l4} -> ${after.l4}`);
            const kept = Buffer.from(frame.subarray(0, caplen));
            for (const a of original)
              if (kept.includes(a) && !TFO_COOKIE_IS_ADDRESS.has(rel))
                problems.push(`${rel} #${rec.index}: address ${a.toString('hex')} kept`);
            if (before.ip === true) verified++;
            if (before.l4 === true) verified++;
          }
        } finally {
          reader.close();
        }
      }
      expect(problems.slice(0, 20)).toEqual([]);
      expect(verified).toBeGreaterThan(1000);
    },
  );
});
