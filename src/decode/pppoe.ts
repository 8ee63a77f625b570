/** PPPoE session frames (EtherType 0x8864, RFC 2516): a 6-byte PPPoE header, then the PPP protocol field. */
import { TRUNCATED_PPPOE } from './anomalies.js';
import { be16, type DecodeState, report } from './state.js';
import { dispatchEtherType } from './tables.js';

const PPPOE_HEADER = 6;
const PPP_PROTOCOL = 2;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

export function decodePppoeSession(s: DecodeState, off: number): void {
  if (off + PPPOE_HEADER + PPP_PROTOCOL > s.end) {
    s.view.truncated = true;
    report(s, TRUNCATED_PPPOE, off, `${s.end - off} of 8 bytes`);
    return;
  }
  // Other PPP protocols (LCP, IPCP, CHAP...) are session control, not traffic: they stop here.
  const protocol = be16(s.data, off + PPPOE_HEADER);
  const ip = off + PPPOE_HEADER + PPP_PROTOCOL;
  if (protocol === PPP_IPV4) dispatchEtherType(s, 0x0800, ip);
  else if (protocol === PPP_IPV6) dispatchEtherType(s, 0x86dd, ip);
}
