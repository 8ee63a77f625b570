/**
 * Robust statistics for clock alignment. Medians and Theil-Sen slopes ignore up to half of the data being
 * wrong, which is what false matches and clock steps look like before they are identified.
 */

/** Scratch of `medianOf`, grown as needed: medians of hundreds of thousands of constraints allocate nothing. */
let scratch = new Float64Array(1024);

/**
 * Median of `values[from..to)` (values finite), by selection in a scratch copy: linear on average where a
 * sort is n log n, and the same value a sort would give.
 */
export function medianOf(values: Float64Array, from = 0, to = values.length): number {
  const n = to - from;
  if (n <= 0) return Number.NaN;
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  const s = scratch;
  s.set(values.subarray(from, to));
  const h = n >> 1;
  select(s, 0, n - 1, h);
  if (n % 2 === 1) return s[h]!;
  // After selection every value before h is at most s[h]: the lower middle is their largest.
  return (largestBefore(s, h) + s[h]!) / 2;
}

/** Largest of a[0..end), end >= 1 (its own function: see sorted.ts on long loops). */
function largestBefore(a: Float64Array, end: number): number {
  let most = a[0]!;
  for (let i = 1; i < end; i++) if (a[i]! > most) most = a[i]!;
  return most;
}

/**
 * Rearrange a[lo..hi] so that a[k] holds the value a sort would put there, smaller or equal values before
 * it and greater or equal after (Hoare's selection, median-of-three pivots, so sorted runs stay linear).
 */
export function select(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/** Median of a plain list (small lists: bins, slopes). */
export function medianList(values: number[]): number {
  return medianOf(Float64Array.from(values));
}

/** Median absolute deviation from `center`, scaled (x 1.4826) to estimate a normal standard deviation. */
export function scaledMad(values: number[], center: number): number {
  return 1.4826 * medianList(values.map((v) => Math.abs(v - center)));
}

/**
 * Theil-Sen line through a few (x, y) points: the median of pairwise slopes, then the median intercept.
 * Quadratic in the number of points, so callers pass bin summaries, not raw constraints. Pairs with equal
 * x carry no slope information and are skipped; with fewer than two distinct x the slope is 0.
 */
export function theilSen(xs: number[], ys: number[]): { slope: number; intercept: number } {
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  const slope = slopes.length > 0 ? medianList(slopes) : 0;
  const intercept = xs.length > 0 ? medianList(ys.map((y, i) => y - slope * xs[i]!)) : Number.NaN;
  return { slope, intercept };
}
