/**
 * The non-TCP transports, read only as far as a flow identity needs (ports, or ICMP type and code for
 * Community ID). UDP (RFC 768), SCTP common header (RFC 9260), ICMP (RFC 792), ICMPv6 (RFC 4443).
 */
import { TRUNCATED_TRANSPORT } from './anomalies.js';
import { be16, type DecodeState, report } from './state.js';

const UDP_HEADER = 8;
const SCTP_COMMON_HEADER = 12;
const ICMP_HEADER = 4;

/** UDP and SCTP both start with source and destination port. */
function decodePorts(s: DecodeState, off: number, headerLength: number, name: string): void {
  const v = s.view;
  if (off + 4 <= s.end) {
    v.srcPort = be16(s.data, off);
    v.dstPort = be16(s.data, off + 2);
  }
  if (off + headerLength > s.end) {
    v.truncated = true;
    report(s, TRUNCATED_TRANSPORT, off, `${name}: ${Math.max(0, s.end - off)} of ${headerLength} bytes`);
  }
}

export function decodeUdp(s: DecodeState, off: number): void {
  decodePorts(s, off, UDP_HEADER, 'UDP');
}

export function decodeSctp(s: DecodeState, off: number): void {
  decodePorts(s, off, SCTP_COMMON_HEADER, 'SCTP');
}

/** ICMP and ICMPv6 share the type/code/checksum layout. */
export function decodeIcmp(s: DecodeState, off: number): void {
  const v = s.view;
  if (off + 2 <= s.end) {
    v.icmpType = s.buf[off]!;
    v.icmpCode = s.buf[off + 1]!;
  }
  if (off + ICMP_HEADER > s.end) {
    v.truncated = true;
    report(s, TRUNCATED_TRANSPORT, off, `ICMP: ${Math.max(0, s.end - off)} of 4 bytes`);
  }
}
