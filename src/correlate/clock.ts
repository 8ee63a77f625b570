/**
 * Clock alignment between a client-side and a server-side capture of the same traffic: pure math over
 * timing constraints fed by the matching code. docs/alignment.md states the model, the algorithm and the
 * bound; keep the two in sync.
 *
 * Mapping (per segment): client = server + offsetNs + skewPpm * 1e-6 * (server - referenceNs), i.e.
 * t_client = offset' + (1 + skew) * t_server with offset' = offsetNs - skew * referenceNs. All times are
 * nanoseconds relative to one base second shared by both captures.
 */
import {
  boundForLine,
  type FitMethod,
  type FitOptions,
  type FitPoints,
  fitSegment,
  type SegmentFit,
} from './clock-fit.js';
import { medianOf } from './clock-robust.js';
import { findSteps } from './clock-steps.js';

/**
 * Timing constraints. Forward: a packet (or a causal event) seen on the client side at clientNs, then on
 * the server side at serverNs. Reverse: seen on the server side first, then on the client side.
 * Grows like a vector of typed arrays, so millions of constraints cost 33 bytes each.
 */
export class ClockConstraints {
  clientNs = new Float64Array(1024);
  serverNs = new Float64Array(1024);
  weight = new Float64Array(1024);
  id = new Float64Array(1024);
  /** 1 = forward (client side first), 0 = reverse. */
  forward = new Uint8Array(1024);
  size = 0;

  /** Client side saw it first. Returns the constraint's id (its position unless `id` is given). */
  addForward(clientNs: number, serverNs: number, weight = 1, id?: number): number {
    return this.add(1, clientNs, serverNs, weight, id);
  }

  /** Server side saw it first. */
  addReverse(clientNs: number, serverNs: number, weight = 1, id?: number): number {
    return this.add(0, clientNs, serverNs, weight, id);
  }

  private add(forward: number, clientNs: number, serverNs: number, weight: number, id?: number): number {
    if (this.size === this.clientNs.length) this.grow();
    const k = this.size++;
    this.clientNs[k] = clientNs;
    this.serverNs[k] = serverNs;
    this.weight[k] = weight;
    this.forward[k] = forward;
    this.id[k] = id ?? k;
    return this.id[k]!;
  }

  private grow(): void {
    const cap = this.clientNs.length * 2;
    const widen = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.clientNs = widen(this.clientNs, (n) => new Float64Array(n));
    this.serverNs = widen(this.serverNs, (n) => new Float64Array(n));
    this.weight = widen(this.weight, (n) => new Float64Array(n));
    this.id = widen(this.id, (n) => new Float64Array(n));
    this.forward = widen(this.forward, (n) => new Uint8Array(n));
  }
}

export interface AlignOptions {
  /** Timestamp resolution of the client-side capture (1000 for microsecond pcap). Default 1000. */
  clientResolutionNs?: number;
  /** Timestamp resolution of the server-side capture. Default 1000. */
  serverResolutionNs?: number;
  /**
   * Time stamping error to allow on top of the resolutions (host stamps taken after interrupt coalescing
   * can be late by tens of microseconds): a constraint must violate the line by more before it counts as
   * a false match, and the bound grows by it. Default 0 (stamps honest).
   */
  toleranceNs?: number;
  /** Largest plausible relative skew; the bound holds for true skews within it. Default 500 ppm. */
  maxSkewPpm?: number;
  /** Spans shorter than this are fitted offset-only. Default 2 s. */
  minSkewSpanNs?: number;
  /** Jumps smaller than this are never treated as clock steps. Default 100 us. */
  minStepNs?: number;
  /** Fewest constraints for a segment of its own. Default 32. */
  minSegment?: number;
  /** One-sided data: minimum one-way delay assumed to place the line. Default 0. */
  assumedMinDelayNs?: number;
  /** User override: the skew is known (ppm); only the offset is fitted. */
  skewPpm?: number;
  /**
   * User override: the offset is known (ns to add to server-side times at `referenceNs`, default 0);
   * nothing is fitted, the constraints only measure how well it fits.
   */
  offsetNs?: number;
  referenceNs?: number;
}

export type AlignMethod = FitMethod | 'user' | 'none';

export interface ConstraintCounts {
  forward: number;
  reverse: number;
  used: number;
  rejected: number;
}

export interface AlignSegment {
  /** Server-side time range covered (ns from the base second). */
  fromNs: number;
  toNs: number;
  referenceNs: number;
  offsetNs: number;
  skewPpm: number;
  /** Skews consistent with the constraints (within the prior). */
  skewRangePpm: [number, number];
  boundNs: number;
  method: AlignMethod;
  constraints: ConstraintCounts;
  minForwardDelayNs: number;
  minReverseDelayNs: number;
}

export interface AlignWarning {
  id: string;
  text: string;
}

export interface ClockAlignment {
  /** Add to a server-side time at referenceNs to get the client-side clock. */
  offsetNs: number;
  skewPpm: number;
  referenceNs: number;
  /** |true - fitted| over the main segment; Infinity when not identifiable (one-sided, none). */
  boundNs: number;
  method: AlignMethod;
  oneSided: boolean;
  skewEstimated: boolean;
  constraints: ConstraintCounts & { invalid: number };
  /** Ordered by server-side time; more than one after a clock step. */
  segments: AlignSegment[];
  minForwardDelayNs: number;
  minReverseDelayNs: number;
  warnings: AlignWarning[];
  /** Ids of the constraints dropped as false matches. */
  rejectedIds: Float64Array;
}

const DEFAULTS = {
  clientResolutionNs: 1000,
  serverResolutionNs: 1000,
  toleranceNs: 0,
  maxSkewPpm: 500,
  minSkewSpanNs: 2e9,
  minStepNs: 100_000,
  minSegment: 32,
  assumedMinDelayNs: 0,
};

/** Rejections above this fraction of a segment suggest a systematic problem, not a few false matches. */
const MANY_REJECTED = 0.2;

/** Align the server-side clock to the client-side clock. Never throws on bad numbers: they are counted. */
export function alignClocks(c: ClockConstraints, options: AlignOptions = {}): ClockAlignment {
  const o = { ...DEFAULTS, ...options };
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
  const diff = new Float64Array(n);
  for (let k = 0; k < n; k++) diff[k] = c.clientNs[order[k]!]! - c.serverNs[order[k]!]!;
  const d0 = Math.round(medianOf(diff));

  if (o.offsetNs !== undefined) return userAlignment(c, order, d0, o.offsetNs, o, fitOpt, warnings, invalid);

  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const fwd = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    x[k] = c.serverNs[order[k]!]!;
    y[k] = diff[k]! - d0;
    fwd[k] = c.forward[order[k]!]!;
  }
  const cuts = findSteps(x, y, fwd, { minStepNs: o.minStepNs, minSegment: o.minSegment });
  const bounds = [0, ...cuts, n];
  let parts: Part[] = [];
  for (let s = 0; s + 1 < bounds.length; s++)
    parts.push(fitPart(c, order, d0, bounds[s]!, bounds[s + 1]!, fitOpt));
  parts = refineCuts(parts, c, order, d0, fitOpt);
  parts = mergeConsistent(parts, c, order, d0, fitOpt);

  return assemble(c, parts, d0, o, fitOpt, warnings, invalid);
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

/**
 * Valid positions ordered by server-side time, ties by position. Matching code usually emits constraints
 * nearly in time order, so an ordered input is detected in one pass; otherwise integer times (the normal
 * case) take a stable 16-bit LSD radix sort (linear, no comparator calls), anything else a comparison sort.
 */
function byServerTime(c: ClockConstraints, valid: number[]): Int32Array {
  const order = Int32Array.from(valid);
  const n = order.length;
  let sorted = true;
  let integral = true;
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < n; k++) {
    const t = c.serverNs[order[k]!]!;
    if (k > 0 && t < c.serverNs[order[k - 1]!]!) sorted = false;
    if (!Number.isInteger(t)) integral = false;
    min = Math.min(min, t);
    max = Math.max(max, t);
  }
  if (sorted) return order;
  if (!integral || max - min > Number.MAX_SAFE_INTEGER) {
    return order.sort((p, q) => c.serverNs[p]! - c.serverNs[q]! || p - q);
  }
  // Keys split into two 32-bit halves so digits come from bit operations; keys and positions move together
  // so each pass reads memory in order.
  let hiKey = new Uint32Array(n);
  let loKey = new Uint32Array(n);
  let src = order;
  for (let k = 0; k < n; k++) {
    const key = c.serverNs[src[k]!]! - min;
    const hi = Math.floor(key / 4294967296);
    hiKey[k] = hi;
    loKey[k] = key - hi * 4294967296;
  }
  let dst = new Int32Array(n);
  let hiDst = new Uint32Array(n);
  let loDst = new Uint32Array(n);
  const counts = new Int32Array(65537);
  const span = max - min;
  for (let pass = 0; pass < 4 && span >= 2 ** (16 * pass); pass++) {
    const word = pass < 2 ? loKey : hiKey;
    const shift = (pass % 2) * 16;
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[((word[k]! >>> shift) & 0xffff) + 1]!++;
    for (let d = 0; d < 65536; d++) counts[d + 1]! += counts[d]!;
    for (let k = 0; k < n; k++) {
      const at = counts[(word[k]! >>> shift) & 0xffff]!++;
      dst[at] = src[k]!;
      hiDst[at] = hiKey[k]!;
      loDst[at] = loKey[k]!;
    }
    [src, dst] = [dst, src];
    [hiKey, hiDst] = [hiDst, hiKey];
    [loKey, loDst] = [loDst, loKey];
  }
  return src;
}

function validIndices(c: ClockConstraints): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.size; i++) {
    const w = c.weight[i]!;
    if (Number.isFinite(c.clientNs[i]!) && Number.isFinite(c.serverNs[i]!) && Number.isFinite(w) && w > 0) {
      out.push(i);
    }
  }
  return out;
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

function pointsOf(c: ClockConstraints, order: Int32Array, d0: number, ref: number, from: number, to: number) {
  let nF = 0;
  for (let k = from; k < to; k++) nF += c.forward[order[k]!]!;
  const nR = to - from - nF;
  const side = (m: number) => ({
    x: new Float64Array(m),
    y: new Float64Array(m),
    w: new Float64Array(m),
    idx: new Int32Array(m),
  });
  const pts: FitPoints = { fwd: side(nF), rev: side(nR) };
  let f = 0;
  let r = 0;
  for (let k = from; k < to; k++) {
    const i = order[k]!;
    const s = c.forward[i] === 1 ? pts.fwd : pts.rev;
    const j = c.forward[i] === 1 ? f++ : r++;
    s.x[j] = c.serverNs[i]! - ref;
    s.y[j] = c.clientNs[i]! - c.serverNs[i]! - d0;
    s.w[j] = c.weight[i]!;
    s.idx[j] = i;
  }
  return pts;
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
  o: typeof DEFAULTS & AlignOptions,
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
  describe(parts, segments, o, opt, warnings);
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

/** Warnings: each names what limits the result and why. */
function describe(
  parts: Part[],
  segments: AlignSegment[],
  o: typeof DEFAULTS & AlignOptions,
  opt: FitOptions,
  warnings: AlignWarning[],
): void {
  for (const [s, seg] of segments.entries()) {
    const f = parts[s]!.fit;
    const where = segments.length > 1 ? `segment ${s + 1}: ` : '';
    if (seg.method === 'one-sided-forward' || seg.method === 'one-sided-reverse') {
      const dir = seg.method === 'one-sided-forward' ? 'client -> server' : 'server -> client';
      warnings.push({
        id: 'clock.one_sided',
        text:
          `${where}only ${dir} constraints: the offset is not identifiable (it trades off against the unknown ` +
          `minimum one-way delay, assumed ${o.assumedMinDelayNs} ns); treat it as a limit, not an estimate.`,
      });
    }
    if (!f.skewEstimated && o.skewPpm === undefined && f.alpha === 0) {
      const span = seg.toNs - seg.fromNs;
      const why = span < opt.minSkewSpanNs ? 'too short to measure it' : 'the data do not pin the slope down';
      warnings.push({
        id: 'clock.skew_not_estimated',
        text: `${where}skew not estimated (span ${(span / 1e9).toFixed(3)} s, ${why}); offset only.`,
      });
    } else if (!f.skewEstimated && o.skewPpm === undefined) {
      warnings.push({
        id: 'clock.skew_at_limit',
        text: `${where}the data do not pin the skew down; it sits at the +-${o.maxSkewPpm} ppm prior limit.`,
      });
    }
    const n = seg.constraints.forward + seg.constraints.reverse;
    if (seg.constraints.rejected > 0) {
      warnings.push({
        id: seg.constraints.rejected > MANY_REJECTED * n ? 'clock.many_rejected' : 'clock.outliers_rejected',
        text:
          `${where}${seg.constraints.rejected} of ${n} constraints rejected (${f.rejectedFwd} forward, ` +
          `${f.rejectedRev} reverse): ${seg.constraints.rejected - f.rejectedInBand} implied a negative ` +
          `round trip through the device, ${f.rejectedInBand} sat alone below the fastest delays.`,
      });
    }
    if (f.excessNs > 0) {
      warnings.push({
        id: 'clock.band_infeasible',
        text:
          `${where}constraints disagree by ${Math.round(f.excessNs)} ns beyond timestamp resolution and ` +
          'the stamping allowance ' +
          '(time stamping jitter larger than the device latency, or pairs that are not what they seem); ' +
          'the bound is widened by that much.',
      });
    }
    if (s > 0) {
      const prev = segments[s - 1]!;
      const at = seg.fromNs;
      const jump =
        seg.offsetNs +
        (seg.skewPpm * 1e-6 * (at - seg.referenceNs) -
          (prev.offsetNs + prev.skewPpm * 1e-6 * (at - prev.referenceNs)));
      warnings.push({
        id: 'clock.step',
        text: `clock step of ${Math.round(jump)} ns between server-side times ${prev.toNs} and ${seg.fromNs} ns.`,
      });
    }
  }
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

/**
 * USER MAPPING: --offset (and optionally --skew) replace the fit. The constraints then only measure it:
 * the smallest one-way delays it implies, how many constraints it puts at a negative delay beyond
 * timestamp resolution (reported as rejected, since under that mapping they cannot be true), and how far
 * it can be from the truth given the feasible band (with --skew the bound trusts that skew).
 */
function userAlignment(
  c: ClockConstraints,
  order: Int32Array,
  d0: number,
  offsetNs: number,
  o: typeof DEFAULTS & AlignOptions,
  opt: FitOptions,
  warnings: AlignWarning[],
  invalid: number,
): ClockAlignment {
  const skew = (o.skewPpm ?? 0) * 1e-6;
  const ref = o.referenceNs ?? 0;
  const pts = pointsOf(c, order, d0, ref, 0, order.length);
  const boundNs = boundForLine(pts, { theta: offsetNs - d0, alpha: skew }, opt);
  const res = o.clientResolutionNs + o.serverResolutionNs;
  let minF = Infinity;
  let minR = Infinity;
  let nF = 0;
  const bad: number[] = [];
  for (const i of order) {
    const s = c.serverNs[i]!;
    const mapped = s + offsetNs + skew * (s - ref);
    const delay = c.forward[i] === 1 ? mapped - c.clientNs[i]! : c.clientNs[i]! - mapped;
    if (c.forward[i] === 1) {
      nF++;
      minF = Math.min(minF, delay);
    } else minR = Math.min(minR, delay);
    if (delay < -res - o.toleranceNs) bad.push(c.id[i]!);
  }
  const n = order.length;
  const counts = { forward: nF, reverse: n - nF, used: n - bad.length, rejected: bad.length };
  if (bad.length > 0) {
    warnings.push({
      id: 'clock.user_mapping_violated',
      text: `${bad.length} of ${n} constraints imply a negative one-way delay under the given offset/skew.`,
    });
  }
  const from = c.serverNs[order[0]!]!;
  const to = c.serverNs[order[n - 1]!]!;
  const minForwardDelayNs = nF > 0 ? minF : Number.NaN;
  const minReverseDelayNs = n > nF ? minR : Number.NaN;
  const segment: AlignSegment = {
    fromNs: from,
    toNs: to,
    referenceNs: ref,
    offsetNs,
    skewPpm: skew * 1e6,
    skewRangePpm: [skew * 1e6, skew * 1e6],
    boundNs,
    method: 'user',
    constraints: counts,
    minForwardDelayNs,
    minReverseDelayNs,
  };
  return {
    offsetNs,
    skewPpm: skew * 1e6,
    referenceNs: ref,
    boundNs,
    method: 'user',
    oneSided: false,
    skewEstimated: false,
    constraints: { ...counts, invalid },
    segments: [segment],
    minForwardDelayNs,
    minReverseDelayNs,
    warnings,
    rejectedIds: Float64Array.from(bad),
  };
}

/** Map a server-side time to the client-side clock with the segment covering it (or the nearest one). */
export function toClientNs(a: ClockAlignment, serverNs: number): number {
  const s = segmentFor(a.segments, serverNs, (g) => [g.fromNs, g.toNs]);
  if (!s) return Number.NaN;
  return serverNs + s.offsetNs + s.skewPpm * 1e-6 * (serverNs - s.referenceNs);
}

/** Map a client-side time to the server-side clock (inverse of toClientNs). */
export function toServerNs(a: ClockAlignment, clientNs: number): number {
  const span = (g: AlignSegment): [number, number] => [mapped(g, g.fromNs), mapped(g, g.toNs)];
  const s = segmentFor(a.segments, clientNs, span);
  if (!s) return Number.NaN;
  const k = s.skewPpm * 1e-6;
  // client = server + offset + k (server - ref)  =>  server = (client - offset + k ref) / (1 + k)
  return (clientNs - s.offsetNs + k * s.referenceNs) / (1 + k);
}

function mapped(g: AlignSegment, serverNs: number): number {
  return serverNs + g.offsetNs + g.skewPpm * 1e-6 * (serverNs - g.referenceNs);
}

function segmentFor(
  segments: AlignSegment[],
  t: number,
  span: (g: AlignSegment) => [number, number],
): AlignSegment | undefined {
  let best: AlignSegment | undefined;
  let bestDist = Infinity;
  for (const g of segments) {
    const [from, to] = span(g);
    const dist = t < from ? from - t : t > to ? t - to : 0;
    if (dist < bestDist) {
      bestDist = dist;
      best = g;
    }
  }
  return best;
}
