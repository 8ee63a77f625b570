/**
 * IPv6 (RFC 8200): the extension header chain is walked to the upper-layer header. ESP (50) and "no next
 * header" (59) end the chain. Payload length 0 means a jumbogram (RFC 2675, length in a hop-by-hop option)
 * or, without that option, a BIG TCP capture; then the frame length gives the packet length, as tcpdump does.
 */
import {
  BAD_IP_VERSION,
  BAD_IPV6_EXTENSION,
  IP_LENGTH_EXCEEDS_FRAME,
  TRUNCATED_IP,
  TUNNEL_TOO_DEEP,
} from './anomalies.js';
import { MAX_IP_DEPTH } from './ipv4.js';
import { be16, be32, type DecodeState, report } from './state.js';
import { dispatchIpProtocol } from './tables.js';

const FIXED_HEADER = 40;
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH_HEADER = 51;
const DEST_OPTIONS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;
const JUMBO_PAYLOAD_OPTION = 0xc2;
/** More extension headers than any sane packet carries; bounds the walk on hostile input. */
const MAX_EXTENSION_HEADERS = 16;

export function decodeIpv6(s: DecodeState, off: number): void {
  const b = s.buf;
  const d = s.data;
  const v = s.view;
  if (off + FIXED_HEADER > s.end) {
    v.truncated = true;
    report(s, TRUNCATED_IP, off, `IPv6: ${Math.max(0, s.end - off)} of 40 bytes`);
    return;
  }
  // Version (4 bits), traffic class (8), flow label (20).
  const versionClassFlow = be32(d, off);
  if (versionClassFlow >>> 28 !== 6) {
    report(s, BAD_IP_VERSION, off, `version ${versionClassFlow >>> 28} where IPv6 was expected`);
    return;
  }
  if (s.ipDepth >= MAX_IP_DEPTH) {
    report(s, TUNNEL_TOO_DEEP, off, `more than ${MAX_IP_DEPTH} IP headers`);
    return;
  }
  s.ipDepth++;
  // As for IPv4: a tunnelled packet inside an outer fragment rightly claims more than this frame holds.
  const insideFragment = v.isFragment;
  const trafficClass = (versionClassFlow >>> 20) & 0xff;
  v.ipVersion = 6;
  v.l3Offset = off;
  v.l4Offset = -1;
  v.dscp = trafficClass >> 2;
  v.ecn = trafficClass & 3;
  v.dontFragment = false;
  v.fragOffset = 0;
  v.ipId = -1;
  // Payload length (16 bits), next header (8), hop limit (8).
  const lengthNextHop = be32(d, off + 4);
  const payloadLength = lengthNextHop >>> 16;
  v.ipLength = payloadLength;
  v.ttl = lengthNextHop & 0xff;
  const src = v.src;
  const dst = v.dst;
  src[0] = be32(d, off + 8);
  src[1] = be32(d, off + 12);
  src[2] = be32(d, off + 16);
  src[3] = be32(d, off + 20);
  dst[0] = be32(d, off + 24);
  dst[1] = be32(d, off + 28);
  dst[2] = be32(d, off + 32);
  dst[3] = be32(d, off + 36);

  let ipEnd = off + FIXED_HEADER + payloadLength;
  if (payloadLength === 0) {
    const jumbo = b[off + 6] === HOP_BY_HOP ? jumboLength(s, off + FIXED_HEADER) : -1;
    ipEnd = jumbo > 0 ? off + FIXED_HEADER + jumbo : s.wireEnd;
  }
  if (ipEnd > s.wireEnd && !insideFragment) {
    v.truncated = true;
    report(
      s,
      IP_LENGTH_EXCEEDS_FRAME,
      off,
      `IPv6 payload length ${ipEnd - off - FIXED_HEADER}, ${s.wireEnd - off - FIXED_HEADER} on the wire`,
    );
  }
  if (ipEnd > s.wireEnd) ipEnd = s.wireEnd;

  if (!walkExtensionHeaders(s, off, ipEnd)) return;
  s.wireEnd = ipEnd;
  if (s.end > ipEnd) s.end = ipEnd;
  dispatchIpProtocol(s, v.proto, off + v.ipHeaderLength);
}

/** Bytes of the extension header `next` at `p` (bounds checked by the caller), or -1 if `next` is not one. */
function extensionHeaderLength(b: Uint8Array, next: number, p: number): number {
  switch (next) {
    case FRAGMENT:
      return 8;
    case AUTH_HEADER:
      // AH counts 4-byte units beyond the first 8 bytes (RFC 4302).
      return (b[p + 1]! + 2) * 4;
    case HOP_BY_HOP:
    case ROUTING:
    case DEST_OPTIONS:
    case MOBILITY:
    case HIP:
    case SHIM6:
      // The others count 8-byte units beyond the first 8 bytes (RFC 8200 section 4).
      return (b[p + 1]! + 1) * 8;
    default:
      return -1;
  }
}

/**
 * Follows the extension headers of the IPv6 header at `off`, setting `proto` (the upper-layer protocol, or
 * the header where the chain broke) and `ipHeaderLength`. True when the upper-layer header can be decoded:
 * the chain was complete and this is not a non-first fragment.
 */
function walkExtensionHeaders(s: DecodeState, off: number, ipEnd: number): boolean {
  const b = s.buf;
  const v = s.view;
  let next = b[off + 6]!;
  let p = off + FIXED_HEADER;
  let complete = true;
  for (let n = 0; ; n++) {
    const isExtension = extensionHeaderLength(b, next, p) >= 0;
    if (!isExtension) break;
    if (n >= MAX_EXTENSION_HEADERS) {
      report(s, BAD_IPV6_EXTENSION, p, `more than ${MAX_EXTENSION_HEADERS} extension headers`);
      complete = false;
      break;
    }
    if (p + 2 > s.end) {
      v.truncated = true;
      report(s, TRUNCATED_IP, p, `IPv6 extension header ${next}`);
      complete = false;
      break;
    }
    const headerLength = extensionHeaderLength(b, next, p);
    if (p + headerLength > ipEnd) {
      v.truncated = true;
      report(
        s,
        BAD_IPV6_EXTENSION,
        p,
        `extension header ${next} of ${headerLength} bytes past the payload end`,
      );
      complete = false;
      break;
    }
    if (p + headerLength > s.end) {
      v.truncated = true;
      report(s, TRUNCATED_IP, p, `IPv6 extension header ${next} of ${headerLength} bytes`);
      complete = false;
      break;
    }
    const isFragmentHeader = next === FRAGMENT;
    if (isFragmentHeader) {
      v.isFragment = true;
      v.fragOffset = be16(s.data, p + 2) & 0xfff8;
      v.ipId = be32(s.data, p + 4);
    }
    next = b[p]!;
    p += headerLength;
    // Only the first fragment holds the upper-layer header.
    if (isFragmentHeader && v.fragOffset > 0) {
      complete = false;
      break;
    }
  }
  v.proto = next;
  v.ipHeaderLength = p - off;
  return complete;
}

/** The Jumbo Payload option's length if the hop-by-hop header at `p` carries one, else -1. */
function jumboLength(s: DecodeState, p: number): number {
  const b = s.buf;
  if (p + 2 > s.end) return -1;
  const end = Math.min(p + (b[p + 1]! + 1) * 8, s.end);
  let i = p + 2;
  while (i < end) {
    const type = b[i]!;
    if (type === 0) {
      i++; // Pad1
      continue;
    }
    if (i + 2 > end) return -1;
    const len = b[i + 1]!;
    if (type === JUMBO_PAYLOAD_OPTION && len === 4 && i + 6 <= end) return be32(s.data, i + 2);
    i += 2 + len;
  }
  return -1;
}
