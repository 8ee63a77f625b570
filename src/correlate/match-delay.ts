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
 * each side (delays through a device mostly fall within a power of two of each other: runs of one block
 * moved twice each on the NAT benchmark, leaving 48 buckets behind). The pool is made of pages that are
 * added, never copied: growing it by doubling allocated twice the buckets in use (39 MB for the full NAT
 * pair's 102,002 histograms), enough to make the collector mark the whole heap once more.
 */
import type { DelayStats } from './types.js';

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const MAX_EXP = 44;
/** Buckets per sign: 16 exact small values, then 16 per power of two from 2^4 to 2^(MAX_EXP-1). */
export const DELAY_BUCKETS = SUB + (MAX_EXP - SUB_BITS) * SUB;

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
  readonly counts: Float64Array;
  readonly minNs: Float64Array;
  readonly maxNs: Float64Array;
  /** Per histogram and sign (index h * 2 + 0 positive, + 1 negative): run start in the pool, lowest
   * bucket, run length (0 = none). */
  private readonly runStart: Int32Array;
  private readonly runLo: Int32Array;
  private readonly runLen: Int32Array;
  private readonly pages: Uint32Array[];
  /** Buckets used in the last page. */
  private pageUsed = 0;

  /** `expected`: how many of the histograms will likely get delays (the pool's first size). */
  constructor(count: number, expected = count) {
    this.counts = new Float64Array(count);
    this.minNs = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
    this.maxNs = new Float64Array(count).fill(Number.NEGATIVE_INFINITY);
    this.runStart = new Int32Array(count * 2);
    this.runLo = new Int32Array(count * 2);
    this.runLen = new Int32Array(count * 2);
    this.pages = [new Uint32Array(Math.min(PAGE, Math.max(64, expected * FIRST_RUN)))];
  }

  add(h: number, delayNs: number): void {
    if (!Number.isFinite(delayNs)) return;
    const d = Math.round(delayNs);
    this.counts[h]!++;
    if (d < this.minNs[h]!) this.minNs[h] = d;
    if (d > this.maxNs[h]!) this.maxNs[h] = d;
    const r = d >= 0 ? h * 2 : h * 2 + 1;
    const b = delayBucket(d >= 0 ? d : -d);
    let len = this.runLen[r]!;
    let lo = this.runLo[r]!;
    if (len === 0 || b < lo || b >= lo + len) {
      this.widen(r, b);
      len = this.runLen[r]!;
      lo = this.runLo[r]!;
    }
    const at = this.runStart[r]!;
    this.pages[at >>> PAGE_BITS]![(at & PAGE_MASK) + b - lo]!++;
  }

  /** Give run r room for bucket b: a new run at the end of the pool, the old counts copied in. */
  private widen(r: number, b: number): void {
    const oldLen = this.runLen[r]!;
    const oldLo = this.runLo[r]!;
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
      const from = this.runStart[r]!;
      const old = this.pages[from >>> PAGE_BITS]!;
      const shift = offset + oldLo - lo - (from & PAGE_MASK);
      for (let i = from & PAGE_MASK; i < (from & PAGE_MASK) + oldLen; i++) into[i + shift] = old[i]!;
    }
    this.runStart[r] = start;
    this.runLo[r] = lo;
    this.runLen[r] = len;
  }

  /** The value at quantile q (0..1) of histogram h: the middle of the bucket of the ceil(q * count)-th. */
  quantile(h: number, q: number): number {
    const count = this.counts[h]!;
    if (count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * count));
    let seen = 0;
    // Most negative first: the highest bucket of |delay| of the negative run.
    const neg = h * 2 + 1;
    for (let b = this.runLo[neg]! + this.runLen[neg]! - 1; b >= this.runLo[neg]!; b--) {
      seen += this.bucketCount(neg, b);
      if (seen >= rank) return this.clamp(h, -(bucketLow(b) + (bucketWidth(b) - 1) / 2));
    }
    const pos = h * 2;
    for (let b = this.runLo[pos]!; b < this.runLo[pos]! + this.runLen[pos]!; b++) {
      seen += this.bucketCount(pos, b);
      if (seen >= rank) return this.clamp(h, bucketLow(b) + (bucketWidth(b) - 1) / 2);
    }
    return this.maxNs[h]!;
  }

  private bucketCount(r: number, b: number): number {
    const at = this.runStart[r]!;
    return this.pages[at >>> PAGE_BITS]![(at & PAGE_MASK) + b - this.runLo[r]!]!;
  }

  private clamp(h: number, v: number): number {
    return Math.round(Math.min(this.maxNs[h]!, Math.max(this.minNs[h]!, v)));
  }

  /** Summary of histogram h as count, min, p50, p99, max at out[at..at + 5); all zero when no delay was recorded. */
  statsInto(h: number, out: Float64Array, at: number): void {
    const count = this.counts[h]!;
    if (count === 0) {
      out.fill(0, at, at + 5);
      return;
    }
    out[at] = count;
    out[at + 1] = this.minNs[h]!;
    out[at + 2] = this.quantile(h, 0.5);
    out[at + 3] = this.quantile(h, 0.99);
    out[at + 4] = this.maxNs[h]!;
  }

  /** Summary of histogram h; all zero when no delay was recorded. */
  stats(h: number): DelayStats {
    const count = this.counts[h]!;
    if (count === 0) return { count: 0, minNs: 0, p50Ns: 0, p99Ns: 0, maxNs: 0 };
    return {
      count,
      minNs: this.minNs[h]!,
      p50Ns: this.quantile(h, 0.5),
      p99Ns: this.quantile(h, 0.99),
      maxNs: this.maxNs[h]!,
    };
  }
}
