/**
 * Session pairing: which connection on the client side is which on the server side, through any
 * middlebox, without being told the device's addresses. docs/correlation.md describes the procedure:
 *
 * 1. Index both sides (handshake keys, content keys) and find the coarse clock offset from keys unique on
 *    both sides: the captures may disagree by hours, so nothing assumes a small offset.
 * 2. Pair on the coarse clock: pass-through connections by their SYNs, the rest message by message by
 *    content (terminating proxies, pools).
 * 3. Align the clocks on the causal constraints of those pairs; pair again on the aligned clock (timing
 *    now decides between near-identical candidates, and the SYN-proxy order is visible); align again.
 * 4. Connections left over get a reason; swapped files, no overlap and no shared traffic are warned about.
 */
import { alignPairs, type PassThroughPair, pairConstraints } from './align.js';
import {
  addContentPoints,
  COMMON_CLUSTER_NS,
  type CoarsePoints,
  capped,
  commonPoints,
  type HandshakeIndex,
  handshakePoints,
  indexHandshakes,
  MessageIndex,
} from './candidates.js';
import type { ClockAlignment } from './clock.js';
import { type CoarseOffset, findCoarseOffset, timeOverlap } from './coarse-offset.js';
import { contentPairs, HandshakePair, type PairSides } from './pair-build.js';
import {
  alignedClock,
  coarseClock,
  DEFAULT_MAX_LATENCY_NS,
  type PairClock,
  userClock,
} from './pair-clock.js';
import { type Link, linkMessages } from './pair-content.js';
import { type HandshakeMatch, matchHandshakes } from './pair-handshake.js';
import { type PairHints, parsePrefix } from './pair-hints.js';
import { passThroughKindAt, seqOffsetsAt } from './pair-kind.js';
import { Rarity } from './pair-rarity.js';
import { HandshakeTable } from './pair-syns.js';
import { coarseByTiming, timingLinks, tlsLooksSwapped } from './pair-timing.js';
import { durationText } from './pair-tuple.js';
import { unpairedOf } from './pair-unpaired.js';
import type { SessionPair, SideData, Unpaired } from './types.js';

export interface PairOptions {
  /** User override (--offset): ns to add to server-side times to read the client clock; skips estimation. */
  offsetNs?: number;
  /** User override (--skew), ppm. */
  skewPpm?: number;
  /** Where the user's offset holds (ns from the shared base second); default 0. */
  referenceNs?: number;
  /** Time-stamping allowance for the alignment (see AlignOptions.toleranceNs). */
  toleranceNs?: number;
  /** Longest a device may hold a SYN or a message before passing it on; default 30 s. */
  maxLatencyNs?: number;
  /** Optional hints (addresses or prefixes): they only sharpen the reasons of unpaired connections. */
  vip?: string;
  deviceIp?: string;
  serverNet?: string;
}

export interface PairWarning {
  id: string;
  text: string;
}

export interface PairingResult {
  pairs: SessionPair[];
  unpaired: Unpaired[];
  alignment: ClockAlignment;
  coarse: CoarseOffset;
  swapped: boolean;
  /** What showed the files swapped: forwarded packets' timing, or TLS on the given server side only. */
  swappedBy?: 'timing' | 'tls';
  warnings: PairWarning[];
  /** Shared base second; `client.shiftNs` and `server.shiftNs` are set from it. */
  baseSec: number;
}

interface Round {
  matches: HandshakeMatch[];
  links: Link[];
}

/** Both sides' content indexes and the rarity weights over them. */
interface Content {
  mc: MessageIndex;
  ms: MessageIndex;
  rarity: Rarity;
}

/**
 * The content indexes, built on first use: indexing every message's keys and weighing them costs more than
 * all the rest of pairing, and captures whose connections all pair by their handshakes (routers, NAT,
 * sequence randomisers) with a clear handshake consensus for the coarse offset never read them.
 */
function lazyContent(client: SideData, server: SideData): () => Content {
  let content: Content | null = null;
  return () => {
    if (content === null) {
      const mc = new MessageIndex(client);
      const ms = new MessageIndex(server);
      content = { mc, ms, rarity: new Rarity(mc, ms) };
    }
    return content;
  };
}

/**
 * SYN matches (sequence number or TSval held by one SYN on each side) that make a coarse offset on their
 * own when this many agree and no other offset rivals them: content points would only add to a consensus
 * that is already beyond doubt. Fewer, and content points join as before.
 */
export const HANDSHAKE_CONSENSUS = 256;

/**
 * Pair the sessions of two captures. Sets `shiftNs` on both sides (relative to the returned `baseSec`).
 */
export function pairSessions(client: SideData, server: SideData, opts: PairOptions = {}): PairingResult {
  const baseSec = Math.min(client.baseSec, server.baseSec);
  client.shiftNs = (client.baseSec - baseSec) * 1e9;
  server.shiftNs = (server.baseSec - baseSec) * 1e9;
  const maxLatency = opts.maxLatencyNs ?? DEFAULT_MAX_LATENCY_NS;
  const warnings: PairWarning[] = [];

  const hc = indexHandshakes(client, new HandshakeTable(client));
  const hs = indexHandshakes(server, new HandshakeTable(server));
  const content = lazyContent(client, server);

  let coarse: CoarseOffset;
  let clock: PairClock | null;
  const user = opts.offsetNs !== undefined;
  if (user) {
    coarse = userCoarse(opts);
    clock = userClock(opts.offsetNs!, opts.skewPpm ?? 0, opts.referenceNs ?? 0);
  } else {
    coarse = estimateCoarse(client, server, hc, hs, content);
    // No shared content (TLS terminated): the offset from request timing and sizes (pair-timing.ts).
    if (!coarse.found) coarse = coarseByTiming(client, server) ?? coarse;
    clock = coarse.found ? coarseClock(coarse) : null;
    if (coarse.found && coarse.ambiguous) {
      warnings.push({
        id: 'pair.ambiguous_offset',
        text: `the clock offset between the captures is ambiguous: ${coarse.support} matches agree on one offset, ${coarse.runnerUp} on another.`,
      });
    }
  }
  const alignOpts = {
    ...(opts.offsetNs !== undefined ? { offsetNs: opts.offsetNs } : {}),
    ...(opts.skewPpm !== undefined ? { skewPpm: opts.skewPpm } : {}),
    ...(opts.referenceNs !== undefined ? { referenceNs: opts.referenceNs } : {}),
    ...(opts.toleranceNs !== undefined ? { toleranceNs: opts.toleranceNs } : {}),
  };

  let round: Round = { matches: [], links: [] };
  // The kinds of the last round's handshake matches and the clock they were judged on.
  let kinds: { clock: PairClock; passThrough: PassThroughPair[] } | null = null;
  const constraints = (passThrough: readonly PassThroughPair[], links: readonly Link[]) =>
    pairConstraints(client, server, passThrough, links, hc.table, hs.table);
  let aligned = alignPairs(client, server, constraints([], []), alignOpts, false);
  // Orientation is judged on the first round: its pairs come from the coarse clock, whose wide window does
  // not yet depend on which way round the files are.
  let orientation = aligned.orientation;
  if (clock !== null) {
    const resolution = client.resolutionNs + server.resolutionNs;
    let previous: PassThroughPair[] | null = null;
    for (let pass = 0; pass < 2; pass++) {
      const before = round;
      round = pairRound(client, server, hc, hs, content, clock, maxLatency);
      const passThrough = passThroughOf(client, server, hc, hs, round.matches, clock);
      kinds = { clock, passThrough };
      // The same pairs give the same constraints, hence the same alignment and clock: nothing to refit.
      if (previous !== null && samePairs(previous, passThrough) && sameLinks(before.links, round.links))
        break;
      previous = passThrough;
      aligned = alignPairs(client, server, constraints(passThrough, round.links), alignOpts, pass === 0);
      if (pass === 0) orientation = aligned.orientation;
      if (aligned.alignment.method === 'none') break;
      const next = alignedClock(aligned.alignment, resolution, user ? 'user' : 'aligned');
      // A one-sided fit has no bound: keep the coarse window, centred on the better line.
      if (!Number.isFinite(aligned.alignment.boundNs))
        next.windowNs = Math.max(next.windowNs, clock.windowNs);
      clock = next;
    }
  }
  if (round.matches.length === 0 && round.links.length === 0) {
    // A coincidence of one or two keys is not shared traffic: without pairs there is no clock either.
    clock = null;
    warnings.push({
      id: 'pair.no_shared_traffic',
      text: 'no connection or message on one side matches one on the other: the captures share no traffic (other traffic, other times, or another device).',
    });
  }

  const pairs: SessionPair[] = [];
  if (clock !== null) {
    const sides: PairSides = { client, server, clock };
    const known = kinds !== null && kinds.clock === clock ? kinds.passThrough : null;
    handshakePairs(sides, hc, hs, round.matches, known, pairs);
    for (const p of contentPairs(client, server, round.links, clock)) pairs.push({ id: 0, ...p });
    pairs.sort((a, b) => a.client - b.client);
    pairs.forEach((p, i) => {
      p.id = i;
    });
  }

  const pairedC = new Uint8Array(client.sessions.length);
  const pairedS = new Uint8Array(server.sessions.length);
  for (const p of pairs) {
    pairedC[p.client] = 1;
    for (const s of p.server) pairedS[s] = 1;
  }
  const hints = parseHints(opts, warnings);
  // Where the device's traffic goes on the client side, and comes from on the server side.
  // (Both, and the list of the unpaired, only for a side with unpaired connections: text from every pair.)
  const destinations = allSet(pairedC) ? undefined : new Set(pairs.map((p) => p.clientTuple.dstIp));
  const sources = allSet(pairedS)
    ? undefined
    : new Set(pairs.flatMap((p) => p.serverTuples.map((t) => t.srcIp)));
  const unpaired = [
    ...(destinations === undefined ? [] : unpairedOf(client, server, pairedC, clock, hints, destinations)),
    ...(sources === undefined ? [] : unpairedOf(server, client, pairedS, clock, hints, sources)),
  ];

  overlapWarning(client, server, clock !== null ? coarse.offsetNs : null, warnings);
  let swapped = orientation.verdict === 'swapped';
  let swappedBy: 'timing' | 'tls' | undefined = swapped ? 'timing' : undefined;
  if (swapped) {
    warnings.push({
      id: 'pair.swapped',
      text: `the files look swapped: ${client.path} reads as the server-side capture and ${server.path} as the client-side one (the reverse order leaves ${(orientation.swappedRejected * 100).toFixed(0)}% of the timing constraints inconsistent, this one ${(orientation.asGivenRejected * 100).toFixed(0)}%).`,
    });
  } else if (pairs.length === 0 && !user && tlsLooksSwapped(client, server)) {
    swapped = true;
    swappedBy = 'tls';
    warnings.push({
      id: 'pair.swapped',
      text: `the files look swapped: the connections of ${server.path} start with a TLS ClientHello and those of ${client.path} do not, and read the other way round the request timing and sizes agree (a device that terminates TLS has the clients' TLS on its client side).`,
    });
  }
  return {
    pairs,
    unpaired,
    alignment: aligned.alignment,
    coarse,
    swapped,
    ...(swappedBy !== undefined ? { swappedBy } : {}),
    warnings,
    baseSec,
  };
}

/**
 * A pair per handshake match, into `out`, of the kind judged on the same clock (`known`, same order) or
 * judged now. Its own function, so that the engine compiles the whole loop once it is hot (see sorted.ts).
 */
function handshakePairs(
  sides: PairSides,
  hc: HandshakeIndex,
  hs: HandshakeIndex,
  matches: readonly HandshakeMatch[],
  known: readonly PassThroughPair[] | null,
  out: SessionPair[],
): void {
  const { client, server, clock } = sides;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    const c = client.sessions[m.client]!;
    const s = server.sessions[m.server]!;
    const kind = known?.[i]?.kind ?? passThroughKindAt(hc.table, hs.table, c, s, clock);
    out.push(new HandshakePair(sides, m, kind, seqOffsetsAt(hc.table, hs.table, c, s)));
  }
}

function allSet(flags: Uint8Array): boolean {
  for (let i = 0; i < flags.length; i++) if (flags[i] === 0) return false;
  return true;
}

function samePairs(a: readonly PassThroughPair[], b: readonly PassThroughPair[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.client !== y.client || x.server !== y.server || x.kind !== y.kind) return false;
  }
  return true;
}

/** Equal in everything `pairConstraints` reads of a link. */
function sameLinks(a: readonly Link[], b: readonly Link[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.c !== y.c || x.cm !== y.cm || x.s !== y.s || x.sm !== y.sm) return false;
    if (x.structural !== y.structural || x.sim.score !== y.sim.score) return false;
  }
  return true;
}

function parseHints(opts: PairOptions, warnings: PairWarning[]): PairHints {
  const hints: PairHints = {};
  for (const name of ['vip', 'deviceIp', 'serverNet'] as const) {
    const text = opts[name];
    if (text === undefined) continue;
    const p = parsePrefix(text);
    if (p === null)
      warnings.push({ id: 'pair.bad_hint', text: `${name} "${text}" is not an address or prefix: ignored.` });
    else hints[name] = p;
  }
  return hints;
}

/** The handshake matches with their kinds, for the clock constraints. */
function passThroughOf(
  client: SideData,
  server: SideData,
  hc: HandshakeIndex,
  hs: HandshakeIndex,
  matches: readonly HandshakeMatch[],
  clock: PairClock,
): PassThroughPair[] {
  const out: PassThroughPair[] = new Array(matches.length);
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    const c = client.sessions[m.client]!;
    const s = server.sessions[m.server]!;
    out[i] = { client: m.client, server: m.server, kind: passThroughKindAt(hc.table, hs.table, c, s, clock) };
  }
  return out;
}

function pairRound(
  client: SideData,
  server: SideData,
  hc: HandshakeIndex,
  hs: HandshakeIndex,
  content: () => Content,
  clock: PairClock,
  maxLatency: number,
): Round {
  const matches = matchHandshakes(hc, hs, clock, maxLatency);
  const clientEligible = new Uint8Array(client.sessions.length).fill(1);
  const serverEligible = new Uint8Array(server.sessions.length).fill(1);
  for (const m of matches) {
    clientEligible[m.client] = 0;
    serverEligible[m.server] = 0;
  }
  // Content links only between connections the handshakes left over, with messages on both sides.
  if (!anyWithMessages(client, clientEligible) || !anyWithMessages(server, serverEligible))
    return { matches, links: [] };
  const { mc, ms, rarity } = content();
  const links = linkMessages(
    client,
    server,
    mc,
    ms,
    clientEligible,
    serverEligible,
    clock,
    maxLatency,
    rarity,
  );
  // Where content cannot match (TLS on the client side only): sizes and timing (pair-timing.ts).
  const timed = timingLinks(client, server, clientEligible, serverEligible, links, clock, maxLatency);
  if (timed.length > 0) {
    links.push(...timed);
    links.sort((x, y) => x.c - y.c || x.cm - y.cm);
  }
  return { matches, links };
}

function anyWithMessages(side: SideData, eligible: Uint8Array): boolean {
  for (let i = 0; i < eligible.length; i++)
    if (eligible[i] === 1 && side.sessions[i]!.messages.length > 0) return true;
  return false;
}

function estimateCoarse(
  client: SideData,
  server: SideData,
  hc: HandshakeIndex,
  hs: HandshakeIndex,
  content: () => Content,
): CoarseOffset {
  let pts: CoarsePoints = handshakePoints(hc, hs);
  if (pts.clientNs.length >= HANDSHAKE_CONSENSUS) {
    const found = findCoarseOffset(pts.clientNs, pts.serverNs);
    if (found.found && !found.ambiguous && found.support >= HANDSHAKE_CONSENSUS) return found;
  }
  const { mc, ms, rarity } = content();
  addContentPoints(pts, client, server, mc, ms, rarity);
  pts = capped(pts);
  if (pts.clientNs.length >= 3) {
    const found = findCoarseOffset(pts.clientNs, pts.serverNs);
    if (found.found) return found;
  }
  // No unique content (the same request everywhere): all combinations of a few shared ones.
  const common = commonPoints(client, server, mc, ms, rarity);
  if (common.clientNs.length >= 3) {
    const found = findCoarseOffset(common.clientNs, common.serverNs, { clusterWidthNs: COMMON_CLUSTER_NS });
    if (found.found && standsOut(found, common)) return found;
  }
  // Two captures of a handful of connections still deserve an offset, with less support behind it, but only
  // from strong keys: one equal header line in unrelated captures is a coincidence, not a clock.
  // Weak keys alone (headers-only captures: sizes) need two that agree. With so few points, a split
  // consensus is no consensus: silence beats a clock that may be wrong.
  const strongC = pts.clientNs.filter((_, i) => pts.weak[i] === 0);
  const strongS = pts.serverNs.filter((_, i) => pts.weak[i] === 0);
  const few =
    strongC.length > 0
      ? findCoarseOffset(strongC, strongS, { minSupport: Math.min(3, strongC.length) })
      : findCoarseOffset(pts.clientNs, pts.serverNs, { minSupport: 2 });
  return few.ambiguous ? { ...few, found: false } : few;
}

/**
 * SIGNIFICANCE of a consensus over combinations: unrelated traffic to the same kind of server shares some
 * bytes too (a status line and the headers after it), and its combinations spread evenly over the
 * difference range. The consensus counts only when it holds several times what an even spread would put
 * in one window, and no other offset comes close.
 */
function standsOut(found: CoarseOffset, pts: { clientNs: number[]; serverNs: number[] }): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < pts.clientNs.length; i++) {
    const d = pts.clientNs[i]! - pts.serverNs[i]!;
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  const even = (pts.clientNs.length * COMMON_CLUSTER_NS) / Math.max(hi - lo, COMMON_CLUSTER_NS);
  return !found.ambiguous && found.support >= Math.max(3, 5 * even);
}

function userCoarse(opts: PairOptions): CoarseOffset {
  return {
    found: true,
    offsetNs: opts.offsetNs!,
    referenceNs: opts.referenceNs ?? 0,
    skewPpm: opts.skewPpm ?? 0,
    windowNs: 1e6,
    support: 0,
    total: 0,
    runnerUp: 0,
    ambiguous: false,
  };
}

/** Overlap on the estimated offset, or on the raw clocks when nothing relates them (offset null). */
function overlapWarning(
  client: SideData,
  server: SideData,
  offsetNs: number | null,
  warnings: PairWarning[],
): void {
  const offset = offsetNs ?? 0;
  const o = timeOverlap(
    client.firstRelNs + client.shiftNs,
    client.lastRelNs + client.shiftNs,
    server.firstRelNs + server.shiftNs,
    server.lastRelNs + server.shiftNs,
    offset,
  );
  if (o.overlaps) return;
  warnings.push({
    id: 'pair.no_overlap',
    text: `the captures do not overlap in time${offsetNs !== null ? ' after clock alignment' : ' (clocks taken as they are)'}: ${durationText(-o.overlapNs)} lie between them.`,
  });
}
