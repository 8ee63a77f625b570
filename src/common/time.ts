/**
 * Exact timestamps. Captures carry up to 64-bit tick counts with nanosecond (or finer) resolution, so an
 * epoch-nanosecond double would lose precision (2^53 ns is only 104 days). We keep integer seconds plus
 * integer nanoseconds; both are exact doubles for any time a capture can express in practice
 * (seconds < 2^53). Hot paths that need arithmetic use nanoseconds relative to a per-file base second
 * (`relNs`), which is exact for spans under 104 days.
 */
export interface Timestamp {
  /** Whole seconds since the Unix epoch (may be negative only for hostile input). */
  sec: number;
  /** Nanoseconds, 0 <= nsec < 1e9. */
  nsec: number;
}

/** "954147395.148077000": seconds with exactly nine decimals, as tshark prints frame.time_epoch. */
export function formatTs(sec: number, nsec: number): string {
  if (sec < 0 && nsec > 0) {
    // -1.5 s is stored as sec=-2, nsec=5e8; print it the human way.
    const s = -(sec + 1);
    const n = 1e9 - nsec;
    return `-${s}.${String(n).padStart(9, '0')}`;
  }
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/** Nanoseconds from `baseSec` to (sec, nsec); exact while |sec - baseSec| < ~104 days. */
export function relNs(sec: number, nsec: number, baseSec: number): number {
  return (sec - baseSec) * 1e9 + nsec;
}

/** Inverse of relNs: a Timestamp from a base second and a relative nanosecond count (may be negative). */
export function fromRelNs(baseSec: number, ns: number): Timestamp {
  const whole = Math.floor(ns / 1e9);
  return { sec: baseSec + whole, nsec: Math.round(ns - whole * 1e9) };
}

/** Compare two timestamps: negative, zero or positive. */
export function compareTs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? aSec - bSec : aNsec - bNsec;
}

/** ISO-8601 UTC with nanoseconds, e.g. 2000-03-27T08:56:35.148077000Z; null when out of Date's range. */
export function isoUtc(sec: number, nsec: number): string | null {
  const ms = sec * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  const base = new Date(ms).toISOString(); // 2000-03-27T09:23:15.000Z
  return `${base.slice(0, 19)}.${String(nsec).padStart(9, '0')}Z`;
}
