/**
 * Community ID flow hashing, version 1 (Corelight's spec, https://github.com/corelight/community-id-spec),
 * with seed 0 and base64 output, as Zeek, Suricata and tshark compute it:
 *
 *   "1:" + base64(SHA-1(seed:u16be, src addr, dst addr, proto:u8, 0:u8 [, src port:u16be, dst port:u16be]))
 *
 * The endpoints are ordered so both directions hash alike: the smaller (address, port) goes first. ICMP and
 * ICMPv6 have no ports: type and code stand in, and request/reply types map to each other so both
 * directions agree; ICMP types without a counterpart are one-way and never swapped. Other IP protocols hash
 * without ports, and so do IP fragments (even the first): every fragment of a datagram then gets the same ID,
 * which is also what tshark reports for fragments it has not reassembled.
 */
import { createHash } from 'node:crypto';
import type { PacketView } from './types.js';

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMPV6 = 58;
const PROTO_SCTP = 132;

/** ICMP request <-> reply types (echo, router solicitation/advertisement, timestamp, information, mask). */
const ICMP_COUNTERPART = new Map<number, number>([
  [8, 0],
  [0, 8],
  [10, 9],
  [9, 10],
  [13, 14],
  [14, 13],
  [15, 16],
  [16, 15],
  [17, 18],
  [18, 17],
]);

/** ICMPv6: echo, MLD query/report, router and neighbor discovery, node information, home agent discovery. */
const ICMPV6_COUNTERPART = new Map<number, number>([
  [128, 129],
  [129, 128],
  [130, 131],
  [131, 130],
  [133, 134],
  [134, 133],
  [135, 136],
  [136, 135],
  [139, 140],
  [140, 139],
  [144, 145],
  [145, 144],
]);

/** Compares (address, port) endpoints: negative when the source sorts first. */
function compareEndpoints(v: PacketView, srcPort: number, dstPort: number): number {
  const first = v.ipVersion === 4 ? 3 : 0;
  for (let i = first; i < 4; i++) {
    const a = v.src[i]! >>> 0;
    const b = v.dst[i]! >>> 0;
    if (a !== b) return a < b ? -1 : 1;
  }
  return srcPort - dstPort;
}

function writeAddress(out: Buffer, at: number, ipVersion: number, words: Uint32Array): number {
  if (ipVersion === 4) {
    out.writeUInt32BE(words[3]! >>> 0, at);
    return at + 4;
  }
  for (let i = 0; i < 4; i++) out.writeUInt32BE(words[i]! >>> 0, at + 4 * i);
  return at + 16;
}

/**
 * The Community ID of the packet's flow (innermost IP header), or null without IP or for a transport whose
 * ports are needed but were not captured.
 */
export function communityId(v: PacketView, seed = 0): string | null {
  if (v.ipVersion !== 4 && v.ipVersion !== 6) return null;
  const proto = v.proto;
  if (proto < 0) return null;
  let hasPorts = false;
  let srcPort = 0;
  let dstPort = 0;
  let oneWay = false;
  if (v.isFragment) {
    // No ports: see the module comment.
  } else if (proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP) {
    if (v.srcPort < 0 || v.dstPort < 0) return null;
    hasPorts = true;
    srcPort = v.srcPort;
    dstPort = v.dstPort;
  } else if ((proto === PROTO_ICMP && v.ipVersion === 4) || (proto === PROTO_ICMPV6 && v.ipVersion === 6)) {
    if (v.icmpType < 0) return null;
    hasPorts = true;
    const counterpart = (proto === PROTO_ICMP ? ICMP_COUNTERPART : ICMPV6_COUNTERPART).get(v.icmpType);
    srcPort = v.icmpType;
    if (counterpart === undefined) {
      dstPort = Math.max(v.icmpCode, 0);
      oneWay = true;
    } else {
      dstPort = counterpart;
    }
  }
  const swap = !oneWay && compareEndpoints(v, srcPort, dstPort) > 0;
  const addressBytes = v.ipVersion === 4 ? 4 : 16;
  const out = Buffer.alloc(2 + 2 * addressBytes + 2 + (hasPorts ? 4 : 0));
  let at = out.writeUInt16BE(seed & 0xffff, 0);
  at = writeAddress(out, at, v.ipVersion, swap ? v.dst : v.src);
  at = writeAddress(out, at, v.ipVersion, swap ? v.src : v.dst);
  at = out.writeUInt8(proto, at);
  at = out.writeUInt8(0, at);
  if (hasPorts) {
    at = out.writeUInt16BE(swap ? dstPort : srcPort, at);
    out.writeUInt16BE(swap ? srcPort : dstPort, at);
  }
  return `1:${createHash('sha1').update(out).digest('base64')}`;
}
