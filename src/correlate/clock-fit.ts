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
import { dropIsolated, trimAtSlope } from './clock-trim.js';
import { type Hull, hullAt, hullOfPoints, supportIntercept } from './hull.js';

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

export function hullsOf(pts: FitPoints, keptFwd: Uint8Array, keptRev: Uint8Array): { up: Hull; low: Hull } {
  const { fwd, rev } = pts;
  return {
    up: hullOfPoints('upper', fwd.x, fwd.y, keptFwd),
    low: hullOfPoints('lower', rev.x, rev.y, keptRev),
  };
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
  const hull = hullOfPoints(forward ? 'upper' : 'lower', side.x, side.y, null);
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
