/**
 * Convex envelopes of point sets in the (x, y) plane, as needed by clock alignment: the upper hull of
 * the forward constraints and the lower hull of the reverse constraints. Only hull vertices can be tight
 * for a line that must stay above (or below) every point, so millions of constraints shrink to a few
 * dozen vertices, built in one linear pass over points already sorted by x (Andrew's monotone chain).
 */

/** Which side of the point set the envelope bounds. */
export type HullSide = 'upper' | 'lower';

/**
 * A hull: vertices sorted by strictly increasing x, and the slope of each edge between consecutive
 * vertices (decreasing along an upper hull, increasing along a lower hull).
 */
export interface Hull {
  side: HullSide;
  xs: Float64Array;
  ys: Float64Array;
  slopes: Float64Array;
}

/**
 * Build the hull of the points `i` in [0, n) for which `keep(i)` is true, visiting them in the given
 * order, which must be by non-decreasing x. Of several points with the same x only the extreme one (the
 * highest for an upper hull) can be a vertex.
 */
export function buildHull(
  side: HullSide,
  n: number,
  xOf: (i: number) => number,
  yOf: (i: number) => number,
  keep: (i: number) => boolean,
): Hull {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    xs[m] = xOf(i);
    ys[m] = yOf(i);
    m++;
  }
  return hullOfPoints(side, xs.subarray(0, m), ys.subarray(0, m), null);
}

/**
 * `buildHull` over points held in arrays, those with `kept[i] === 1` (all when `kept` is null): the form
 * clock fitting calls, several times per segment over every constraint, so no call per point.
 */
export function hullOfPoints(
  side: HullSide,
  px: Float64Array,
  py: Float64Array,
  kept: Uint8Array | null,
): Hull {
  const n = px.length;
  if (chainX.length < n) {
    chainX = new Float64Array(Math.max(n, 2 * chainX.length));
    chainY = new Float64Array(chainX.length);
  }
  const top = chain(side === 'upper' ? 1 : -1, px, py, kept, chainX, chainY);
  const xs = chainX.slice(0, top);
  const ys = chainY.slice(0, top);
  const slopes = new Float64Array(Math.max(0, top - 1));
  for (let e = 0; e + 1 < top; e++) slopes[e] = (ys[e + 1]! - ys[e]!) / (xs[e + 1]! - xs[e]!);
  return { side, xs, ys, slopes };
}

/** The monotone chain's stack, kept between calls (room for every point: no check per point). */
let chainX = new Float64Array(1024);
let chainY = new Float64Array(1024);

/**
 * The monotone chain over the points (those kept), into hx/hy; returns the number of vertices. A function
 * of its own, so that the engine compiles the whole of it once the loop is hot (see sorted.ts).
 * sign = +1 keeps right turns (upper hull), -1 left turns (lower hull).
 */
function chain(
  sign: number,
  px: Float64Array,
  py: Float64Array,
  kept: Uint8Array | null,
  hx: Float64Array,
  hy: Float64Array,
): number {
  let top = 0;
  for (let i = 0; i < px.length; i++) {
    if (kept !== null && kept[i] !== 1) continue;
    const x = px[i]!;
    const y = py[i]!;
    if (top > 0 && hx[top - 1] === x) {
      // Same x: only the more extreme y survives; it may then pop earlier vertices like any new point.
      if (sign * (y - hy[top - 1]!) <= 0) continue;
      top--;
    }
    while (top >= 2) {
      const x1 = hx[top - 2]!;
      const y1 = hy[top - 2]!;
      const x2 = hx[top - 1]!;
      const y2 = hy[top - 1]!;
      // Middle vertex is not extreme when the turn x1 -> x2 -> x goes the wrong way (or is straight).
      const cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1);
      if (sign * cross >= 0) top--;
      else break;
    }
    hx[top] = x;
    hy[top] = y;
    top++;
  }
  return top;
}

/**
 * Support of the hull in direction `alpha`: for an upper hull max over points of (y - alpha * x), for a
 * lower hull the min. That is the intercept at x = 0 of the line of slope `alpha` touching the hull, found
 * by binary search over the monotone edge slopes. NaN for an empty hull.
 */
export function supportIntercept(h: Hull, alpha: number): number {
  const k = h.xs.length;
  if (k === 0) return Number.NaN;
  // Along an upper hull y - alpha*x rises while the edge slope exceeds alpha; along a lower hull it falls
  // while the edge slope is below alpha. Either way the touching vertex is the count of such edges.
  let lo = 0;
  let hi = k - 1;
  if (h.side === 'upper') {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (h.slopes[mid]! > alpha) lo = mid + 1;
      else hi = mid;
    }
  } else {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (h.slopes[mid]! < alpha) lo = mid + 1;
      else hi = mid;
    }
  }
  return h.ys[lo]! - alpha * h.xs[lo]!;
}

/**
 * The hull edge over `x`: its slope and its height at `x`. At a vertex the two adjacent edge slopes are
 * averaged; outside the hull's x range the end edge is extended. Null for an empty hull.
 */
export function hullAt(h: Hull, x: number): { y: number; slope: number } | null {
  const k = h.xs.length;
  if (k === 0) return null;
  if (k === 1) return { y: h.ys[0]!, slope: 0 };
  let lo = 0;
  let hi = k - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (h.xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  // The search leaves xs[lo] <= x < xs[hi] inside the range, so only xs[lo] can coincide with x.
  let slope = h.slopes[lo]!;
  if (h.xs[lo] === x && lo > 0) slope = (h.slopes[lo - 1]! + h.slopes[lo]!) / 2;
  return { y: h.ys[lo]! + h.slopes[lo]! * (x - h.xs[lo]!), slope };
}
