/** IPv4 (RFC 791): options skipped by IHL, fragments flagged, TSO/BIG TCP total length 0 accepted. */
import {
  BAD_IP_HEADER_LENGTH,
  BAD_IP_VERSION,
  IP_LENGTH_EXCEEDS_FRAME,
  TRUNCATED_IP,
  TUNNEL_TOO_DEEP,
} from './anomalies.js';
import { be32, type DecodeState, report } from './state.js';
import { dispatchIpProtocol } from './tables.js';

const MIN_HEADER = 20;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
/** IP headers followed in one packet (IPv4-in-IPv4, 6in4, IPv6-in-IPv6...): real tunnels rarely pass 3. */
export const MAX_IP_DEPTH = 8;

export function decodeIpv4(s: DecodeState, off: number): void {
  const d = s.data;
  const v = s.view;
  if (off + MIN_HEADER > s.end) {
    v.truncated = true;
    report(s, TRUNCATED_IP, off, `IPv4: ${Math.max(0, s.end - off)} of 20 bytes`);
    return;
  }
  // The fixed header as five 32-bit words: one bounds-checked load each instead of one per byte.
  const versionToLength = be32(d, off);
  const versionIhl = versionToLength >>> 24;
  if (versionIhl >> 4 !== 4) {
    report(s, BAD_IP_VERSION, off, `version ${versionIhl >> 4} where IPv4 was expected`);
    return;
  }
  if (s.ipDepth >= MAX_IP_DEPTH) {
    report(s, TUNNEL_TOO_DEEP, off, `more than ${MAX_IP_DEPTH} IP headers`);
    return;
  }
  const headerLength = (versionIhl & 0x0f) * 4;
  if (headerLength < MIN_HEADER) {
    report(s, BAD_IP_HEADER_LENGTH, off, `IHL ${headerLength} bytes`);
    return;
  }
  s.ipDepth++;
  // A tunnelled packet inside an outer fragment continues in the next fragment: its length field rightly
  // exceeds what this frame holds.
  const insideFragment = v.isFragment;
  v.ipVersion = 4;
  v.l3Offset = off;
  v.l4Offset = -1;
  v.ipHeaderLength = headerLength;
  const tos = (versionToLength >>> 16) & 0xff;
  v.dscp = tos >> 2;
  v.ecn = tos & 3;
  const totalLength = versionToLength & 0xffff;
  v.ipLength = totalLength;
  const idFlagsOffset = be32(d, off + 4);
  v.ipId = idFlagsOffset >>> 16;
  const flagsOffset = idFlagsOffset & 0xffff;
  v.dontFragment = (flagsOffset & FLAG_DF) !== 0;
  // Fragment offset in bytes (the field counts 8-byte units).
  v.fragOffset = (flagsOffset & 0x1fff) * 8;
  // Sticky across tunnels: an inner packet carried in an outer fragment is a fragment too.
  if ((flagsOffset & FLAG_MF) !== 0 || v.fragOffset > 0) v.isFragment = true;
  const ttlProto = be32(d, off + 8);
  v.ttl = ttlProto >>> 24;
  const proto = (ttlProto >>> 16) & 0xff;
  v.proto = proto;
  const src = v.src;
  const dst = v.dst;
  src[0] = src[1] = src[2] = 0;
  src[3] = be32(d, off + 12);
  dst[0] = dst[1] = dst[2] = 0;
  dst[3] = be32(d, off + 16);

  if (off + headerLength > s.end) {
    v.truncated = true;
    report(s, TRUNCATED_IP, off, `IPv4 options: header ${headerLength} bytes, ${s.end - off} captured`);
    return;
  }
  // Where this packet ends on the wire. Total length 0 is what TSO / BIG TCP captures carry (the NIC or
  // stack fills it in later): the frame length is then the packet's length.
  let ipEnd = off + totalLength;
  if (totalLength === 0) {
    ipEnd = s.wireEnd;
  } else if (totalLength < headerLength) {
    report(s, BAD_IP_HEADER_LENGTH, off, `total length ${totalLength} < header length ${headerLength}`);
    return;
  } else if (ipEnd > s.wireEnd) {
    if (!insideFragment) {
      v.truncated = true;
      report(
        s,
        IP_LENGTH_EXCEEDS_FRAME,
        off,
        `IPv4 total length ${totalLength}, ${s.wireEnd - off} on the wire`,
      );
    }
    ipEnd = s.wireEnd;
  }
  // Bytes after the IP packet (Ethernet padding, trailers) are not payload.
  s.wireEnd = ipEnd;
  if (s.end > ipEnd) s.end = ipEnd;
  if (v.fragOffset > 0) return;
  dispatchIpProtocol(s, proto, off + headerLength);
}
