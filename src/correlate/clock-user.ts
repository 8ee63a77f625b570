/** A mapping given by the user (--offset, --skew), measured against the constraints. */
import type { ClockConstraints } from './clock-constraints.js';
import { pointsOf } from './clock-constraints.js';
import { boundForLine, type FitOptions } from './clock-fit.js';
import type { ResolvedOptions } from './clock-options.js';
import type { AlignSegment, AlignWarning, ClockAlignment } from './clock-result.js';

/**
 * USER MAPPING: --offset (and optionally --skew) replace the fit. The constraints then only measure it:
 * the smallest one-way delays it implies, how many constraints it puts at a negative delay beyond
 * timestamp resolution (reported as rejected, since under that mapping they cannot be true), and how far
 * it can be from the truth given the feasible band (with --skew the bound trusts that skew).
 */
export function userAlignment(
  c: ClockConstraints,
  order: Int32Array,
  d0: number,
  offsetNs: number,
  o: ResolvedOptions,
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
