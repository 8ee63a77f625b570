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

/**
 * Sequence numbers are unsigned 32-bit values but are stored as signed 32-bit integers (`| 0`) and read
 * back with `>>> 0`: a field that ever holds a value of 2^31 or more is kept by V8 as a separate heap
 * number per object, and a table holds two flows per session for 100,000s of sessions.
 */
export class FlowState {
  private baseSeqI32 = 0;
  /** True once `baseSeq` is set. */
  baseSeqSet = false;
  private nextSeqI32 = 0;
  nextSeqFrame = 0;
  nextSeqTimeNs: number;
  private maxSeqToBeAckedI32 = 0;
  private lastAckI32 = 0;
  lastAckTimeNs: number;
  /** Duplicate-ACK counter; -1 after an "ACKed unseen segment" (Wireshark's neutraliser). */
  dupAckNum = 0;
  /** Packet number of the last ACK that changed the ack number (the frame duplicate ACKs repeat). */
  lastNonDupAck = 0;
  private windowI32 = -1;
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

  /** Base for relative sequence numbers: the ISN if a SYN was seen first, else first seq - 1. */
  get baseSeq(): number {
    return this.baseSeqI32 >>> 0;
  }
  set baseSeq(seq: number) {
    this.baseSeqI32 = seq | 0;
  }

  /** Highest seq + len (+1 for SYN/FIN) seen; 0 means "not set", exactly as in Wireshark. */
  get nextSeq(): number {
    return this.nextSeqI32 >>> 0;
  }
  set nextSeq(seq: number) {
    this.nextSeqI32 = seq | 0;
  }

  /** Highest contiguous nextSeq, for "ACKed segment that wasn't captured"; 0 = not set. */
  get maxSeqToBeAcked(): number {
    return this.maxSeqToBeAckedI32 >>> 0;
  }
  set maxSeqToBeAcked(seq: number) {
    this.maxSeqToBeAckedI32 = seq | 0;
  }

  /** Ack number (raw) of the last segment in this direction (its time in `lastAckTimeNs`). */
  get lastAck(): number {
    return this.lastAckI32 >>> 0;
  }
  set lastAck(ack: number) {
    this.lastAckI32 = ack | 0;
  }

  /** Raw (unscaled) window of the last segment; starts at 0xffffffff, Wireshark's G_MAXUINT32. */
  get window(): number {
    return this.windowI32 >>> 0;
  }
  set window(window: number) {
    this.windowI32 = window | 0;
  }
}
