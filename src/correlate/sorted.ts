/** Binary searches over ascending arrays. */

/** First index with `sorted[i] >= value` (`sorted.length` when none). */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with `sorted[i] > value` (`sorted.length` when none). */
export function upperBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Digits of the radix sort: where each starts in the 53-bit key, 11 bits wide at most and never across the
 * two 32-bit halves. 2,048 counters stay in the first-level cache: 16-bit digits took three times longer
 * on 400,000 clock constraints.
 */
const DIGIT_STARTS = [0, 11, 22, 32, 43];
const DIGIT_MASK = 0x7ff;

/**
 * The radix sort's keys and the positions being moved, kept between calls: a sort of 400,000 clock
 * constraints needs 8 MB of them, and nothing returned refers to them.
 */
let radixWords = new Uint32Array(4096);
let radixPositions = new Int32Array(1024);
const radixCounts = new Int32Array(DIGIT_MASK + 2);

/**
 * `positions` (ascending indexes into `keys`, finite keys) in a new array ordered by key, equal keys in
 * position order. Input already in order is detected in one pass; integer keys (times in ns, the normal
 * case) take a stable LSD radix sort, linear and without comparator calls; other keys a comparison sort.
 */
export function stableOrder(keys: Float64Array, positions: Int32Array): Int32Array {
  const order = positions.slice();
  const n = order.length;
  let sorted = true;
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  let previous = -Infinity;
  for (let k = 0; k < n; k++) {
    const t = keys[order[k]!]!;
    if (t < previous) sorted = false;
    previous = t;
    if (!Number.isInteger(t)) integral = false;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (sorted) return order;
  if (!integral || max - min > Number.MAX_SAFE_INTEGER) {
    return order.sort((p, q) => keys[p]! - keys[q]! || p - q);
  }
  // Keys split into two 32-bit halves so digits come from bit operations; keys and positions move together
  // so each pass reads memory in order.
  if (radixWords.length < 4 * n) {
    radixWords = new Uint32Array(Math.max(4 * n, 2 * radixWords.length));
    radixPositions = new Int32Array(radixWords.length / 4);
  }
  let hiKey = radixWords.subarray(0, n);
  let loKey = radixWords.subarray(n, 2 * n);
  let hiDst = radixWords.subarray(2 * n, 3 * n);
  let loDst = radixWords.subarray(3 * n, 4 * n);
  let dst = radixPositions.subarray(0, n);
  let src = order;
  for (let k = 0; k < n; k++) {
    const key = keys[src[k]!]! - min;
    const hi = Math.floor(key / 4294967296);
    hiKey[k] = hi;
    loKey[k] = key - hi * 4294967296;
  }
  const counts = radixCounts;
  const span = max - min;
  for (const start of DIGIT_STARTS) {
    if (span < 2 ** start) break;
    const word = start < 32 ? loKey : hiKey;
    const shift = start < 32 ? start : start - 32;
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[((word[k]! >>> shift) & DIGIT_MASK) + 1]!++;
    for (let d = 0; d <= DIGIT_MASK; d++) counts[d + 1]! += counts[d]!;
    for (let k = 0; k < n; k++) {
      const at = counts[(word[k]! >>> shift) & DIGIT_MASK]!++;
      dst[at] = src[k]!;
      hiDst[at] = hiKey[k]!;
      loDst[at] = loKey[k]!;
    }
    [src, dst] = [dst, src];
    [hiKey, hiDst] = [hiDst, hiKey];
    [loKey, loDst] = [loDst, loKey];
  }
  if (src !== order) order.set(src);
  return order;
}
