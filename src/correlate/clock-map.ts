/** Mapping times between the two clocks with an alignment, segment by segment. */
import type { AlignSegment, ClockAlignment } from './clock-result.js';

/** Map a server-side time to the client-side clock with the segment covering it (or the nearest one). */
export function toClientNs(a: ClockAlignment, serverNs: number): number {
  const s = segmentFor(a.segments, serverNs, false);
  if (!s) return Number.NaN;
  return serverNs + s.offsetNs + s.skewPpm * 1e-6 * (serverNs - s.referenceNs);
}

/** Map a client-side time to the server-side clock (inverse of toClientNs). */
export function toServerNs(a: ClockAlignment, clientNs: number): number {
  const s = segmentFor(a.segments, clientNs, true);
  if (!s) return Number.NaN;
  const k = s.skewPpm * 1e-6;
  // client = server + offset + k (server - ref)  =>  server = (client - offset + k ref) / (1 + k)
  return (clientNs - s.offsetNs + k * s.referenceNs) / (1 + k);
}

function mapped(g: AlignSegment, serverNs: number): number {
  return serverNs + g.offsetNs + g.skewPpm * 1e-6 * (serverNs - g.referenceNs);
}

/**
 * The segment whose span holds `t` (server-side span, or on the client clock when `onClient`), else the
 * nearest, the first on a tie. Pairing and matching map a time per packet and candidate: no closure and no
 * span object per call.
 */
function segmentFor(segments: AlignSegment[], t: number, onClient: boolean): AlignSegment | undefined {
  let best: AlignSegment | undefined;
  let bestDist = Infinity;
  for (let i = 0; i < segments.length; i++) {
    const g = segments[i]!;
    const from = onClient ? mapped(g, g.fromNs) : g.fromNs;
    const to = onClient ? mapped(g, g.toNs) : g.toNs;
    const dist = t < from ? from - t : t > to ? t - to : 0;
    if (dist < bestDist) {
      bestDist = dist;
      best = g;
    }
  }
  return best;
}
