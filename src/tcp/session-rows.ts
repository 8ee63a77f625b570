/**
 * A table's per-session counters, one row per session in two typed arrays: both directions' statistics
 * and the history. The collector neither copies nor marks typed-array contents, and every session lives
 * to the end of the capture: as five objects per session (two `DirectionStats`, the `History` and the
 * two flows' state) they were a third of what each scavenge copied and each mark-compact re-marked. The
 * table writes the rows in place; `Session.dirs`, `dir0`, `dir1` and `history` make views of a row only
 * when asked for.
 */
import { HISTORY_WORDS, type HistoryHost } from './history.js';

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
export const ROW_WORDS = S_HISTORY + HISTORY_WORDS;
// Float64 words of a direction's block (direction d at row + d * DIR_NUMS): byte counts and stream offsets
// grow past 32 bits.
export const D_PAYLOAD_BYTES = 0;
export const D_MAX_END = 1;
export const DIR_NUMS = 2;
export const ROW_NUMS = 2 * DIR_NUMS;

export class SessionRows implements HistoryHost {
  ints: Int32Array;
  nums: Float64Array;
  /** Letters of histories past their packed words, by the history's word offset. */
  readonly overflow = new Map<number, string>();
  size = 0;

  constructor(rows = 1024) {
    this.ints = new Int32Array(Math.max(1, rows) * ROW_WORDS);
    this.nums = new Float64Array(Math.max(1, rows) * ROW_NUMS);
  }

  /** A new row of zeros; returns its number. */
  add(): number {
    const row = this.size;
    if ((row + 1) * ROW_WORDS > this.ints.length) this.grow();
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
