/** LINKTYPE_ names (tcpdump.org link-layer header types) for messages and reports. */
const names = new Map<number, string>([
  [0, 'NULL'],
  [1, 'ETHERNET'],
  [6, 'IEEE802_5'],
  [8, 'SLIP'],
  [9, 'PPP'],
  [10, 'FDDI'],
  [12, 'RAW'], // DLT_RAW on OpenBSD-derived systems; read as raw IP, like tshark does
  [50, 'PPP_HDLC'],
  [51, 'PPP_ETHER'],
  [101, 'RAW'],
  [104, 'C_HDLC'],
  [105, 'IEEE802_11'],
  [107, 'FRELAY'],
  [108, 'LOOP'],
  [113, 'LINUX_SLL'],
  [119, 'IEEE802_11_PRISM'],
  [127, 'IEEE802_11_RADIOTAP'],
  [143, 'DOCSIS'],
  [163, 'IEEE802_11_AVS'],
  [192, 'PPI'],
  [195, 'IEEE802_15_4_WITHFCS'],
  [197, 'ERF'],
  [220, 'USB_LINUX_MMAPPED'],
  [228, 'IPV4'],
  [229, 'IPV6'],
  [231, 'DBUS'],
  [235, 'DVB_CI'],
  [239, 'NFLOG'],
  [240, 'NETANALYZER'],
  [242, 'IPOIB'],
  [249, 'USBPCAP'],
  [253, 'NETLINK'],
  [263, 'WIRESHARK_UPPER_PDU'],
  [276, 'LINUX_SLL2'],
  [279, 'EBHSCR'],
]);

/** "ETHERNET", "LINUX_SLL", ...; "LINKTYPE_<n>" for numbers without a known name. */
export function linktypeName(linktype: number): string {
  return names.get(linktype) ?? `LINKTYPE_${linktype}`;
}

/**
 * The largest captured length believable for a link type, as libpcap and Wireshark bound it: 256 KiB for
 * ordinary link types, more for the few whose frames are messages (D-Bus, USBPcap) or bus traces (EBHSCR).
 * A larger captured length means a corrupt record, not a big packet.
 */
export function maxCaplenFor(linktype: number): number {
  switch (linktype) {
    case 231: // DBUS
    case 249: // USBPCAP
      return 128 * 1024 * 1024;
    case 279: // EBHSCR
      return 8 * 1024 * 1024;
    default:
      return 262144;
  }
}

/** The largest record the reader buffers: the largest believable packet plus room for its block and options. */
export const MAX_RECORD_BYTES = 128 * 1024 * 1024 + 128 * 1024;
