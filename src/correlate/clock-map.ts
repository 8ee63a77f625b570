/** Mapping times between the two clocks with an alignment, segment by segment. */
import type { AlignSegment, ClockAlignment } from './clock-result.js';

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
