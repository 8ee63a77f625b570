/**
 * Named anomalies of the decode stage. Every id here is documented in docs/anomalies.md (section
 * `decode.*`); keep the two in sync. A decoder never throws on bad bytes: it sets `truncated` where data is
 * missing, counts one of these, and leaves the layers it could not reach at their "absent" values.
 */
import { defineAnomaly } from '../common/anomaly.js';

export const UNSUPPORTED_LINKTYPE = defineAnomaly(
  'decode.unsupported_linktype',
  'note',
  'Packets of a link type this tool does not decode were counted but not analysed.',
);
export const TRUNCATED_ETHERNET = defineAnomaly(
  'decode.truncated_ethernet',
  'warning',
  'An Ethernet frame is shorter than its 14-byte header.',
);
export const TRUNCATED_VLAN = defineAnomaly(
  'decode.truncated_vlan',
  'warning',
  'A frame ends inside an 802.1Q/802.1ad VLAN tag.',
);
export const TOO_MANY_VLAN_TAGS = defineAnomaly(
  'decode.too_many_vlan_tags',
  'warning',
  'A frame carries more stacked VLAN tags than the decoder follows; the rest of it was not decoded.',
);
export const TRUNCATED_MPLS = defineAnomaly(
  'decode.truncated_mpls',
  'warning',
  'A frame ends inside its MPLS label stack.',
);
export const TOO_MANY_MPLS_LABELS = defineAnomaly(
  'decode.too_many_mpls_labels',
  'warning',
  'An MPLS label stack is deeper than the decoder follows; the rest of the frame was not decoded.',
);
export const TRUNCATED_PPPOE = defineAnomaly(
  'decode.truncated_pppoe',
  'warning',
  'A frame ends inside its PPPoE session header or PPP protocol field.',
);
export const TRUNCATED_SLL = defineAnomaly(
  'decode.truncated_sll',
  'warning',
  'A Linux cooked capture (SLL or SLL2) frame is shorter than its header.',
);
export const TRUNCATED_LINK_HEADER = defineAnomaly(
  'decode.truncated_link_header',
  'warning',
  'A frame is shorter than its link-layer header (Cisco HDLC, IP over InfiniBand).',
);
export const TRUNCATED_NULL = defineAnomaly(
  'decode.truncated_null',
  'warning',
  'A BSD loopback (NULL/LOOP) frame is shorter than its 4-byte address family header.',
);
export const UNKNOWN_NULL_FAMILY = defineAnomaly(
  'decode.unknown_null_family',
  'note',
  'A BSD loopback frame has an address family that is neither IPv4 nor IPv6; it was not decoded further.',
);
export const BAD_IP_VERSION = defineAnomaly(
  'decode.bad_ip_version',
  'warning',
  'The IP version nibble does not match the link layer type (or is neither 4 nor 6 on a raw IP link).',
);
export const TRUNCATED_IP = defineAnomaly(
  'decode.truncated_ip',
  'warning',
  'A packet ends inside its IPv4 or IPv6 header (or an IPv6 extension header).',
);
export const BAD_IP_HEADER_LENGTH = defineAnomaly(
  'decode.bad_ip_header_length',
  'warning',
  'An IPv4 header length (IHL) is below 5 words, or its total length is shorter than the header.',
);
export const IP_LENGTH_EXCEEDS_FRAME = defineAnomaly(
  'decode.ip_length_exceeds_frame',
  'warning',
  'An IP length field claims more bytes than the frame had on the wire; the frame length was used.',
);
export const BAD_IPV6_EXTENSION = defineAnomaly(
  'decode.bad_ipv6_extension',
  'warning',
  'An IPv6 extension header chain is longer than the payload or than the decoder follows.',
);
export const TUNNEL_TOO_DEEP = defineAnomaly(
  'decode.tunnel_too_deep',
  'warning',
  'IP-in-IP tunnels are nested deeper than the decoder follows; the innermost headers were not decoded.',
);
export const TRUNCATED_TCP_HEADER = defineAnomaly(
  'decode.truncated_tcp_header',
  'warning',
  'A packet ends inside the fixed 20-byte TCP header.',
);
export const BAD_TCP_DATA_OFFSET = defineAnomaly(
  'decode.bad_tcp_data_offset',
  'warning',
  'A TCP data offset is below 5 words or beyond the end of the IP payload.',
);
export const TRUNCATED_TCP_OPTIONS = defineAnomaly(
  'decode.truncated_tcp_options',
  'warning',
  'A packet ends inside the TCP options; the options that were captured were read.',
);
export const BAD_TCP_OPTION_LENGTH = defineAnomaly(
  'decode.bad_tcp_option_length',
  'warning',
  'A TCP option has a length below 2 or running past the TCP header; the remaining options were skipped.',
);
export const TCP_OPTION_WRONG_SIZE = defineAnomaly(
  'decode.tcp_option_wrong_size',
  'warning',
  'A TCP option (MSS, window scale, SACK, timestamps...) has a length its kind does not allow; it was ignored.',
);
export const TRUNCATED_PAYLOAD = defineAnomaly(
  'decode.truncated_payload',
  'note',
  'Part of a TCP payload was not captured (snap length); sequence analysis still uses its on-wire length.',
);
export const TRUNCATED_TRANSPORT = defineAnomaly(
  'decode.truncated_transport',
  'warning',
  'A packet ends inside its UDP, SCTP or ICMP header; ports or ICMP type were not read.',
);
