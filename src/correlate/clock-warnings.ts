/** Warnings of clock alignment: stable ids (docs/alignment.md §9), each naming what limits the result. */
import type { FitOptions, SegmentFit } from './clock-fit.js';
import type { ResolvedOptions } from './clock-options.js';
import type { AlignSegment, AlignWarning } from './clock-result.js';

/** Rejections above this fraction of a segment suggest a systematic problem, not a few false matches. */
export const MANY_REJECTED = 0.2;

/** Warnings for fitted segments (`fits[s]` behind `segments[s]`): each names what limits the result and why. */
export function describeFits(
  fits: SegmentFit[],
  segments: AlignSegment[],
  o: ResolvedOptions,
  opt: FitOptions,
  warnings: AlignWarning[],
): void {
  for (const [s, seg] of segments.entries()) {
    const f = fits[s]!;
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
