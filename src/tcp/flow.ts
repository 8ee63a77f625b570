/**
 * Per-direction state of the sequence analysis: Wireshark's `tcp_flow_t` plus its `tcp_analyze_seq_info`,
 * as numeric words in typed arrays so each packet updates them in place. Times are nanoseconds relative to the
 * table's base second (see common/time.ts `relNs`); "absolute zero" (the epoch) is kept as its own value
 * because Wireshark treats a zero timestamp as "not set".
 */

/** Window scale: not known yet (no SYN seen in this direction). */
export const WSCALE_UNKNOWN = -1;
/** Window scale: known not to be used (a SYN without the option, or the peer's SYN lacked it). */
export const WSCALE_NONE = -2;

// Int32 words of one flow's row in a FlowStore (a row is padded to 16 words: 64 bytes, one cache line).
const BASE_SEQ = 0;
const BASE_SEQ_SET = 1;
const NEXT_SEQ = 2;
const NEXT_SEQ_FRAME = 3;
const MAX_SEQ_TO_BE_ACKED = 4;
const LAST_ACK = 5;
const DUP_ACK_NUM = 6;
const LAST_NON_DUP_ACK = 7;
const WINDOW = 8;
const WIN_SCALE = 9;
const LAST_SEGMENT_FLAGS = 10;
const IS_FIRST_ACK = 11;
const ROW_WORDS = 16;
// Float64 words of a row: the two times.
const NEXT_SEQ_TIME = 0;
const LAST_ACK_TIME = 1;
const TIME_WORDS = 2;

/**
 * Every flow's state in two typed arrays, one row per flow (a session's two flows side by side): a table
 * holds two flows per session for 100,000s of sessions, and as objects they were hundreds of thousands of
 * objects the collector copied and marked while packets came, each on cache lines of its own.
 */
export class FlowStore {
  ints: Int32Array;
  times: Float64Array;
  /** Rows in use. */
  size = 0;

  constructor(rows = 1024) {
    this.ints = new Int32Array(rows * ROW_WORDS);
    this.times = new Float64Array(rows * TIME_WORDS);
  }

  /** Add a flow in its initial state; returns its row. */
  add(absZeroNs: number): number {
    const row = this.size;
    if ((row + 1) * ROW_WORDS > this.ints.length) this.grow();
    const o = row * ROW_WORDS;
    this.ints[o + WINDOW] = -1;
    this.ints[o + WIN_SCALE] = WSCALE_UNKNOWN;
    this.times[row * TIME_WORDS + NEXT_SEQ_TIME] = absZeroNs;
    this.times[row * TIME_WORDS + LAST_ACK_TIME] = absZeroNs;
    this.size = row + 1;
    return row;
  }

  private grow(): void {
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.ints = ints;
    this.times = times;
  }
}

/**
 * One flow's state, read and written in place in a FlowStore row: `at` points the view at another row, so a
 * table needs two views, not two objects per session. Sequence numbers are unsigned 32-bit values kept as
 * signed words and read back with `>>> 0`.
 */
export class FlowState {
  private ints: Int32Array;
  private times: Float64Array;
  private o = 0;
  private t = 0;

  /** A view of its own one-row store in the initial state, or of row 0 of `store`. */
  constructor(absZeroNs: number, store?: FlowStore) {
    const own = store ?? new FlowStore(1);
    if (store === undefined) own.add(absZeroNs);
    this.ints = own.ints;
    this.times = own.times;
  }

  /** Point this view at `row` of `store`. */
  at(store: FlowStore, row: number): this {
    this.ints = store.ints;
    this.times = store.times;
    this.o = row * ROW_WORDS;
    this.t = row * TIME_WORDS;
    return this;
  }

  /** Base for relative sequence numbers: the ISN if a SYN was seen first, else first seq - 1. */
  get baseSeq(): number {
    return this.ints[this.o + BASE_SEQ]! >>> 0;
  }
  set baseSeq(seq: number) {
    this.ints[this.o + BASE_SEQ] = seq;
  }
  /** True once `baseSeq` is set. */
  get baseSeqSet(): boolean {
    return this.ints[this.o + BASE_SEQ_SET] !== 0;
  }
  set baseSeqSet(set: boolean) {
    this.ints[this.o + BASE_SEQ_SET] = set ? 1 : 0;
  }

  /** Highest seq + len (+1 for SYN/FIN) seen; 0 means "not set", exactly as in Wireshark. */
  get nextSeq(): number {
    return this.ints[this.o + NEXT_SEQ]! >>> 0;
  }
  set nextSeq(seq: number) {
    this.ints[this.o + NEXT_SEQ] = seq;
  }
  get nextSeqFrame(): number {
    return this.ints[this.o + NEXT_SEQ_FRAME]!;
  }
  set nextSeqFrame(frame: number) {
    this.ints[this.o + NEXT_SEQ_FRAME] = frame;
  }
  get nextSeqTimeNs(): number {
    return this.times[this.t + NEXT_SEQ_TIME]!;
  }
  set nextSeqTimeNs(ns: number) {
    this.times[this.t + NEXT_SEQ_TIME] = ns;
  }

  /** Highest contiguous nextSeq, for "ACKed segment that wasn't captured"; 0 = not set. */
  get maxSeqToBeAcked(): number {
    return this.ints[this.o + MAX_SEQ_TO_BE_ACKED]! >>> 0;
  }
  set maxSeqToBeAcked(seq: number) {
    this.ints[this.o + MAX_SEQ_TO_BE_ACKED] = seq;
  }

  /** Ack number (raw) of the last segment in this direction (its time in `lastAckTimeNs`). */
  get lastAck(): number {
    return this.ints[this.o + LAST_ACK]! >>> 0;
  }
  set lastAck(ack: number) {
    this.ints[this.o + LAST_ACK] = ack;
  }
  get lastAckTimeNs(): number {
    return this.times[this.t + LAST_ACK_TIME]!;
  }
  set lastAckTimeNs(ns: number) {
    this.times[this.t + LAST_ACK_TIME] = ns;
  }

  /** Duplicate-ACK counter; -1 after an "ACKed unseen segment" (Wireshark's neutraliser). */
  get dupAckNum(): number {
    return this.ints[this.o + DUP_ACK_NUM]!;
  }
  set dupAckNum(n: number) {
    this.ints[this.o + DUP_ACK_NUM] = n;
  }
  /** Packet number of the last ACK that changed the ack number (the frame duplicate ACKs repeat). */
  get lastNonDupAck(): number {
    return this.ints[this.o + LAST_NON_DUP_ACK]!;
  }
  set lastNonDupAck(frame: number) {
    this.ints[this.o + LAST_NON_DUP_ACK] = frame;
  }

  /** Raw (unscaled) window of the last segment; starts at 0xffffffff, Wireshark's G_MAXUINT32. */
  get window(): number {
    return this.ints[this.o + WINDOW]! >>> 0;
  }
  set window(window: number) {
    this.ints[this.o + WINDOW] = window;
  }
  /** Shift count 0..14, or WSCALE_UNKNOWN / WSCALE_NONE. */
  get winScale(): number {
    return this.ints[this.o + WIN_SCALE]!;
  }
  set winScale(scale: number) {
    this.ints[this.o + WIN_SCALE] = scale;
  }

  /** Analysis bits of the last segment in this direction (keep-alive / zero-window-probe ACK rules). */
  get lastSegmentFlags(): number {
    return this.ints[this.o + LAST_SEGMENT_FLAGS]!;
  }
  set lastSegmentFlags(bits: number) {
    this.ints[this.o + LAST_SEGMENT_FLAGS] = bits;
  }
  /** True from a SYN until the first pure ACK in this direction (window-full ignores scaling then). */
  get isFirstAck(): boolean {
    return this.ints[this.o + IS_FIRST_ACK] !== 0;
  }
  set isFirstAck(first: boolean) {
    this.ints[this.o + IS_FIRST_ACK] = first ? 1 : 0;
  }
}
