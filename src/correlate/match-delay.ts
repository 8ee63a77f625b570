/**
 * Transit delays per pair and direction, kept as a log-bucket histogram (HDR-histogram style) so that
 * memory per pair is fixed however many packets it has: exact count, minimum and maximum; p50 and p99
 * within 1/32 (about 3 %) of the true value.
 *
 * Buckets of |delay| in ns: values below 16 get one bucket each; above, each power of two is cut into 16
 * equal sub-buckets, up to 2^44 ns (about 4.9 hours: far beyond any matching window; larger values share
 * the last bucket). A quantile is reported as the middle of its bucket, clamped to [min, max]. Negative
 * delays (possible within the clock alignment's bound) go to a mirrored histogram. Each keeps only the run
 * of buckets between the lowest and highest used, in blocks of 16: a pair whose delays span a few powers of
 * two holds a few hundred bytes, however many packets it has.
 */
import type { DelayStats } from './types.js';

const SUB_BITS = 4;
const SUB = 1 << SUB_BITS;
const MAX_EXP = 44;
/** Buckets per sign: 16 exact small values, then 16 per power of two from 2^4 to 2^(MAX_EXP-1). */
export const DELAY_BUCKETS = SUB + (MAX_EXP - SUB_BITS) * SUB;

/** Bucket of a non-negative integer value. */
export function delayBucket(v: number): number {
  if (v < SUB) return v < 0 ? 0 : Math.floor(v);
  if (v >= 2 ** MAX_EXP) return DELAY_BUCKETS - 1;
  if (v < 2 ** 31) {
    // The common case, in integer arithmetic.
    const x = v | 0;
    const e = 31 - Math.clz32(x);
    return SUB + (e - SUB_BITS) * SUB + ((x >>> (e - SUB_BITS)) - SUB);
  }
  // Above 2^31 the bit operators cannot be used; the float exponent serves for both ranges.
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
  return 2 ** (SUB_BITS + Math.floor((b - SUB) / SUB) - SUB_BITS);
}

/** Counts for a contiguous run of buckets [lo, lo + counts.length), grown in blocks of SUB. */
class BucketRun {
  lo = 0;
  /** A plain array: most pairs have few packets, and typed arrays cost far more to create. */
  counts: number[] = [];

  add(b: number): void {
    const counts = this.counts;
    if (counts.length === 0) {
      this.lo = b - (b % SUB);
      this.counts = new Array<number>(SUB).fill(0);
    } else if (b < this.lo || b >= this.lo + counts.length) {
      const lo = Math.min(this.lo, b - (b % SUB));
      const end = Math.max(this.lo + counts.length, b - (b % SUB) + SUB);
      const grown = new Array<number>(end - lo).fill(0);
      for (let i = 0; i < counts.length; i++) grown[this.lo - lo + i] = counts[i]!;
      this.lo = lo;
      this.counts = grown;
    }
    this.counts[b - this.lo]!++;
  }

  /** Count in bucket b (0 outside the run). */
  at(b: number): number {
    const i = b - this.lo;
    return i >= 0 && i < this.counts.length ? this.counts[i]! : 0;
  }
}

export class DelayHistogram {
  count = 0;
  minNs = Number.POSITIVE_INFINITY;
  maxNs = Number.NEGATIVE_INFINITY;
  private positive: BucketRun | null = null;
  private negative: BucketRun | null = null;

  add(delayNs: number): void {
    if (!Number.isFinite(delayNs)) return;
    const d = Math.round(delayNs);
    this.count++;
    if (d < this.minNs) this.minNs = d;
    if (d > this.maxNs) this.maxNs = d;
    if (d >= 0) {
      this.positive ??= new BucketRun();
      this.positive.add(delayBucket(d));
    } else {
      this.negative ??= new BucketRun();
      this.negative.add(delayBucket(-d));
    }
  }

  /** The value at quantile q (0..1): the middle of the bucket holding the ceil(q * count)-th delay. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    const neg = this.negative;
    if (neg !== null) {
      // Most negative first: the highest bucket of |delay|.
      for (let b = neg.lo + neg.counts.length - 1; b >= neg.lo; b--) {
        seen += neg.at(b);
        if (seen >= rank) return this.clamp(-(bucketLow(b) + (bucketWidth(b) - 1) / 2));
      }
    }
    const pos = this.positive;
    if (pos !== null) {
      for (let b = pos.lo; b < pos.lo + pos.counts.length; b++) {
        seen += pos.at(b);
        if (seen >= rank) return this.clamp(bucketLow(b) + (bucketWidth(b) - 1) / 2);
      }
    }
    return this.maxNs;
  }

  private clamp(v: number): number {
    return Math.round(Math.min(this.maxNs, Math.max(this.minNs, v)));
  }

  /** Summary; all zero when no delay was recorded. */
  stats(): DelayStats {
    if (this.count === 0) return { count: 0, minNs: 0, p50Ns: 0, p99Ns: 0, maxNs: 0 };
    return {
      count: this.count,
      minNs: this.minNs,
      p50Ns: this.quantile(0.5),
      p99Ns: this.quantile(0.99),
      maxNs: this.maxNs,
    };
  }
}
