/**
 * Transit delays per pair and direction, kept as log-bucket histograms (HDR-histogram style): exact count,
 * minimum and maximum; p50 and p99 within 1/32 (about 3 %) of the true value.
 *
 * Buckets of |delay| in ns: values below 16 get one bucket each; above, each power of two is cut into 16
 * equal sub-buckets, up to 2^44 ns (about 4.9 hours: far beyond any matching window; larger values share
 * the last bucket). A quantile is reported as the middle of its bucket, clamped to [min, max]. Negative
 * delays (possible within the clock alignment's bound) go to a mirrored histogram.
 *
 * Memory: every histogram of a run lives in one pooled table (typed arrays indexed by histogram number),
 * so that tens of thousands of short connections do not each allocate objects. A histogram keeps only the
 * run of buckets between its lowest and highest used one, in blocks of 16, in a shared bucket pool; a run
 * that must widen moves to the end of the pool. A new run takes three blocks, its first value's and one
 * each side: delays through a device mostly fall within a power of two or two of each other (with runs of
 * one block, 9,192 of the quick NAT pair's 10,804 runs had to widen, and the pool held 55.6 buckets per
 * run, most of them left behind by moves). The pool is made of pages that are added, never copied: growing
 * it by doubling allocated more than twice the buckets in use (58 MB for 23 MB on the full NAT pair),
 * enough to make the collector mark the whole heap once more.
 */
import type { DelayStats } from './types.js';

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const MAX_EXP = 44;
/** Buckets per sign: 16 exact small values, then 16 per power of two from 2^4 to 2^(MAX_EXP-1). */
export const DELAY_BUCKETS = SUB + (MAX_EXP - SUB_BITS) * SUB;

/** A run's row (see DelayTable). */
const R_START = 0;
const R_LO = 1;
const R_LEN = 2;

/** Buckets of a new run: three blocks. */
const FIRST_RUN = 3 * SUB;
/** Buckets per pool page (a run never spans two pages); a position in the pool is page * PAGE + offset. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

/** Bucket of a non-negative value (fractions are truncated). */
export function delayBucket(v: number): number {
  if (v < SUB) return v < 0 ? 0 : Math.floor(v);
  if (v >= 2 ** MAX_EXP) return DELAY_BUCKETS - 1;
  if (v < 2 ** 31) {
    // The common case, in integer arithmetic.
    const x = v | 0;
    const e = 31 - Math.clz32(x);
    return SUB + (e - SUB_BITS) * SUB + ((x >>> (e - SUB_BITS)) - SUB);
  }
  let e = Math.floor(Math.log2(v));
  // log2 may round across a power of two: make sure 2^e <= v < 2^(e+1).
  if (2 ** e > v) e--;
  else if (2 ** (e + 1) <= v) e++;
  const sub = Math.floor(v / 2 ** (e - SUB_BITS)) - SUB;
  return SUB + (e - SUB_BITS) * SUB + sub;
}

/** Lowest value of a bucket and its width. */
function bucketLow(b: number): number {
  if (b < SUB) return b;
  const e = SUB_BITS + Math.floor((b - SUB) / SUB);
  const sub = (b - SUB) % SUB;
  return (SUB + sub) * 2 ** (e - SUB_BITS);
}

function bucketWidth(b: number): number {
  if (b < SUB) return 1;
  return 2 ** Math.floor((b - SUB) / SUB);
}

/**
 * EXACT FIRST DELAYS: each histogram keeps its first INLINE_DELAYS delays exactly, in a row of its own,
 * and moves them into bucket runs only when one more comes (or one that is not a 32-bit integer). Most
 * connections pass fewer packets than that each way (median 9 to 10 on the benchmark NAT captures), so
 * most histograms never take buckets: a matched packet then writes one row instead of three (count row,
 * run row, bucket page), and pass 2's typed arrays stay small enough not to make the collector mark the
 * whole heap (V8 does once about 64 MB more of them is allocated). The summaries are the same: the bucket
 * of the exact order statistic is the bucket a histogram would find, since buckets follow the values'
 * order.
 */
export const INLINE_DELAYS = 16;

/** A histogram's row of numbers (see DelayTable.stat). */
const S_COUNT = 0;
const S_MIN = 1;
const S_MAX = 2;
/** 1 once the histogram's delays are in bucket runs. */
const S_SPILLED = 3;
const STAT = 4;

/** `count` histograms, numbered 0..count-1, each with exact count/min/max and two bucket runs. */
export class DelayTable {
  /**
   * Per histogram, one row of count, minimum, maximum and whether its delays are in buckets ([h * STAT +
   * S_...]); per histogram its exact first delays ([h * inline ..]); per histogram and sign (run r = h *
   * 2, + 1 for negative delays) one row of run start in the pool, lowest bucket and run length, 0 for
   * none ([r * 3 + R_...]), made when a first histogram spills. Rows, not an array per number: pass 2 adds
   * the delays of tens of thousands of interleaved connections, and each array read for a packet is a
   * cache line of its own.
   */
  private readonly stat: Float64Array;
  private readonly exact: Int32Array;
  private run: Int32Array | null = null;
  private readonly pages: Uint32Array[] = [];
  /** Buckets used in the last page. */
  private pageUsed = 0;
  private readonly count: number;
  private readonly expected: number;
  /** Exact delays kept per histogram before it takes buckets. */
  private readonly inline: number;
  /** Sorted copy of a histogram's exact delays, for its quantiles. */
  private readonly sorted: Int32Array;

  /**
   * `expected`: how many of the histograms will likely get delays (the pool's first size); `inline`: how
   * many delays each keeps exactly before it takes buckets.
   */
  constructor(count: number, expected = count, inline = INLINE_DELAYS) {
    this.count = count;
    this.expected = expected;
    this.inline = inline;
    this.stat = new Float64Array(count * STAT);
    for (let h = 0; h < count; h++) {
      this.stat[h * STAT + S_MIN] = Number.POSITIVE_INFINITY;
      this.stat[h * STAT + S_MAX] = Number.NEGATIVE_INFINITY;
    }
    this.exact = new Int32Array(count * inline);
    this.sorted = new Int32Array(inline);
  }

  add(h: number, delayNs: number): void {
    if (!Number.isFinite(delayNs)) return;
    const d = Math.round(delayNs);
    const stat = this.stat;
    const at = h * STAT;
    const n = stat[at + S_COUNT]!;
    stat[at + S_COUNT] = n + 1;
    if (d < stat[at + S_MIN]!) stat[at + S_MIN] = d;
    if (d > stat[at + S_MAX]!) stat[at + S_MAX] = d;
    if (stat[at + S_SPILLED] === 0) {
      if (n < this.inline && (d | 0) === d) {
        this.exact[h * this.inline + n] = d;
        return;
      }
      this.spill(h, n);
    }
    this.bucketAdd(h, d);
  }

  /** Histogram h's first n delays, kept exactly so far, into bucket runs. */
  private spill(h: number, n: number): void {
    this.stat[h * STAT + S_SPILLED] = 1;
    if (this.run === null) {
      this.run = new Int32Array(this.count * 2 * 3);
      this.pages.push(new Uint32Array(Math.min(PAGE, Math.max(64, this.expected * FIRST_RUN))));
    }
    for (let i = 0; i < n; i++) this.bucketAdd(h, this.exact[h * this.inline + i]!);
  }

  private bucketAdd(h: number, d: number): void {
    const r = (d >= 0 ? h * 2 : h * 2 + 1) * 3;
    const b = delayBucket(d >= 0 ? d : -d);
    const run = this.run!;
    if (run[r + R_LEN] === 0 || b < run[r + R_LO]! || b >= run[r + R_LO]! + run[r + R_LEN]!) this.widen(r, b);
    const at = run[r + R_START]!;
    this.pages[at >>> PAGE_BITS]![(at & PAGE_MASK) + b - run[r + R_LO]!]!++;
  }

  /** Give the run at row r room for bucket b: a new run at the end of the pool, the old counts copied in. */
  private widen(r: number, b: number): void {
    const run = this.run!;
    const oldLen = run[r + R_LEN]!;
    const oldLo = run[r + R_LO]!;
    const blockLo = b - (b % SUB);
    const lo = oldLen === 0 ? Math.max(0, blockLo - SUB) : Math.min(oldLo, blockLo);
    const end =
      oldLen === 0 ? Math.min(DELAY_BUCKETS, blockLo + 2 * SUB) : Math.max(oldLo + oldLen, blockLo + SUB);
    const len = end - lo;
    let page = this.pages.length - 1;
    if (this.pageUsed + len > this.pages[page]!.length) {
      this.pages.push(new Uint32Array(PAGE));
      page++;
      this.pageUsed = 0;
    }
    const into = this.pages[page]!;
    const offset = this.pageUsed;
    const start = page * PAGE + offset;
    this.pageUsed += len;
    if (oldLen > 0) {
      const from = run[r + R_START]!;
      const old = this.pages[from >>> PAGE_BITS]!;
      const shift = offset + oldLo - lo - (from & PAGE_MASK);
      for (let i = from & PAGE_MASK; i < (from & PAGE_MASK) + oldLen; i++) into[i + shift] = old[i]!;
    }
    run[r + R_START] = start;
    run[r + R_LO] = lo;
    run[r + R_LEN] = len;
  }

  /** The value at quantile q (0..1) of histogram h: the middle of the bucket of the ceil(q * count)-th. */
  quantile(h: number, q: number): number {
    const count = this.stat[h * STAT + S_COUNT]!;
    if (count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * count));
    if (this.stat[h * STAT + S_SPILLED] === 0) {
      this.sortExact(h, count);
      return this.bucketMiddle(h, this.sorted[rank - 1]!);
    }
    let seen = 0;
    const run = this.run!;
    // Most negative first: the highest bucket of |delay| of the negative run.
    const neg = (h * 2 + 1) * 3;
    for (let b = run[neg + R_LO]! + run[neg + R_LEN]! - 1; b >= run[neg + R_LO]!; b--) {
      seen += this.bucketCount(neg, b);
      if (seen >= rank) return this.clamp(h, -(bucketLow(b) + (bucketWidth(b) - 1) / 2));
    }
    const pos = h * 2 * 3;
    for (let b = run[pos + R_LO]!; b < run[pos + R_LO]! + run[pos + R_LEN]!; b++) {
      seen += this.bucketCount(pos, b);
      if (seen >= rank) return this.clamp(h, bucketLow(b) + (bucketWidth(b) - 1) / 2);
    }
    return this.stat[h * STAT + S_MAX]!;
  }

  /** Histogram h's exact delays, ascending, into `sorted` (insertion sort: at most `inline` of them). */
  private sortExact(h: number, n: number): void {
    const x = this.sorted;
    const from = h * this.inline;
    for (let i = 0; i < n; i++) {
      const v = this.exact[from + i]!;
      let j = i - 1;
      for (; j >= 0 && x[j]! > v; j--) x[j + 1] = x[j]!;
      x[j + 1] = v;
    }
  }

  /** What a histogram reports for the order statistic d: the middle of d's bucket (mirrored below 0). */
  private bucketMiddle(h: number, d: number): number {
    const b = delayBucket(d >= 0 ? d : -d);
    const middle = bucketLow(b) + (bucketWidth(b) - 1) / 2;
    return this.clamp(h, d >= 0 ? middle : -middle);
  }

  private bucketCount(r: number, b: number): number {
    const run = this.run!;
    const at = run[r + R_START]!;
    return this.pages[at >>> PAGE_BITS]![(at & PAGE_MASK) + b - run[r + R_LO]!]!;
  }

  private clamp(h: number, v: number): number {
    return Math.round(Math.min(this.stat[h * STAT + S_MAX]!, Math.max(this.stat[h * STAT + S_MIN]!, v)));
  }

  /** Summary of histogram h as count, min, p50, p99, max at out[at..at + 5); all zero when no delay was recorded. */
  statsInto(h: number, out: Float64Array, at: number): void {
    const count = this.stat[h * STAT + S_COUNT]!;
    if (count === 0) {
      out.fill(0, at, at + 5);
      return;
    }
    out[at] = count;
    out[at + 1] = this.stat[h * STAT + S_MIN]!;
    if (this.stat[h * STAT + S_SPILLED] === 0) {
      // Sorted once for both quantiles.
      this.sortExact(h, count);
      out[at + 2] = this.bucketMiddle(h, this.sorted[Math.max(1, Math.ceil(0.5 * count)) - 1]!);
      out[at + 3] = this.bucketMiddle(h, this.sorted[Math.max(1, Math.ceil(0.99 * count)) - 1]!);
    } else {
      out[at + 2] = this.quantile(h, 0.5);
      out[at + 3] = this.quantile(h, 0.99);
    }
    out[at + 4] = this.stat[h * STAT + S_MAX]!;
  }

  /** Summary of histogram h; all zero when no delay was recorded. */
  stats(h: number): DelayStats {
    const out = new Float64Array(5);
    this.statsInto(h, out, 0);
    return { count: out[0]!, minNs: out[1]!, p50Ns: out[2]!, p99Ns: out[3]!, maxNs: out[4]! };
  }
}
