/**
 * Fit one clock segment: the line of maximum separation between forward and reverse constraints, after
 * dropping false matches, with a bound taken from the whole feasible band. docs/alignment.md explains
 * the model; keep the two in sync.
 *
 * Coordinates: x = server-side time - reference, y = (client-side time - server-side time) - d0, both in
 * nanoseconds, so all numbers stay small and exact. The mapping is the line y = theta + alpha * x:
 * client = server + d0 + theta + alpha * (server - reference).
 * A forward constraint (client side first) requires y <= line; a reverse one requires y >= line.
 */
import { medianOf, theilSen } from './clock-robust.js';
import { buildHull, type Hull, hullAt, supportIntercept } from './hull.js';

/** One direction's constraints, sorted by x. */
export interface SidePoints {
  x: Float64Array;
  y: Float64Array;
  /** Confidence of each match (> 0); outlier removal minimises the removed weight. */
  w: Float64Array;
  /** Position of each constraint in the caller's input, to report rejections back. */
  idx: Int32Array;
}

export interface FitPoints {
  fwd: SidePoints;
  rev: SidePoints;
}

export interface FitOptions {
  /** Largest plausible |alpha| (prior on relative skew); the bound holds for true skews inside it. */
  alphaMax: number;
  /** Sum of both captures' timestamp resolutions: every constraint is only known to within this. */
  resolutionNs: number;
  /**
   * Time stamping error allowed on top of resolution: constraints violating the line by less are kept,
   * and the bound includes it.
   */
  toleranceNs: number;
  /** Shorter spans are fitted offset-only unless the data force a slope. */
  minSkewSpanNs: number;
  /** Fixed alpha (user-supplied skew); skips skew estimation. */
  fixedAlpha?: number;
  /** One-sided data: the minimum one-way delay assumed to place the line. */
  assumedMinDelayNs: number;
}

export type FitMethod =
  | 'two-sided-envelope'
  | 'two-sided-offset-only'
  | 'one-sided-forward'
  | 'one-sided-reverse';

export interface SegmentFit {
  method: FitMethod;
  theta: number;
  alpha: number;
  /** Range of alpha consistent with the kept constraints (within the prior). */
  alphaLo: number;
  alphaHi: number;
  skewEstimated: boolean;
  /** Worst distance from the fitted line to the edge of the feasible band over [xMin, xMax]. */
  boundNs: number;
  /** How far the band had to be widened beyond timestamp resolution to be non-empty (0 normally). */
  excessNs: number;
  minForwardDelayNs: number;
  minReverseDelayNs: number;
  xMin: number;
  xMax: number;
  keptFwd: Uint8Array;
  keptRev: Uint8Array;
  rejectedFwd: number;
  rejectedRev: number;
  /** Of the rejected, how many sat alone inside the band (below the pile of fastest delays). */
  rejectedInBand: number;
}

/**
 * ROUGH LINE: a centre line robust to false matches, from time bins: in each bin the midpoint of the
 * forward and reverse median offsets (or one direction's median), then a Theil-Sen line through the bins.
 * It only seeds outlier removal; the final line comes from the hulls.
 */
export function roughLine(pts: FitPoints, alphaMax: number): { alpha: number; theta: number } {
  const { fwd, rev } = pts;
  const nF = fwd.x.length;
  const nR = rev.x.length;
  const both = nF > 0 && nR > 0;
  const xMin = Math.min(nF > 0 ? fwd.x[0]! : Infinity, nR > 0 ? rev.x[0]! : Infinity);
  const xMax = Math.max(nF > 0 ? fwd.x[nF - 1]! : -Infinity, nR > 0 ? rev.x[nR - 1]! : -Infinity);
  const per = both ? Math.min(nF, nR) : nF + nR;
  const bins = xMax > xMin ? Math.max(1, Math.min(32, Math.floor(per / 8))) : 1;
  const width = (xMax - xMin) / bins;
  const bx: number[] = [];
  const by: number[] = [];
  let f0 = 0;
  let r0 = 0;
  for (let b = 0; b < bins; b++) {
    const end = b === bins - 1 ? Infinity : xMin + (b + 1) * width;
    let f1 = f0;
    while (f1 < nF && fwd.x[f1]! < end) f1++;
    let r1 = r0;
    while (r1 < nR && rev.x[r1]! < end) r1++;
    const hasF = f1 > f0;
    const hasR = r1 > r0;
    if (both ? hasF && hasR : hasF || hasR) {
      const level = both
        ? (medianOf(fwd.y, f0, f1) + medianOf(rev.y, r0, r1)) / 2
        : hasF
          ? medianOf(fwd.y, f0, f1)
          : medianOf(rev.y, r0, r1);
      const lo = Math.min(hasF ? fwd.x[f0]! : Infinity, hasR ? rev.x[r0]! : Infinity);
      const hi = Math.max(hasF ? fwd.x[f1 - 1]! : -Infinity, hasR ? rev.x[r1 - 1]! : -Infinity);
      bx.push((lo + hi) / 2);
      by.push(level);
    }
    f0 = f1;
    r0 = r1;
  }
  if (bx.length === 0) {
    const level = both ? (medianOf(fwd.y) + medianOf(rev.y)) / 2 : medianOf(nF > 0 ? fwd.y : rev.y);
    return { alpha: 0, theta: level };
  }
  const ts = theilSen(bx, by);
  const alpha = Math.max(-alphaMax, Math.min(alphaMax, ts.slope));
  return { alpha, theta: ts.intercept };
}

export interface TrimResult {
  keptFwd: Uint8Array;
  keptRev: Uint8Array;
  rejectedFwd: number;
  rejectedRev: number;
  /** Removed weight as a fraction of each direction's weight, summed. */
  cost: number;
}

/**
 * OUTLIER REMOVAL AT A GIVEN SLOPE: with every constraint projected along slope `alpha` (u = y - alpha*x),
 * the band is feasible iff max forward u <= min reverse u + tolerance. A false match shows as a forward u
 * above reverse ones (or the reverse mirror), i.e. a negative round trip through the device. Remove the
 * top forward and bottom reverse constraints that minimise the removed fraction of each direction's
 * weight; on a tie, keep the wider gap (the removed point is the one that stands out from its own
 * direction). Exact, O(n log n). A direction is never removed entirely; what is left may then still
 * conflict, and the band is widened instead (FitOptions.resolutionNs plus the excess).
 */
export function trimAtSlope(pts: FitPoints, alpha: number, toleranceNs: number): TrimResult {
  const { fwd, rev } = pts;
  const nF = fwd.x.length;
  const nR = rev.x.length;
  const keptFwd = new Uint8Array(nF).fill(1);
  const keptRev = new Uint8Array(nR).fill(1);
  if (nF === 0 || nR === 0) return { keptFwd, keptRev, rejectedFwd: 0, rejectedRev: 0, cost: 0 };
  const uF = new Float64Array(nF);
  const uR = new Float64Array(nR);
  let maxF = -Infinity;
  let minR = Infinity;
  let totF = 0;
  let totR = 0;
  for (let i = 0; i < nF; i++) {
    uF[i] = fwd.y[i]! - alpha * fwd.x[i]!;
    maxF = Math.max(maxF, uF[i]!);
    totF += fwd.w[i]!;
  }
  for (let j = 0; j < nR; j++) {
    uR[j] = rev.y[j]! - alpha * rev.x[j]!;
    minR = Math.min(minR, uR[j]!);
    totR += rev.w[j]!;
  }
  if (maxF <= minR + toleranceNs) return { keptFwd, keptRev, rejectedFwd: 0, rejectedRev: 0, cost: 0 };
  // Only constraints in conflict with at least one of the other direction can be worth removing: forward
  // values descending, reverse ascending, each with the cumulative weight removed so far.
  const candF = ranked(uF, fwd.w, -1, (u) => u > minR + toleranceNs);
  const candR = ranked(uR, rev.w, 1, (u) => u < maxF - toleranceNs);
  const cF = candF.values.length;
  const cR = candR.values.length;
  const sortedF = candF.values;
  const sortedR = candR.values;

  let bestA = 0;
  let bestB = 0;
  let bestCost = Infinity;
  let bestGap = -Infinity;
  // A direction is never emptied: the fit stays two-sided and the rejections show how bad it is.
  const maxA = cF === nF ? nF - 1 : cF;
  const maxB = cR === nR ? nR - 1 : cR;
  for (let a = 0; a <= maxA; a++) {
    // Removing the top `a` forward constraints is expressible as a threshold only between distinct values.
    if (a > 0 && a < cF && sortedF[a - 1] === sortedF[a]) continue;
    const costF = candF.cumulative[a]! / totF;
    if (costF > bestCost + 1e-12) break;
    // Past the candidates the next forward value conflicts with nothing.
    const keptMax = a < cF ? sortedF[a]! : candF.rest;
    const b = Math.min(maxB, lowerBound(sortedR, keptMax - toleranceNs));
    const cost = costF + candR.cumulative[b]! / totR;
    const keptMin = b < cR ? sortedR[b]! : candR.rest;
    const gap = keptMin - keptMax;
    if (cost < bestCost - 1e-12 || (cost <= bestCost + 1e-12 && gap > bestGap)) {
      bestCost = cost;
      bestA = a;
      bestB = b;
      bestGap = gap;
    }
    if (b === 0) break;
  }
  // Thresholds, not positions: equal values are kept or removed together.
  const cutF = bestA > 0 ? sortedF[bestA - 1]! : Infinity;
  const cutR = bestB > 0 ? sortedR[bestB - 1]! : -Infinity;
  let rejectedFwd = 0;
  let rejectedRev = 0;
  for (let i = 0; i < nF; i++) {
    if (uF[i]! >= cutF) {
      keptFwd[i] = 0;
      rejectedFwd++;
    }
  }
  for (let j = 0; j < nR; j++) {
    if (uR[j]! <= cutR) {
      keptRev[j] = 0;
      rejectedRev++;
    }
  }
  return { keptFwd, keptRev, rejectedFwd, rejectedRev, cost: bestCost };
}

/**
 * The values of `u` passing `take`, ascending (dir 1) or descending (dir -1), with cumulative weights in
 * that order, and `rest`: the first value in that order among those not taken. Unit weights (the common case) need only a numeric sort of the values; other weights an
 * index sort, ties broken by position for determinism.
 */
function ranked(
  u: Float64Array,
  w: Float64Array,
  dir: 1 | -1,
  take: (u: number) => boolean,
): { values: Float64Array; cumulative: Float64Array; rest: number } {
  let n = 0;
  let unit = true;
  let rest = dir === 1 ? Infinity : -Infinity;
  for (let i = 0; i < u.length; i++) {
    if (take(u[i]!)) {
      n++;
      if (w[i] !== 1) unit = false;
    } else rest = dir === 1 ? Math.min(rest, u[i]!) : Math.max(rest, u[i]!);
  }
  const values = new Float64Array(n);
  const cumulative = new Float64Array(n + 1);
  if (unit) {
    n = 0;
    for (let i = 0; i < u.length; i++) if (take(u[i]!)) values[n++] = u[i]!;
    values.sort();
    if (dir === -1) values.reverse();
    for (let k = 0; k < n; k++) cumulative[k + 1] = k + 1;
    return { values, cumulative, rest };
  }
  const o = new Int32Array(n);
  n = 0;
  for (let i = 0; i < u.length; i++) if (take(u[i]!)) o[n++] = i;
  o.sort((p, q) => dir * (u[p]! - u[q]!) || p - q);
  for (let k = 0; k < n; k++) {
    values[k] = u[o[k]!]!;
    cumulative[k + 1] = cumulative[k]! + w[o[k]!]!;
  }
  return { values, cumulative, rest };
}

/** First index with sorted[i] >= v. */
function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function hullsOf(pts: FitPoints, keptFwd: Uint8Array, keptRev: Uint8Array): { up: Hull; low: Hull } {
  const { fwd, rev } = pts;
  const up = buildHull(
    'upper',
    fwd.x.length,
    (i) => fwd.x[i]!,
    (i) => fwd.y[i]!,
    (i) => keptFwd[i] === 1,
  );
  const low = buildHull(
    'lower',
    rev.x.length,
    (i) => rev.x[i]!,
    (i) => rev.y[i]!,
    (i) => keptRev[i] === 1,
  );
  return { up, low };
}

/** Vertical room between the hulls for lines of slope alpha: min reverse u - max forward u. */
function room(up: Hull, low: Hull, alpha: number): number {
  return supportIntercept(low, alpha) - supportIntercept(up, alpha);
}

/** Candidate slopes where a concave piecewise-linear function of alpha may peak: the ends and breakpoints. */
function candidates(lo: number, hi: number, ...hulls: Hull[]): number[] {
  const c = [lo, hi];
  for (const h of hulls) for (const s of h.slopes) if (s > lo && s < hi) c.push(s);
  return c.sort((p, q) => p - q);
}

/**
 * MAXIMUM SEPARATION: the slope in [lo, hi] where the room between the forward upper hull and the reverse
 * lower hull is largest (TICSync's line of maximum separation); the line sits midway in that room. The
 * room is concave in alpha with breakpoints at hull edge slopes, so the peak is at one of them. A flat
 * peak (both hulls pivot on the same x) takes the middle of the flat part. `atLimit` says the peak touches
 * the prior limits: the data do not pin the slope down.
 */
export function maxSeparation(
  up: Hull,
  low: Hull,
  lo: number,
  hi: number,
): { alpha: number; theta: number; margin: number; atLimit: boolean } {
  const cand = candidates(lo, hi, up, low);
  let best = -Infinity;
  const vals = cand.map((a) => room(up, low, a));
  for (const v of vals) if (v > best) best = v;
  const eps = 1e-6 * Math.max(1, Math.abs(best));
  let first = -1;
  let last = -1;
  for (let k = 0; k < cand.length; k++) {
    if (vals[k]! >= best - eps) {
      if (first < 0) first = k;
      last = k;
    }
  }
  const alpha = (cand[first]! + cand[last]!) / 2;
  const f = supportIntercept(up, alpha);
  const r = supportIntercept(low, alpha);
  const atLimit = lo < hi && (cand[first] === lo || cand[last] === hi);
  return { alpha, theta: (f + r) / 2, margin: (r - f) / 2, atLimit };
}

/**
 * FEASIBLE BAND BOUND: every line of slope in [lo, hi] that keeps each constraint within `rho` is a
 * candidate truth. Over [x0, x1] the truth is at most `bound` from the fitted line, where bound is the
 * largest distance from the line to the highest or lowest candidate at either end (the band's edges are
 * convex/concave in x, so the ends are the worst). Also returns the slope range of the band.
 */
export function bandBound(
  up: Hull,
  low: Hull,
  rho: number,
  lo: number,
  hi: number,
  line: { theta: number; alpha: number },
  x0: number,
  x1: number,
): { bound: number; alphaLo: number; alphaHi: number } {
  const g = (a: number) => room(up, low, a) + 2 * rho;
  const peak = maxSeparation(up, low, lo, hi).alpha;
  const aLo = g(lo) >= 0 ? lo : bisectFeasible(g, lo, peak);
  const aHi = g(hi) >= 0 ? hi : bisectFeasible(g, hi, peak);
  const lowCand = candidates(aLo, aHi, up);
  const highCand = candidates(aLo, aHi, low);
  let bound = 0;
  for (const x of [x0, x1]) {
    const fitted = line.theta + line.alpha * x;
    let top = -Infinity;
    for (const a of highCand) top = Math.max(top, supportIntercept(low, a) + rho + a * x);
    let bottom = Infinity;
    for (const a of lowCand) bottom = Math.min(bottom, supportIntercept(up, a) - rho + a * x);
    bound = Math.max(bound, top - fitted, fitted - bottom);
  }
  return { bound, alphaLo: aLo, alphaHi: aHi };
}

/** The boundary between infeasible `out` and feasible `inside` for a concave room function. */
function bisectFeasible(g: (a: number) => number, out: number, inside: number): number {
  let o = out;
  let i = inside;
  for (let k = 0; k < 200; k++) {
    const m = (o + i) / 2;
    if (m === o || m === i) break;
    if (g(m) >= 0) i = m;
    else o = m;
  }
  return i;
}

/**
 * Time range of the constraints a fit rests on. Rejected ones are left out: a false match just past a
 * clock step must not stretch the segment over time that belongs to the next clock.
 */
function spanOf(pts: FitPoints, keptFwd?: Uint8Array, keptRev?: Uint8Array): { xMin: number; xMax: number } {
  let xMin = Infinity;
  let xMax = -Infinity;
  const scan = (x: Float64Array, kept?: Uint8Array) => {
    for (let i = 0; i < x.length; i++) {
      if (kept && kept[i] !== 1) continue;
      xMin = Math.min(xMin, x[i]!);
      break;
    }
    for (let i = x.length - 1; i >= 0; i--) {
      if (kept && kept[i] !== 1) continue;
      xMax = Math.max(xMax, x[i]!);
      break;
    }
  };
  scan(pts.fwd.x, keptFwd);
  scan(pts.rev.x, keptRev);
  return { xMin, xMax };
}

/** Rounds of trim-then-refit; the kept set settles in two or three. */
const MAX_TRIM_ROUNDS = 4;

/** Fit one segment. Requires at least one constraint. */
export function fitSegment(pts: FitPoints, opt: FitOptions): SegmentFit {
  const nF = pts.fwd.x.length;
  const nR = pts.rev.x.length;
  if (nF === 0 || nR === 0) {
    const all = spanOf(pts);
    return fitOneSided(pts, opt, all.xMin, all.xMax);
  }

  const fixed = opt.fixedAlpha;
  const lo = fixed ?? -opt.alphaMax;
  const hi = fixed ?? opt.alphaMax;
  let alpha = fixed ?? roughLine(pts, opt.alphaMax).alpha;
  const trimTol = opt.resolutionNs + opt.toleranceNs;
  let trim = trimAtSlope(pts, alpha, trimTol);
  let hulls = hullsOf(pts, trim.keptFwd, trim.keptRev);
  let sep = maxSeparation(hulls.up, hulls.low, lo, hi);
  for (let round = 1; round < MAX_TRIM_ROUNDS && fixed === undefined; round++) {
    if (sep.alpha === alpha) break;
    alpha = sep.alpha;
    const next = trimAtSlope(pts, alpha, trimTol);
    const same = sameMask(next.keptFwd, trim.keptFwd) && sameMask(next.keptRev, trim.keptRev);
    trim = next;
    if (same) break;
    hulls = hullsOf(pts, trim.keptFwd, trim.keptRev);
    sep = maxSeparation(hulls.up, hulls.low, lo, hi);
  }
  let inBand = 0;
  // Isolated constraints inside the band: false matches that conflict with nothing but squeeze the band.
  for (let round = 0; round < MAX_TRIM_ROUNDS; round++) {
    const line = { theta: sep.theta, alpha: sep.alpha };
    const outF = dropIsolated(pts.fwd, trim.keptFwd, line, 1, trimTol);
    const outR = dropIsolated(pts.rev, trim.keptRev, line, -1, trimTol);
    if (outF + outR === 0) break;
    inBand += outF + outR;
    trim.rejectedFwd += outF;
    trim.rejectedRev += outR;
    hulls = hullsOf(pts, trim.keptFwd, trim.keptRev);
    sep = maxSeparation(hulls.up, hulls.low, lo, hi);
  }
  const { up, low } = hulls;
  const { xMin, xMax } = spanOf(pts, trim.keptFwd, trim.keptRev);

  // Skew is estimated when the span is long enough and the slope is pinned inside the prior; otherwise
  // the line is flat (offset only), unless a flat line does not fit the data at all.
  let line = { theta: sep.theta, alpha: sep.alpha };
  let margin = sep.margin;
  let skewEstimated = fixed === undefined && !sep.atLimit;
  let offsetOnly = false;
  if (fixed === undefined && (xMax - xMin < opt.minSkewSpanNs || sep.atLimit)) {
    const flatMargin = room(up, low, 0) / 2;
    if (flatMargin >= -trimTol) {
      line = { theta: (supportIntercept(up, 0) + supportIntercept(low, 0)) / 2, alpha: 0 };
      margin = flatMargin;
      skewEstimated = false;
      offsetOnly = true;
    }
  }
  // Every constraint is known to within resolution plus the stamping allowance; beyond that, excess.
  const excessNs = Math.max(0, -margin - trimTol);
  const rho = trimTol + excessNs;
  const band = bandBound(up, low, rho, lo, hi, line, xMin, xMax);
  return {
    method: offsetOnly ? 'two-sided-offset-only' : 'two-sided-envelope',
    theta: line.theta,
    alpha: line.alpha,
    alphaLo: band.alphaLo,
    alphaHi: band.alphaHi,
    skewEstimated,
    // When the band had to be widened to exist at all, the widening itself is unexplained error.
    boundNs: band.bound + excessNs,
    excessNs,
    minForwardDelayNs: line.theta - supportIntercept(up, line.alpha),
    minReverseDelayNs: supportIntercept(low, line.alpha) - line.theta,
    xMin,
    xMax,
    keptFwd: trim.keptFwd,
    keptRev: trim.keptRev,
    rejectedFwd: trim.rejectedFwd,
    rejectedRev: trim.rejectedRev,
    rejectedInBand: inBand,
  };
}

/**
 * GIVEN LINE: how far a mapping the user supplied can be from the truth, judged by the constraints: false
 * matches are trimmed at its slope, then the same feasible-band bound as for a fit (the truth is in the
 * band, so a line outside it gets a bound covering the distance). Infinity with one direction only.
 */
export function boundForLine(
  pts: FitPoints,
  line: { theta: number; alpha: number },
  opt: FitOptions,
): number {
  if (pts.fwd.x.length === 0 || pts.rev.x.length === 0) return Infinity;
  const tol = opt.resolutionNs + opt.toleranceNs;
  const lo = opt.fixedAlpha ?? -opt.alphaMax;
  const hi = opt.fixedAlpha ?? opt.alphaMax;
  const trim = trimAtSlope(pts, line.alpha, tol);
  const { up, low } = hullsOf(pts, trim.keptFwd, trim.keptRev);
  const { xMin, xMax } = spanOf(pts, trim.keptFwd, trim.keptRev);
  const excessNs = Math.max(0, -maxSeparation(up, low, lo, hi).margin - tol);
  return bandBound(up, low, tol + excessNs, lo, hi, line, xMin, xMax).bound + excessNs;
}

/** The pile's density is measured over this many delays above a candidate start. */
const PILE_SPAN = 16;
/** The pile must be this many times denser than what lies below it. */
const PILE_CONTRAST = 8;
/** Constraints per time chunk: enough for a pile, short enough that a slightly wrong slope cannot smear it. */
const PILE_CHUNK = 256;

/**
 * CONSTRAINTS INSIDE THE BAND: genuine one-way delays pile up at the minimum (the device's fastest
 * path), so their smallest values are packed together. False matches landing inside the band conflict with
 * nothing, but sit below that pile, sparsely, and tilt the line. Within each run of about PILE_CHUNK
 * consecutive constraints of a direction (short enough that a tilt of the line cannot smear the pile), the
 * delays are sorted and the pile starts at the k that maximises the contrast between the mean spacing of
 * the k delays below it and of the PILE_SPAN delays above it. When that contrast exceeds PILE_CONTRAST and
 * a gap of more than twice the stamp noise (resolution plus stamping allowance) separates the two, the k
 * delays below are dropped; at most 5% of a chunk (at least four). `sign` is 1 for forward (delay = line -
 * y), -1 for reverse. Returns how many were dropped.
 */
function dropIsolated(
  side: SidePoints,
  kept: Uint8Array,
  line: { theta: number; alpha: number },
  sign: 1 | -1,
  noiseNs: number,
): number {
  const n = side.x.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += kept[i]!;
  const chunks = Math.max(1, Math.floor(m / PILE_CHUNK));
  const delayOf = (i: number) => sign * (line.theta + line.alpha * side.x[i]! - side.y[i]!);
  const delay = new Float64Array(Math.ceil(m / chunks) + 1);
  let dropped = 0;
  let i = 0;
  for (let ch = 0; ch < chunks; ch++) {
    // Kept constraints [from, i) of this chunk, in time order.
    const want = Math.floor(((ch + 1) * m) / chunks) - Math.floor((ch * m) / chunks);
    const from = i;
    let size = 0;
    while (i < n && size < want) {
      if (kept[i] === 1) delay[size++] = delayOf(i);
      i++;
    }
    const threshold = pileStart(delay.subarray(0, size), noiseNs);
    if (threshold === null) continue;
    for (let j = from; j < i; j++) {
      if (kept[j] === 1 && delayOf(j) < threshold) {
        kept[j] = 0;
        dropped++;
      }
    }
  }
  return dropped;
}

/** The delay where the pile starts, when sparse delays lie below it (sorts `d` in place); else null. */
function pileStart(d: Float64Array, noiseNs: number): number | null {
  const size = d.length;
  const maxDrop = Math.max(4, Math.floor(0.05 * size));
  if (size < maxDrop + PILE_SPAN + 1) return null;
  d.sort();
  let drop = 0;
  let best = PILE_CONTRAST;
  for (let k = 1; k <= maxDrop; k++) {
    if (d[k]! - d[k - 1]! <= 2 * noiseNs) continue;
    const below = (d[k]! - d[0]!) / k;
    const above = Math.max(d[k + PILE_SPAN]! - d[k]!, noiseNs) / PILE_SPAN;
    if (below / above > best) {
      best = below / above;
      drop = k;
    }
  }
  return drop === 0 ? null : d[drop]!;
}

function sameMask(p: Uint8Array, q: Uint8Array): boolean {
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return false;
  return true;
}

/**
 * ONE DIRECTION ONLY: the offset is not identifiable (any shift adds to the unknown minimum delay), the
 * skew is (Moon, Skelly, Towsley): the line touches the hull on the edge over the mean time, i.e. it
 * minimises the total distance to the points while staying on their side. The line is placed
 * `assumedMinDelayNs` beyond the envelope; the bound is infinite.
 */
function fitOneSided(pts: FitPoints, opt: FitOptions, xMin: number, xMax: number): SegmentFit {
  const forward = pts.fwd.x.length > 0;
  const side = forward ? pts.fwd : pts.rev;
  const n = side.x.length;
  const all = new Uint8Array(n).fill(1);
  const hull = buildHull(
    forward ? 'upper' : 'lower',
    n,
    (i) => side.x[i]!,
    (i) => side.y[i]!,
    () => true,
  );
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (side.x[i]! - mean) / (i + 1);
  const at = hullAt(hull, mean);
  const canSkew = opt.fixedAlpha === undefined && xMax - xMin >= opt.minSkewSpanNs && hull.xs.length >= 2;
  let alpha = opt.fixedAlpha ?? (canSkew && at ? at.slope : 0);
  alpha = Math.max(-opt.alphaMax, Math.min(opt.alphaMax, alpha));
  const envelope = supportIntercept(hull, alpha);
  const theta = forward ? envelope + opt.assumedMinDelayNs : envelope - opt.assumedMinDelayNs;
  return {
    method: forward ? 'one-sided-forward' : 'one-sided-reverse',
    theta,
    alpha,
    alphaLo: opt.fixedAlpha ?? -opt.alphaMax,
    alphaHi: opt.fixedAlpha ?? opt.alphaMax,
    skewEstimated: canSkew,
    boundNs: Infinity,
    excessNs: 0,
    minForwardDelayNs: forward ? opt.assumedMinDelayNs : Number.NaN,
    minReverseDelayNs: forward ? Number.NaN : opt.assumedMinDelayNs,
    xMin,
    xMax,
    keptFwd: forward ? all : new Uint8Array(0),
    keptRev: forward ? new Uint8Array(0) : all,
    rejectedFwd: 0,
    rejectedRev: 0,
    rejectedInBand: 0,
  };
}
