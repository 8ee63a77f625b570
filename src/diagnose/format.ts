/** Numbers in plain words: durations, medians, ranges. */

/** A duration in ns as a reader wants it: "38.5 us", "4.2 ms", "1.03 s". */
export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return 'an unknown time';
  const a = Math.abs(ns);
  if (a < 1e3) return `${Math.round(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toFixed(1)} us`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** Seconds with one decimal, for failure timings ("after 10.3 s"). */
export function fmtSec(ns: number): string {
  return `${(ns / 1e9).toFixed(1)} s`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
