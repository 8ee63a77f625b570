/**
 * Server-side times mapped onto the client clock for every server-side packet. Same result as
 * `toClientNs` (the segment covering the time, else the nearest one), but without its per-call search
 * and closures: packets come in time order, so the segment of the previous packet is tried first.
 */
import type { AlignSegment, ClockAlignment } from './clock-result.js';

export class ServerToClient {
  private readonly from: Float64Array;
  private readonly to: Float64Array;
  private readonly offset: Float64Array;
  private readonly skew: Float64Array;
  private readonly reference: Float64Array;
  private last = 0;

  constructor(alignment: ClockAlignment) {
    const segments: AlignSegment[] =
      alignment.segments.length > 0
        ? alignment.segments
        : [
            {
              fromNs: Number.NEGATIVE_INFINITY,
              toNs: Number.POSITIVE_INFINITY,
              referenceNs: alignment.referenceNs,
              offsetNs: alignment.offsetNs,
              skewPpm: alignment.skewPpm,
              skewRangePpm: [alignment.skewPpm, alignment.skewPpm],
              boundNs: alignment.boundNs,
              method: alignment.method,
              constraints: alignment.constraints,
              minForwardDelayNs: alignment.minForwardDelayNs,
              minReverseDelayNs: alignment.minReverseDelayNs,
            },
          ];
    const n = segments.length;
    this.from = new Float64Array(n);
    this.to = new Float64Array(n);
    this.offset = new Float64Array(n);
    this.skew = new Float64Array(n);
    this.reference = new Float64Array(n);
    segments.forEach((g, i) => {
      this.from[i] = g.fromNs;
      this.to[i] = g.toNs;
      this.offset[i] = Number.isFinite(g.offsetNs) ? g.offsetNs : 0;
      this.skew[i] = Number.isFinite(g.skewPpm) ? g.skewPpm * 1e-6 : 0;
      this.reference[i] = Number.isFinite(g.referenceNs) ? g.referenceNs : 0;
    });
  }

  map(serverNs: number): number {
    let i = this.last;
    // Strictly inside: at a boundary shared by two segments, the first one wins, as in toClientNs.
    if (!(serverNs > this.from[i]! && serverNs < this.to[i]!)) {
      i = this.nearest(serverNs);
      this.last = i;
    }
    return serverNs + this.offset[i]! + this.skew[i]! * (serverNs - this.reference[i]!);
  }

  /** `to[i] = map(from[i])`, without a number crossing a call (see Matcher.setServerTime). */
  mapSlot(from: Float64Array, to: Float64Array, i: number): void {
    const serverNs = from[i]!;
    let k = this.last;
    if (!(serverNs > this.from[k]! && serverNs < this.to[k]!)) {
      k = this.nearest(serverNs);
      this.last = k;
    }
    to[i] = serverNs + this.offset[k]! + this.skew[k]! * (serverNs - this.reference[k]!);
  }

  /** The covering segment, else the nearest, first one winning ties (as toClientNs chooses). */
  private nearest(t: number): number {
    let best = 0;
    let bestDist = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.from.length; i++) {
      const from = this.from[i]!;
      const to = this.to[i]!;
      const dist = t < from ? from - t : t > to ? t - to : 0;
      if (dist < bestDist) {
        bestDist = dist;
        best = i;
      }
    }
    return best;
  }
}
