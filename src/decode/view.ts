/**
 * Allocation and reset of the reused `PacketView`. Every field a decoder may set is reset here, so a
 * packet never shows a value left over from the previous one (the contract in types.ts).
 */
import type { PacketView } from './types.js';

/** Stacked VLAN tags followed before giving up (QinQ uses 2; 8 leaves room for odd carrier setups). */
export const MAX_VLAN_TAGS = 8;
/** At most 4 SACK blocks fit in 40 bytes of TCP options (2 + 4 * 8 = 34). */
export const MAX_SACK_BLOCKS = 4;
/** 40 bytes of options hold at most 40 one-byte kinds (NOP/EOL). */
export const MAX_OPTION_KINDS = 40;

export function createView(): PacketView {
  const view: PacketView = {
    index: 0,
    tsSec: 0,
    tsNsec: 0,
    caplen: 0,
    len: 0,
    interfaceId: 0,
    linktype: 0,
    linkDecoded: false,
    vlanIds: new Uint16Array(MAX_VLAN_TAGS),
    vlanCount: 0,
    etherType: -1,
    l3Offset: -1,
    ipVersion: 0,
    src: new Uint32Array(4),
    dst: new Uint32Array(4),
    proto: -1,
    ipId: -1,
    ttl: -1,
    dscp: -1,
    ecn: -1,
    ipLength: -1,
    dontFragment: false,
    isFragment: false,
    fragOffset: 0,
    ipHeaderLength: 0,
    l4Offset: -1,
    icmpType: -1,
    icmpCode: -1,
    isTcp: false,
    srcPort: -1,
    dstPort: -1,
    seq: 0,
    ack: 0,
    flags: 0,
    tcpHeaderLength: 0,
    window: 0,
    urgent: 0,
    payloadOffset: -1,
    payloadLength: 0,
    payloadCaptured: 0,
    mss: -1,
    wscale: -1,
    sackPerm: false,
    hasTimestamps: false,
    tsval: 0,
    tsecr: 0,
    sack: new Uint32Array(MAX_SACK_BLOCKS * 2),
    sackCount: 0,
    tfo: false,
    tfoCookieLength: 0,
    mptcp: false,
    optionKinds: new Uint8Array(MAX_OPTION_KINDS),
    optionCount: 0,
    truncated: false,
    buf: new Uint8Array(0),
  };
  return view;
}

/** Back to "nothing decoded". The reused arrays are not cleared: their counts (or ipVersion) say what is valid. */
export function resetLayers(v: PacketView): void {
  v.linkDecoded = false;
  v.vlanCount = 0;
  v.etherType = -1;
  v.l3Offset = -1;
  resetIp(v);
  v.truncated = false;
}

/**
 * After decoding: zero addresses unless an IP header was decoded. Only the IP decoders write the addresses,
 * and they set ipVersion before they do, so this keeps "no IP: addresses 0" without clearing eight words
 * ahead of every IP packet that overwrites them anyway.
 */
export function clearAddressesIfNoIp(v: PacketView): void {
  if (v.ipVersion !== 0) return;
  const src = v.src;
  const dst = v.dst;
  src[0] = src[1] = src[2] = src[3] = 0;
  dst[0] = dst[1] = dst[2] = dst[3] = 0;
}

/** Clears the IP and everything above; used again when a tunnel hands over to its inner header. */
export function resetIp(v: PacketView): void {
  // The addresses are not cleared here: an IP decoder overwrites all eight words, and `clearAddressesIfNoIp`
  // clears them after decoding when no IP header was reached.
  v.ipVersion = 0;
  v.proto = -1;
  v.ipId = -1;
  v.ttl = -1;
  v.dscp = -1;
  v.ecn = -1;
  v.ipLength = -1;
  v.dontFragment = false;
  v.isFragment = false;
  v.fragOffset = 0;
  v.ipHeaderLength = 0;
  v.l4Offset = -1;
  v.icmpType = -1;
  v.icmpCode = -1;
  v.isTcp = false;
  v.srcPort = -1;
  v.dstPort = -1;
  v.seq = 0;
  v.ack = 0;
  v.flags = 0;
  v.tcpHeaderLength = 0;
  v.window = 0;
  v.urgent = 0;
  v.payloadOffset = -1;
  v.payloadLength = 0;
  v.payloadCaptured = 0;
  v.mss = -1;
  v.wscale = -1;
  v.sackPerm = false;
  v.hasTimestamps = false;
  v.tsval = 0;
  v.tsecr = 0;
  v.sackCount = 0;
  v.tfo = false;
  v.tfoCookieLength = 0;
  v.mptcp = false;
  v.optionCount = 0;
}
