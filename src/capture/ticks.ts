/**
 * pcapng timestamps are 64-bit tick counts at a per-interface resolution (10^-n or 2^-n seconds). This turns
 * a count into exact integer seconds + nanoseconds, truncating finer resolutions toward zero like tshark.
 *
 * Doubles are exact only up to 2^53, and nanosecond counts since 1970 are already past 2^60, so the count is
 * never formed as one number. The high word changes only every 2^32 ticks (4.3 s at nanoseconds), so
 * `hi * 2^32 / T` is computed once per high word by long division in 16-bit digits (every partial dividend
 * below 2^53 while ticks-per-second T <= 2^37) and cached on the scale; each packet then costs one division
 * of `cachedRemainder + lo` (< T + 2^32, exact). Packets come in time order, many to a second, so the
 * range of low words that falls in the last second seen is cached too: a count inside it costs two
 * comparisons and a subtraction. BigInt is used only at the edges: resolutions finer than 2^-37 s, or second
 * counts beyond 2^53.
 */

/** A resolution prepared once per interface; also carries the per-high-word cache (mutable). */
export interface TickScale {
  base: 10 | 2;
  exponent: number;
  /** Ticks per second when <= 2^37 (the fast path's bound), else 0. */
  perSecond: number;
  perSecondBig: bigint;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetSec: number;
  /** nsec = floor(rem * fracMul / fracDiv), exact for this resolution; fracMul 0 means use BigInt. */
  fracMul: number;
  fracDiv: number;
  /** floor(cachedHi * 2^32 / T) and its remainder; cachedHi -1 when empty or not exact. */
  cachedHi: number;
  cachedSec: number;
  cachedRem: number;
  /**
   * The last second seen: low words in [secondLo, secondEnd) under high word `secondHi` fall in second
   * `second` (offset included), `lo - secondLo` ticks into it. secondHi -1 when empty. The bounds may lie
   * outside [0, 2^32) when the second straddles a change of the high word.
   */
  secondHi: number;
  secondLo: number;
  secondEnd: number;
  second: number;
}

const FAST_MAX_PER_SECOND = 2 ** 37;
const TWO_16 = 65536;

export function makeTickScale(base: 10 | 2, exponent: number, offsetSec = 0): TickScale {
  const perSecondBig = BigInt(base) ** BigInt(exponent);
  const perSecond = perSecondBig <= BigInt(FAST_MAX_PER_SECOND) ? Number(perSecondBig) : 0;
  // Each choice keeps rem * fracMul below 2^53 (rem < T) and divides exactly or by a power of two:
  let fracMul = 0;
  let fracDiv = 1;
  if (perSecond !== 0) {
    if (base === 10 && exponent <= 9) {
      fracMul = 10 ** (9 - exponent);
    } else if (base === 10) {
      fracMul = 1; // rem < 2^37: the double quotient floors exactly
      fracDiv = 10 ** (exponent - 9);
    } else if (exponent <= 9) {
      fracMul = 1e9;
      fracDiv = 2 ** exponent;
    } else if (exponent <= 32) {
      fracMul = 1953125; // 1e9 / 2^9
      fracDiv = 2 ** (exponent - 9);
    }
  }
  return {
    base,
    exponent,
    perSecond,
    perSecondBig,
    offsetSec,
    fracMul,
    fracDiv,
    cachedHi: -1,
    cachedSec: 0,
    cachedRem: 0,
    secondHi: -1,
    secondLo: 0,
    secondEnd: 0,
    second: 0,
  };
}

/** Output of `ticksToTime`: the timestamp fields of a `PacketRecord`, which it fills directly. */
export interface TimeOut {
  tsSec: number;
  tsNsec: number;
}

/** Ticks `hi * 2^32 + lo` (both unsigned 32-bit) at `scale` into `out`. Small, so that readers inline it. */
export function ticksToTime(hi: number, lo: number, scale: TickScale, out: TimeOut): void {
  if (hi === scale.secondHi && lo >= scale.secondLo && lo < scale.secondEnd) {
    out.tsSec = scale.second;
    out.tsNsec = fraction(lo - scale.secondLo, scale);
  } else {
    newSecond(hi, lo, scale, out);
  }
}

/** A count outside the last second seen: divides, and caches the second it falls in. */
function newSecond(hi: number, lo: number, scale: TickScale, out: TimeOut): void {
  if ((hi !== scale.cachedHi && !divideHighWord(hi, scale)) || scale.fracMul === 0) {
    slow(hi, lo, scale, out);
    return;
  }
  const t = scale.perSecond;
  const cur = scale.cachedRem + lo;
  const q = Math.floor(cur / t);
  const rem = cur - q * t;
  const sec = scale.cachedSec + q + scale.offsetSec;
  // This second holds the counts cur - rem .. cur - rem + T - 1 of this high word (all below 2^53).
  scale.secondHi = hi;
  scale.secondLo = lo - rem;
  scale.secondEnd = lo - rem + t;
  scale.second = sec;
  out.tsSec = sec;
  out.tsNsec = fraction(rem, scale);
}

/** Nanoseconds in `rem` ticks (< T): a product alone when the resolution divides a nanosecond evenly. */
function fraction(rem: number, scale: TickScale): number {
  return scale.fracDiv === 1 ? rem * scale.fracMul : Math.floor((rem * scale.fracMul) / scale.fracDiv);
}

/**
 * Caches floor(hi * 2^32 / T) and the remainder: long division of the digits (hi >>> 16, hi & 0xffff, 0, 0)
 * by T, each partial dividend < T * 2^16 <= 2^53, where a double quotient floors exactly. False when the
 * fast path does not apply (T too large, or seconds beyond 2^53).
 */
function divideHighWord(hi: number, scale: TickScale): boolean {
  const t = scale.perSecond;
  if (t === 0) return false;
  const q3 = Math.floor((hi >>> 16) / t);
  if (q3 >= 32) return false; // seconds >= 2^53
  let rem = (hi >>> 16) - q3 * t;
  let cur = rem * TWO_16 + (hi & 0xffff);
  const q2 = Math.floor(cur / t);
  rem = cur - q2 * t;
  cur = rem * TWO_16;
  const q1 = Math.floor(cur / t);
  rem = cur - q1 * t;
  cur = rem * TWO_16;
  const q0 = Math.floor(cur / t);
  rem = cur - q0 * t;
  if (rem < 0 || rem >= t) return false; // guards the reasoning above; never expected
  scale.cachedHi = hi;
  scale.cachedSec = ((q3 * TWO_16 + q2) * TWO_16 + q1) * TWO_16 + q0;
  scale.cachedRem = rem;
  return true;
}

function slow(hi: number, lo: number, scale: TickScale, out: TimeOut): void {
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const t = scale.perSecondBig;
  out.tsSec = Number(ticks / t) + scale.offsetSec;
  out.tsNsec = Number(((ticks % t) * 1000000000n) / t);
}

/** Decimal digits a resolution can express: 6 for microseconds, 9 for nanoseconds, 7 for 2^-20 s. */
export function precisionDigits(base: 10 | 2, exponent: number): number {
  return base === 10 ? exponent : Math.ceil(exponent * Math.log10(2));
}
