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
  const scan = scanKeys(keys, order);
  if (scan === SORTED) return order;
  const min = scanMin;
  const span = scanMax - scanMin;
  if (scan === NOT_INTEGRAL || span > Number.MAX_SAFE_INTEGER) {
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
  splitKeys(keys, src, min, hiKey, loKey);
  for (const start of DIGIT_STARTS) {
    if (span < 2 ** start) break;
    const word = start < 32 ? loKey : hiKey;
    const shift = start < 32 ? start : start - 32;
    countDigits(word, shift, radixCounts);
    scatter(word, shift, radixCounts, src, hiKey, loKey, dst, hiDst, loDst);
    [src, dst] = [dst, src];
    [hiKey, hiDst] = [hiDst, hiKey];
    [loKey, loDst] = [loDst, loKey];
  }
  if (src !== order) order.set(src);
  return order;
}

// Each long loop of the sort is a function of its own: a loop first runs in the interpreter until the
// engine compiles the function around it, and code after a loop compiled that way runs without type
// feedback, so the engine abandons it and interprets again. As small functions called once per pass, the
// second pass on already runs compiled.

const SORTED = 0;
const INTEGRAL = 1;
const NOT_INTEGRAL = 2;
/** The last `scanKeys` call's smallest and largest key. */
let scanMin = 0;
let scanMax = 0;

function scanKeys(keys: Float64Array, order: Int32Array): number {
  let sorted = true;
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  let previous = -Infinity;
  for (let k = 0; k < order.length; k++) {
    const t = keys[order[k]!]!;
    if (t < previous) sorted = false;
    previous = t;
    if (!Number.isInteger(t)) integral = false;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  scanMin = min;
  scanMax = max;
  return sorted ? SORTED : integral ? INTEGRAL : NOT_INTEGRAL;
}

function splitKeys(
  keys: Float64Array,
  order: Int32Array,
  min: number,
  hiKey: Uint32Array,
  loKey: Uint32Array,
) {
  for (let k = 0; k < order.length; k++) {
    const key = keys[order[k]!]! - min;
    const hi = Math.floor(key / 4294967296);
    hiKey[k] = hi;
    loKey[k] = key - hi * 4294967296;
  }
}

/** counts[d + 1] = how many words have digit d; then prefix sums: counts[d] = first slot of digit d. */
function countDigits(word: Uint32Array, shift: number, counts: Int32Array): void {
  counts.fill(0);
  for (let k = 0; k < word.length; k++) counts[((word[k]! >>> shift) & DIGIT_MASK) + 1]!++;
  for (let d = 0; d <= DIGIT_MASK; d++) counts[d + 1]! += counts[d]!;
}

function scatter(
  word: Uint32Array,
  shift: number,
  counts: Int32Array,
  src: Int32Array,
  hiKey: Uint32Array,
  loKey: Uint32Array,
  dst: Int32Array,
  hiDst: Uint32Array,
  loDst: Uint32Array,
): void {
  for (let k = 0; k < word.length; k++) {
    const at = counts[(word[k]! >>> shift) & DIGIT_MASK]!++;
    dst[at] = src[k]!;
    hiDst[at] = hiKey[k]!;
    loDst[at] = loKey[k]!;
  }
}
