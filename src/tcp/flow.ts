/**
 * Per-direction state of the sequence analysis: Wireshark's `tcp_flow_t` plus its `tcp_analyze_seq_info`,
 * one row per flow in a table-owned store (session i's a->b flow is row 2i, b->a row 2i + 1). The rules
 * read and write the rows directly (rules.ts): as two objects per session they were a fifth of what the
 * collector copied and marked, and rows read through view objects cost more per packet than the objects.
 * Times are nanoseconds relative to the table's base second (see common/time.ts `relNs`); "absolute zero"
 * (the epoch) is kept as its own value because Wireshark treats a zero timestamp as "not set".
 */

/** Window scale: not known yet (no SYN seen in this direction). */
export const WSCALE_UNKNOWN = -1;
/** Window scale: known not to be used (a SYN without the option, or the peer's SYN lacked it). */
export const WSCALE_NONE = -2;

// Int32 words of a flow's row. Sequence numbers and packet numbers are unsigned 32-bit values stored as
// signed words and read back with `>>> 0`.
/** Base for relative sequence numbers: the ISN if a SYN was seen first, else first seq - 1. */
export const F_BASE_SEQ = 0;
/** 1 once F_BASE_SEQ is set. */
export const F_BASE_SET = 1;
/** Highest seq + len (+1 for SYN/FIN) seen; 0 means "not set", exactly as in Wireshark. */
export const F_NEXT_SEQ = 2;
/** Packet that set F_NEXT_SEQ. */
export const F_NEXT_SEQ_FRAME = 3;
/** Highest contiguous next seq, for "ACKed segment that wasn't captured"; 0 = not set. */
export const F_MAX_SEQ_TO_BE_ACKED = 4;
/** Ack number (raw) of the last segment in this direction (its time in T_LAST_ACK). */
export const F_LAST_ACK = 5;
/** Duplicate-ACK counter; -1 after an "ACKed unseen segment" (Wireshark's neutraliser). */
export const F_DUP_ACK_NUM = 6;
/** Packet number of the last ACK that changed the ack number (the frame duplicate ACKs repeat). */
export const F_LAST_NON_DUP_ACK = 7;
/** Raw (unscaled) window of the last segment; starts at 0xffffffff, Wireshark's G_MAXUINT32. */
export const F_WINDOW = 8;
/** Shift count 0..14, or WSCALE_UNKNOWN / WSCALE_NONE. */
export const F_WIN_SCALE = 9;
/** Analysis bits of the last segment in this direction (keep-alive / zero-window-probe ACK rules). */
export const F_LAST_SEGMENT_FLAGS = 10;
/** 1 from a SYN until the first pure ACK in this direction (window-full ignores scaling then). */
export const F_IS_FIRST_ACK = 11;
export const FLOW_WORDS = 12;
// Float64 words of a flow's row.
/** Time of the segment that set F_NEXT_SEQ. */
export const T_NEXT_SEQ = 0;
/** Time of the last segment in this direction. */
export const T_LAST_ACK = 1;
export const FLOW_TIMES = 2;

/** Flow rows, two per session; grown by doubling. */
export class FlowStore {
  ints: Int32Array;
  times: Float64Array;
  size = 0;

  constructor(flows = 2048) {
    this.ints = new Int32Array(flows * FLOW_WORDS);
    this.times = new Float64Array(flows * FLOW_TIMES);
  }

  /** A new flow in its initial state; `absZeroNs` is the epoch in relative ns. Returns its row. */
  add(absZeroNs: number): number {
    const row = this.size;
    if ((row + 1) * FLOW_WORDS > this.ints.length) this.grow();
    const o = row * FLOW_WORDS;
    this.ints[o + F_WINDOW] = -1;
    this.ints[o + F_WIN_SCALE] = WSCALE_UNKNOWN;
    const t = row * FLOW_TIMES;
    this.times[t + T_NEXT_SEQ] = absZeroNs;
    this.times[t + T_LAST_ACK] = absZeroNs;
    this.size = row + 1;
    return row;
  }

  /** Base sequence number of flow `row` (raw), for tests and readers outside the rules. */
  baseSeq(row: number): number {
    return this.ints[row * FLOW_WORDS + F_BASE_SEQ]! >>> 0;
  }

  /** Set flow `row`'s window scale (a shift count or WSCALE_UNKNOWN / WSCALE_NONE). */
  setWinScale(row: number, scale: number): void {
    this.ints[row * FLOW_WORDS + F_WIN_SCALE] = scale;
  }

  private grow(): void {
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    this.ints = ints;
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.times = times;
  }
}
