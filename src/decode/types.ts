/**
 * The decode stage fills a reused `PacketView` from a `PacketRecord` in place (gopacket's DecodingLayer
 * idea): no allocation per packet. Addresses are numbers so later stages can key flows numerically; use
 * `formatAddress` only for output.
 *
 * Contract: every field is reset by each decode; fields of layers that were not reached keep their "absent"
 * value (0, -1, false, or empty) as documented per field.
 */

export const IP_NONE = 0;

export interface PacketView {
  /** Copied from the record, for convenience of later stages. */
  index: number;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  len: number;
  interfaceId: number;
  linktype: number;

  /** True if the link type is one we decode (Ethernet, SLL, SLL2, raw IP, NULL/LOOP, Cisco HDLC, IPoIB). */
  linkDecoded: boolean;
  /** VLAN ids outermost first (802.1Q/802.1ad/QinQ); length in `vlanCount`. */
  vlanIds: Uint16Array;
  vlanCount: number;
  /** EtherType (or equivalent) of the network layer, -1 if none. */
  etherType: number;
  /** Offset of the innermost IP header that carries the transport header, in `buf`; -1 if none. */
  l3Offset: number;

  /** 0 (no IP), 4 or 6; of the innermost IP header (IP-in-IP / 6in4 are walked). */
  ipVersion: 0 | 4 | 6;
  /**
   * Addresses of the innermost IP header. IPv4 in word [3] with words [0..2] = 0; IPv6 as four big-endian
   * 32-bit words. Reused arrays.
   */
  src: Uint32Array;
  dst: Uint32Array;
  /** IP protocol / IPv6 next header of the transport layer (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...), -1 if none. */
  proto: number;
  /** IPv4 identification; for IPv6 the fragment header id if present, else -1. */
  ipId: number;
  /** TTL or hop limit; -1 if no IP. */
  ttl: number;
  /** DSCP (6 bits) and ECN (2 bits); -1 if no IP. */
  dscp: number;
  ecn: number;
  /** IPv4 total length or IPv6 payload length as on the wire (0 with TSO/BIG TCP); -1 if no IP. */
  ipLength: number;
  /** IPv4 DF flag. */
  dontFragment: boolean;
  /** True if this is a fragment (MF set or offset > 0, or an IPv6 fragment header); transport not decoded unless offset 0. */
  isFragment: boolean;
  /** Fragment offset in bytes (the header field times 8); 0 when not a fragment. */
  fragOffset: number;
  /** IPv4 header length in bytes including options (IPv6: 40 + extension headers). */
  ipHeaderLength: number;
  /** Offset of the transport header in `buf`, -1 if none. */
  l4Offset: number;

  /** ICMP / ICMPv6 type and code, -1 when not ICMP. */
  icmpType: number;
  icmpCode: number;

  /**
   * True when a TCP header was decoded: the fixed 20 bytes were captured and the data offset is valid (at
   * least 20, within the segment's on-wire length). Options cut off by the snap length are read as far as
   * captured and set `truncated`. With a bad data offset, ports, seq, ack, flags, window and
   * `tcpHeaderLength` are still filled (as tshark shows them) but `isTcp` stays false.
   */
  isTcp: boolean;
  /** Ports of TCP, UDP or SCTP (for Community ID); -1 when absent. */
  srcPort: number;
  dstPort: number;
  /** Raw 32-bit sequence and acknowledgement numbers (unsigned, as on the wire). */
  seq: number;
  ack: number;
  /** 12 bits: FIN 0x001, SYN 0x002, RST 0x004, PSH 0x008, ACK 0x010, URG 0x020, ECE 0x040, CWR 0x080, AE 0x100, reserved 0xe00. */
  flags: number;
  tcpHeaderLength: number;
  /** Raw window field (not scaled). */
  window: number;
  urgent: number;
  /** TCP payload: offset in `buf`, length on the wire (from IP lengths), and how much of it was captured. */
  payloadOffset: number;
  payloadLength: number;
  payloadCaptured: number;
  /** Options: -1 / false when absent. */
  mss: number;
  wscale: number;
  sackPerm: boolean;
  /** tsval/tsecr are unsigned 32-bit; `hasTimestamps` says whether the option was present. */
  hasTimestamps: boolean;
  tsval: number;
  tsecr: number;
  /** SACK blocks as [left0, right0, left1, right1, ...] raw edges; count of blocks in `sackCount`. */
  sack: Uint32Array;
  sackCount: number;
  /** TFO cookie option present (kind 34 or experimental 254 with magic 0xF989); cookie length (0 = request). */
  tfo: boolean;
  tfoCookieLength: number;
  /** MPTCP option present (kind 30). */
  mptcp: boolean;
  /** Option kinds in header order (including NOP/EOL), for detecting option rewrites; count in `optionCount`. */
  optionKinds: Uint8Array;
  optionCount: number;
  /** True if any layer was cut short by the snap length or a bad length field. */
  truncated: boolean;

  /** The record's buffer (reused by the reader), valid until the next packet is read. */
  buf: Uint8Array;
}

/** TCP flag bits. */
export const TCP_FIN = 0x001;
export const TCP_SYN = 0x002;
export const TCP_RST = 0x004;
export const TCP_PSH = 0x008;
export const TCP_ACK = 0x010;
export const TCP_URG = 0x020;
export const TCP_ECE = 0x040;
export const TCP_CWR = 0x080;
export const TCP_AE = 0x100;
