/**
 * pcapng timestamps are 64-bit tick counts at a per-interface resolution (10^-n or 2^-n seconds). This turns
 * a count into exact integer seconds + nanoseconds, truncating finer resolutions toward zero like tshark.
 *
 * Doubles are exact only up to 2^53, and nanosecond counts since 1970 are already past 2^60, so the count is
 * never formed as one number: it is divided digit by digit (four 16-bit digits, each partial dividend below
 * 2^53 while ticks-per-second <= 2^37). BigInt is used only at the edges: resolutions finer than that, or
 * second counts beyond 2^53.
 */

/** A resolution prepared once per interface so the per-packet conversion does no setup. */
export interface TickScale {
  base: 10 | 2;
  exponent: number;
  /** Ticks per second when <= 2^37 (the fast path's bound), else 0. */
  perSecond: number;
  perSecondBig: bigint;
  /** Seconds added to every timestamp (if_tsoffset). */
  offsetSec: number;
}

const FAST_MAX_PER_SECOND = 2 ** 37;

export function makeTickScale(base: 10 | 2, exponent: number, offsetSec = 0): TickScale {
  const perSecondBig = BigInt(base) ** BigInt(exponent);
  const perSecond = perSecondBig <= BigInt(FAST_MAX_PER_SECOND) ? Number(perSecondBig) : 0;
  return { base, exponent, perSecond, perSecondBig, offsetSec };
}

/** Output of `ticksToTime`, reused by the caller. */
export interface TimeOut {
  sec: number;
  nsec: number;
}

const TWO_16 = 65536;

/** Ticks `hi * 2^32 + lo` (both unsigned 32-bit) at `scale` into `out`. */
export function ticksToTime(hi: number, lo: number, scale: TickScale, out: TimeOut): void {
  const t = scale.perSecond;
  if (t === 0) {
    slow(hi, lo, scale, out);
    return;
  }
  let sec: number;
  let rem: number;
  if (hi === 0) {
    sec = Math.floor(lo / t);
    rem = lo - sec * t;
  } else {
    // Long division by t, 16 bits at a time: every partial dividend is < t * 2^16 <= 2^53, where a double
    // quotient floors exactly; the remainder check below only guards that reasoning.
    const q3 = Math.floor((hi >>> 16) / t);
    // Seconds = q3 * 2^48 + ...: beyond 2^53 (only for resolutions coarser than microseconds) go exact.
    if (q3 >= 32) {
      slow(hi, lo, scale, out);
      return;
    }
    rem = (hi >>> 16) - q3 * t;
    let cur = rem * TWO_16 + (hi & 0xffff);
    const q2 = Math.floor(cur / t);
    rem = cur - q2 * t;
    cur = rem * TWO_16 + (lo >>> 16);
    const q1 = Math.floor(cur / t);
    rem = cur - q1 * t;
    cur = rem * TWO_16 + (lo & 0xffff);
    const q0 = Math.floor(cur / t);
    rem = cur - q0 * t;
    if (rem < 0 || rem >= t) {
      slow(hi, lo, scale, out);
      return;
    }
    sec = ((q3 * TWO_16 + q2) * TWO_16 + q1) * TWO_16 + q0;
  }
  out.sec = sec + scale.offsetSec;
  out.nsec = fraction(rem, scale);
}

/** Nanoseconds in `rem` ticks (rem < ticks per second), truncated toward zero; exact in every branch. */
function fraction(rem: number, scale: TickScale): number {
  const e = scale.exponent;
  if (scale.base === 10) {
    if (e <= 9) return rem * 10 ** (9 - e);
    // e is 10 or 11 here (perSecond <= 2^37): rem < 2^37, so the double quotient floors exactly.
    return Math.floor(rem / 10 ** (e - 9));
  }
  // Base 2: dividing by a power of two is exact, so only the product must stay below 2^53:
  // rem * 1e9 / 2^e = rem * 1953125 / 2^(e-9), and rem * 1953125 < 2^(e+21) <= 2^53 for e <= 32.
  if (e <= 9) return Math.floor((rem * 1e9) / 2 ** e);
  if (e <= 32) return Math.floor((rem * 1953125) / 2 ** (e - 9));
  return Number((BigInt(rem) * 1000000000n) / scale.perSecondBig);
}

function slow(hi: number, lo: number, scale: TickScale, out: TimeOut): void {
  const ticks = (BigInt(hi) << 32n) | BigInt(lo);
  const t = scale.perSecondBig;
  out.sec = Number(ticks / t) + scale.offsetSec;
  out.nsec = Number(((ticks % t) * 1000000000n) / t);
}

/** Decimal digits a resolution can express: 6 for microseconds, 9 for nanoseconds, 7 for 2^-20 s. */
export function precisionDigits(base: 10 | 2, exponent: number): number {
  return base === 10 ? exponent : Math.ceil(exponent * Math.log10(2));
}
