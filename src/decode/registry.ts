/**
 * The protocol graph: every link type, EtherType and IP protocol this stage decodes, and by whom. Anything
 * not listed is left undecoded at that layer (counted for unsupported link types), never an error.
 */
import { decodeEthernet, decodeVlanTag } from './ethernet.js';
import { decodeCiscoHdlc, decodeIpOverInfiniband } from './fixed-links.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeNull } from './loopback.js';
import { decodeMpls } from './mpls.js';
import { decodePppoeSession } from './pppoe.js';
import { decodeIpv4Link, decodeIpv6Link, decodeRawIp } from './raw-ip.js';
import { decodeSll, decodeSll2 } from './sll.js';
import type { LayerDecoder } from './state.js';
import { etherTypeDecoders, ipProtocolDecoders, linkDecoder, linkTypeDecoders } from './tables.js';
import { decodeTcp } from './tcp.js';
import { decodeIcmp, decodeSctp, decodeUdp } from './transport.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
/** DLT_RAW as written by some BSDs (12) and OpenBSD (14); tshark reads both as raw IP. */
export const LINKTYPE_RAW_DLT12 = 12;
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPOIB = 242;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const linkTypes: [number, LayerDecoder][] = [
  [LINKTYPE_NULL, decodeNull],
  [LINKTYPE_ETHERNET, decodeEthernet],
  [LINKTYPE_RAW_DLT12, decodeRawIp],
  [LINKTYPE_RAW_DLT14, decodeRawIp],
  [LINKTYPE_RAW, decodeRawIp],
  [LINKTYPE_C_HDLC, decodeCiscoHdlc],
  [LINKTYPE_LOOP, decodeNull],
  [LINKTYPE_LINUX_SLL, decodeSll],
  [LINKTYPE_IPV4, decodeIpv4Link],
  [LINKTYPE_IPV6, decodeIpv6Link],
  [LINKTYPE_IPOIB, decodeIpOverInfiniband],
  [LINKTYPE_LINUX_SLL2, decodeSll2],
];

const etherTypes: [number, LayerDecoder][] = [
  [0x0800, decodeIpv4],
  [0x86dd, decodeIpv6],
  [0x8100, decodeVlanTag], // 802.1Q
  [0x88a8, decodeVlanTag], // 802.1ad service tag (QinQ outer)
  [0x9100, decodeVlanTag], // pre-standard QinQ outer tag
  [0x8847, decodeMpls], // MPLS unicast
  [0x8848, decodeMpls], // MPLS multicast
  [0x8864, decodePppoeSession],
];

const ipProtocols: [number, LayerDecoder][] = [
  [1, decodeIcmp],
  [4, decodeIpv4], // IP-in-IP
  [6, decodeTcp],
  [17, decodeUdp],
  [41, decodeIpv6], // 6in4, IPv6-in-IPv6
  [58, decodeIcmp], // ICMPv6
  [132, decodeSctp],
];

for (const [k, d] of linkTypes) linkTypeDecoders[k] = d;
for (const [k, d] of etherTypes) etherTypeDecoders[k] = d;
for (const [k, d] of ipProtocols) ipProtocolDecoders[k] = d;

export { linkDecoder };

/** Whether packets of this link type are decoded past the link layer. */
export function isDecodedLinkType(linktype: number): boolean {
  return linkDecoder(linktype) !== undefined;
}
