/**
 * Coarse clock offset from content matches, before any fine alignment. Two captures can disagree by hours
 * or days (a wrong time zone, an unsynchronised host), so the offset is never assumed small: it is the
 * consensus of the differences (client - server) over candidate pairs found by content alone (same ISN,
 * same payload hash), many of which may be wrong. Also: do the two files overlap in time at all, and were
 * they given the right way round? docs/alignment.md describes these checks.
 */
import { alignClocks, ClockConstraints } from './clock.js';
import { medianOf, select, theilSen } from './clock-robust.js';
import { stableOrder } from './sorted.js';

export interface CoarseOptions {
  /**
   * Width of the consensus window: true pairs differ by the offset plus one-way delays plus drift over the
   * capture, so their differences fall within this. Default 2 s.
   */
  clusterWidthNs?: number;
  /** Fewest agreeing pairs for a result. Default 3. */
  minSupport?: number;
}

export interface CoarseOffset {
  found: boolean;
  /** client - server at referenceNs (server-side time, the median of the agreeing pairs). */
  offsetNs: number;
  referenceNs: number;
  /** Drift of the agreeing pairs' differences, in ppm (0 when their span is under a second). */
  skewPpm: number;
  /**
   * Matching window: a true pair's difference lies within +-windowNs of the coarse line. Twice the 99th
   * percentile of the agreeing pairs' distances to the line, at least 1 ms.
   */
  windowNs: number;
  /** Pairs agreeing with the consensus, and all valid pairs. */
  support: number;
  total: number;
  /** Agreeing pairs of the best competing offset (at least one window away). */
  runnerUp: number;
  /** The runner-up has at least half the support: the consensus is not trustworthy. */
  ambiguous: boolean;
}

const MIN_WINDOW_NS = 1e6;

/**
 * CONSENSUS OFFSET: sort the differences and slide a window of `clusterWidthNs` over them; the window
 * holding the most pairs is the consensus (the mode of the differences at that resolution). Its pairs
 * are then refined by a Theil-Sen line over time bins, which absorbs drift, and give the matching window.
 */
export function findCoarseOffset(
  clientNs: ArrayLike<number>,
  serverNs: ArrayLike<number>,
  options: CoarseOptions = {},
): CoarseOffset {
  const width = options.clusterWidthNs ?? 2e9;
  const minSupport = options.minSupport ?? 3;
  const n0 = Math.min(clientNs.length, serverNs.length);
  // Finite pairs only: their differences, and their server-side times.
  const diff = new Float64Array(n0);
  const time = new Float64Array(n0);
  const n = finitePairs(clientNs, serverNs, diff, time);
  const none: CoarseOffset = {
    found: false,
    offsetNs: Number.NaN,
    referenceNs: Number.NaN,
    skewPpm: 0,
    windowNs: Number.NaN,
    support: 0,
    total: n,
    runnerUp: 0,
    ambiguous: false,
  };
  if (n === 0) return none;

  const sorted = diff.slice(0, n).sort();
  // ends[i]: one past the last difference within `width` of sorted[i].
  const ends = windowEnds(sorted, width);
  const best = fullestWindow(ends);
  const lo = sorted[best]!;
  const hi = sorted[ends[best]! - 1]!;
  const runnerUp = fullestElsewhere(sorted, ends, lo - width, hi + width);
  const support = ends[best]! - best;
  if (support < minSupport) return { ...none, support, runnerUp };

  // The agreeing pairs, by server-side time (equal times in input order).
  const agreeing = new Int32Array(n);
  const m = within(diff.subarray(0, n), lo, hi, agreeing);
  const members = stableOrder(time, agreeing.subarray(0, m));
  const times = gather(time, members);
  const values = gather(diff, members);
  const referenceNs = times[m >> 1]!;
  const span = times[m - 1]! - times[0]!;
  let slope = 0;
  let level = medianOf(values);
  if (span >= 1e9 && m >= 16) {
    const bins = Math.min(16, Math.floor(m / 4));
    const bx: number[] = [];
    const by: number[] = [];
    for (let b = 0; b < bins; b++) {
      const from = Math.floor((b * m) / bins);
      const to = Math.floor(((b + 1) * m) / bins);
      bx.push(medianOf(times, from, to) - referenceNs);
      by.push(medianOf(values, from, to));
    }
    const ts = theilSen(bx, by);
    slope = ts.slope;
    level = ts.intercept;
  }
  const dist = distances(values, times, level, slope, referenceNs);
  // The 99th percentile by selection: the value a sort would put there, without sorting them all.
  const at = Math.min(dist.length - 1, Math.floor(0.99 * dist.length));
  select(dist, 0, dist.length - 1, at);
  const p99 = dist[at]!;
  return {
    found: true,
    offsetNs: Math.round(level),
    referenceNs,
    skewPpm: slope * 1e6,
    windowNs: Math.max(MIN_WINDOW_NS, 2 * p99),
    support,
    total: n,
    runnerUp,
    ambiguous: runnerUp >= support / 2,
  };
}

// The passes over every pair are functions of their own, so that the engine compiles each whole once its
// loop is hot (see sorted.ts).

/** The differences and server-side times of the pairs with both times finite; returns how many. */
function finitePairs(
  clientNs: ArrayLike<number>,
  serverNs: ArrayLike<number>,
  diff: Float64Array,
  time: Float64Array,
): number {
  let n = 0;
  for (let i = 0; i < diff.length; i++) {
    const c = clientNs[i]!;
    const s = serverNs[i]!;
    if (!Number.isFinite(c) || !Number.isFinite(s)) continue;
    diff[n] = c - s;
    time[n] = s;
    n++;
  }
  return n;
}

/** ends[i]: one past the last sorted value within `width` of sorted[i]. */
function windowEnds(sorted: Float64Array, width: number): Int32Array {
  const n = sorted.length;
  const ends = new Int32Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    while (j < n && sorted[j]! - sorted[i]! <= width) j++;
    ends[i] = j;
  }
  return ends;
}

/** The first window holding the most values. */
function fullestWindow(ends: Int32Array): number {
  let best = 0;
  for (let i = 1; i < ends.length; i++) if (ends[i]! - i > ends[best]! - best) best = i;
  return best;
}

/** Most values in a window wholly below `below` or above `above`. */
function fullestElsewhere(sorted: Float64Array, ends: Int32Array, below: number, above: number): number {
  let most = 0;
  for (let i = 0; i < sorted.length; i++) {
    const end = sorted[ends[i]! - 1]!;
    if (end < below || sorted[i]! > above) most = Math.max(most, ends[i]! - i);
  }
  return most;
}

/** Positions of the values in [lo, hi], into `out`; returns how many. */
function within(values: Float64Array, lo: number, hi: number, out: Int32Array): number {
  let m = 0;
  for (let k = 0; k < values.length; k++) if (values[k]! >= lo && values[k]! <= hi) out[m++] = k;
  return m;
}

function gather(values: Float64Array, at: Int32Array): Float64Array {
  const out = new Float64Array(at.length);
  for (let k = 0; k < at.length; k++) out[k] = values[at[k]!]!;
  return out;
}

/** Distance of each (time, value) to the line level + slope * (time - reference). */
function distances(
  values: Float64Array,
  times: Float64Array,
  level: number,
  slope: number,
  referenceNs: number,
): Float64Array {
  const out = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++)
    out[k] = Math.abs(values[k]! - level - slope * (times[k]! - referenceNs));
  return out;
}

export interface TimeOverlap {
  /** Length of the common interval on the client-side clock; negative: the gap between the captures. */
  overlapNs: number;
  overlaps: boolean;
}

/**
 * Do the captures cover a common time once the server side is shifted by `offsetNs` (client - server)?
 * Without an offset (no content matches), this compares raw clocks.
 */
export function timeOverlap(
  clientFirstNs: number,
  clientLastNs: number,
  serverFirstNs: number,
  serverLastNs: number,
  offsetNs = 0,
): TimeOverlap {
  const overlapNs =
    Math.min(clientLastNs, serverLastNs + offsetNs) - Math.max(clientFirstNs, serverFirstNs + offsetNs);
  return { overlapNs, overlaps: overlapNs >= 0 };
}

export type Orientation = 'as-given' | 'swapped' | 'undecided';

export interface OrientationScore {
  verdict: Orientation;
  /** Fraction of the constraints each reading must throw away to be consistent. */
  asGivenRejected: number;
  swappedRejected: number;
}

/** Below this a reading is consistent; a swapped reading typically needs to drop about half. */
const CONSISTENT = 0.1;

/**
 * SWAPPED FILES: if the file given as client side was captured on the server side, every packet was seen
 * on the "server" file first, so each forward constraint is really a reverse one and vice versa. Fitting
 * both readings, the right one is consistent (a few false matches aside) and the wrong one puts forward
 * constraints above reverse ones everywhere, a negative round trip the fit can only remove. With only
 * one direction both readings fit: undecided.
 */
export function scoreOrientation(c: ClockConstraints): OrientationScore {
  const swapped = new ClockConstraints();
  for (let i = 0; i < c.size; i++) {
    const add = c.forward[i] === 1 ? swapped.addReverse : swapped.addForward;
    add.call(swapped, c.clientNs[i]!, c.serverNs[i]!, c.weight[i]!, c.id[i]!);
  }
  const asGivenRejected = rejectedFraction(c);
  const swappedRejected = rejectedFraction(swapped);
  let verdict: Orientation = 'undecided';
  if (asGivenRejected <= CONSISTENT && swappedRejected > CONSISTENT) verdict = 'as-given';
  else if (swappedRejected <= CONSISTENT && asGivenRejected > CONSISTENT) verdict = 'swapped';
  return { verdict, asGivenRejected, swappedRejected };
}

function rejectedFraction(c: ClockConstraints): number {
  // Steps are not looked for: a wrong reading must not be excused as a series of clock steps.
  const a = alignClocks(c, { minSegment: Number.MAX_SAFE_INTEGER });
  const total = a.constraints.forward + a.constraints.reverse;
  return total > 0 ? a.constraints.rejected / total : 0;
}
