/**
 * Link types that start directly with an IP header: LINKTYPE_RAW (101, and the DLT values 12 and 14 that
 * some systems write for it), where the version nibble decides; LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229).
 */
import { BAD_IP_VERSION, TRUNCATED_IP } from './anomalies.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { type DecodeState, report } from './state.js';

export function decodeRawIp(s: DecodeState, off: number): void {
  if (off >= s.end) {
    s.view.truncated = true;
    report(s, TRUNCATED_IP, off, 'empty raw IP frame');
    return;
  }
  const version = s.buf[off]! >> 4;
  if (version === 4) decodeIpv4Link(s, off);
  else if (version === 6) decodeIpv6Link(s, off);
  else report(s, BAD_IP_VERSION, off, `version ${version} on a raw IP link`);
}

export function decodeIpv4Link(s: DecodeState, off: number): void {
  s.view.etherType = 0x0800;
  decodeIpv4(s, off);
}

export function decodeIpv6Link(s: DecodeState, off: number): void {
  s.view.etherType = 0x86dd;
  decodeIpv6(s, off);
}
