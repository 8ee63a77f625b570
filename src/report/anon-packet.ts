/**
 * Anonymizing one captured frame in place, for the merged pcapng: addresses become their pseudonyms,
 * checksums follow, and everything after the transport header is cut. docs/anonymize.md states what is
 * kept and what is removed; keep the two in sync.
 *
 * RULES, per layer (a layer this walk does not know ends the frame there: what is not understood is not
 * kept):
 * - LINK: Ethernet MAC addresses and the Linux cooked (SLL/SLL2) link-layer address are pseudonymised;
 *   VLAN tags, MPLS labels and PPPoE session headers are kept. Link types other than Ethernet, SLL, SLL2,
 *   raw IP and BSD loopback keep nothing (captured length 0).
 * - ARP (Ethernet/IPv4): both MAC and both IPv4 addresses pseudonymised; nothing else carries names.
 * - IPv4: source and destination pseudonymised, and the addresses inside the record-route, source-route
 *   and timestamp options; the header checksum updated. IPv6: source, destination, routing header
 *   addresses (types 0, 2, 4) and the Home Address destination option. A non-first fragment keeps only
 *   its IP header.
 * - IP-in-IP (IPv4 or IPv6 inside either): the inner header gets the same treatment.
 * - TCP: the header with its options is kept (ports, sequence numbers, flags, window, options), except
 *   the address inside an MPTCP ADD_ADDR option; the payload is cut. UDP: the 8-byte header. ICMP and
 *   ICMPv6: the first 8 bytes (type, code, checksum, identifier and sequence of echoes), the gateway of an
 *   ICMP redirect pseudonymised; the quoted packet of an error message is cut. Other protocols: nothing
 *   after the IP header.
 * - CHECKSUMS: IPv4 header, TCP, UDP and ICMPv6 checksums are updated incrementally for the rewritten
 *   addresses (pseudo-header included): they stay exactly as valid as they were for the original
 *   segment. UDP's "no checksum" (0) stays 0.
 * The original length is never changed: the frame keeps saying how long it was on the wire.
 */
import { applyDelta, rewriteDelta, wordDelta } from './anon-checksum.js';

/** The keyed mappings the walk needs (the Anonymizer provides them). */
export interface AddressMapping {
  ipv4(word: number): number;
  ipv6(words: ArrayLike<number>, out: Uint32Array): Uint32Array;
  /** Pseudonymise the 6-byte MAC address at `buf[at]` in place. */
  macAt(buf: Uint8Array, at: number): void;
}

const MAX_VLAN_TAGS = 8;
const MAX_MPLS_LABELS = 16;
const MAX_IP_DEPTH = 4;
const MAX_IPV6_EXTENSIONS = 8;

export class PacketAnonymizer {
  private readonly words = new Uint32Array(4);
  private readonly mapped = new Uint32Array(4);
  private readonly bytes16 = new Uint8Array(16);
  private end = 0;

  constructor(private readonly map: AddressMapping) {}

  /**
   * Rewrite the frame `buf[offset .. offset + caplen)` of link type `linktype` in place; returns the new
   * captured length (at most `caplen`).
   */
  anonymize(buf: Uint8Array, offset: number, caplen: number, linktype: number): number {
    const end = Math.min(buf.length, offset + Math.max(0, caplen));
    this.end = end;
    if (!(offset >= 0) || offset >= end) return 0;
    const cut = this.link(buf, offset, linktype);
    return Math.max(0, Math.min(cut, end) - offset);
  }

  /** The link layer; returns where the kept bytes end. */
  private link(buf: Uint8Array, p: number, linktype: number): number {
    const end = this.end;
    switch (linktype) {
      case 1: // Ethernet
        return this.ethernet(buf, p);
      case 113: {
        // Linux SLL: packet type, ARPHRD, address length, 8 address bytes, protocol.
        if (p + 16 > end) return this.zeroed(buf, p);
        this.linkAddress(buf, p + 6, (buf[p + 4]! << 8) | buf[p + 5]!);
        return this.etherType(buf, p + 16, (buf[p + 14]! << 8) | buf[p + 15]!);
      }
      case 276: {
        // Linux SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes.
        if (p + 20 > end) return this.zeroed(buf, p);
        this.linkAddress(buf, p + 12, buf[p + 11]!);
        return this.etherType(buf, p + 20, (buf[p]! << 8) | buf[p + 1]!);
      }
      case 0:
      case 108: {
        // BSD loopback: the address family in either byte order (AF_INET 2; AF_INET6 24, 28 or 30).
        if (p + 4 > end) return p;
        const family = buf[p]! !== 0 ? buf[p]! : buf[p + 3]!;
        if (family === 2) return this.ipv4(buf, p + 4, 0);
        if (family === 24 || family === 28 || family === 30) return this.ipv6(buf, p + 4, 0);
        return p + 4;
      }
      case 12:
      case 14:
      case 101:
        return this.rawIp(buf, p);
      case 228:
        return this.ipv4(buf, p, 0);
      case 229:
        return this.ipv6(buf, p, 0);
      default:
        return p;
    }
  }

  private ethernet(buf: Uint8Array, p: number): number {
    const end = this.end;
    if (p + 14 > end) return this.zeroed(buf, p);
    this.map.macAt(buf, p);
    this.map.macAt(buf, p + 6);
    let at = p + 12;
    let type = (buf[at]! << 8) | buf[at + 1]!;
    for (
      let tags = 0;
      (type === 0x8100 || type === 0x88a8 || type === 0x9100) && tags < MAX_VLAN_TAGS;
      tags++
    ) {
      if (at + 6 > end) return at + 2;
      at += 4;
      type = (buf[at]! << 8) | buf[at + 1]!;
    }
    // 802.3 length field (LLC frames: STP, CDP...) and anything else unknown end here.
    return this.etherType(buf, at + 2, type);
  }

  private etherType(buf: Uint8Array, p: number, type: number): number {
    switch (type) {
      case 0x0800:
        return this.ipv4(buf, p, 0);
      case 0x86dd:
        return this.ipv6(buf, p, 0);
      case 0x0806:
        return this.arp(buf, p);
      case 0x8847:
      case 0x8848:
        return this.mpls(buf, p);
      case 0x8864:
        return this.pppoe(buf, p);
      default:
        return p;
    }
  }

  private rawIp(buf: Uint8Array, p: number): number {
    if (p >= this.end) return p;
    const version = buf[p]! >>> 4;
    if (version === 4) return this.ipv4(buf, p, 0);
    if (version === 6) return this.ipv6(buf, p, 0);
    return p;
  }

  private mpls(buf: Uint8Array, p: number): number {
    let at = p;
    for (let n = 0; n < MAX_MPLS_LABELS; n++) {
      if (at + 4 > this.end) return at;
      const bottom = (buf[at + 2]! & 0x01) !== 0;
      at += 4;
      if (bottom) return this.rawIp(buf, at);
    }
    return at;
  }

  private pppoe(buf: Uint8Array, p: number): number {
    if (p + 8 > this.end) return p;
    const proto = (buf[p + 6]! << 8) | buf[p + 7]!;
    if (proto === 0x0021) return this.ipv4(buf, p + 8, 0);
    if (proto === 0x0057) return this.ipv6(buf, p + 8, 0);
    return p + 8;
  }

  private arp(buf: Uint8Array, p: number): number {
    if (p + 8 > this.end) return p;
    const hlen = buf[p + 4]!;
    const plen = buf[p + 5]!;
    const bodyEnd = p + 8 + 2 * (hlen + plen);
    if (hlen !== 6 || plen !== 4 || bodyEnd > this.end) return p + 8;
    this.map.macAt(buf, p + 8);
    this.putWord(buf, p + 14, this.map.ipv4(readWord(buf, p + 14)));
    this.map.macAt(buf, p + 18);
    this.putWord(buf, p + 24, this.map.ipv4(readWord(buf, p + 24)));
    return bodyEnd;
  }

  private ipv4(buf: Uint8Array, p: number, depth: number): number {
    const end = this.end;
    if (p + 20 > end || buf[p]! >>> 4 !== 4) return p;
    const hl = (buf[p]! & 0x0f) * 4;
    if (hl < 20 || p + hl > end) return p;
    const pseudo = this.rewriteV4(buf, p + 12) + this.rewriteV4(buf, p + 16);
    const header = pseudo + this.ipv4Options(buf, p + 20, p + hl);
    applyDelta(buf, p + 10, header);
    const fragment = ((buf[p + 6]! << 8) | buf[p + 7]!) & 0x1fff;
    if (fragment !== 0) return p + hl;
    return this.transport(buf, p + hl, buf[p + 9]!, pseudo, depth, false);
  }

  /** Addresses inside IPv4 options; returns the checksum delta. */
  private ipv4Options(buf: Uint8Array, from: number, to: number): number {
    let delta = 0;
    let at = from;
    while (at < to) {
      const type = buf[at]!;
      if (type === 0) break;
      if (type === 1) {
        at++;
        continue;
      }
      if (at + 2 > to) break;
      const len = buf[at + 1]!;
      if (len < 2 || at + len > to) break;
      if (type === 7 || type === 131 || type === 137) {
        // Record route, loose and strict source route: addresses from the fourth byte.
        for (let a = at + 3; a + 4 <= at + len; a += 4) delta += this.rewriteV4(buf, a);
      } else if (type === 68 && len >= 4) {
        // Timestamp: flag 1 or 3 interleaves addresses with the stamps.
        const flag = buf[at + 3]! & 0x0f;
        if (flag === 1 || flag === 3)
          for (let a = at + 4; a + 8 <= at + len; a += 8) delta += this.rewriteV4(buf, a);
      }
      at += len;
    }
    return delta;
  }

  private ipv6(buf: Uint8Array, p: number, depth: number): number {
    const end = this.end;
    if (p + 40 > end || buf[p]! >>> 4 !== 6) return p;
    const srcDelta = this.rewriteV6(buf, p + 8);
    const dstDelta = this.rewriteV6(buf, p + 24);
    let pseudo = srcDelta + dstDelta;
    let next = buf[p + 6]!;
    let at = p + 40;
    for (let n = 0; n < MAX_IPV6_EXTENSIONS; n++) {
      if (next === 0 || next === 60 || next === 43) {
        if (at + 8 > end) return at;
        const len = (buf[at + 1]! + 1) * 8;
        if (at + len > end) return at;
        if (next === 43) this.routingHeader(buf, at, len);
        else {
          const home = this.optionsHeader(buf, at, len);
          // With a Home Address option, the pseudo-header's source is the home address.
          if (home !== 0) pseudo = home + dstDelta;
        }
        next = buf[at]!;
        at += len;
      } else if (next === 44) {
        if (at + 8 > end) return at;
        const fragment = ((buf[at + 2]! << 8) | buf[at + 3]!) >>> 3;
        next = buf[at]!;
        at += 8;
        if (fragment !== 0) return at;
      } else {
        break;
      }
    }
    return this.transport(buf, at, next, pseudo, depth, true);
  }

  /** Hop-by-hop / destination options: the Home Address option (201) holds an address; returns its delta. */
  private optionsHeader(buf: Uint8Array, from: number, len: number): number {
    let delta = 0;
    let at = from + 2;
    const to = from + len;
    while (at < to) {
      const type = buf[at]!;
      if (type === 0) {
        at++;
        continue;
      }
      if (at + 2 > to) break;
      const olen = buf[at + 1]!;
      if (at + 2 + olen > to) break;
      if (type === 201 && olen === 16) delta += this.rewriteV6(buf, at + 2);
      at += 2 + olen;
    }
    return delta;
  }

  /** Routing header types 0, 2 and 4 (segment routing) list addresses after their first 8 bytes. */
  private routingHeader(buf: Uint8Array, from: number, len: number): void {
    const type = buf[from + 2]!;
    if (type !== 0 && type !== 2 && type !== 4) return;
    const last = type === 4 ? from + 8 + (buf[from + 4]! + 1) * 16 : from + len;
    for (let a = from + 8; a + 16 <= Math.min(last, from + len); a += 16) this.rewriteV6(buf, a);
  }

  /** The transport header at `p`; returns where the kept bytes end. */
  private transport(
    buf: Uint8Array,
    p: number,
    proto: number,
    pseudo: number,
    depth: number,
    v6: boolean,
  ): number {
    const end = this.end;
    switch (proto) {
      case 6: {
        if (p + 20 > end) return end;
        const doff = (buf[p + 12]! >>> 4) * 4;
        const hdrEnd = Math.min(end, p + Math.max(20, doff));
        const options = doff > 20 ? this.tcpOptions(buf, p + 20, hdrEnd) : 0;
        applyDelta(buf, p + 16, pseudo + options);
        return hdrEnd;
      }
      case 17: {
        if (p + 8 > end) return end;
        const stored = (buf[p + 6]! << 8) | buf[p + 7]!;
        if (stored !== 0 || v6) {
          applyDelta(buf, p + 6, pseudo);
          // A computed 0 is sent as 0xffff: 0 means "no checksum" over IPv4.
          if (buf[p + 6] === 0 && buf[p + 7] === 0) buf[p + 6] = buf[p + 7] = 0xff;
        }
        return p + 8;
      }
      case 1: {
        if (p + 8 > end) return end;
        // ICMP has no pseudo-header; a redirect names the gateway in its second word.
        if (buf[p]! === 5) applyDelta(buf, p + 2, this.rewriteV4(buf, p + 4));
        return p + 8;
      }
      case 58: {
        if (p + 8 > end) return end;
        applyDelta(buf, p + 2, pseudo);
        return p + 8;
      }
      case 4:
        return depth < MAX_IP_DEPTH ? this.ipv4(buf, p, depth + 1) : p;
      case 41:
        return depth < MAX_IP_DEPTH ? this.ipv6(buf, p, depth + 1) : p;
      default:
        return p;
    }
  }

  /** MPTCP ADD_ADDR carries an address (IPv4 or IPv6, told apart by the option length). */
  private tcpOptions(buf: Uint8Array, from: number, to: number): number {
    let delta = 0;
    let at = from;
    while (at < to) {
      const kind = buf[at]!;
      if (kind === 0) break;
      if (kind === 1) {
        at++;
        continue;
      }
      if (at + 2 > to) break;
      const len = buf[at + 1]!;
      if (len < 2 || at + len > to) break;
      if (kind === 30 && len >= 8 && buf[at + 2]! >>> 4 === 3) {
        if (len === 8 || len === 10 || len === 16 || len === 18) delta += this.rewriteV4(buf, at + 4);
        else if (len === 20 || len === 22 || len === 28 || len === 30) delta += this.rewriteV6(buf, at + 4);
      }
      at += len;
    }
    return delta;
  }

  /** Replace the IPv4 address at `at` by its pseudonym; returns the checksum delta. */
  private rewriteV4(buf: Uint8Array, at: number): number {
    const old = readWord(buf, at);
    const now = this.map.ipv4(old);
    this.putWord(buf, at, now);
    return wordDelta(old, now);
  }

  /** Replace the IPv6 address at `at` by its pseudonym; returns the checksum delta. */
  private rewriteV6(buf: Uint8Array, at: number): number {
    const w = this.words;
    for (let i = 0; i < 4; i++) w[i] = readWord(buf, at + i * 4);
    const m = this.map.ipv6(w, this.mapped);
    const b = this.bytes16;
    for (let i = 0; i < 4; i++) {
      const v = m[i]!;
      b[i * 4] = v >>> 24;
      b[i * 4 + 1] = (v >>> 16) & 0xff;
      b[i * 4 + 2] = (v >>> 8) & 0xff;
      b[i * 4 + 3] = v & 0xff;
    }
    const delta = rewriteDelta(buf, at, b, 16);
    buf.set(b, at);
    return delta;
  }

  private linkAddress(buf: Uint8Array, at: number, length: number): void {
    if (length === 6) this.map.macAt(buf, at);
    else buf.fill(0, at, at + 8);
  }

  /** A link header cut short: its bytes may hold part of an address, so none are kept. */
  private zeroed(buf: Uint8Array, p: number): number {
    buf.fill(0, p, this.end);
    return p;
  }

  private putWord(buf: Uint8Array, at: number, v: number): void {
    buf[at] = v >>> 24;
    buf[at + 1] = (v >>> 16) & 0xff;
    buf[at + 2] = (v >>> 8) & 0xff;
    buf[at + 3] = v & 0xff;
  }
}

function readWord(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}
