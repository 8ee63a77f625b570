/** The decode stage: packet records in, reused packet views out. */

export { formatAddress } from './address.js';
export * as decodeAnomalies from './anomalies.js';
export { communityId } from './community-id.js';
export { Decoder } from './decoder.js';
export { isDecodedLinkType } from './registry.js';
export {
  TCP_ACK,
  TCP_AE,
  TCP_CWR,
  TCP_ECE,
  TCP_FIN,
  TCP_PSH,
  TCP_RESERVED,
  TCP_RST,
  TCP_SYN,
  TCP_URG,
  tcpFlagsString,
} from './tcp-flags.js';
export type { PacketView } from './types.js';
export { IP_NONE } from './types.js';
