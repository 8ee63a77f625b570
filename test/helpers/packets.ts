/**
 * Packet and capture-file builders for tests of every stage. Everything here produces bytes exactly as a
 * capture on the wire would hold them: Internet checksums are correct unless a test asks otherwise, lengths
 * are consistent, and the file writers follow the pcap and pcapng specifications (their output is checked
 * against tshark in packets.test.ts, so other tests can trust it).
 *
 * Layers compose from the inside out: `tcpSegment` -> `ipv4Packet`/`ipv6Packet` -> `linkFrame`. The
 * one-call builders `tcpPacket`, `udpPacket` and `icmpPacket` cover the usual case, and `TcpConversation`
 * writes whole connections with consistent sequence and acknowledgement numbers.
 */

export type Payload = Uint8Array | string | number;

/** A number of bytes, a string (UTF-8) or the bytes themselves. Counted payloads repeat 0x00..0xff. */
export function payloadBytes(payload: Payload | undefined): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  if (typeof payload === 'number') {
    const out = new Uint8Array(payload);
    for (let i = 0; i < payload; i++) out[i] = i & 0xff;
    return out;
  }
  if (typeof payload === 'string') return new TextEncoder().encode(payload);
  return payload;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Addresses and checksums

/** '10.0.0.1' -> 4 bytes, '2001:db8::1' (any RFC 4291 text form, incl. a dotted IPv4 tail) -> 16 bytes. */
export function parseIp(text: string): Uint8Array {
  if (!text.includes(':')) {
    const parts = text.split('.');
    if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
    return Uint8Array.from(parts.map((p) => octet(p, text)));
  }
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // A dotted IPv4 tail ('::ffff:192.0.2.1') stands for the last two 16-bit groups.
    const [a, b, c, d] = parseIp(text.slice(lastColon + 1)) as unknown as [number, number, number, number];
    head = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) throw new Error(`not an IPv6 address: ${text}`);
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => hextet(g, text)) : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) throw new Error(`not an IPv6 address: ${text}`);
  const words = [...left, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

function octet(part: string, text: string): number {
  const n = Number(part);
  if (!/^\d{1,3}$/.test(part) || n > 255) throw new Error(`not an IPv4 address: ${text}`);
  return n;
}

function hextet(group: string, text: string): number {
  if (!/^[0-9a-fA-F]{1,4}$/.test(group)) throw new Error(`not an IPv6 address: ${text}`);
  return Number.parseInt(group, 16);
}

/** '02:00:00:00:00:01' -> 6 bytes. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6) throw new Error(`not a MAC address: ${text}`);
  return Uint8Array.from(parts.map((p) => Number.parseInt(p, 16)));
}

/** Internet checksum (RFC 1071) over `parts`, as if concatenated: the value to store in the field. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd = false; // whether the previous part ended on the high byte of a 16-bit word
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const b = p[i] as number;
      sum += odd ? b : b << 8;
      odd = !odd;
    }
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The transport checksum pseudo-header for IPv4 (RFC 793) or IPv6 (RFC 8200 section 8.1). */
export function pseudoHeader(src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  if (src.length === 4) {
    const ph = new Uint8Array(12);
    ph.set(src, 0);
    ph.set(dst, 4);
    ph[9] = proto;
    ph[10] = length >> 8;
    ph[11] = length & 0xff;
    return ph;
  }
  const ph = new Uint8Array(40);
  ph.set(src, 0);
  ph.set(dst, 16);
  new DataView(ph.buffer).setUint32(32, length);
  ph[39] = proto;
  return ph;
}

// ---------------------------------------------------------------------------------------------------------
// Transport layers

export const TCP_FLAG_BITS: Readonly<Record<string, number>> = {
  F: 0x001,
  S: 0x002,
  R: 0x004,
  P: 0x008,
  A: 0x010,
  U: 0x020,
  E: 0x040,
  C: 0x080,
  N: 0x100, // AE (accurate ECN), formerly NS
};

/** Flags as bits or as letters: F S R P A U E C N (N = AE). 'SA' is a SYN-ACK, 'PA' a push with ACK. */
export function tcpFlags(flags: number | string): number {
  if (typeof flags === 'number') return flags & 0xfff;
  let bits = 0;
  for (const ch of flags) {
    const bit = TCP_FLAG_BITS[ch.toUpperCase()];
    if (bit === undefined) throw new Error(`unknown TCP flag letter '${ch}' in '${flags}'`);
    bits |= bit;
  }
  return bits;
}

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackPerm' }
  | { kind: 'sack'; blocks: ReadonlyArray<readonly [number, number]> }
  | { kind: 'timestamps'; tsval: number; tsecr: number }
  /** TFO (kind 34); an empty cookie is a cookie request. */
  | { kind: 'tfo'; cookie: Uint8Array }
  /** Any option, written as kind, length (2 + data), data; `length` overrides the length byte (for bad options). */
  | { kind: 'raw'; type: number; data?: Uint8Array; length?: number };

/** The options Linux puts on a SYN: MSS, SACK-permitted, timestamps, NOP, window scale (20 bytes). */
export function linuxSynOptions(mss: number, tsval: number, tsecr: number, wscale: number): TcpOption[] {
  return [
    { kind: 'mss', value: mss },
    { kind: 'sackPerm' },
    { kind: 'timestamps', tsval, tsecr },
    { kind: 'nop' },
    { kind: 'wscale', shift: wscale },
  ];
}

/** Encodes options in order, then pads with EOL to a multiple of 4 bytes as RFC 9293 requires. */
export function encodeTcpOptions(options: readonly TcpOption[]): Uint8Array {
  const bytes: number[] = [];
  const u16 = (v: number) => bytes.push((v >> 8) & 0xff, v & 0xff);
  const u32 = (v: number) => bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  for (const o of options) {
    switch (o.kind) {
      case 'eol':
        bytes.push(0);
        break;
      case 'nop':
        bytes.push(1);
        break;
      case 'mss':
        bytes.push(2, 4);
        u16(o.value);
        break;
      case 'wscale':
        bytes.push(3, 3, o.shift);
        break;
      case 'sackPerm':
        bytes.push(4, 2);
        break;
      case 'sack':
        bytes.push(5, 2 + 8 * o.blocks.length);
        for (const [left, right] of o.blocks) {
          u32(left);
          u32(right);
        }
        break;
      case 'timestamps':
        bytes.push(8, 10);
        u32(o.tsval);
        u32(o.tsecr);
        break;
      case 'tfo':
        bytes.push(34, 2 + o.cookie.length, ...o.cookie);
        break;
      case 'raw': {
        const data = o.data ?? new Uint8Array(0);
        bytes.push(o.type, o.length ?? 2 + data.length, ...data);
        break;
      }
    }
  }
  while (bytes.length % 4 !== 0) bytes.push(0);
  if (bytes.length > 40) throw new Error(`TCP options take ${bytes.length} bytes; at most 40 fit`);
  return Uint8Array.from(bytes);
}

/** What a checksum field should hold: the correct sum, zero, or a given (usually wrong) value. */
export type ChecksumMode = 'correct' | 'zero' | number;

export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** Bits or letters (see `tcpFlags`); default 'A' (ACK). */
  flags?: number | string;
  window?: number;
  urgent?: number;
  options?: readonly TcpOption[];
  payload?: Payload;
  checksum?: ChecksumMode;
  /** Overrides the data offset field (in 32-bit words), e.g. to build a bad header. */
  dataOffsetWords?: number;
}

/** A TCP header plus payload; the checksum covers the pseudo-header of `src` -> `dst`. */
export function tcpSegment(spec: TcpSpec, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const opts = encodeTcpOptions(spec.options ?? []);
  const payload = payloadBytes(spec.payload);
  const hlen = 20 + opts.length;
  const seg = new Uint8Array(hlen + payload.length);
  const dv = new DataView(seg.buffer);
  const flags = tcpFlags(spec.flags ?? 'A');
  dv.setUint16(0, spec.srcPort);
  dv.setUint16(2, spec.dstPort);
  dv.setUint32(4, (spec.seq ?? 0) >>> 0);
  dv.setUint32(8, (spec.ack ?? 0) >>> 0);
  dv.setUint16(12, (((spec.dataOffsetWords ?? hlen / 4) & 0xf) << 12) | flags);
  dv.setUint16(14, spec.window ?? 65535);
  dv.setUint16(18, spec.urgent ?? 0);
  seg.set(opts, 20);
  seg.set(payload, hlen);
  dv.setUint16(
    16,
    checksumValue(spec.checksum, () => internetChecksum(pseudoHeader(src, dst, 6, seg.length), seg)),
  );
  return seg;
}

export interface UdpSpec {
  srcPort: number;
  dstPort: number;
  payload?: Payload;
  checksum?: ChecksumMode;
}

export function udpDatagram(spec: UdpSpec, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const payload = payloadBytes(spec.payload);
  const dgram = new Uint8Array(8 + payload.length);
  const dv = new DataView(dgram.buffer);
  dv.setUint16(0, spec.srcPort);
  dv.setUint16(2, spec.dstPort);
  dv.setUint16(4, dgram.length);
  dgram.set(payload, 8);
  const sum = checksumValue(spec.checksum, () =>
    internetChecksum(pseudoHeader(src, dst, 17, dgram.length), dgram),
  );
  // RFC 768: a computed sum of zero is sent as all ones (zero means "no checksum").
  dv.setUint16(6, spec.checksum === undefined || spec.checksum === 'correct' ? sum || 0xffff : sum);
  return dgram;
}

export interface IcmpSpec {
  type: number;
  code?: number;
  /** The 4 bytes after the checksum (identifier + sequence for echo, unused/MTU for errors). */
  rest?: number;
  payload?: Payload;
  checksum?: ChecksumMode;
}

/** ICMP for IPv4, or ICMPv6 (checksum over the pseudo-header) when `src`/`dst` are IPv6. */
export function icmpMessage(spec: IcmpSpec, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const payload = payloadBytes(spec.payload);
  const msg = new Uint8Array(8 + payload.length);
  const dv = new DataView(msg.buffer);
  msg[0] = spec.type;
  msg[1] = spec.code ?? 0;
  dv.setUint32(4, (spec.rest ?? 0) >>> 0);
  msg.set(payload, 8);
  const v6 = src.length === 16;
  dv.setUint16(
    2,
    checksumValue(spec.checksum, () =>
      v6 ? internetChecksum(pseudoHeader(src, dst, 58, msg.length), msg) : internetChecksum(msg),
    ),
  );
  return msg;
}

function checksumValue(mode: ChecksumMode | undefined, correct: () => number): number {
  if (mode === undefined || mode === 'correct') return correct();
  if (mode === 'zero') return 0;
  return mode & 0xffff;
}

// ---------------------------------------------------------------------------------------------------------
// Network layer

export interface IpSpec {
  ttl?: number;
  /** IPv4 identification (default 0x1234). */
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  dscp?: number;
  ecn?: number;
  /** IPv4 options, padded with EOL to 4 bytes. */
  options?: Uint8Array;
  /** Overrides the total length (IPv4) or payload length (IPv6) field, e.g. 0 as with TSO. */
  lengthField?: number;
  checksum?: ChecksumMode;
  /** IPv6 flow label. */
  flowLabel?: number;
  /** IPv6 extension headers, outermost first. */
  extensions?: readonly Ipv6Extension[];
}

export type Ipv6Extension =
  | { kind: 'hopByHop' | 'destination' | 'routing'; data?: Uint8Array }
  | { kind: 'fragment'; offset: number; more: boolean; id: number };

const IPV6_EXT_TYPE = { hopByHop: 0, routing: 43, fragment: 44, destination: 60 } as const;

export function ipv4Packet(
  src: Uint8Array,
  dst: Uint8Array,
  proto: number,
  payload: Uint8Array,
  ip: IpSpec = {},
) {
  const opts = ip.options ?? new Uint8Array(0);
  const optLen = Math.ceil(opts.length / 4) * 4;
  const hlen = 20 + optLen;
  const pkt = new Uint8Array(hlen + payload.length);
  const dv = new DataView(pkt.buffer);
  pkt[0] = 0x40 | (hlen / 4);
  pkt[1] = ((ip.dscp ?? 0) << 2) | (ip.ecn ?? 0);
  dv.setUint16(2, ip.lengthField ?? pkt.length);
  dv.setUint16(4, ip.id ?? 0x1234);
  dv.setUint16(6, (ip.df ? 0x4000 : 0) | (ip.mf ? 0x2000 : 0) | ((ip.fragOffset ?? 0) >> 3));
  pkt[8] = ip.ttl ?? 64;
  pkt[9] = proto;
  pkt.set(src, 12);
  pkt.set(dst, 16);
  pkt.set(opts, 20);
  dv.setUint16(
    10,
    checksumValue(ip.checksum, () => internetChecksum(pkt.subarray(0, hlen))),
  );
  pkt.set(payload, hlen);
  return pkt;
}

export function ipv6Packet(
  src: Uint8Array,
  dst: Uint8Array,
  proto: number,
  payload: Uint8Array,
  ip: IpSpec = {},
) {
  const exts = ip.extensions ?? [];
  const extBytes: Uint8Array[] = [];
  exts.forEach((ext, i) => {
    const next = i + 1 < exts.length ? IPV6_EXT_TYPE[(exts[i + 1] as Ipv6Extension).kind] : proto;
    if (ext.kind === 'fragment') {
      const h = new Uint8Array(8);
      const dv = new DataView(h.buffer);
      h[0] = next;
      dv.setUint16(2, (ext.offset & ~7) | (ext.more ? 1 : 0));
      dv.setUint32(4, ext.id >>> 0);
      extBytes.push(h);
    } else {
      // Generic TLV-style header padded to 8 bytes: next header, length in 8-byte units beyond the first 8.
      const data = ext.data ?? new Uint8Array(6);
      const total = Math.ceil((2 + data.length) / 8) * 8;
      const h = new Uint8Array(total);
      h[0] = next;
      h[1] = total / 8 - 1;
      h.set(data, 2);
      if (ext.kind === 'hopByHop' || ext.kind === 'destination') padOptions(h, 2 + data.length);
      extBytes.push(h);
    }
  });
  const ext = concatBytes(extBytes);
  const pkt = new Uint8Array(40 + ext.length + payload.length);
  const dv = new DataView(pkt.buffer);
  const tc = ((ip.dscp ?? 0) << 2) | (ip.ecn ?? 0);
  dv.setUint32(0, ((6 << 28) | (tc << 20) | ((ip.flowLabel ?? 0) & 0xfffff)) >>> 0);
  dv.setUint16(4, ip.lengthField ?? ext.length + payload.length);
  pkt[6] = exts.length ? IPV6_EXT_TYPE[(exts[0] as Ipv6Extension).kind] : proto;
  pkt[7] = ip.ttl ?? 64;
  pkt.set(src, 8);
  pkt.set(dst, 24);
  pkt.set(ext, 40);
  pkt.set(payload, 40 + ext.length);
  return pkt;
}

/** Fills the unused tail of a hop-by-hop/destination header with Pad1/PadN options (RFC 8200 4.2). */
function padOptions(h: Uint8Array, from: number): void {
  const gap = h.length - from;
  if (gap === 1) h[from] = 0;
  else if (gap > 1) {
    h[from] = 1;
    h[from + 1] = gap - 2;
  }
}

/** An IPv4 or IPv6 packet (by the address family) around a transport payload. */
export function ipPacket(
  src: Uint8Array,
  dst: Uint8Array,
  proto: number,
  payload: Uint8Array,
  ip: IpSpec = {},
) {
  if (src.length !== dst.length) throw new Error('source and destination address families differ');
  return src.length === 4
    ? ipv4Packet(src, dst, proto, payload, ip)
    : ipv6Packet(src, dst, proto, payload, ip);
}

// ---------------------------------------------------------------------------------------------------------
// Link layer

export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface VlanTag {
  id: number;
  pcp?: number;
  /** 0x8100 (802.1Q, default), 0x88a8 (802.1ad) or 0x9100. */
  tpid?: number;
}

export interface LinkSpec {
  /** LINKTYPE_ value; default Ethernet. */
  linktype?: number;
  srcMac?: string;
  dstMac?: string;
  /** Outermost first. Numbers are 802.1Q ids. */
  vlans?: ReadonlyArray<number | VlanTag>;
  /** Bytes appended after the IP packet (Ethernet padding, FCS). */
  trailer?: Uint8Array;
  /** SLL/SLL2 packet type (0 = to us, 4 = outgoing); SLL2 interface index. */
  packetType?: number;
  ifIndex?: number;
}

/** Frames an IP packet (or any payload with `etherType`) for the given link type. */
export function linkFrame(
  ipPkt: Uint8Array,
  link: LinkSpec = {},
  etherType = ipEtherType(ipPkt),
): Uint8Array {
  const linktype = link.linktype ?? LINKTYPE.ETHERNET;
  const trailer = link.trailer ?? new Uint8Array(0);
  const v6 = etherType === 0x86dd;
  switch (linktype) {
    case LINKTYPE.ETHERNET:
      return concatBytes([ethernetHeader(link, etherType), ipPkt, trailer]);
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return concatBytes([ipPkt, trailer]);
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      // BSD loopback: AF_INET = 2, AF_INET6 = 24 (NetBSD/OpenBSD value; FreeBSD 28 and Darwin 30 also seen).
      // NULL is in the writer's byte order (little-endian here), LOOP always big-endian.
      const h = new Uint8Array(4);
      new DataView(h.buffer).setUint32(0, v6 ? 24 : 2, linktype === LINKTYPE.NULL);
      return concatBytes([h, ipPkt, trailer]);
    }
    case LINKTYPE.LINUX_SLL: {
      const h = new Uint8Array(16);
      const dv = new DataView(h.buffer);
      dv.setUint16(0, link.packetType ?? 0);
      dv.setUint16(2, 1); // ARPHRD_ETHER
      dv.setUint16(4, 6);
      h.set(parseMac(link.srcMac ?? '02:00:00:00:00:01'), 6);
      dv.setUint16(14, etherType);
      return concatBytes([h, ipPkt, trailer]);
    }
    case LINKTYPE.LINUX_SLL2: {
      const h = new Uint8Array(20);
      const dv = new DataView(h.buffer);
      dv.setUint16(0, etherType);
      dv.setUint32(4, link.ifIndex ?? 1);
      dv.setUint16(8, 1); // ARPHRD_ETHER
      h[10] = link.packetType ?? 0;
      h[11] = 6;
      h.set(parseMac(link.srcMac ?? '02:00:00:00:00:01'), 12);
      return concatBytes([h, ipPkt, trailer]);
    }
    default:
      throw new Error(`linkFrame: unsupported link type ${linktype}`);
  }
}

function ipEtherType(ipPkt: Uint8Array): number {
  return (ipPkt[0] ?? 0) >> 4 === 6 ? 0x86dd : 0x0800;
}

function ethernetHeader(link: LinkSpec, etherType: number): Uint8Array {
  const vlans = link.vlans ?? [];
  const h = new Uint8Array(14 + 4 * vlans.length);
  const dv = new DataView(h.buffer);
  h.set(parseMac(link.dstMac ?? '02:00:00:00:00:02'), 0);
  h.set(parseMac(link.srcMac ?? '02:00:00:00:00:01'), 6);
  let at = 12;
  for (const v of vlans) {
    const tag = typeof v === 'number' ? { id: v } : v;
    dv.setUint16(at, tag.tpid ?? 0x8100);
    dv.setUint16(at + 2, ((tag.pcp ?? 0) << 13) | (tag.id & 0xfff));
    at += 4;
  }
  dv.setUint16(at, etherType);
  return h;
}

// ---------------------------------------------------------------------------------------------------------
// One-call packet builders

interface Endpoints {
  src: string;
  dst: string;
  ip?: IpSpec;
  link?: LinkSpec;
}

export type TcpPacketSpec = Endpoints & TcpSpec;
export type UdpPacketSpec = Endpoints & UdpSpec;
export type IcmpPacketSpec = Endpoints & IcmpSpec;

/** A full frame: link header, IPv4/IPv6 (by the address family of `src`), TCP. */
export function tcpPacket(spec: TcpPacketSpec): Uint8Array {
  const src = parseIp(spec.src);
  const dst = parseIp(spec.dst);
  return linkFrame(ipPacket(src, dst, 6, tcpSegment(spec, src, dst), spec.ip), spec.link);
}

export function udpPacket(spec: UdpPacketSpec): Uint8Array {
  const src = parseIp(spec.src);
  const dst = parseIp(spec.dst);
  return linkFrame(ipPacket(src, dst, 17, udpDatagram(spec, src, dst), spec.ip), spec.link);
}

/** ICMP over IPv4 or ICMPv6 over IPv6. For errors, pass the offending packet (from its IP header) as payload. */
export function icmpPacket(spec: IcmpPacketSpec): Uint8Array {
  const src = parseIp(spec.src);
  const dst = parseIp(spec.dst);
  const proto = src.length === 4 ? 1 : 58;
  return linkFrame(ipPacket(src, dst, proto, icmpMessage(spec, src, dst), spec.ip), spec.link);
}

/** The IP packet inside a frame built with default Ethernet framing (for quoting in ICMP errors). */
export function stripEthernet(frame: Uint8Array): Uint8Array {
  let at = 12;
  while (at + 4 <= frame.length) {
    const type = ((frame[at] as number) << 8) | (frame[at + 1] as number);
    if (type !== 0x8100 && type !== 0x88a8 && type !== 0x9100) break;
    at += 4;
  }
  return frame.subarray(at + 2);
}

// ---------------------------------------------------------------------------------------------------------
// Capture files

/** One packet for a file writer. `data` is what was captured; `origLen` defaults to its length. */
export interface RecordSpec {
  tsSec: number;
  tsNsec: number;
  data: Uint8Array;
  origLen?: number;
}

export interface PcapOptions {
  byteOrder?: 'little' | 'big';
  /** 'us' (magic a1b2c3d4) or 'ns' (magic a1b23c4d); default 'us'. */
  precision?: 'us' | 'ns';
  linktype?: number;
  snaplen?: number;
  /** Upper bits of the link-type field (FCS present flag and length, per the pcap spec). */
  fcsBits?: number;
  versionMajor?: number;
  versionMinor?: number;
}

/** A classic pcap file. Timestamps are truncated to the file's precision, as capture tools do. */
export function writePcap(records: readonly RecordSpec[], opts: PcapOptions = {}): Uint8Array {
  const le = (opts.byteOrder ?? 'little') === 'little';
  const ns = opts.precision === 'ns';
  let size = 24;
  for (const r of records) size += 16 + r.data.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ns ? 0xa1b23c4d : 0xa1b2c3d4, le);
  dv.setUint16(4, opts.versionMajor ?? 2, le);
  dv.setUint16(6, opts.versionMinor ?? 4, le);
  dv.setUint32(16, opts.snaplen ?? 262144, le);
  dv.setUint32(20, ((opts.fcsBits ?? 0) << 28) | (opts.linktype ?? LINKTYPE.ETHERNET), le);
  let at = 24;
  for (const r of records) {
    dv.setUint32(at, r.tsSec >>> 0, le);
    dv.setUint32(at + 4, ns ? r.tsNsec : Math.floor(r.tsNsec / 1000), le);
    dv.setUint32(at + 8, r.data.length, le);
    dv.setUint32(at + 12, r.origLen ?? r.data.length, le);
    out.set(r.data, at + 16);
    at += 16 + r.data.length;
  }
  return out;
}

export interface PcapngInterface {
  linktype?: number;
  snaplen?: number;
  name?: string;
  description?: string;
  /** if_tsresol: 10^-exponent or 2^-exponent seconds per tick; default microseconds (no option written). */
  tsresol?: { base: 10 | 2; exponent: number };
  /** if_tsoffset in seconds. */
  tsoffset?: number;
  fcsLen?: number;
}

export interface PcapngPacket extends RecordSpec {
  interfaceId?: number;
  comments?: readonly string[];
  flags?: number;
}

/** A pre-built block (see `pcapngBlock`) to place among the packets, e.g. an unknown or damaged block. */
export interface PcapngRawBlock {
  block: Uint8Array;
}

export interface PcapngOptions {
  byteOrder?: 'little' | 'big';
  interfaces?: readonly PcapngInterface[];
  /** SHB opt_comment values. */
  comments?: readonly string[];
  /** SHB version; default 1.0. */
  versionMajor?: number;
  versionMinor?: number;
}

/**
 * One pcapng section: SHB, the IDBs, then the packets as EPBs in order. A file with several sections is the
 * concatenation of several of these (interface ids restart at 0 in each section, as the spec says).
 */
export function writePcapng(packets: ReadonlyArray<PcapngPacket | PcapngRawBlock>, opts: PcapngOptions = {}) {
  const le = (opts.byteOrder ?? 'little') === 'little';
  const interfaces = opts.interfaces ?? [{}];
  const blocks: Uint8Array[] = [sectionHeaderBlock(opts, le)];
  for (const ifc of interfaces) blocks.push(interfaceDescriptionBlock(ifc, le));
  for (const p of packets) {
    if ('block' in p) blocks.push(p.block);
    else {
      const ifc = interfaces[p.interfaceId ?? 0];
      if (!ifc) throw new Error(`writePcapng: packet refers to missing interface ${p.interfaceId}`);
      blocks.push(enhancedPacketBlock(p, ifc, le));
    }
  }
  return concatBytes(blocks);
}

/** A block: type, total length, body padded to 4 bytes, total length again. */
export function pcapngBlock(
  type: number,
  body: Uint8Array,
  byteOrder: 'little' | 'big' = 'little',
): Uint8Array {
  const le = byteOrder === 'little';
  const padded = Math.ceil(body.length / 4) * 4;
  const out = new Uint8Array(12 + padded);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type >>> 0, le);
  dv.setUint32(4, out.length, le);
  out.set(body, 8);
  dv.setUint32(8 + padded, out.length, le);
  return out;
}

/** Options list: each code, length, value padded to 4 bytes, then opt_endofopt. */
export function pcapngOptions(
  options: ReadonlyArray<readonly [number, Uint8Array]>,
  le: boolean,
): Uint8Array {
  if (!options.length) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  for (const [code, value] of options) {
    const h = new Uint8Array(4 + Math.ceil(value.length / 4) * 4);
    const dv = new DataView(h.buffer);
    dv.setUint16(0, code, le);
    dv.setUint16(2, value.length, le);
    h.set(value, 4);
    parts.push(h);
  }
  parts.push(new Uint8Array(4)); // opt_endofopt
  return concatBytes(parts);
}

/** A Simple Packet Block (no timestamp, interface 0). */
export function simplePacketBlock(
  data: Uint8Array,
  origLen = data.length,
  byteOrder: 'little' | 'big' = 'little',
) {
  const body = new Uint8Array(4 + data.length);
  new DataView(body.buffer).setUint32(0, origLen, byteOrder === 'little');
  body.set(data, 4);
  return pcapngBlock(3, body, byteOrder);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

function sectionHeaderBlock(opts: PcapngOptions, le: boolean): Uint8Array {
  const fixed = new Uint8Array(16);
  const dv = new DataView(fixed.buffer);
  dv.setUint32(0, 0x1a2b3c4d, le);
  dv.setUint16(4, opts.versionMajor ?? 1, le);
  dv.setUint16(6, opts.versionMinor ?? 0, le);
  dv.setBigInt64(8, -1n, le); // section length unknown
  const options = pcapngOptions(
    (opts.comments ?? []).map((c) => [1, utf8(c)] as const),
    le,
  );
  return pcapngBlock(0x0a0d0d0a, concatBytes([fixed, options]), le ? 'little' : 'big');
}

function interfaceDescriptionBlock(ifc: PcapngInterface, le: boolean): Uint8Array {
  const fixed = new Uint8Array(8);
  const dv = new DataView(fixed.buffer);
  dv.setUint16(0, ifc.linktype ?? LINKTYPE.ETHERNET, le);
  dv.setUint32(4, ifc.snaplen ?? 262144, le);
  const options: Array<readonly [number, Uint8Array]> = [];
  if (ifc.name !== undefined) options.push([2, utf8(ifc.name)]);
  if (ifc.description !== undefined) options.push([3, utf8(ifc.description)]);
  if (ifc.tsresol)
    options.push([9, Uint8Array.of((ifc.tsresol.base === 2 ? 0x80 : 0) | ifc.tsresol.exponent)]);
  if (ifc.fcsLen !== undefined) options.push([13, Uint8Array.of(ifc.fcsLen)]);
  if (ifc.tsoffset !== undefined) {
    const v = new Uint8Array(8);
    new DataView(v.buffer).setBigInt64(0, BigInt(ifc.tsoffset), le);
    options.push([14, v]);
  }
  return pcapngBlock(1, concatBytes([fixed, pcapngOptions(options, le)]), le ? 'little' : 'big');
}

/** Timestamp ticks of an interface: (sec - if_tsoffset) * ticksPerSecond + the fraction, rounded down. */
export function pcapngTicks(tsSec: number, tsNsec: number, ifc: PcapngInterface): bigint {
  const res = ifc.tsresol ?? { base: 10, exponent: 6 };
  const perSecond = BigInt(res.base) ** BigInt(res.exponent);
  const sec = BigInt(tsSec - (ifc.tsoffset ?? 0));
  return sec * perSecond + (BigInt(tsNsec) * perSecond) / 1_000_000_000n;
}

function enhancedPacketBlock(p: PcapngPacket, ifc: PcapngInterface, le: boolean): Uint8Array {
  const ticks = pcapngTicks(p.tsSec, p.tsNsec, ifc);
  const padded = Math.ceil(p.data.length / 4) * 4;
  const fixed = new Uint8Array(20 + padded);
  const dv = new DataView(fixed.buffer);
  dv.setUint32(0, p.interfaceId ?? 0, le);
  dv.setUint32(4, Number(ticks >> 32n) >>> 0, le);
  dv.setUint32(8, Number(ticks & 0xffffffffn), le);
  dv.setUint32(12, p.data.length, le);
  dv.setUint32(16, p.origLen ?? p.data.length, le);
  fixed.set(p.data, 20);
  const options: Array<readonly [number, Uint8Array]> = (p.comments ?? []).map((c) => [1, utf8(c)] as const);
  if (p.flags !== undefined) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, p.flags >>> 0, le);
    options.push([2, v]);
  }
  return pcapngBlock(6, concatBytes([fixed, pcapngOptions(options, le)]), le ? 'little' : 'big');
}

// ---------------------------------------------------------------------------------------------------------
// TCP conversations

export type Side = 'client' | 'server';

export interface ConversationPacket extends RecordSpec {
  from: Side;
  seq: number;
  ack: number;
  flags: number;
  payloadLength: number;
}

export interface ConversationSpec {
  client: string;
  server: string;
  clientPort?: number;
  serverPort?: number;
  clientIsn?: number;
  serverIsn?: number;
  /** Time of the first packet. */
  startSec?: number;
  startNsec?: number;
  /** Time between consecutive packets, in nanoseconds (default 1 ms). */
  stepNs?: number;
  /** Segment size for `send`; default 1460 (IPv4) or 1440 (IPv6), less 12 with timestamps. */
  mss?: number;
  /** Window scale offered in the handshake, or null to offer none. Default 7. */
  wscale?: number | null;
  sackPerm?: boolean;
  /** RFC 7323 timestamps on every segment (default true). */
  timestamps?: boolean;
  window?: number;
  clientTtl?: number;
  serverTtl?: number;
  link?: LinkSpec;
}

/**
 * Builds a TCP connection packet by packet with consistent sequence numbers, acknowledgements, timestamps
 * and IP ids. Each method appends packets; `packets` holds them with what a test needs to assert on.
 *
 *   const c = new TcpConversation({ client: '10.0.0.1', server: '10.0.0.2' });
 *   c.handshake().exchange(120, 3000).close();
 *   const file = writePcap(c.packets);
 */
export class TcpConversation {
  readonly packets: ConversationPacket[] = [];
  private readonly spec: ConversationSpec;
  private readonly next: Record<Side, number>;
  private readonly ipId: Record<Side, number> = { client: 0x100, server: 0x8000 };
  private nowNs: bigint;
  private readonly tsvalBase: Record<Side, number> = { client: 1_000_000, server: 5_000_000 };
  private lastTsval: Record<Side, number> = { client: 0, server: 0 };
  private readonly segmentSize: number;

  constructor(spec: ConversationSpec) {
    this.spec = spec;
    this.next = { client: (spec.clientIsn ?? 1000) >>> 0, server: (spec.serverIsn ?? 5000) >>> 0 };
    this.nowNs = BigInt(spec.startSec ?? 1_700_000_000) * 1_000_000_000n + BigInt(spec.startNsec ?? 0);
    const v6 = spec.client.includes(':');
    const timestamps = spec.timestamps ?? true;
    this.segmentSize = spec.mss ?? (v6 ? 1440 : 1460) - (timestamps ? 12 : 0);
  }

  /** Next sequence number of a side (what the other side acknowledges). */
  nextSeq(side: Side): number {
    return this.next[side];
  }

  /** Advances the clock by `ns` before the next packet (on top of the usual step). */
  wait(ns: number): this {
    this.nowNs += BigInt(ns);
    return this;
  }

  handshake(): this {
    const mss = this.segmentSize + ((this.spec.timestamps ?? true) ? 12 : 0);
    this.emit('client', 'S', 0, this.synOptions('client', mss), { noAck: true });
    this.emit('server', 'SA', 0, this.synOptions('server', mss));
    return this.emit('client', 'A', 0);
  }

  /** Data from one side, cut into segments of the MSS; PSH on the last one. */
  send(from: Side, payload: Payload): this {
    const bytes = payloadBytes(payload);
    for (let at = 0; at < bytes.length; at += this.segmentSize) {
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + this.segmentSize));
      this.emit(from, at + this.segmentSize >= bytes.length ? 'PA' : 'A', chunk);
    }
    return this;
  }

  /** A pure ACK of everything the other side sent. */
  ack(from: Side): this {
    return this.emit(from, 'A', 0);
  }

  /** Request from the client, response from the server, the client's ACK. */
  exchange(request: Payload, response: Payload): this {
    return this.send('client', request).send('server', response).ack('client');
  }

  /** FIN from `initiator`, FIN-ACK from the other side, last ACK. */
  close(initiator: Side = 'client'): this {
    const other: Side = initiator === 'client' ? 'server' : 'client';
    return this.emit(initiator, 'FA', 0).emit(other, 'FA', 0).emit(initiator, 'A', 0);
  }

  reset(from: Side, withAck = true): this {
    return this.emit(from, withAck ? 'RA' : 'R', 0, [], { noAck: !withAck });
  }

  /** Re-sends the bytes of packet `index` (default: the last data packet) at the current time. */
  retransmit(index?: number): this {
    const i = index ?? this.packets.findLastIndex((p) => p.payloadLength > 0 || (p.flags & 0x003) !== 0);
    const orig = this.packets[i];
    if (!orig) throw new Error(`retransmit: no packet ${index}`);
    this.pushRecord({ ...orig, ...this.tick(), data: orig.data.slice() });
    return this;
  }

  /** Swaps the last two packets' positions in the list, keeping the timestamps in order (reordering). */
  swapLastTwo(): this {
    const n = this.packets.length;
    const a = this.packets[n - 2];
    const b = this.packets[n - 1];
    if (!a || !b) throw new Error('swapLastTwo: fewer than two packets');
    this.packets[n - 2] = { ...b, tsSec: a.tsSec, tsNsec: a.tsNsec };
    this.packets[n - 1] = { ...a, tsSec: b.tsSec, tsNsec: b.tsNsec };
    return this;
  }

  /** Any segment: flags and payload as given, seq/ack from the state, optional overrides. */
  segment(from: Side, flags: number | string, payload: Payload = 0, override: Partial<TcpSpec> = {}): this {
    return this.emit(from, flags, payload, [], {}, override);
  }

  private synOptions(side: Side, mss: number): TcpOption[] {
    const options: TcpOption[] = [{ kind: 'mss', value: mss }];
    if (this.spec.sackPerm ?? true) options.push({ kind: 'sackPerm' });
    if (this.spec.timestamps ?? true) options.push(this.tsOption(side));
    const wscale = this.spec.wscale === undefined ? 7 : this.spec.wscale;
    if (wscale !== null) options.push({ kind: 'nop' }, { kind: 'wscale', shift: wscale });
    return options;
  }

  private tsOption(side: Side): TcpOption {
    const other: Side = side === 'client' ? 'server' : 'client';
    const ms = Number(this.nowNs / 1_000_000n) >>> 0;
    const tsval = (this.tsvalBase[side] + ms) >>> 0;
    this.lastTsval[side] = tsval;
    return { kind: 'timestamps', tsval, tsecr: this.lastTsval[other] };
  }

  private tick(): { tsSec: number; tsNsec: number } {
    const t = { tsSec: Number(this.nowNs / 1_000_000_000n), tsNsec: Number(this.nowNs % 1_000_000_000n) };
    this.nowNs += BigInt(this.spec.stepNs ?? 1_000_000);
    return t;
  }

  private emit(
    from: Side,
    flagSpec: number | string,
    payload: Payload,
    synOptions: TcpOption[] = [],
    how: { noAck?: boolean } = {},
    override: Partial<TcpSpec> = {},
  ): this {
    const other: Side = from === 'client' ? 'server' : 'client';
    const flags = tcpFlags(flagSpec);
    const data = payloadBytes(payload);
    const seq = this.next[from];
    const ack = how.noAck ? 0 : this.next[other];
    const options = synOptions.length
      ? synOptions
      : (this.spec.timestamps ?? true) && (flags & 0x004) === 0
        ? [{ kind: 'nop' } as const, { kind: 'nop' } as const, this.tsOption(from)]
        : [];
    const v6 = this.spec.client.includes(':');
    const frame = tcpPacket({
      src: from === 'client' ? this.spec.client : this.spec.server,
      dst: from === 'client' ? this.spec.server : this.spec.client,
      srcPort: from === 'client' ? (this.spec.clientPort ?? 40000) : (this.spec.serverPort ?? 80),
      dstPort: from === 'client' ? (this.spec.serverPort ?? 80) : (this.spec.clientPort ?? 40000),
      seq,
      ack,
      flags,
      window: this.spec.window ?? 502,
      options,
      payload: data,
      ...override,
      ip: {
        ttl: from === 'client' ? (this.spec.clientTtl ?? 64) : (this.spec.serverTtl ?? 64),
        id: v6 ? 0 : this.ipId[from]++ & 0xffff,
        df: true,
      },
      ...(this.spec.link ? { link: this.spec.link } : {}),
    });
    // SYN and FIN each take one sequence number.
    const consumed = data.length + (flags & 0x002 ? 1 : 0) + (flags & 0x001 ? 1 : 0);
    this.next[from] = (seq + consumed) >>> 0;
    this.pushRecord({ ...this.tick(), data: frame, from, seq, ack, flags, payloadLength: data.length });
    return this;
  }

  private pushRecord(p: ConversationPacket): void {
    this.packets.push(p);
  }
}
