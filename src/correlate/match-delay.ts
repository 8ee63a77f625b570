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

/** A histogram's row of numbers and a run's row (see DelayTable). */
const S_COUNT = 0;
const S_MIN = 1;
const S_MAX = 2;
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

/** `count` histograms, numbered 0..count-1, each with exact count/min/max and two bucket runs. */
export class DelayTable {
  /**
   * Per histogram, one row of count, minimum and maximum ([h * 3 + S_...]); per histogram and sign (run
   * r = h * 2, + 1 for negative delays) one row of run start in the pool, lowest bucket and run length, 0
   * for none ([r * 3 + R_...]). Rows, not an array per number: pass 2 adds the delays of tens of thousands
   * of interleaved connections, and each array read for a packet is a cache line of its own.
   */
  private readonly stat: Float64Array;
  private readonly run: Int32Array;
  private readonly pages: Uint32Array[];
  /** Buckets used in the last page. */
  private pageUsed = 0;

  /** `expected`: how many of the histograms will likely get delays (the pool's first size). */
  constructor(count: number, expected = count) {
    this.stat = new Float64Array(count * 3);
    for (let h = 0; h < count; h++) {
      this.stat[h * 3 + S_MIN] = Number.POSITIVE_INFINITY;
      this.stat[h * 3 + S_MAX] = Number.NEGATIVE_INFINITY;
    }
    this.run = new Int32Array(count * 2 * 3);
    this.pages = [new Uint32Array(Math.min(PAGE, Math.max(64, expected * FIRST_RUN)))];
  }

  add(h: number, delayNs: number): void {
    if (!Number.isFinite(delayNs)) return;
    const d = Math.round(delayNs);
    const stat = this.stat;
    stat[h * 3 + S_COUNT]!++;
    if (d < stat[h * 3 + S_MIN]!) stat[h * 3 + S_MIN] = d;
    if (d > stat[h * 3 + S_MAX]!) stat[h * 3 + S_MAX] = d;
    const r = (d >= 0 ? h * 2 : h * 2 + 1) * 3;
    const b = delayBucket(d >= 0 ? d : -d);
    const run = this.run;
    if (run[r + R_LEN] === 0 || b < run[r + R_LO]! || b >= run[r + R_LO]! + run[r + R_LEN]!) this.widen(r, b);
    const at = run[r + R_START]!;
    this.pages[at >>> PAGE_BITS]![(at & PAGE_MASK) + b - run[r + R_LO]!]!++;
  }

  /** Give the run at row r room for bucket b: a new run at the end of the pool, the old counts copied in. */
  private widen(r: number, b: number): void {
    const oldLen = this.run[r + R_LEN]!;
    const oldLo = this.run[r + R_LO]!;
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
      const from = this.run[r + R_START]!;
      const old = this.pages[from >>> PAGE_BITS]!;
      const shift = offset + oldLo - lo - (from & PAGE_MASK);
      for (let i = from & PAGE_MASK; i < (from & PAGE_MASK) + oldLen; i++) into[i + shift] = old[i]!;
    }
    this.run[r + R_START] = start;
    this.run[r + R_LO] = lo;
    this.run[r + R_LEN] = len;
  }

  /** The value at quantile q (0..1) of histogram h: the middle of the bucket of the ceil(q * count)-th. */
  quantile(h: number, q: number): number {
    const count = this.stat[h * 3 + S_COUNT]!;
    if (count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    const run = this.run;
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
    return this.stat[h * 3 + S_MAX]!;
  }

  private bucketCount(r: number, b: number): number {
    const at = this.run[r + R_START]!;
    return this.pages[at >>> PAGE_BITS]![(at & PAGE_MASK) + b - this.run[r + R_LO]!]!;
  }

  private clamp(h: number, v: number): number {
    return Math.round(Math.min(this.stat[h * 3 + S_MAX]!, Math.max(this.stat[h * 3 + S_MIN]!, v)));
  }

  /** Summary of histogram h as count, min, p50, p99, max at out[at..at + 5); all zero when no delay was recorded. */
  statsInto(h: number, out: Float64Array, at: number): void {
    const count = this.stat[h * 3 + S_COUNT]!;
    if (count === 0) {
      out.fill(0, at, at + 5);
      return;
    }
    out[at] = count;
    out[at + 1] = this.stat[h * 3 + S_MIN]!;
    out[at + 2] = this.quantile(h, 0.5);
    out[at + 3] = this.quantile(h, 0.99);
    out[at + 4] = this.stat[h * 3 + S_MAX]!;
  }

  /** Summary of histogram h; all zero when no delay was recorded. */
  stats(h: number): DelayStats {
    const count = this.stat[h * 3 + S_COUNT]!;
    if (count === 0) return { count: 0, minNs: 0, p50Ns: 0, p99Ns: 0, maxNs: 0 };
    return {
      count,
      minNs: this.stat[h * 3 + S_MIN]!,
      p50Ns: this.quantile(h, 0.5),
      p99Ns: this.quantile(h, 0.99),
      maxNs: this.stat[h * 3 + S_MAX]!,
    };
  }
}
