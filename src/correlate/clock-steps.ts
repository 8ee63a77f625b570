/**
 * Clock step detection (NTP step, VM migration, manual date change). A step shifts every later
 * difference (client - server) by the same amount, sustained; a false match shifts one. So steps are found
 * on robust bin levels, not on single constraints: constraints sorted by server-side time are cut into
 * bins, each bin's level is the median difference (with forward and reverse brought to a common centre),
 * and a step is a jump between neighbouring levels far beyond their bin-to-bin noise. The exact cut is then
 * placed between two constraints, where the fewest constraints sit on the wrong side of it.
 */
import { medianList, medianOf, scaledMad } from './clock-robust.js';
import { F_STEPS, scratchFloats } from './clock-scratch.js';

export interface StepOptions {
  /** Jumps smaller than this are never steps (they are within the device's round trip anyway). */
  minStepNs: number;
  /** A segment needs at least this many constraints; shorter runs are treated as false matches. */
  minSegment: number;
}

/** A jump must exceed this many robust standard deviations of bin-to-bin level changes. */
const NOISE_MULTIPLE = 8;

/**
 * Cut positions (indices into the sorted arrays: a segment starts at each cut) for constraints sorted by
 * `x` (server-side time). `y` is client - server, `forward` 1 for forward constraints.
 */
export function findSteps(x: Float64Array, y: Float64Array, forward: Uint8Array, opt: StepOptions): number[] {
  const n = x.length;
  if (n < 2 * opt.minSegment) return [];
  const binSize = Math.max(16, Math.ceil(n / 256));
  const bins = Math.floor(n / binSize);
  if (bins < 3) return [];
  const v = centred(y, forward, binSize, bins);

  const levels: number[] = [];
  const centres: number[] = [];
  for (let b = 0; b < bins; b++) {
    const from = b * binSize;
    const to = b === bins - 1 ? n : from + binSize;
    levels.push(medianOf(v, from, to));
    centres.push((x[from]! + x[to - 1]!) / 2);
  }
  // Skew makes levels drift steadily; remove the typical drift per unit time before judging jumps.
  const rates: number[] = [];
  for (let b = 0; b + 1 < bins; b++) {
    const dx = centres[b + 1]! - centres[b]!;
    if (dx > 0) rates.push((levels[b + 1]! - levels[b]!) / dx);
  }
  const rate = rates.length > 0 ? medianList(rates) : 0;
  const jumpsBetween = (p: number, q: number) => levels[q]! - levels[p]! - rate * (centres[q]! - centres[p]!);
  const diffs: number[] = [];
  for (let b = 0; b + 1 < bins; b++) diffs.push(jumpsBetween(b, b + 1));
  const threshold = Math.max(opt.minStepNs, NOISE_MULTIPLE * scaledMad(diffs, medianList(diffs)));

  // Window k covers bins k and k+1 and compares the bins just outside it, so a step anywhere inside the
  // window (even mid-bin, which smears it over two neighbouring differences) shows in full.
  const outerJump = (k: number) => jumpsBetween(Math.max(0, k - 1), Math.min(bins - 1, k + 2));
  const cuts: number[] = [];
  let k = 0;
  while (k + 1 < bins) {
    if (Math.abs(outerJump(k)) <= threshold) {
      k++;
      continue;
    }
    let end = k;
    while (end + 2 < bins && Math.abs(outerJump(end + 1)) > threshold) end++;
    const left = Math.max(0, k - 1);
    const right = Math.min(bins - 1, end + 2);
    if (Math.abs(jumpsBetween(left, right)) > threshold) {
      const from = k * binSize;
      const to = end + 1 === bins - 1 ? n : (end + 2) * binSize;
      cuts.push(
        placeCut(x, v, from, to, levels[left]!, centres[left]!, levels[right]!, centres[right]!, rate),
      );
    }
    k = end + 2;
  }
  return dropShortSegments(cuts, n, opt.minSegment);
}

/**
 * Differences brought to a common centre: forward ones sit below the line and reverse ones above, by
 * about half the typical round trip, measured per bin (a step moves both directions alike, so the
 * within-bin gap ignores it).
 */
function centred(y: Float64Array, forward: Uint8Array, binSize: number, bins: number): Float64Array {
  const n = y.length;
  const gaps: number[] = [];
  // Each bin's forward and reverse values, in arrays reused from bin to bin (lists of numbers grown per
  // value were 11 MB of garbage per alignment of 400,000 constraints).
  const most = Math.max(binSize, n - (bins - 1) * binSize);
  const f = new Float64Array(most);
  const r = new Float64Array(most);
  for (let b = 0; b < bins; b++) {
    const from = b * binSize;
    const to = b === bins - 1 ? n : from + binSize;
    let nf = 0;
    let nr = 0;
    for (let i = from; i < to; i++) {
      if (forward[i] === 1) f[nf++] = y[i]!;
      else r[nr++] = y[i]!;
    }
    if (nf > 0 && nr > 0) gaps.push(medianOf(r, 0, nr) - medianOf(f, 0, nf));
  }
  const half = gaps.length > 0 ? medianList(gaps) / 2 : 0;
  return shifted(y, forward, half, scratchFloats(F_STEPS, n));
}

/** Forward differences raised by `half`, reverse ones lowered, into `out` (its own function: see sorted.ts). */
function shifted(y: Float64Array, forward: Uint8Array, half: number, out: Float64Array): Float64Array {
  for (let i = 0; i < y.length; i++) out[i] = forward[i] === 1 ? y[i]! + half : y[i]! - half;
  return out;
}

/**
 * The cut in [from, to) that puts the fewest constraints on the wrong side: each constraint belongs to
 * whichever of the two surrounding levels (extended along the drift) it is closer to.
 */
function placeCut(
  x: Float64Array,
  v: Float64Array,
  from: number,
  to: number,
  leftLevel: number,
  leftX: number,
  rightLevel: number,
  rightX: number,
  rate: number,
): number {
  // wrongIfCutAt(c) = (right-like before c) + (left-like at or after c); scan c upward.
  let leftLikeAfter = 0;
  const rightLike = new Uint8Array(to - from);
  for (let i = from; i < to; i++) {
    const l = leftLevel + rate * (x[i]! - leftX);
    const r = rightLevel + rate * (x[i]! - rightX);
    const isRight = Math.abs(v[i]! - r) < Math.abs(v[i]! - l);
    rightLike[i - from] = isRight ? 1 : 0;
    if (!isRight) leftLikeAfter++;
  }
  let best = from;
  let bestWrong = leftLikeAfter;
  let rightBefore = 0;
  for (let c = from + 1; c <= to; c++) {
    if (rightLike[c - 1 - from] === 1) rightBefore++;
    else leftLikeAfter--;
    const wrong = rightBefore + leftLikeAfter;
    // Never cut between two constraints at the same server time: a step separates instants.
    if (wrong < bestWrong && (c === to || c === x.length || x[c - 1] !== x[c])) {
      bestWrong = wrong;
      best = c;
    }
  }
  return best;
}

/** Cuts that would leave a segment shorter than `minSegment` are dropped (a burst of false matches). */
function dropShortSegments(cuts: number[], n: number, minSegment: number): number[] {
  const kept: number[] = [];
  let start = 0;
  for (const c of cuts) {
    if (c - start >= minSegment && n - c >= minSegment) {
      kept.push(c);
      start = c;
    }
  }
  return kept;
}
