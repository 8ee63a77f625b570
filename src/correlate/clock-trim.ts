/**
 * Dropping false matches from one clock segment (docs/alignment.md §4): constraints that imply a negative
 * round trip through the device, and constraints sitting alone inside the band, below the pile of the
 * fastest genuine delays. Coordinates as in clock-fit.ts.
 */
import type { FitPoints, SidePoints } from './clock-fit.js';
import { select } from './clock-robust.js';
import { lowerBound } from './sorted.js';

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
/**
 * Projections and ranked candidates of `trimAtSlope`, kept between calls: a fit trims its constraints
 * several times, and fresh arrays for 400,000 of them were about 20 MB of garbage per alignment (nothing
 * returned refers to them). Ranked ones: [values, cumulative] per direction.
 */
let scratchF = new Float64Array(1024);
let scratchR = new Float64Array(1024);
const rankedScratch: [Float64Array, Float64Array][] = [
  [new Float64Array(1024), new Float64Array(1024)],
  [new Float64Array(1024), new Float64Array(1024)],
];

/** Scratch `which` (0, 1) with room for n values and n + 1 cumulative weights. */
function rankedBuffers(which: number, n: number): [Float64Array, Float64Array] {
  let b = rankedScratch[which]!;
  if (b[1].length < n + 1) {
    const size = Math.max(n + 1, b[1].length * 2);
    b = [new Float64Array(size), new Float64Array(size)];
    rankedScratch[which] = b;
  }
  return b;
}

export function trimAtSlope(pts: FitPoints, alpha: number, toleranceNs: number): TrimResult {
  const { fwd, rev } = pts;
  const nF = fwd.x.length;
  const nR = rev.x.length;
  const keptFwd = new Uint8Array(nF).fill(1);
  const keptRev = new Uint8Array(nR).fill(1);
  if (nF === 0 || nR === 0) return { keptFwd, keptRev, rejectedFwd: 0, rejectedRev: 0, cost: 0 };
  if (scratchF.length < nF) scratchF = new Float64Array(Math.max(nF, scratchF.length * 2));
  if (scratchR.length < nR) scratchR = new Float64Array(Math.max(nR, scratchR.length * 2));
  const uF = scratchF.subarray(0, nF);
  const uR = scratchR.subarray(0, nR);
  const totF = project(fwd, alpha, uF);
  const maxF = projectedMax;
  const totR = project(rev, alpha, uR);
  const minR = projectedMin;
  if (maxF <= minR + toleranceNs) return { keptFwd, keptRev, rejectedFwd: 0, rejectedRev: 0, cost: 0 };
  // Only constraints in conflict with at least one of the other direction can be worth removing: forward
  // values descending, reverse ascending, each with the cumulative weight removed so far.
  const candF = ranked(uF, fwd.w, -1, minR + toleranceNs, 0);
  const candR = ranked(uR, rev.w, 1, maxF - toleranceNs, 1);
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
  const rejectedFwd = clearBeyond(uF, keptFwd, -1, cutF);
  const rejectedRev = clearBeyond(uR, keptRev, 1, cutR);
  return { keptFwd, keptRev, rejectedFwd, rejectedRev, cost: bestCost };
}

// The passes over every constraint are functions of their own, so that the engine compiles each whole
// once its loop is hot (see sorted.ts); `project` leaves its extremes in these two.
let projectedMax = -Infinity;
let projectedMin = Infinity;

/** u = y - alpha * x of each point into `u`; returns the total weight (extremes of u in projectedMax/Min). */
function project(side: SidePoints, alpha: number, u: Float64Array): number {
  const { x, y, w } = side;
  let max = -Infinity;
  let min = Infinity;
  let total = 0;
  for (let i = 0; i < u.length; i++) {
    const v = y[i]! - alpha * x[i]!;
    u[i] = v;
    max = Math.max(max, v);
    min = Math.min(min, v);
    total += w[i]!;
  }
  projectedMax = max;
  projectedMin = min;
  return total;
}

/** Clears kept[i] where u[i] >= cut (dir -1) or u[i] <= cut (dir 1); returns how many. */
function clearBeyond(u: Float64Array, kept: Uint8Array, dir: 1 | -1, cut: number): number {
  let cleared = 0;
  for (let i = 0; i < u.length; i++) {
    if (dir === -1 ? u[i]! >= cut : u[i]! <= cut) {
      kept[i] = 0;
      cleared++;
    }
  }
  return cleared;
}

/**
 * The values of `u` below `limit` ascending (dir 1), or above it descending (dir -1), with cumulative
 * weights in that order, and `rest`: the first value in that order among those not taken. Unit weights (the common case) need only a numeric sort of the values; other weights an
 * index sort, ties broken by position for determinism.
 */
function ranked(
  u: Float64Array,
  w: Float64Array,
  dir: 1 | -1,
  limit: number,
  scratch: number,
): { values: Float64Array; cumulative: Float64Array; rest: number } {
  let n = countTaken(u, w, dir, limit);
  const unit = takenUnit;
  const rest = takenRest;
  const buffers = rankedBuffers(scratch, n);
  const values = buffers[0].subarray(0, n);
  const cumulative = buffers[1].subarray(0, n + 1);
  cumulative[0] = 0;
  if (unit) {
    n = 0;
    for (let i = 0; i < u.length; i++) if (dir === 1 ? u[i]! < limit : u[i]! > limit) values[n++] = u[i]!;
    values.sort();
    if (dir === -1) values.reverse();
    for (let k = 0; k < n; k++) cumulative[k + 1] = k + 1;
    return { values, cumulative, rest };
  }
  const o = new Int32Array(n);
  n = 0;
  for (let i = 0; i < u.length; i++) if (dir === 1 ? u[i]! < limit : u[i]! > limit) o[n++] = i;
  o.sort((p, q) => dir * (u[p]! - u[q]!) || p - q);
  for (let k = 0; k < n; k++) {
    values[k] = u[o[k]!]!;
    cumulative[k + 1] = cumulative[k]! + w[o[k]!]!;
  }
  return { values, cumulative, rest };
}

/** `countTaken`'s other results: all taken weights are 1, and the first value in order not taken. */
let takenUnit = true;
let takenRest = 0;

/**
 * How many values are taken: below `limit` ascending (dir 1), above it descending (dir -1); the rest in
 * takenUnit and takenRest.
 */
function countTaken(u: Float64Array, w: Float64Array, dir: 1 | -1, limit: number): number {
  let n = 0;
  let unit = true;
  let rest = dir === 1 ? Infinity : -Infinity;
  for (let i = 0; i < u.length; i++) {
    if (dir === 1 ? u[i]! < limit : u[i]! > limit) {
      n++;
      if (w[i] !== 1) unit = false;
    } else rest = dir === 1 ? Math.min(rest, u[i]!) : Math.max(rest, u[i]!);
  }
  takenUnit = unit;
  takenRest = rest;
  return n;
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
export function dropIsolated(
  side: SidePoints,
  kept: Uint8Array,
  line: { theta: number; alpha: number },
  sign: 1 | -1,
  noiseNs: number,
): number {
  const n = side.x.length;
  const m = countKept(kept);
  const chunks = Math.max(1, Math.floor(m / PILE_CHUNK));
  // The delay of constraint i is sign * (theta + alpha * x[i] - y[i]), written out twice below: a function
  // for it returned each value as a new heap number.
  const { theta, alpha } = line;
  const xs = side.x;
  const ys = side.y;
  const delay = new Float64Array(Math.ceil(m / chunks) + 1);
  let dropped = 0;
  let i = 0;
  for (let ch = 0; ch < chunks; ch++) {
    // Kept constraints [from, i) of this chunk, in time order.
    const want = Math.floor(((ch + 1) * m) / chunks) - Math.floor((ch * m) / chunks);
    const from = i;
    let size = 0;
    while (i < n && size < want) {
      if (kept[i] === 1) delay[size++] = sign * (theta + alpha * xs[i]! - ys[i]!);
      i++;
    }
    const threshold = pileStart(delay.subarray(0, size), noiseNs);
    if (threshold === null) continue;
    for (let j = from; j < i; j++) {
      if (kept[j] === 1 && sign * (theta + alpha * xs[j]! - ys[j]!) < threshold) {
        kept[j] = 0;
        dropped++;
      }
    }
  }
  return dropped;
}

function countKept(kept: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < kept.length; i++) m += kept[i]!;
  return m;
}

/**
 * The delay where the pile starts, when sparse delays lie below it; else null. Reorders `d`: only its
 * smallest maxDrop + PILE_SPAN + 1 values are read, so only they are sorted (after a selection).
 */
function pileStart(d: Float64Array, noiseNs: number): number | null {
  const size = d.length;
  const maxDrop = Math.max(4, Math.floor(0.05 * size));
  const read = maxDrop + PILE_SPAN + 1;
  if (size < read) return null;
  if (size > read) select(d, 0, size - 1, read - 1);
  d.subarray(0, read).sort();
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
