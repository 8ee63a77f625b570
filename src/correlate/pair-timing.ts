/**
 * Pairing by sizes and timing, where content cannot match: a device that terminates TLS (the client side
 * carries TLS records, the server side plain text or another TLS session) leaves no byte in common between
 * its two legs. What survives is causality and size:
 *
 * - a request leaves the client side, then its plaintext reaches the server side; a response leaves the
 *   server side, then reaches the client side. Only such causal candidates count, within
 *   TIMING_MAX_LATENCY_NS, and among them the one nearest in time and size (a forwarding device passes a
 *   message on as soon as it has it, with the same record overhead each time);
 * - sizes agree up to the record overhead (header, MAC or AEAD tag, padding: 21 to about 100 bytes per
 *   record of at most 2^14 plaintext bytes) and up to the edits an HTTP proxy makes (header names,
 *   hop-by-hop headers): a tolerance, not an equation;
 * - the hellos (ClientHello, ServerHello) and alerts carry no application data and are never linked.
 *
 * Candidates are scored by their latencies and by how far each size difference is from the typical one in
 * its direction (the record overhead and edits of this device), and assigned best first. The result must
 * look like one device: most request size differences are one amount and most request latencies agree.
 * Otherwise nothing is linked: in unrelated captures some request always precedes another by chance, and
 * silence beats a wrong pair. Links made here carry a low similarity (TIMING_SIMILARITY) and say so in
 * the evidence. docs/correlation.md ("No usable payload") gives the numbers.
 */
import type { Message, Session } from '../tcp/index.js';
import { isClientHello, isServerHello, TLS_ALERT, tlsContentType } from '../tcp/index.js';
import { type CoarseOffset, findCoarseOffset } from './coarse-offset.js';
import { at, type PairClock } from './pair-clock.js';
import type { Link } from './pair-content.js';
import type { Similarity } from './pair-similarity.js';
import { MIN_EXPLAINED_SHARE, type PoolFrame, type PoolRules, poolLinks } from './pair-timing-pool.js';
import { lowerBound } from './sorted.js';
import type { SideData } from './types.js';

/** Similarity of a link made by timing and sizes: below any content link (SIZE_ONLY is 0.3). */
export const TIMING_SIMILARITY = 0.25;
/** Longest a device may hold a message and still be paired by timing alone. */
export const TIMING_MAX_LATENCY_NS = 1e9;
/** Request latencies of one device agree within this of their median. */
export const CONSISTENT_NS = 20e6;
/** Share of accepted pairs whose request latency must agree. */
const CONSISTENT_SHARE = 0.8;
/** Request size differences agree within this many bytes (a block cipher's padding varies by up to 16). */
const SIZE_AGREE_BYTES = 16;
/** Share of pairs whose request size difference must agree. */
const SIZE_AGREE_SHARE = 0.75;
/** Fewest pairs for a timing result: one or two coincidences are not a device. */
const MIN_PAIRS = 3;
/** Cost of a response left unlinked, in milliseconds of latency. */
const MISS_COST = 2;
/** Size difference worth one millisecond of latency in the cost. */
const BYTES_PER_MS = 16;
/** Consensus window of the coarse offset from timing (one-way delays of a proxy plus drift). */
const COARSE_CLUSTER_NS = 10e6;
/** Client sessions looked at per server session, nearest in time first. */
const NEAREST_SESSIONS = 64;
/** Candidate client sessions kept per server session for the assignment. */
const KEEP_PER_SERVER = 4;
/**
 * Size differences tried for the coarse offset, most common first. Regular request sizes make some chance
 * differences more common than the true one (behind a pool, every server request fits dozens of client
 * requests), so the true one is not always among the first few: its points agree in time as well.
 */
const TYPICAL_TRIED = 32;
/** Server-side messages sampled for the coarse offset. */
const MAX_COARSE_MESSAGES = 4096;
/** Bound on the coarse offset's candidate points (sessions x messages). */
const MAX_COARSE_POINTS = 200_000;

/** Words of the evidence for links made here. */
export function timingEvidenceText(count: number): string {
  return `${count} message(s) matched by timing and sizes: the two legs share no bytes (TLS on the client side), so this pair is weaker evidence than a content match`;
}

/** Does this link come from timing and sizes (not content)? */
export function isTimingLink(l: Link): boolean {
  return l.sim.by === 'timing';
}

/** The session starts with a ClientHello from the client: its payload is TLS. */
export function startsWithClientHello(s: Session): boolean {
  for (const m of s.messages) if (m.dir === 0) return isClientHello(m.tls ?? 0);
  return false;
}

/** A message that can carry application data: payload, and no hello or alert record at its start. */
function carriesData(m: Message): boolean {
  if (m.end <= m.start) return false;
  const t = m.tls ?? 0;
  return !isClientHello(t) && !isServerHello(t) && tlsContentType(t) !== TLS_ALERT;
}

/**
 * Sizes that can be the same message: ciphertext = plaintext + record overhead (21 to ~100 bytes per
 * 16 KiB record), plus what an HTTP proxy edits (an eighth). `early`: the client-side message is one of
 * the first two with data in its direction, where the handshake's last records (Finished, session
 * tickets: up to POST_HANDSHAKE_BYTES) may travel in front of the data.
 */
export function sizesFit(clientBytes: number, serverBytes: number, early = false): boolean {
  const larger = Math.max(clientBytes, serverBytes);
  const slack = 96 + 32 * Math.ceil(larger / 16384) + larger / 8;
  const d = clientBytes - serverBytes;
  return d >= -slack && d <= slack + (early ? POST_HANDSHAKE_BYTES : 0);
}

/** Handshake records that may share a message with the first data (Finished, a few session tickets). */
export const POST_HANDSHAKE_BYTES = 1024;

const size = (m: Message) => m.end - m.start;

interface TimedLink {
  cm: number;
  sm: number;
  latencyNs: number;
  /** Client-side minus server-side bytes. */
  diff: number;
  dir: 0 | 1;
}

interface Candidate {
  c: number;
  s: number;
  links: TimedLink[];
  /** Server-side responses left without a counterpart. */
  misses: number;
  cost: number;
}

/** What linking one server session against one client session needs. */
type Frame = PoolFrame;

/**
 * Links server-side messages to client-side TLS messages by timing and sizes. `clientEligible` and
 * `serverEligible` exclude sessions already paired by their handshake or content (`contentLinks`).
 */
export function timingLinks(
  client: SideData,
  server: SideData,
  clientEligible: Uint8Array,
  serverEligible: Uint8Array,
  contentLinks: readonly Link[],
  clock: PairClock,
  maxLatencyNs: number,
): Link[] {
  const takenC = Uint8Array.from(clientEligible, (e) => (e ? 0 : 1));
  const takenS = Uint8Array.from(serverEligible, (e) => (e ? 0 : 1));
  for (const l of contentLinks) {
    takenC[l.c] = 1;
    takenS[l.s] = 1;
  }
  const tlsClients: number[] = [];
  for (const c of client.sessions) if (!takenC[c.index] && startsWithClientHello(c)) tlsClients.push(c.index);
  if (tlsClients.length === 0) return [];
  const f: Frame = {
    client,
    server,
    clock,
    maxLatency: Math.min(maxLatencyNs, TIMING_MAX_LATENCY_NS),
    window: clock.windowNs,
    typical: [0, 0],
  };
  const servers: Session[] = [];
  for (const s of server.sessions) if (!takenS[s.index] && s.messages.some(carriesData)) servers.push(s);
  // The client sessions in reach of a server session: those with a data message of a fitting size between
  // the longest latency before its first data message and the clock's window after it, the nearest
  // NEAREST_SESSIONS of them (a time index: the work grows with the traffic around each message, not
  // with the square of the sessions).
  const index = new TimeIndex(client, tlsClients);
  const stamp = new Int32Array(client.sessions.length).fill(-1);
  let call = 0;
  const near = (s: Session): number[] => {
    const first = s.messages.find(carriesData)!;
    const t0 = clock.toClient(at(server, first.firstRelNs));
    const out: number[] = [];
    const mark = call++;
    index.forEachBackward(t0 + f.window, t0 - f.maxLatency - f.window, (c, bytes, dir) => {
      if (out.length >= NEAREST_SESSIONS) return false;
      if (stamp[c] === mark || dir !== first.dir || !sizesFit(bytes, size(first), true)) return true;
      stamp[c] = mark;
      out.push(c);
      return true;
    });
    return out;
  };
  f.typical = typicalDifferences(f, servers, near);

  // The best few per server session: in dense traffic every session within the latency bound is a
  // candidate, and keeping them all would hold sessions x sessions objects.
  const candidates: Candidate[] = [];
  const mine: Candidate[] = [];
  for (const s of servers) {
    mine.length = 0;
    for (const c of near(s)) {
      const linked = linkSession(f, client.sessions[c]!, s);
      if (linked === null) continue;
      let cost = 0;
      for (const l of linked.links) cost += linkCost(f, l.latencyNs, l.diff, l.dir);
      cost = cost / linked.links.length + MISS_COST * linked.misses;
      mine.push({ c, s: s.index, links: linked.links, misses: linked.misses, cost });
    }
    mine.sort((a, b) => a.cost - b.cost || a.c - b.c);
    for (let i = 0; i < mine.length && i < KEEP_PER_SERVER; i++) candidates.push(mine[i]!);
  }
  candidates.sort((a, b) => a.cost - b.cost || a.s - b.s || a.c - b.c);

  // Best first; a client message carries one server message, a server session goes to one client session.
  const used = new Set<number>();
  const key = (c: number, cm: number) => c * 65536 + cm;
  const chosen: Candidate[] = [];
  const runnerUp = new Map<number, number>();
  for (const k of candidates) {
    if (takenS[k.s]) {
      if (!runnerUp.has(k.s)) runnerUp.set(k.s, k.cost);
      continue;
    }
    if (k.links.some((l) => used.has(key(k.c, l.cm)))) continue;
    takenS[k.s] = 1;
    for (const l of k.links) used.add(key(k.c, l.cm));
    chosen.push(k);
  }
  // Chance pairs between unrelated captures can look consistent among themselves, but they are few: the
  // pairs must account for a good share of the server sessions looked at.
  const consistentPairs = consistent(chosen);
  const accepted = consistentPairs.length >= MIN_EXPLAINED_SHARE * servers.length ? consistentPairs : [];

  const out: Link[] = [];
  const usedClient = new Set<number>();
  const linkedServer = new Uint8Array(server.sessions.length);
  for (const k of accepted) {
    linkedServer[k.s] = 1;
    // Another client session nearly as good: time and size did not clearly decide.
    const second = runnerUp.get(k.s);
    const ambiguous = second !== undefined && second - k.cost < 0.5;
    for (const l of k.links) {
      usedClient.add(key(k.c, l.cm));
      out.push({
        c: k.c,
        cm: l.cm,
        s: k.s,
        sm: l.sm,
        sim: timingSimilarity(),
        latencyNs: l.latencyNs,
        structural: false,
        ambiguous,
        alike: 0,
      });
    }
  }
  // Server sessions no single client session accounts for: a pool carrying the requests of several
  // client connections (pair-timing-pool.ts links them one request at a time).
  const left = servers.filter((s) => linkedServer[s.index] === 0);
  if (left.length > 0) out.push(...poolLinks(f, POOL_RULES, left, tlsClients, usedClient));
  out.sort((a, b) => a.c - b.c || a.cm - b.cm);
  return out;
}

/** The rules of this file, lent to the per-request pass. */
const POOL_RULES: PoolRules = {
  carriesData,
  sizesFit,
  cost: linkCost,
  similarity: timingSimilarity,
  postHandshakeBytes: POST_HANDSHAKE_BYTES,
  consistent: consistentRequests,
};

/** Data messages of some client sessions by time (shared-base ns). */
class TimeIndex {
  private readonly times: Float64Array;
  private readonly sessions: Int32Array;
  private readonly bytes: Float64Array;
  private readonly dirs: Uint8Array;

  constructor(client: SideData, sessions: readonly number[]) {
    const entries: { t: number; c: number; m: Message }[] = [];
    for (const c of sessions)
      for (const m of client.sessions[c]!.messages)
        if (carriesData(m)) entries.push({ t: at(client, m.firstRelNs), c, m });
    entries.sort((a, b) => a.t - b.t || a.c - b.c);
    this.times = Float64Array.from(entries, (e) => e.t);
    this.sessions = Int32Array.from(entries, (e) => e.c);
    this.bytes = Float64Array.from(entries, (e) => size(e.m));
    this.dirs = Uint8Array.from(entries, (e) => e.m.dir);
  }

  /**
   * Calls `fn` with the session, size and direction of every message in [to, from], latest first, until
   * it returns false.
   */
  forEachBackward(
    from: number,
    to: number,
    fn: (session: number, bytes: number, dir: number) => boolean,
  ): void {
    for (let i = lowerBound(this.times, from + 1) - 1; i >= 0 && this.times[i]! >= to; i--)
      if (!fn(this.sessions[i]!, this.bytes[i]!, this.dirs[i]!)) return;
  }
}

/** Milliseconds of latency plus the size difference's distance from the device's usual one. */
function linkCost(f: Frame, latencyNs: number, diff: number, dir: 0 | 1): number {
  return Math.abs(latencyNs) / 1e6 + Math.abs(diff - f.typical[dir]) / BYTES_PER_MS;
}

/**
 * The size difference most pairs share, per direction: each server session's first message of that
 * direction against the nearest causal client message of a fitting size (the latest request before it,
 * the earliest response after it). True pairs agree on one value (the record overhead plus the device's
 * edits); chance pairs scatter. Only the nearest counts: request sizes that step regularly from one
 * connection to the next would otherwise give a chance difference as many votes as the true one.
 */
function typicalDifferences(f: Frame, servers: Session[], near: (s: Session) => number[]): [number, number] {
  const diffs: [number[], number[]] = [[], []];
  for (const s of servers) {
    for (const dir of [0, 1] as const) {
      const b = s.messages.find((m) => m.dir === dir && carriesData(m));
      if (b === undefined) continue;
      const tb = f.clock.toClient(at(f.server, b.firstRelNs));
      let best = Number.POSITIVE_INFINITY;
      let diff = 0;
      for (const c of near(s))
        for (const a of f.client.sessions[c]!.messages) {
          if (a.dir !== dir || !carriesData(a) || !sizesFit(size(a), size(b), true)) continue;
          const ta = at(f.client, a.firstRelNs);
          const latency = dir === 0 ? tb - ta : ta - tb;
          if (latency < -f.window || latency > f.maxLatency || Math.abs(latency) >= best) continue;
          best = Math.abs(latency);
          diff = size(a) - size(b);
        }
      if (best < Number.POSITIVE_INFINITY) diffs[dir].push(diff);
    }
  }
  return [modeCentre(diffs[0]), modeCentre(diffs[1])];
}

/**
 * Links every data message of server session `s` to a message of client session `c`, in order: for each,
 * the causal client message of a fitting size with the lowest cost. Null when a request has no
 * counterpart, or no request is linked.
 */
function linkSession(f: Frame, c: Session, s: Session): { links: TimedLink[]; misses: number } | null {
  const links: TimedLink[] = [];
  let from = 0;
  let misses = 0;
  // Data messages of the client session per direction, in order: the first two may carry handshake records.
  const rank = new Int32Array(c.messages.length);
  const seen = [0, 0];
  c.messages.forEach((m, i) => {
    rank[i] = carriesData(m) ? seen[m.dir]!++ : -1;
  });
  for (let sm = 0; sm < s.messages.length; sm++) {
    const b = s.messages[sm]!;
    if (!carriesData(b)) continue;
    const tb = f.clock.toClient(at(f.server, b.firstRelNs));
    let best = -1;
    let bestLatency = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    for (let cm = from; cm < c.messages.length; cm++) {
      const a = c.messages[cm]!;
      if (a.dir !== b.dir || rank[cm]! < 0 || !sizesFit(size(a), size(b), rank[cm]! < 2)) continue;
      const ta = at(f.client, a.firstRelNs);
      const latency = b.dir === 0 ? tb - ta : ta - tb;
      if (latency < -f.window) {
        // A request after the server-side one cannot have caused it; later ones neither.
        if (b.dir === 0) break;
        continue;
      }
      if (latency > f.maxLatency) continue;
      const cost = linkCost(f, latency, size(a) - size(b), b.dir);
      if (cost < bestCost) {
        best = cm;
        bestLatency = latency;
        bestCost = cost;
      }
    }
    if (best < 0) {
      // A request must have its counterpart. A response may not: when session tickets sent before it
      // share its client-side message, that message starts before the response left the server side, and
      // linking it would give the clock a false constraint.
      if (b.dir === 0) return null;
      misses++;
      continue;
    }
    const a = c.messages[best]!;
    links.push({ cm: best, sm, latencyNs: bestLatency, diff: size(a) - size(b), dir: b.dir });
    from = best + 1;
  }
  return links.some((l) => l.dir === 0) ? { links, misses } : null;
}

/**
 * The chosen pairs whose request latency agrees with the others', if they are most of them and if their
 * request sizes differ by one amount (within SIZE_AGREE_BYTES) in most pairs: one device adds the same
 * record overhead and makes the same edits to every request. Chance pairs in busy unrelated traffic have
 * latencies as small as true ones, but their size differences scatter.
 */
function consistent(chosen: Candidate[]): Candidate[] {
  const firstRequest = (k: Candidate) => k.links.find((l) => l.dir === 0);
  const lat: number[] = [];
  const diffs: number[] = [];
  for (const k of chosen) {
    const l = firstRequest(k);
    if (l === undefined) continue;
    lat.push(l.latencyNs);
    diffs.push(l.diff);
  }
  if (lat.length < MIN_PAIRS) return [];
  if (modeShare(diffs, SIZE_AGREE_BYTES) < SIZE_AGREE_SHARE) return [];
  const m = median(lat);
  const agree = chosen.filter(
    (k) => Math.abs((firstRequest(k)?.latencyNs ?? Number.NaN) - m) <= CONSISTENT_NS,
  );
  if (agree.length < MIN_PAIRS || agree.length < CONSISTENT_SHARE * chosen.length) return [];
  return agree;
}

/**
 * The same guard for links made one request at a time: at least MIN_PAIRS links, most size differences
 * one amount, and most latencies near their median; the links whose latency is not are dropped.
 */
function consistentRequests(latencies: readonly number[], diffs: readonly number[]): boolean[] {
  const none = latencies.map(() => false);
  if (latencies.length < MIN_PAIRS) return none;
  if (modeShare(diffs, SIZE_AGREE_BYTES) < SIZE_AGREE_SHARE) return none;
  const m = median(latencies.slice());
  const agree = latencies.map((l) => Math.abs(l - m) <= CONSISTENT_NS);
  const n = agree.filter(Boolean).length;
  if (n < MIN_PAIRS || n < CONSISTENT_SHARE * latencies.length) return none;
  return agree;
}

/**
 * Centres of the `n` fullest windows of `width` over the values, fullest first, windows not overlapping
 * (each the median of its values).
 */
function commonValues(values: readonly number[], width: number, n: number): number[] {
  const v = values.slice().sort((a, b) => a - b);
  const windows: { from: number; to: number }[] = [];
  for (let i = 0, j = 0; i < v.length; i++) {
    while (j < v.length && v[j]! - v[i]! <= width) j++;
    windows.push({ from: i, to: j });
  }
  windows.sort((a, b) => b.to - b.from - (a.to - a.from) || a.from - b.from);
  const out: number[] = [];
  const taken: { from: number; to: number }[] = [];
  for (const w of windows) {
    if (out.length >= n) break;
    if (taken.some((t) => w.from < t.to && t.from < w.to)) continue;
    taken.push(w);
    out.push(v[(w.from + w.to - 1) >> 1]!);
  }
  return out;
}

/** The median of the values in the fullest window of SIZE_AGREE_BYTES (0 without values). */
function modeCentre(values: number[]): number {
  if (values.length === 0) return 0;
  const v = values.slice().sort((a, b) => a - b);
  let best = 0;
  let bestEnd = 0;
  for (let i = 0, j = 0; i < v.length; i++) {
    while (j < v.length && v[j]! - v[i]! <= SIZE_AGREE_BYTES) j++;
    if (j - i > bestEnd - best) {
      best = i;
      bestEnd = j;
    }
  }
  return v[(best + bestEnd - 1) >> 1]!;
}

/** Largest share of `values` within one window of `width`. */
export function modeShare(values: readonly number[], width: number): number {
  if (values.length === 0) return 0;
  const v = values.slice().sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < v.length; i++) {
    while (j < v.length && v[j]! - v[i]! <= width) j++;
    best = Math.max(best, j - i);
  }
  return best / v.length;
}

function timingSimilarity(): Similarity {
  return {
    score: TIMING_SIMILARITY,
    by: 'timing',
    headEqual: false,
    chunksMatched: 0,
    chunks: 0,
    linesCommon: 0,
    clientOnly: [],
    serverOnly: [],
    clientLines: 0,
    serverLines: 0,
  };
}

/**
 * Coarse clock offset from timing, when no content is shared: each server-side first request against
 * every client-side TLS request of a fitting size; the true pairs agree on one difference (offset minus
 * the device's delay), chance pairs spread over the captures' span. Accepted only when the consensus
 * holds at least half the smaller side's sessions.
 *
 * The consensus sits at the median delay, so half the true requests would seem to arrive before they
 * left. Refined with the points that also share the usual size difference: requests bound the offset
 * from below (client time minus server time = offset - delay), responses from above (offset + delay);
 * the offset is put between the two (or just past the requests' bound when no response agrees) and the
 * window is what remains between them, at least 1 ms.
 */
export function coarseByTiming(client: SideData, server: SideData): CoarseOffset | null {
  const tlsClients = client.sessions.filter(startsWithClientHello);
  // Every data message of a direction: behind a pool, a few server sessions carry all the requests.
  const allOf = (dir: 0 | 1) =>
    server.sessions.flatMap((s) => s.messages.filter((m) => m.dir === dir && carriesData(m)));
  const requests = allOf(0);
  if (tlsClients.length < MIN_PAIRS || requests.length < MIN_PAIRS) return null;
  const all = timingPoints(client, server, tlsClients, requests, 0);
  // True pairs share one size difference and one time difference; chance pairs scatter over both. The
  // few most common size differences are tried (regular request sizes make chance ones common too), each
  // for a consensus in time; the best supported stands.
  const enough = Math.max(MIN_PAIRS, Math.ceil(0.5 * Math.min(tlsClients.length, all.messagesUsed)));
  let found: CoarseOffset | null = null;
  let req: TimingPoints = all;
  for (const typical of commonValues(all.sizeDiff, SIZE_AGREE_BYTES, TYPICAL_TRIED)) {
    const points = agreeing(all, typical);
    const f = findCoarseOffset(points.clientNs, points.serverNs, {
      clusterWidthNs: COARSE_CLUSTER_NS,
      minSupport: enough,
    });
    if (f.found && !f.ambiguous && (found === null || f.support > found.support)) {
      found = f;
      req = points;
    }
  }
  if (found === null) return null;
  const k = found.skewPpm * 1e-6;
  const residuals = (p: TimingPoints): number[] => {
    const r: number[] = [];
    const close: number[] = [];
    for (let i = 0; i < p.clientNs.length; i++) {
      const d = p.clientNs[i]! - p.serverNs[i]! - found.offsetNs - k * (p.serverNs[i]! - found.referenceNs);
      if (Math.abs(d) <= COARSE_CLUSTER_NS) close.push(i);
    }
    const typical = modeCentre(close.map((i) => p.sizeDiff[i]!));
    for (const i of close)
      if (Math.abs(p.sizeDiff[i]! - typical) <= SIZE_AGREE_BYTES)
        r.push(p.clientNs[i]! - p.serverNs[i]! - found.offsetNs - k * (p.serverNs[i]! - found.referenceNs));
    return r.sort((a, b) => a - b);
  };
  const below = residuals(req);
  const above = residuals(timingPoints(client, server, tlsClients, allOf(1), 1));
  if (below.length < MIN_PAIRS) return null;
  const lo = below[Math.floor(0.9 * (below.length - 1))]!;
  const hi = above.length >= MIN_PAIRS ? above[Math.ceil(0.1 * (above.length - 1))]! : Number.NaN;
  const shift = Number.isFinite(hi) && hi >= lo ? (lo + hi) / 2 : lo;
  const windowNs = Number.isFinite(hi) && hi >= lo ? Math.max(1e6, (hi - lo) / 2) : 1e6;
  return { ...found, offsetNs: found.offsetNs + shift, windowNs };
}

/**
 * Files given the wrong way round, told by TLS alone (no packet crosses a TLS-terminating device, so the
 * timing of forwarded packets cannot say it): none of the given client side's connections starts with a
 * ClientHello, at least MIN_PAIRS of the given server side's do, and read the other way round the request
 * timing and sizes agree on one clock (`coarseByTiming`).
 */
export function tlsLooksSwapped(client: SideData, server: SideData): boolean {
  if (client.sessions.some(startsWithClientHello)) return false;
  let tls = 0;
  for (const s of server.sessions) if (startsWithClientHello(s)) tls++;
  if (tls < MIN_PAIRS) return false;
  return coarseByTiming({ ...server, side: 'client' }, { ...client, side: 'server' }) !== null;
}

interface TimingPoints {
  clientNs: number[];
  serverNs: number[];
  /** Client-side minus server-side bytes. */
  sizeDiff: number[];
  /** Server-side messages whose points are all in (the bound on points may stop early). */
  messagesUsed: number;
}

/** The points whose size difference is within SIZE_AGREE_BYTES of `typical`. */
function agreeing(p: TimingPoints, typical: number): TimingPoints {
  const out: TimingPoints = { clientNs: [], serverNs: [], sizeDiff: [], messagesUsed: p.messagesUsed };
  for (let i = 0; i < p.clientNs.length; i++) {
    if (Math.abs(p.sizeDiff[i]! - typical) > SIZE_AGREE_BYTES) continue;
    out.clientNs.push(p.clientNs[i]!);
    out.serverNs.push(p.serverNs[i]!);
    out.sizeDiff.push(p.sizeDiff[i]!);
  }
  return out;
}

/**
 * Each server-side message against every fitting client-side TLS message of its direction, found through
 * the client messages sorted by size. At most MAX_COARSE_MESSAGES server messages, spread over the
 * capture, and MAX_COARSE_POINTS points: the consensus needs a sample, not every combination.
 */
function timingPoints(
  client: SideData,
  server: SideData,
  tlsClients: Session[],
  messages: Message[],
  dir: 0 | 1,
): TimingPoints {
  const p: TimingPoints = { clientNs: [], serverNs: [], sizeDiff: [], messagesUsed: 0 };
  const entries: { bytes: number; t: number; early: boolean }[] = [];
  for (const c of tlsClients) {
    let rank = 0;
    for (const a of c.messages) {
      if (a.dir !== dir || !carriesData(a)) continue;
      // Responses may share their message with session tickets; requests are compared strictly, as the
      // looser fit would let chance points crowd the consensus.
      entries.push({ bytes: size(a), t: at(client, a.firstRelNs), early: dir === 1 && rank++ < 2 });
    }
  }
  entries.sort((a, b) => a.bytes - b.bytes);
  const sizes = Float64Array.from(entries, (e) => e.bytes);
  // Sampled messages in an order that covers the whole capture early (stride through the sample), so a
  // stop at MAX_COARSE_POINTS keeps a spread of the capture rather than its beginning.
  const step = Math.max(1, messages.length / MAX_COARSE_MESSAGES);
  const sample: Message[] = [];
  for (let k = 0; k < messages.length; k += step) sample.push(messages[Math.floor(k)]!);
  const stride = coprimeStride(sample.length);
  for (let j = 0, k = 0; j < sample.length; j++, k = (k + stride) % sample.length) {
    const b = sample[k]!;
    const bytes = size(b);
    // Bounds that hold for every fitting size (sizesFit decides): a smaller message is at most the slack
    // of `bytes` below it; a larger one's slack grows by an eighth of itself.
    const slack = 96 + 32 * Math.ceil(bytes / 16384) + bytes / 8;
    const upper = ((bytes + 96 + 32 * (Math.ceil(bytes / 16384) + 1) + POST_HANDSHAKE_BYTES) * 8) / 7;
    for (let i = lowerBound(sizes, bytes - slack); i < entries.length && sizes[i]! <= upper; i++) {
      const a = entries[i]!;
      if (!sizesFit(a.bytes, bytes, a.early)) continue;
      p.clientNs.push(a.t);
      p.serverNs.push(at(server, b.firstRelNs));
      p.sizeDiff.push(a.bytes - bytes);
      if (p.clientNs.length >= MAX_COARSE_POINTS) return p;
    }
    p.messagesUsed++;
  }
  return p;
}

/** A stride near n / golden ratio with no common factor with n, so that stepping by it visits all of 0..n-1. */
function coprimeStride(n: number): number {
  if (n <= 2) return 1;
  let stride = Math.max(1, Math.round(n * 0.618));
  while (gcd(stride, n) !== 1) stride++;
  return stride;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
