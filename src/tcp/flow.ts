/**
 * Per-direction state of the sequence analysis: Wireshark's `tcp_flow_t` plus its `tcp_analyze_seq_info`,
 * as plain numeric fields so each packet updates them in place. Times are nanoseconds relative to the
 * table's base second (see common/time.ts `relNs`); "absolute zero" (the epoch) is kept as its own value
 * because Wireshark treats a zero timestamp as "not set".
 */

/** Window scale: not known yet (no SYN seen in this direction). */
export const WSCALE_UNKNOWN = -1;
/** Window scale: known not to be used (a SYN without the option, or the peer's SYN lacked it). */
export const WSCALE_NONE = -2;

export class FlowState {
  /** Base for relative sequence numbers: the ISN if a SYN was seen first, else first seq - 1. */
  baseSeq = 0;
  baseSeqSet = false;
  /** Highest seq + len (+1 for SYN/FIN) seen; 0 means "not set", exactly as in Wireshark. */
  nextSeq = 0;
  nextSeqFrame = 0;
  nextSeqTimeNs: number;
  /** Highest contiguous nextSeq, for "ACKed segment that wasn't captured"; 0 = not set. */
  maxSeqToBeAcked = 0;
  /** Ack number (raw) and time of the last segment in this direction. */
  lastAck = 0;
  lastAckTimeNs: number;
  /** Duplicate-ACK counter; -1 after an "ACKed unseen segment" (Wireshark's neutraliser). */
  dupAckNum = 0;
  /** Packet number of the last ACK that changed the ack number (the frame duplicate ACKs repeat). */
  lastNonDupAck = 0;
  /** Raw (unscaled) window of the last segment; starts at 0xffffffff, Wireshark's G_MAXUINT32. */
  window = 0xffffffff;
  /** Shift count 0..14, or WSCALE_UNKNOWN / WSCALE_NONE. */
  winScale = WSCALE_UNKNOWN;
  /** Analysis bits of the last segment in this direction (keep-alive / zero-window-probe ACK rules). */
  lastSegmentFlags = 0;
  /** True from a SYN until the first pure ACK in this direction (window-full ignores scaling then). */
  isFirstAck = false;

  constructor(absZeroNs: number) {
    this.nextSeqTimeNs = absZeroNs;
    this.lastAckTimeNs = absZeroNs;
  }
}
