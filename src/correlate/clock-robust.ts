/**
 * Robust statistics for clock alignment. Medians and Theil-Sen slopes ignore up to half of the data being
 * wrong, which is what false matches and clock steps look like before they are identified.
 */

/** Median of `values[from..to)`, sorting a copy (typed-array sort is numeric and allocation-light). */
export function medianOf(values: Float64Array, from = 0, to = values.length): number {
  const n = to - from;
  if (n <= 0) return Number.NaN;
  const s = values.slice(from, to).sort();
  const h = n >> 1;
  return n % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
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
