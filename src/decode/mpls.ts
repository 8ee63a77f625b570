/**
 * MPLS label stacks (EtherType 0x8847 unicast, 0x8848 multicast; RFC 3032), as carrier-side captures hold
 * them. The stack has no protocol field: after the bottom label, the first nibble tells IPv4 from IPv6.
 */
import { TOO_MANY_MPLS_LABELS, TRUNCATED_MPLS } from './anomalies.js';
import { type DecodeState, report } from './state.js';
import { dispatchEtherType } from './tables.js';

const LABEL_BYTES = 4;
/** Stacks deeper than this are not seen in practice (RFC 3032 sets no limit); bounds the walk. */
const MAX_LABELS = 16;

export function decodeMpls(s: DecodeState, off: number): void {
  const b = s.buf;
  for (let n = 0; ; n++) {
    if (n >= MAX_LABELS) {
      report(s, TOO_MANY_MPLS_LABELS, off, `more than ${MAX_LABELS} labels`);
      return;
    }
    if (off + LABEL_BYTES > s.end) {
      s.view.truncated = true;
      report(s, TRUNCATED_MPLS, off, `${s.end - off} of 4 bytes of label ${n + 1}`);
      return;
    }
    const bottomOfStack = (b[off + 2]! & 1) !== 0;
    off += LABEL_BYTES;
    if (bottomOfStack) break;
  }
  // Anything but IP after the stack (a pseudowire control word, Ethernet over MPLS) is not followed.
  if (off >= s.end) return;
  const version = b[off]! >> 4;
  if (version === 4) dispatchEtherType(s, 0x0800, off);
  else if (version === 6) dispatchEtherType(s, 0x86dd, off);
}
