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
import { DISTINCT_ALIKE, DISTINCT_LINK, Rarity } from './pair-rarity.js';
import { type Similarity, similarity } from './pair-similarity.js';
import { lowerBound } from './sorted.js';
import type { SideData } from './types.js';

/** Least similarity for a content link. */
export const MIN_SIMILARITY = 0.3;
/** Best candidates kept per client message for the assignment. */
const KEEP_PER_MESSAGE = 3;
/** Candidates looked at, nearest in time first, when a message has only common keys. */
const NEAREST = 8;

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
  /** Another candidate was as similar: time decided. */
  ambiguous: boolean;
  /** How distinctively alike the two messages are (`Rarity.alike`); 0 for links found as neighbours. */
  alike: number;
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
  rarity = new Rarity(mc, ms),
): Link[] {
  const causal = (lat: number) => lat >= -clock.windowNs && lat <= maxLatencyNs;
  const cands: Link[] = [];
  const stamp = new Int32Array(ms.size).fill(-1);
  const mine: Link[] = [];
  const common = new CommonKeys(server, ms);
  for (let g = 0; g < mc.size; g++) {
    const c = mc.session[g]!;
    if (!clientEligible[c]) continue;
    const cm = mc.message[g]!;
    const cs = client.sessions[c]!;
    mine.length = 0;
    const consider = (h: number) => {
      if (stamp[h] === g) return;
      stamp[h] = g;
      const s = ms.session[h]!;
      if (!serverEligible[s]) return;
      const sm = ms.message[h]!;
      const lat = linkLatency(client, server, c, cm, s, sm, clock);
      if (!causal(lat)) return;
      const sim = similarity(
        cs.messages[cm]!,
        linesOf(client, c, cm),
        server.sessions[s]!.messages[sm]!,
        linesOf(server, s, sm),
      );
      if (sim.score < MIN_SIMILARITY) return;
      // Shared headers with a different request line or id after them are another message.
      const alike = rarity.alike(g, h);
      if (alike < DISTINCT_ALIKE) return;
      mine.push({ c, cm, s, sm, sim, latencyNs: lat, structural: false, ambiguous: false, alike });
    };
    // Rare keys name their message outright; the most specific common key is searched by time instead.
    let fewest = -1;
    let fewestCount = Infinity;
    for (let i = mc.keyStart[g]!; i < mc.keyStart[g + 1]!; i++) {
      const k = mc.keyList[i]!;
      const n = ms.keys.count(k);
      if (n === 0) continue;
      if (n > MAX_POSTINGS) {
        if (n < fewestCount) {
          fewestCount = n;
          fewest = k;
        }
        continue;
      }
      for (let e = ms.keys.first(k); e >= 0; e = ms.keys.nextEntry(e)) consider(ms.keys.valueAt(e));
    }
    if (mine.length === 0 && fewest >= 0) {
      const msg = cs.messages[cm]!;
      const t = at(client, msg.firstRelNs);
      common.nearest(fewest, msg.dir, t, clock, maxLatencyNs, consider);
    }
    mine.sort(byPreference);
    if (mine.length > 1 && bucket(mine[0]!) === bucket(mine[1]!)) mine[0]!.ambiguous = true;
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
  dropUndistinctive(ms, linkOf, usedServer);
  linkNeighbours(client, server, mc, ms, clientEligible, linkOf, usedServer, clock, causal);
  return [...linkOf.values()].sort((x, y) => x.c - y.c || x.cm - y.cm);
}

/**
 * ONE DISTINCTIVE LINK PER CONNECTION: a client connection is carried by the server side only if at least
 * one of its messages is distinctively alike its counterpart (DISTINCT_LINK), as a request with its id or
 * a response with its body is. Links of a connection whose messages are only half alike (two rare header
 * lines shared, two rare ones different) are dropped: unrelated traffic of one application looks like that.
 */
function dropUndistinctive(ms: MessageIndex, linkOf: Map<number, Link>, usedServer: Uint8Array): void {
  const best = new Map<number, number>();
  for (const l of linkOf.values()) best.set(l.c, Math.max(best.get(l.c) ?? 0, l.alike));
  for (const [g, l] of linkOf) {
    if (best.get(l.c)! >= DISTINCT_LINK) continue;
    linkOf.delete(g);
    usedServer[ms.firstOf[l.s]! + l.sm] = 0;
  }
}

/** Similarities within 0.05 count as equal, so that time decides between near-identical copies. */
function bucket(l: Link): number {
  return Math.round(l.sim.score * 20);
}

function byPreference(x: Link, y: Link): number {
  return bucket(y) - bucket(x) || Math.abs(x.latencyNs) - Math.abs(y.latencyNs) || x.c - y.c || x.cm - y.cm;
}

/**
 * COMMON CONTENT: a key held by many server messages (the same request sent by every client, or a size
 * when no payload was captured) cannot name a message, but time can: its messages are sorted by time once,
 * and a client message looks only at the few nearest its own time within the causal range (a request later
 * on the server side, a response earlier, give or take the clock's window), so the cost stays logarithmic
 * per message.
 */
class CommonKeys {
  private readonly sorted = new Map<number, { times: Float64Array; ids: Int32Array }>();

  constructor(
    private readonly server: SideData,
    private readonly ms: MessageIndex,
  ) {}

  nearest(
    key: number,
    dir: 0 | 1,
    clientNs: number,
    clock: PairClock,
    maxLatencyNs: number,
    visit: (h: number) => void,
  ): void {
    const { times, ids } = this.postings(key);
    // The causal range on the server clock, then outwards from the client time, nearest first.
    const lo = clock.toServer(dir === 0 ? clientNs - clock.windowNs : clientNs - maxLatencyNs);
    const hi = clock.toServer(dir === 0 ? clientNs + maxLatencyNs : clientNs + clock.windowNs);
    const t = clock.toServer(clientNs);
    let up = lowerBound(times, t);
    let down = up - 1;
    for (let n = 0; n < NEAREST; n++) {
      const upOk = up < times.length && times[up]! <= hi;
      const downOk = down >= 0 && times[down]! >= lo;
      if (!upOk && !downOk) return;
      if (upOk && (!downOk || times[up]! - t <= t - times[down]!)) visit(ids[up++]!);
      else visit(ids[down--]!);
    }
  }

  private postings(key: number): { times: Float64Array; ids: Int32Array } {
    let p = this.sorted.get(key);
    if (p === undefined) {
      const ids: number[] = [];
      for (let e = this.ms.keys.first(key); e >= 0; e = this.ms.keys.nextEntry(e))
        ids.push(this.ms.keys.valueAt(e));
      const sessions = this.server.sessions;
      const time = new Float64Array(this.ms.size > 0 ? ids.length : 0);
      const order = ids.map((h, i) => {
        time[i] = at(this.server, sessions[this.ms.session[h]!]!.messages[this.ms.message[h]!]!.firstRelNs);
        return i;
      });
      order.sort((a, b) => time[a]! - time[b]! || ids[a]! - ids[b]!);
      p = { times: Float64Array.from(order, (i) => time[i]!), ids: Int32Array.from(order, (i) => ids[i]!) };
      this.sorted.set(key, p);
    }
    return p;
  }
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
    linkOf.set(mc.firstOf[c]! + cm, {
      c,
      cm,
      s,
      sm,
      sim,
      latencyNs: lat,
      structural: true,
      ambiguous: false,
      alike: 0,
    });
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
