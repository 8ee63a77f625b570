/** Ethernet II (and 802.3 with LLC/SNAP) and stacked VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8, 0x9100). */
import { TOO_MANY_VLAN_TAGS, TRUNCATED_ETHERNET, TRUNCATED_VLAN } from './anomalies.js';
import { be16, type DecodeState, report } from './state.js';
import { dispatchEtherType } from './tables.js';
import { MAX_VLAN_TAGS } from './view.js';

const ETHERNET_HEADER = 14;
const VLAN_TAG = 4;
/** Type/length values below this are an 802.3 length, not an EtherType (IEEE 802.3 clause 3.2.6). */
const MIN_ETHERTYPE = 0x0600;
const LLC_SNAP_HEADER = 8;

export function decodeEthernet(s: DecodeState, off: number): void {
  if (off + ETHERNET_HEADER > s.end) {
    s.view.truncated = true;
    report(s, TRUNCATED_ETHERNET, off, `${s.end - off} bytes`);
    return;
  }
  const typeOrLength = be16(s.data, off + 12);
  if (typeOrLength >= MIN_ETHERTYPE) {
    dispatchEtherType(s, typeOrLength, off + ETHERNET_HEADER);
    return;
  }
  decodeLlcSnap(s, off + ETHERNET_HEADER);
}

/**
 * 802.3 frames carry an LLC header; only SNAP with the zero OUI (RFC 1042) wraps an EtherType. Anything else
 * (spanning tree, NetBIOS...) is not IP and stops here without complaint.
 */
function decodeLlcSnap(s: DecodeState, off: number): void {
  const b = s.buf;
  if (off + LLC_SNAP_HEADER > s.end) return;
  if (b[off] !== 0xaa || b[off + 1] !== 0xaa || b[off + 2] !== 0x03) return;
  if (b[off + 3] !== 0 || b[off + 4] !== 0 || b[off + 5] !== 0) return;
  dispatchEtherType(s, be16(s.data, off + 6), off + LLC_SNAP_HEADER);
}

/** One VLAN tag: `off` is at the TCI (the tag's EtherType was the previous layer's type field). */
export function decodeVlanTag(s: DecodeState, off: number): void {
  const v = s.view;
  if (off + VLAN_TAG > s.end) {
    v.truncated = true;
    report(s, TRUNCATED_VLAN, off, `${s.end - off} of 4 bytes`);
    return;
  }
  if (v.vlanCount >= MAX_VLAN_TAGS) {
    report(s, TOO_MANY_VLAN_TAGS, off, `more than ${MAX_VLAN_TAGS} tags`);
    return;
  }
  v.vlanIds[v.vlanCount++] = be16(s.data, off) & 0x0fff;
  dispatchEtherType(s, be16(s.data, off + 2), off + VLAN_TAG);
}
