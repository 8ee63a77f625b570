/**
 * BSD loopback: LINKTYPE_NULL (0, address family in the capturing host's byte order) and LINKTYPE_LOOP (108,
 * network byte order). Files get moved between hosts and some writers mix them up, so both byte orders are
 * accepted for both link types, as tcpdump does.
 */
import { TRUNCATED_NULL, UNKNOWN_NULL_FAMILY } from './anomalies.js';
import { be16, be32, type DecodeState, le32, report } from './state.js';
import { dispatchEtherType } from './tables.js';

const NULL_HEADER = 4;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

/** AF_INET is 2 everywhere; AF_INET6 differs per BSD: 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (Darwin). */
function etherTypeOfFamily(family: number): number {
  switch (family) {
    case 2:
      return ETHERTYPE_IPV4;
    case 24:
    case 28:
    case 30:
      return ETHERTYPE_IPV6;
    default:
      return -1;
  }
}

export function decodeNull(s: DecodeState, off: number): void {
  if (off + NULL_HEADER > s.end) {
    s.view.truncated = true;
    report(s, TRUNCATED_NULL, off, `${s.end - off} of 4 bytes`);
    return;
  }
  // Some BSD loopback captures hold Cisco HDLC framing instead (address 0x0F unicast or 0x8F broadcast,
  // control 0, then an EtherType); Wireshark recognises them the same way.
  const b = s.buf;
  if ((b[off] === 0x0f || b[off] === 0x8f) && b[off + 1] === 0) {
    dispatchEtherType(s, be16(s.data, off + 2), off + NULL_HEADER);
    return;
  }
  let etherType = etherTypeOfFamily(le32(s.data, off));
  if (etherType < 0) etherType = etherTypeOfFamily(be32(s.data, off));
  if (etherType < 0) {
    report(s, UNKNOWN_NULL_FAMILY, off, `family 0x${be32(s.data, off).toString(16).padStart(8, '0')}`);
    return;
  }
  dispatchEtherType(s, etherType, off + NULL_HEADER);
}
