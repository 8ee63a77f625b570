/**
 * Content pairing for devices that terminate TCP (full proxies, L7 proxies, pools): each client-side
 * message is linked to the server-side message that carried the same bytes, or the same lines when the
 * device edited them. Candidates come from the content index (rare keys only); a candidate must be causal
 * on the current clock: a request reaches the server side after it left the client side, a response
 * reaches the client side after it left the server side, both within `maxLatencyNs`. Links are assigned
 * one to one, most similar first, shortest latency on a tie (so repeated identical requests go to the
 * nearest copy in time). A message whose content matched nothing can still be linked through its
 * neighbour: the response after a linked request is the message after that request on the server side.
 */
import type { MessageIndex } from './candidates.js';
import { MAX_POSTINGS } from './candidates.js';
import { at, type PairClock } from './pair-clock.js';
import { type Similarity, similarity } from './pair-similarity.js';
import type { SideData } from './types.js';

/** Least similarity for a content link. */
export const MIN_SIMILARITY = 0.3;
/** Sizes repeat much more than content; a size key may have this many values before it is skipped. */
export const MAX_SIZE_POSTINGS = 256;
/** Best candidates kept per client message for the assignment. */
const KEEP_PER_MESSAGE = 3;

export interface Link {
  /** Client session and message, server session and message. */
  c: number;
  cm: number;
  s: number;
  sm: number;
  sim: Similarity;
  /** Forwarding latency on the current clock (see MessageLink.latencyNs). */
  latencyNs: number;
  /** Found through the neighbouring message rather than by its own content. */
  structural: boolean;
}

const EMPTY = new Uint32Array(0);

export function linesOf(side: SideData, s: number, m: number): Uint32Array {
  return side.lineHashes[s]?.[m] ?? EMPTY;
}

/** Latency of carrying client message (c, cm) as server message (s, sm); NaN when directions differ. */
export function linkLatency(
  client: SideData,
  server: SideData,
  c: number,
  cm: number,
  s: number,
  sm: number,
  clock: PairClock,
): number {
  const a = client.sessions[c]!.messages[cm]!;
  const b = server.sessions[s]!.messages[sm]!;
  if (a.dir !== b.dir) return Number.NaN;
  const ta = at(client, a.firstRelNs);
  const tb = clock.toClient(at(server, b.firstRelNs));
  return a.dir === 0 ? tb - ta : ta - tb;
}

export function linkMessages(
  client: SideData,
  server: SideData,
  mc: MessageIndex,
  ms: MessageIndex,
  clientEligible: Uint8Array,
  serverEligible: Uint8Array,
  clock: PairClock,
  maxLatencyNs: number,
): Link[] {
  const causal = (lat: number) => lat >= -clock.windowNs && lat <= maxLatencyNs;
  const cands: Link[] = [];
  const stamp = new Int32Array(ms.size).fill(-1);
  const mine: Link[] = [];
  for (let g = 0; g < mc.size; g++) {
    const c = mc.session[g]!;
    if (!clientEligible[c]) continue;
    const cm = mc.message[g]!;
    const cs = client.sessions[c]!;
    mine.length = 0;
    const sizeOnly = cs.messages[cm]!.fingerprint.bytes === 0;
    for (let i = mc.keyStart[g]!; i < mc.keyStart[g + 1]!; i++) {
      const k = mc.keyList[i]!;
      const n = ms.keys.count(k);
      if (n === 0 || n > (sizeOnly ? MAX_SIZE_POSTINGS : MAX_POSTINGS)) continue;
      for (let e = ms.keys.first(k); e >= 0; e = ms.keys.nextEntry(e)) {
        const h = ms.keys.valueAt(e);
        if (stamp[h] === g) continue;
        stamp[h] = g;
        const s = ms.session[h]!;
        if (!serverEligible[s]) continue;
        const sm = ms.message[h]!;
        const lat = linkLatency(client, server, c, cm, s, sm, clock);
        if (!causal(lat)) continue;
        const sim = similarity(
          cs.messages[cm]!,
          linesOf(client, c, cm),
          server.sessions[s]!.messages[sm]!,
          linesOf(server, s, sm),
        );
        if (sim.score < MIN_SIMILARITY) continue;
        mine.push({ c, cm, s, sm, sim, latencyNs: lat, structural: false });
      }
    }
    mine.sort(byPreference);
    for (let i = 0; i < mine.length && i < KEEP_PER_MESSAGE; i++) cands.push(mine[i]!);
  }
  cands.sort(byPreference);
  const linkOf = new Map<number, Link>();
  const usedServer = new Uint8Array(ms.size);
  for (const k of cands) {
    const g = mc.firstOf[k.c]! + k.cm;
    const h = ms.firstOf[k.s]! + k.sm;
    if (linkOf.has(g) || usedServer[h]) continue;
    linkOf.set(g, k);
    usedServer[h] = 1;
  }
  linkNeighbours(client, server, mc, ms, clientEligible, linkOf, usedServer, clock, causal);
  return [...linkOf.values()].sort((x, y) => x.c - y.c || x.cm - y.cm);
}

function byPreference(x: Link, y: Link): number {
  // Similarities within 0.05 count as equal, so that time decides between near-identical copies.
  const bx = Math.round(x.sim.score * 20);
  const by = Math.round(y.sim.score * 20);
  return by - bx || Math.abs(x.latencyNs) - Math.abs(y.latencyNs) || x.c - y.c || x.cm - y.cm;
}

/**
 * NEIGHBOURS: a client message left unlinked, whose previous (or next) message in its session is linked
 * to server message k, is linked to server message k + 1 (or k - 1) of the same session when that one is
 * free, of the same direction, causal, and not contradicted by content (similar, or without payload on
 * either side).
 */
function linkNeighbours(
  client: SideData,
  server: SideData,
  mc: MessageIndex,
  ms: MessageIndex,
  clientEligible: Uint8Array,
  linkOf: Map<number, Link>,
  usedServer: Uint8Array,
  clock: PairClock,
  causal: (lat: number) => boolean,
): void {
  const tryLink = (c: number, cm: number, from: Link | undefined, step: 1 | -1): void => {
    if (from === undefined) return;
    const s = from.s;
    const sm = from.sm + step;
    const ss = server.sessions[s]!;
    if (sm < 0 || sm >= ss.messages.length || usedServer[ms.firstOf[s]! + sm]) return;
    const lat = linkLatency(client, server, c, cm, s, sm, clock);
    if (Number.isNaN(lat) || !causal(lat)) return;
    const a = client.sessions[c]!.messages[cm]!;
    const b = ss.messages[sm]!;
    const sim = similarity(a, linesOf(client, c, cm), b, linesOf(server, s, sm));
    const contentless = a.fingerprint.bytes === 0 || b.fingerprint.bytes === 0;
    if (sim.score < 0.1 && !contentless) return;
    linkOf.set(mc.firstOf[c]! + cm, { c, cm, s, sm, sim, latencyNs: lat, structural: true });
    usedServer[ms.firstOf[s]! + sm] = 1;
  };
  for (let c = 0; c < client.sessions.length; c++) {
    if (!clientEligible[c]) continue;
    const n = client.sessions[c]!.messages.length;
    const base = mc.firstOf[c]!;
    for (let cm = 1; cm < n; cm++) {
      if (!linkOf.has(base + cm)) tryLink(c, cm, linkOf.get(base + cm - 1), 1);
    }
    for (let cm = n - 2; cm >= 0; cm--) {
      if (!linkOf.has(base + cm)) tryLink(c, cm, linkOf.get(base + cm + 1), -1);
    }
  }
}
