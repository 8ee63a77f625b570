/**
 * A table's per-session numbers, one row per session in two typed arrays: both directions' statistics,
 * the history, the byte streams' states and the session's own counters, times and bookkeeping. The collector neither copies nor marks typed-array contents, and every session lives
 * to the end of the capture: as fields of the session and of five more objects per session (two
 * `DirectionStats`, two `StreamReassembler`s and the `History`) they were most of what each scavenge
 * copied and each mark-compact re-marked. The table writes the rows in place; `Session`'s accessors read
 * them, and `Session.dirs`, `dir0`, `dir1`, `streams` and `history` make views of a row only when asked for.
 */
import { HISTORY_WORDS, type HistoryHost } from './history.js';
import { type PendingSegment, STREAM_NUMS, STREAM_WORDS, type StreamGap, type StreamHost } from './stream.js';

// Int32 words of a direction's block (direction d at row + d * DIR_WORDS). Unsigned values (ISN, head hash)
// are stored as signed words and read back with `>>> 0`.
export const D_PACKETS = 0;
export const D_SYN = 1;
export const D_SYN_ACK = 2;
export const D_FIN = 3;
export const D_RST = 4;
export const D_SACK_PACKETS = 5;
export const D_TIMESTAMP_PACKETS = 6;
export const D_ISN = 7;
/** D_ISN_KNOWN | D_FIRST_SEQ_SET */
export const D_BITS = 8;
export const D_HEAD_HASH = 9;
export const D_HEAD_BYTES = 10;
export const DIR_WORDS = 11;
export const D_ISN_KNOWN = 1;
export const D_FIRST_SEQ_SET = 2;
/** Offset of the history in a row. */
export const S_HISTORY = 2 * DIR_WORDS;
// Int32 words of the session's own numbers, after the history. Packet numbers and the SYN's sequence
// number are unsigned 32-bit values, read back with `>>> 0`.
const S = S_HISTORY + HISTORY_WORDS;
export const S_PACKETS = S;
export const S_FIRST_PACKET = S + 1;
export const S_LAST_PACKET = S + 2;
export const S_START_NSEC = S + 3;
export const S_END_NSEC = S + 4;
export const S_SYN_COUNT = S + 5;
export const S_SYN_ACK_COUNT = S + 6;
export const S_MESSAGES_DROPPED = S + 7;
export const S_PREVIOUS_INDEX = S + 8;
export const S_CURRENT_MESSAGE = S + 9;
export const S_FIRST_MESSAGE = S + 10;
export const S_LAST_MESSAGE = S + 11;
export const S_MESSAGE_COUNT = S + 12;
export const S_FP_CURSOR0 = S + 13;
export const S_FP_CURSOR1 = S + 14;
export const S_UNUSED_CHUNKS0 = S + 15;
export const S_UNUSED_CHUNKS1 = S + 16;
export const S_CHUNK_BUDGET = S + 17;
export const S_ESTABLISHED = S + 18;
export const S_LAST_SYN_SEQ = S + 19;
export const S_SYN_DATA_LENGTH = S + 20;
export const S_CURRENT_DIR = S + 21;
/** Both directions' stream states (stream.ts), direction d at S_STREAM + d * STREAM_WORDS. */
export const S_STREAM = S + 22;
/** The SYN, SYN-ACK and handshake ACK: row + 1 in the table's HandshakeStore, 0 = none. */
export const S_HANDSHAKES = S_STREAM + 2 * STREAM_WORDS;
/** CLOSE_ bits: first FIN / RST seen, and from which direction. */
export const S_CLOSE_BITS = S_HANDSHAKES + 3;
/** The first FIN's and the first RST's packet and ns (C_ words), their seconds and times at N_FIN, N_RST. */
export const S_FIN = S_CLOSE_BITS + 1;
export const S_RST = S_FIN + 2;
export const C_PACKET = 0;
export const C_NSEC = 1;
export const ROW_WORDS = S_RST + 2;
export const CLOSE_FIN = 1;
export const CLOSE_FIN_DIR1 = 2;
export const CLOSE_RST = 4;
export const CLOSE_RST_DIR1 = 8;
// Float64 words of a direction's block (direction d at row + d * DIR_NUMS): byte counts and stream offsets
// grow past 32 bits.
export const D_PAYLOAD_BYTES = 0;
export const D_MAX_END = 1;
export const DIR_NUMS = 2;
// Float64 words of the session's own numbers: seconds may exceed 32 bits (pcapng), times in ns are doubles
// (a typed array holds any double without a heap number of its own: Infinity and NaN included).
const N = 2 * DIR_NUMS;
export const N_START_SEC = N;
export const N_END_SEC = N + 1;
export const N_START_REL = N + 2;
export const N_END_REL = N + 3;
export const N_SINCE_PREVIOUS = N + 4;
/** First RTT (SYN -> handshake ACK): 0 = unknown, Infinity for a negative delta. */
export const N_FIRST_RTT = N + 5;
/** Time of the most recent pure SYN; NaN when none. */
export const N_MRU_SYN = N + 6;
/** Both directions' stream states, direction d at N_STREAM + d * STREAM_NUMS. */
export const N_STREAM = N + 7;
/** The first FIN's and RST's seconds and times from the table's base second (C_SEC, C_REL). */
export const N_FIN = N_STREAM + 2 * STREAM_NUMS;
export const N_RST = N_FIN + 2;
export const C_SEC = 0;
export const C_REL = 1;
export const ROW_NUMS = N_RST + 2;

export class SessionRows implements HistoryHost, StreamHost {
  ints: Int32Array;
  nums: Float64Array;
  /** Letters of histories past their packed words, by the history's word offset. */
  readonly overflow = new Map<number, string>();
  /** Streams' out-of-order buffers and kept gaps, by the stream state's word offset. */
  readonly pendingLists = new Map<number, PendingSegment[]>();
  readonly gapLists = new Map<number, StreamGap[]>();
  size = 0;

  constructor(rows = 1024) {
    this.ints = new Int32Array(Math.max(1, rows) * ROW_WORDS);
    this.nums = new Float64Array(Math.max(1, rows) * ROW_NUMS);
  }

  /** A new row: counters at zero, "none" (-1, NaN) where zero would mean something. */
  add(): number {
    const row = this.size;
    if ((row + 1) * ROW_WORDS > this.ints.length) this.grow();
    const w = row * ROW_WORDS;
    const ints = this.ints;
    ints[w + S_PREVIOUS_INDEX] = -1;
    ints[w + S_CURRENT_MESSAGE] = -1;
    ints[w + S_FIRST_MESSAGE] = -1;
    ints[w + S_LAST_MESSAGE] = -1;
    ints[w + S_FP_CURSOR0] = -1;
    ints[w + S_FP_CURSOR1] = -1;
    ints[w + S_CURRENT_DIR] = -1;
    const n = row * ROW_NUMS;
    this.nums[n + N_SINCE_PREVIOUS] = -1;
    this.nums[n + N_MRU_SYN] = Number.NaN;
    this.size = row + 1;
    return row;
  }

  /** Drop the spare capacity (no row is added any more). */
  trim(): void {
    if (this.ints.length > this.size * ROW_WORDS) {
      this.ints = this.ints.slice(0, this.size * ROW_WORDS);
      this.nums = this.nums.slice(0, this.size * ROW_NUMS);
    }
  }

  private grow(): void {
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    this.ints = ints;
    const nums = new Float64Array(this.nums.length * 2);
    nums.set(this.nums);
    this.nums = nums;
  }
}
