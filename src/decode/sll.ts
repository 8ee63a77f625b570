/** Linux cooked captures: SLL v1 (LINKTYPE_LINUX_SLL 113) and SLL2 (LINKTYPE_LINUX_SLL2 276, `tcpdump -i any`). */
import { TRUNCATED_SLL } from './anomalies.js';
import { be16, type DecodeState, report } from './state.js';
import { dispatchEtherType } from './tables.js';

/** SLL: packet type, ARPHRD type, address length, 8 address bytes, then the protocol (an EtherType). */
const SLL_HEADER = 16;
const SLL_PROTOCOL = 14;
/** SLL2 puts the protocol first: protocol, reserved, ifindex, ARPHRD type, packet type, address length, address. */
const SLL2_HEADER = 20;

export function decodeSll(s: DecodeState, off: number): void {
  if (off + SLL_HEADER > s.end) {
    s.view.truncated = true;
    report(s, TRUNCATED_SLL, off, `SLL: ${s.end - off} of 16 bytes`);
    return;
  }
  dispatchEtherType(s, be16(s.data, off + SLL_PROTOCOL), off + SLL_HEADER);
}

export function decodeSll2(s: DecodeState, off: number): void {
  if (off + SLL2_HEADER > s.end) {
    s.view.truncated = true;
    report(s, TRUNCATED_SLL, off, `SLL2: ${s.end - off} of 20 bytes`);
    return;
  }
  dispatchEtherType(s, be16(s.data, off), off + SLL2_HEADER);
}
