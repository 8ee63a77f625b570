/**
 * Clock alignment between a client-side and a server-side capture of the same traffic: pure math over
 * timing constraints fed by the matching code. docs/alignment.md states the model, the algorithm and the
 * bound; keep the two in sync.
 *
 * Mapping (per segment): client = server + offsetNs + skewPpm * 1e-6 * (server - referenceNs), i.e.
 * t_client = offset' + (1 + skew) * t_server with offset' = offsetNs - skew * referenceNs. All times are
 * nanoseconds relative to one base second shared by both captures.
 */
import { byServerTime, type ClockConstraints, pointsOf, validIndices } from './clock-constraints.js';
import { type FitOptions, fitSegment, type SegmentFit } from './clock-fit.js';
import { ALIGN_DEFAULTS, type AlignOptions, type ResolvedOptions } from './clock-options.js';
import type { AlignSegment, AlignWarning, ClockAlignment } from './clock-result.js';
import { medianOf } from './clock-robust.js';
import { B_FORWARD, F_DIFF, F_X, F_Y, scratchBytes, scratchFloats } from './clock-scratch.js';
import { findSteps } from './clock-steps.js';
import { userAlignment } from './clock-user.js';
import { describeFits } from './clock-warnings.js';

export { ClockConstraints } from './clock-constraints.js';
export { toClientNs, toServerNs } from './clock-map.js';
export type { AlignOptions } from './clock-options.js';
export type * from './clock-result.js';

/** Align the server-side clock to the client-side clock. Never throws on bad numbers: they are counted. */
export function alignClocks(c: ClockConstraints, options: AlignOptions = {}): ClockAlignment {
  const o: ResolvedOptions = { ...ALIGN_DEFAULTS, ...options };
  const warnings: AlignWarning[] = [];
  const fitOpt: FitOptions = {
    alphaMax: o.maxSkewPpm * 1e-6,
    // Truncated stamps shift each difference by up to one tick of either side, and the line is evaluated
    // up to one server tick away from the true instant (worth maxSkew * tick).
    resolutionNs: o.clientResolutionNs + o.serverResolutionNs * (1 + o.maxSkewPpm * 1e-6),
    toleranceNs: o.toleranceNs,
    minSkewSpanNs: o.minSkewSpanNs,
    assumedMinDelayNs: o.assumedMinDelayNs,
  };
  if (o.skewPpm !== undefined) fitOpt.fixedAlpha = o.skewPpm * 1e-6;

  const valid = validIndices(c);
  const invalid = c.size - valid.length;
  if (invalid > 0) {
    warnings.push({
      id: 'clock.invalid_constraint',
      text: `${invalid} constraint(s) with non-finite times or non-positive weight were ignored.`,
    });
  }
  if (valid.length === 0) return emptyAlignment(invalid, warnings);

  // Sort by server-side time; the offset d0 keeps fit coordinates small.
  const order = byServerTime(c, valid);
  const n = order.length;
  const diff = differences(c, order, scratchFloats(F_DIFF, n));
  const d0 = Math.round(medianOf(diff));

  if (o.offsetNs !== undefined) return userAlignment(c, order, d0, o.offsetNs, o, fitOpt, warnings, invalid);

  const x = scratchFloats(F_X, n);
  const y = scratchFloats(F_Y, n);
  const fwd = scratchBytes(B_FORWARD, n);
  stepInputs(c, order, diff, d0, x, y, fwd);
  const cuts = findSteps(x, y, fwd, { minStepNs: o.minStepNs, minSegment: o.minSegment });
  const bounds = [0, ...cuts, n];
  let parts: Part[] = [];
  for (let s = 0; s + 1 < bounds.length; s++)
    parts.push(fitPart(c, order, d0, bounds[s]!, bounds[s + 1]!, fitOpt));
  parts = refineCuts(parts, c, order, d0, fitOpt);
  parts = mergeConsistent(parts, c, order, d0, fitOpt);

  return assemble(c, parts, d0, o, fitOpt, warnings, invalid);
}

// The passes over every constraint are functions of their own, so that the engine compiles each whole
// once its loop is hot (see sorted.ts).

/** client - server of each constraint in `order`, into `out`. */
function differences(c: ClockConstraints, order: Int32Array, out: Float64Array): Float64Array {
  const { clientNs, serverNs } = c;
  for (let k = 0; k < order.length; k++) out[k] = clientNs[order[k]!]! - serverNs[order[k]!]!;
  return out;
}

/** Step detection's input: server time, difference less d0, direction, in `order`. */
function stepInputs(
  c: ClockConstraints,
  order: Int32Array,
  diff: Float64Array,
  d0: number,
  x: Float64Array,
  y: Float64Array,
  fwd: Uint8Array,
): void {
  const { serverNs, forward } = c;
  for (let k = 0; k < order.length; k++) {
    x[k] = serverNs[order[k]!]!;
    y[k] = diff[k]! - d0;
    fwd[k] = forward[order[k]!]!;
  }
}

/** A contiguous run [from, to) of the server-time order, with its fit. */
interface Part {
  from: number;
  to: number;
  ref: number;
  fit: SegmentFit;
  /** Positions (into the caller's arrays) behind the fit's kept masks. */
  fwdIdx: Int32Array;
  revIdx: Int32Array;
}

function fitPart(
  c: ClockConstraints,
  order: Int32Array,
  d0: number,
  from: number,
  to: number,
  opt: FitOptions,
): Part {
  const first = c.serverNs[order[from]!]!;
  const last = c.serverNs[order[to - 1]!]!;
  const ref = Math.round((first + last) / 2);
  const pts = pointsOf(c, order, d0, ref, from, to);
  return { from, to, ref, fit: fitSegment(pts, opt), fwdIdx: pts.fwd.idx, revIdx: pts.rev.idx };
}

/**
 * CUT REFINEMENT: bin levels place a cut within a few constraints; false matches near a step can pull it
 * off. With both sides fitted, each constraint near the cut is tested against the two lines: one that
 * only the left line can explain belongs before the cut, one that only the right line can explain after
 * it. The cut moves to where the fewest constraints are on the wrong side (the nearest such place to the
 * first guess), and both sides are refitted.
 */
function refineCuts(
  parts: Part[],
  c: ClockConstraints,
  order: Int32Array,
  d0: number,
  opt: FitOptions,
): Part[] {
  const tol = opt.resolutionNs + opt.toleranceNs;
  const reach = Math.max(32, Math.ceil(order.length / 128));
  for (let s = 1; s < parts.length; s++) {
    const left = parts[s - 1]!;
    const right = parts[s]!;
    const cut = right.from;
    const lo = Math.max(left.from + 1, cut - reach);
    const hi = Math.min(right.to - 1, cut + reach);
    // side[k - lo]: -1 only the left line explains it, +1 only the right line, 0 both or neither.
    const side = new Int8Array(hi - lo);
    for (let k = lo; k < hi; k++) {
      const i = order[k]!;
      const t = c.serverNs[i]!;
      const y = c.clientNs[i]! - t - d0;
      const sign = c.forward[i] === 1 ? 1 : -1;
      const breaksLeft = sign * (y - lineAt(left, t)) > tol + left.fit.excessNs;
      const breaksRight = sign * (y - lineAt(right, t)) > tol + right.fit.excessNs;
      side[k - lo] = breaksLeft === breaksRight ? 0 : breaksLeft ? 1 : -1;
    }
    let wrong = 0;
    for (let k = lo; k < hi; k++) if (side[k - lo] === -1 && k >= cut) wrong++;
    for (let k = lo; k < hi; k++) if (side[k - lo] === 1 && k < cut) wrong++;
    // Scan every candidate cut in [lo, hi]; `here` counts wrong-side constraints for a cut at k.
    let here = 0;
    for (let k = lo; k < hi; k++) if (side[k - lo] === -1) here++;
    let best = cut;
    let bestWrong = wrong;
    for (let k = lo; k <= hi; k++) {
      if (k > lo) {
        const v = side[k - 1 - lo]!;
        if (v === 1) here++;
        else if (v === -1) here--;
      }
      const sameInstant = k > 0 && k < order.length && c.serverNs[order[k - 1]!] === c.serverNs[order[k]!];
      if (sameInstant) continue;
      if (here < bestWrong || (here === bestWrong && Math.abs(k - cut) < Math.abs(best - cut))) {
        bestWrong = here;
        best = k;
      }
    }
    if (best !== cut) {
      parts[s - 1] = fitPart(c, order, d0, left.from, best, opt);
      parts[s] = fitPart(c, order, d0, best, right.to, opt);
    }
  }
  return parts;
}

/**
 * STEP CONFIRMATION: neighbouring segments are merged back when one line fits both: the joint fit
 * rejects hardly more than the two fits apart, and the two lines agree at the cut within their bounds.
 * A real step fails both tests; a cut made by noise passes them.
 */
function mergeConsistent(parts: Part[], c: ClockConstraints, order: Int32Array, d0: number, opt: FitOptions) {
  const out: Part[] = [];
  for (const p of parts) {
    const prev = out[out.length - 1];
    if (prev) {
      const joint = fitPart(c, order, d0, prev.from, p.to, opt);
      const apart = rejected(prev.fit) + rejected(p.fit);
      const slack = 2 + 0.005 * (p.to - prev.from);
      const cut = c.serverNs[order[p.from]!]!;
      const gap = Math.abs(lineAt(prev, cut) - lineAt(p, cut));
      if (rejected(joint.fit) <= apart + slack && gap <= prev.fit.boundNs + p.fit.boundNs) {
        out[out.length - 1] = joint;
        continue;
      }
    }
    out.push(p);
  }
  return out;
}

function rejected(f: SegmentFit): number {
  return f.rejectedFwd + f.rejectedRev;
}

/** The part's client - server - d0 at absolute server time t. */
function lineAt(p: Part, t: number): number {
  return p.fit.theta + p.fit.alpha * (t - p.ref);
}

function assemble(
  c: ClockConstraints,
  parts: Part[],
  d0: number,
  o: ResolvedOptions,
  opt: FitOptions,
  warnings: AlignWarning[],
  invalid: number,
): ClockAlignment {
  const segments: AlignSegment[] = [];
  const rejectedIds: number[] = [];
  let main = 0;
  let totals = { forward: 0, reverse: 0, used: 0, rejected: 0 };
  for (const [s, p] of parts.entries()) {
    const f = p.fit;
    for (let j = 0; j < f.keptFwd.length; j++) if (f.keptFwd[j] === 0) rejectedIds.push(c.id[p.fwdIdx[j]!]!);
    for (let j = 0; j < f.keptRev.length; j++) if (f.keptRev[j] === 0) rejectedIds.push(c.id[p.revIdx[j]!]!);
    const counts = {
      forward: f.keptFwd.length,
      reverse: f.keptRev.length,
      used: f.keptFwd.length + f.keptRev.length - rejected(f),
      rejected: rejected(f),
    };
    totals = {
      forward: totals.forward + counts.forward,
      reverse: totals.reverse + counts.reverse,
      used: totals.used + counts.used,
      rejected: totals.rejected + counts.rejected,
    };
    segments.push({
      fromNs: p.ref + f.xMin,
      toNs: p.ref + f.xMax,
      referenceNs: p.ref,
      offsetNs: d0 + f.theta,
      skewPpm: f.alpha * 1e6,
      skewRangePpm: [f.alphaLo * 1e6, f.alphaHi * 1e6],
      boundNs: f.boundNs,
      method: f.method,
      constraints: counts,
      minForwardDelayNs: f.minForwardDelayNs,
      minReverseDelayNs: f.minReverseDelayNs,
    });
    if (counts.used > segments[main]!.constraints.used) main = s;
  }
  const top = segments[main]!;
  const fit = parts[main]!.fit;
  describeFits(
    parts.map((p) => p.fit),
    segments,
    o,
    opt,
    warnings,
  );
  return {
    offsetNs: top.offsetNs,
    skewPpm: top.skewPpm,
    referenceNs: top.referenceNs,
    boundNs: top.boundNs,
    method: top.method,
    oneSided: top.method === 'one-sided-forward' || top.method === 'one-sided-reverse',
    skewEstimated: fit.skewEstimated,
    constraints: { ...totals, invalid },
    segments,
    minForwardDelayNs: minOf(segments.map((s) => s.minForwardDelayNs)),
    minReverseDelayNs: minOf(segments.map((s) => s.minReverseDelayNs)),
    warnings,
    rejectedIds: Float64Array.from(rejectedIds),
  };
}

function minOf(values: number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length > 0 ? Math.min(...finite) : Number.NaN;
}

function emptyAlignment(invalid: number, warnings: AlignWarning[]): ClockAlignment {
  warnings.push({ id: 'clock.no_constraints', text: 'no usable timing constraints: clocks not aligned.' });
  return {
    offsetNs: Number.NaN,
    skewPpm: Number.NaN,
    referenceNs: 0,
    boundNs: Infinity,
    method: 'none',
    oneSided: false,
    skewEstimated: false,
    constraints: { forward: 0, reverse: 0, used: 0, rejected: 0, invalid },
    segments: [],
    minForwardDelayNs: Number.NaN,
    minReverseDelayNs: Number.NaN,
    warnings,
    rejectedIds: new Float64Array(0),
  };
}
