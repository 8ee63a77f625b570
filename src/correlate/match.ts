/**
 * Pass 2 of correlation: both captures read again at once, merged in aligned time order, and every packet
 * of a pass-through pair matched one to one with its copy on the other side of the device. From the matches
 * come transit delays, drops (upstream, never downstream), injections (downstream without an upstream
 * original) and the fields the device changed. docs/correlation-matching.md states every rule here; keep
 * the two in sync.
 *
 * Upstream is where a packet enters the device: the client side for client-to-server packets, the server
 * side for server-to-client ones. Delay = downstream time minus upstream time, both on the client clock.
 *
 * MATCH KEY: pair, direction, sequence and acknowledgement numbers translated into the server side's
 * numbering with the pair's offsets, payload length, and the SYN/FIN/RST/ACK flags. A downstream packet
 * whose key is found among the pending upstream packets, within the plausible delay range [-slack,
 * maxDelay + slack], is matched at once; otherwise it waits in the window, as every upstream packet does
 * until its copy comes.
 *
 * CHOOSING AMONG COPIES: several pending packets can share a key (a retransmission and its dropped
 * original, duplicates, repeated pure ACKs). Where the device is known to preserve the IP ID or the TCP
 * timestamps (learned from the first matches of the pair, or of the direction across pairs before that),
 * a candidate carrying the same value wins; otherwise, and among equals, the one with the smallest delay.
 * So a retransmission whose original was dropped matches the downstream copy, and the original, never
 * matched, ages out as the drop.
 *
 * LATE ORIGINALS: after clock alignment an original may look up to `slack` later than its copy. A
 * downstream packet is therefore matched when it arrives only with originals already seen; one left
 * waiting is matched, when it ages, with an original that came after it within slack, if no copy with a
 * non-negative delay took that original meanwhile. (A device's own packet just before the copy of an
 * identical one, such as SYNPROXY's window update before the server's first ACK, stays an injection.)
 *
 * AGING: an upstream packet unmatched for maxDelay + slack after its time is dropped; a downstream packet
 * unmatched for slack after its time is injected. Either is "outside" instead when its counterpart would
 * have fallen outside the other capture's time range. Memory is the packets inside that window (at most
 * maxWindowPackets), never the whole capture.
 */
import type { ClockAlignment } from './clock-result.js';
import { ServerToClient } from './match-clock.js';
import {
  changedFields,
  describePacket,
  F_FLAGS,
  F_IP_ID,
  F_PAYLOAD,
  F_SEGMENTS,
  F_SEQ,
} from './match-fields.js';
import {
  C_ANSWERED,
  C_DROPPED,
  C_INJECTED,
  C_MATCHED,
  C_OUTSIDE,
  K_SPLICED,
  K_TERMINATED,
  P_IP_ID,
  P_TS,
  PairTable,
} from './match-pair-state.js';
import { MatchResults } from './match-results.js';
import { SideStream } from './match-side.js';
import {
  ANSWERED,
  DROPPED,
  INJECTED,
  MATCHED,
  OUTSIDE,
  PacketWindow,
  PENDING,
  TERMINATED,
  UNPAIRED,
} from './match-window.js';
import { flat } from './text.js';
import type { PairMatch, SessionPair, Side, SideData } from './types.js';

export { FIELD_NAMES } from './match-fields.js';

export type MatchEventKind =
  | 'matched'
  | 'dropped'
  | 'injected'
  | 'answered'
  | 'outside'
  | 'terminated'
  | 'unpaired';

/**
 * One TCP packet's verdict, reported in merged time order. The same object is reused for every call:
 * copy what you keep. Non-TCP packets are not reported.
 */
export interface MatchEvent {
  side: Side;
  /** 1-based packet number in its file. */
  packet: number;
  /** Pair id, or -1 when the packet's session has no pair. */
  pair: number;
  /** 0 client to server, 1 server to client (for unpaired packets: relative to their session's initiator). */
  dir: 0 | 1;
  /**
   * matched: forwarded, `otherPacket` is the copy; dropped: upstream only; injected: downstream only;
   * answered: consumed by the device, which answered itself (spliced handshakes); outside: no counterpart,
   * but the other capture did not cover the time it would have had; terminated: packet of a terminated
   * pair (the other side is another connection); unpaired: its session has no pair.
   */
  event: MatchEventKind;
  otherPacket: number;
  /** Transit delay (ns) of a matched packet, null otherwise. */
  delayNs: number | null;
  /** Changed fields of a matched packet: bit i is FIELD_NAMES[i]. */
  changes: number;
}

export interface MatchOptions {
  /** Longest transit delay through the device that is still a match (ns). Default 1 s. */
  maxDelayNs?: number;
  /**
   * Clock uncertainty allowed around a delay (ns): a downstream copy may look up to this much earlier than
   * its original. Default: the alignment's bound (maxDelayNs when the bound is not finite) plus both
   * captures' timestamp resolutions.
   */
  slackNs?: number;
  /** Examples of dropped and injected packets kept per pair. Default 8. */
  maxExamples?: number;
  /**
   * Most packets held in the window (about 250 bytes each). Beyond it the oldest packet is decided at once,
   * as if aged: memory stays bounded even when timestamps run backwards for a long stretch. Default 1,000,000.
   */
  maxWindowPackets?: number;
  onPacket?: (event: MatchEvent) => void;
  /** Called every few thousand packets with the bytes read from both files so far. */
  onProgress?: (bytesRead: number) => void;
  /** Filled in with counts about the run (for progress reports and benchmarks). */
  stats?: MatchStats;
}

export interface MatchStats {
  /** TCP packets read per side (client, server). */
  packets: [number, number];
  /** Most packets held in the matching window at once: what pass 2's memory follows. */
  peakWindow: number;
  /** Packets decided before their time because the window was full (see maxWindowPackets). */
  forced: number;
}

const EVENT_KINDS: MatchEventKind[] = [
  'matched', // PENDING never reaches the report; index 0 is unused
  'matched',
  'dropped',
  'injected',
  'answered',
  'outside',
  'terminated',
  'unpaired',
];

/**
 * CANDIDATE BOUND: at most this many pending packets with the same key are weighed for one match (newest
 * first, the order of the key chains), so a flood of identical packets the device drops (repeated pure
 * ACKs) costs a bounded time per packet instead of growing with the flood.
 */
const MAX_CANDIDATES = 256;

/** Packets between progress calls: a callback per few thousand packets costs nothing measurable. */
const PROGRESS_EVERY = 4096;

const TCP_SYN = 0x002;
const TCP_RST = 0x004;
const TCP_ACK = 0x010;

/**
 * How well candidate c fits packet u on the fields the device preserves: 2 for the same IP ID, 1 for the
 * same TSval. A function of its own, not a closure: this runs for every match, and a closure made per call
 * was the one allocation left on the per-packet path (about 60 bytes a packet).
 */
function fitScore(w: PacketWindow, c: number, u: number, ipId: boolean, ts: boolean): number {
  return (
    (ipId && w.ipId[c] === w.ipId[u] ? 2 : 0) + (ts && w.hasTs[c] === 1 && w.tsval[c] === w.tsval[u] ? 1 : 0)
  );
}

/** Sessions without a pair or of a terminated pair: their packets are reported, never matched. */
function identityOnlySessions(pairOfSession: Int32Array, kind: Uint8Array): Uint8Array {
  const out = new Uint8Array(pairOfSession.length);
  for (let i = 0; i < out.length; i++) {
    const pi = pairOfSession[i]!;
    out[i] = pi < 0 || kind[pi] === K_TERMINATED ? 1 : 0;
  }
  return out;
}

/**
 * Match the packets of every pass-through pair; terminated pairs get their handshake and message timing.
 * Returns one PairMatch per pair, in `pairs` order. Throws a CaptureError only if a file that pass 1 read
 * can no longer be opened; a reading error inside a file ends that side where pass 1 ended it.
 */
export function matchPackets(
  clientPath: string,
  serverPath: string,
  client: SideData,
  server: SideData,
  pairs: SessionPair[],
  alignment: ClockAlignment,
  opts: MatchOptions = {},
): PairMatch[] {
  const matcher = new Matcher(client, server, pairs, alignment, opts);
  const w = matcher.window;
  const clientStream = new SideStream(
    clientPath,
    0,
    w,
    client.baseSec,
    client.shiftNs,
    client.sessions,
    matcher.pairOfSession[0],
    matcher.identityOnly[0],
  );
  let serverStream: SideStream | null = null;
  try {
    serverStream = new SideStream(
      serverPath,
      1,
      w,
      server.baseSec,
      server.shiftNs,
      server.sessions,
      matcher.pairOfSession[1],
      matcher.identityOnly[1],
    );
    let c = clientStream.advance();
    if (c >= 0) matcher.setClientTime(c);
    let s = serverStream.advance();
    if (s >= 0) matcher.setServerTime(s);
    const onProgress = opts.onProgress;
    let untilProgress = PROGRESS_EVERY;
    while (c >= 0 || s >= 0) {
      if (onProgress !== undefined && --untilProgress === 0) {
        untilProgress = PROGRESS_EVERY;
        onProgress(clientStream.bytesRead + serverStream.bytesRead);
      }
      if (s < 0 || (c >= 0 && w.timeNs[c]! <= w.timeNs[s]!)) {
        matcher.add(c);
        c = clientStream.advance();
        if (c >= 0) matcher.setClientTime(c);
      } else {
        matcher.add(s);
        s = serverStream.advance();
        if (s >= 0) matcher.setServerTime(s);
      }
      matcher.advanceTo(c, s);
    }
  } finally {
    clientStream.finish();
    serverStream?.finish();
  }
  return matcher.finish();
}

class Matcher {
  readonly window = new PacketWindow(1024);
  readonly toClient: ServerToClient;
  private readonly table: PairTable;
  /** Per side: session index -> pair number (index into `pairs`), or -1. */
  readonly pairOfSession: [Int32Array, Int32Array];
  /** Per side: 1 for sessions whose packets are not matched one to one (no pair, or terminated). */
  readonly identityOnly: [Uint8Array, Uint8Array];
  private readonly maxDelayNs: number;
  private readonly slackNs: number;
  private readonly onPacket: ((e: MatchEvent) => void) | undefined;
  private readonly stats: MatchStats | null;
  private readonly maxWindow: number;
  private readonly event: MatchEvent = {
    side: 'client',
    packet: 0,
    pair: -1,
    dir: 0,
    event: 'matched',
    otherPacket: -1,
    delayNs: null,
    changes: 0,
  };
  /**
   * MERGE FRONTIER: the earlier of the two captures' next packet times. Every packet before it has been
   * read from both files (each file in time order), so a packet can age only against it: with a file out
   * of time order, the latest time seen would age a packet before its counterpart was even read.
   */
  private frontierNs = Number.NEGATIVE_INFINITY;
  /** Across pairs, per direction: the largest delay matched. */
  private readonly maxSeenDelay = new Float64Array(2);
  /** Each capture's time range on the client clock: [client first, client last, server first, server last]. */
  private readonly range: Float64Array;
  /** Per pair, times of the first and last packet seen on each side (NaN before the first): [pair * 4 +
   * side] first, [pair * 4 + 2 + side] last (one row a pair: one cache line read per packet). */
  private readonly pairSeen: Float64Array;
  /** Per pair and direction: the newest pending upstream packet with payload (RESEGMENTED), or -1. */
  private readonly dataHead: Int32Array;

  constructor(
    private readonly client: SideData,
    private readonly server: SideData,
    private readonly pairs: SessionPair[],
    alignment: ClockAlignment,
    opts: MatchOptions,
  ) {
    this.toClient = new ServerToClient(alignment);
    // Options and bounds that are not finite non-negative numbers fall back to the defaults.
    const usable = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x) && x >= 0;
    this.maxDelayNs = usable(opts.maxDelayNs) ? opts.maxDelayNs : 1e9;
    const bound = usable(alignment.boundNs) ? alignment.boundNs : this.maxDelayNs;
    const resolution =
      (usable(client.resolutionNs) ? client.resolutionNs : 0) +
      (usable(server.resolutionNs) ? server.resolutionNs : 0);
    this.slackNs = usable(opts.slackNs) ? opts.slackNs : bound + resolution;
    this.onPacket = opts.onPacket;
    this.stats = opts.stats ?? null;
    if (this.stats) {
      this.stats.packets = [0, 0];
      this.stats.peakWindow = 0;
      this.stats.forced = 0;
    }
    this.maxWindow = Math.max(16, usable(opts.maxWindowPackets) ? opts.maxWindowPackets : 1_000_000);
    const maxExamples = opts.maxExamples ?? 8;
    this.pairOfSession = [
      new Int32Array(client.sessions.length).fill(-1),
      new Int32Array(server.sessions.length).fill(-1),
    ];
    pairs.forEach((pair, i) => {
      if (pair.client >= 0 && pair.client < client.sessions.length) this.pairOfSession[0][pair.client] = i;
      for (const k of pair.server) if (k >= 0 && k < server.sessions.length) this.pairOfSession[1][k] = i;
    });
    this.table = new PairTable(pairs, client.sessions, server.sessions, maxExamples);
    this.identityOnly = [
      identityOnlySessions(this.pairOfSession[0], this.table.kind),
      identityOnlySessions(this.pairOfSession[1], this.table.kind),
    ];
    const m = (ns: number) => this.toClient.map(ns + server.shiftNs);
    this.dataHead = new Int32Array(pairs.length * 2).fill(-1);
    this.pairSeen = new Float64Array(pairs.length * 4).fill(Number.NaN);
    this.range = Float64Array.of(
      client.firstRelNs + client.shiftNs,
      client.lastRelNs + client.shiftNs,
      m(server.firstRelNs),
      m(server.lastRelNs),
    );
  }

  /**
   * A new packet's time on the client clock, from its own time (set by the SideStream). Times stay in the
   * window's arrays: a number passed to or returned from a call that is not inlined is boxed, a small
   * garbage object per packet.
   */
  setClientTime(s: number): void {
    this.window.timeNs[s] = this.window.ownNs[s]!;
  }

  setServerTime(s: number): void {
    this.toClient.mapSlot(this.window.ownNs, this.window.timeNs, s);
  }

  /** A new packet in merged order: classify it, match it or let it wait, then report what is decided. */
  add(s: number): void {
    const w = this.window;
    const t = w.timeNs[s]!;
    w.otherPacket[s] = -1;
    w.delayNs[s] = Number.NaN;
    w.changes[s] = 0;
    w.covered[s] = 0;
    w.inData[s] = 0;
    const side = w.side[s]!;
    // The pair came with the session from the locator (SideStream).
    const pi = w.pair[s]!;
    if (pi < 0) {
      w.state[s] = UNPAIRED;
    } else {
      const k = pi * 4 + side;
      if (!(this.pairSeen[k]! <= t)) this.pairSeen[k] = t;
      if (!(this.pairSeen[k + 2]! >= t)) this.pairSeen[k + 2] = t;
      if (this.table.kind[pi] === K_TERMINATED) w.state[s] = TERMINATED;
      else this.addPassThrough(s, pi);
    }
    w.enqueue(s);
    if (this.stats) {
      this.stats.packets[side]!++;
      if (w.size > this.stats.peakWindow) this.stats.peakWindow = w.size;
    }
  }

  /**
   * Both captures have been read up to their next packets (slots, -1 at the end of a file): report what
   * is decided, age what waited too long.
   */
  advanceTo(nextClient: number, nextServer: number): void {
    const w = this.window;
    const c = nextClient >= 0 ? w.timeNs[nextClient]! : Number.POSITIVE_INFINITY;
    const s = nextServer >= 0 ? w.timeNs[nextServer]! : Number.POSITIVE_INFINITY;
    this.frontierNs = Math.min(c, s);
    this.drain(false);
  }

  private addPassThrough(s: number, pi: number): void {
    const table = this.table;
    const w = this.window;
    const side = w.side[s]!;
    const dir = w.dir[s]! as 0 | 1;
    const upstream = (side === 0) === (dir === 0);
    if (table.kind[pi] === K_SPLICED && this.inDeviceHandshake(s)) {
      // SPLICED HANDSHAKE: each side's handshake is the device's own conversation with that endpoint.
      if (upstream) {
        w.state[s] = ANSWERED;
        table.bump(pi, C_ANSWERED, dir);
      } else {
        w.state[s] = INJECTED;
        table.bump(pi, C_INJECTED, dir);
        this.example(pi, s, 'injected');
      }
      return;
    }
    const hasAck = (w.flags[s]! & TCP_ACK) !== 0;
    if (side === 0) {
      w.seqKey[s] = (w.seq[s]! + table.seqOffset(pi, dir)) >>> 0;
      w.ackKey[s] = hasAck ? (w.ack[s]! + table.ackOffset(pi, dir)) >>> 0 : 0;
    } else {
      w.seqKey[s] = w.seq[s]!;
      w.ackKey[s] = hasAck ? w.ack[s]! : 0;
    }
    w.computeKey(s);
    // An upstream packet waits for its copy: any downstream packet already pending came earlier, and a
    // later copy with a non-negative delay is the better match (see LATE ORIGINALS).
    let other = upstream ? -1 : this.bestCandidate(s, pi, dir, false);
    // An earlier copy still waiting for this original, closer to it in time, takes it first.
    for (let earlier = other >= 0 ? this.closerWaitingCopy(other, s, pi, dir) : -1; earlier >= 0; ) {
      this.unpend(earlier);
      this.unpend(other);
      this.match(pi, other, earlier, dir);
      other = this.bestCandidate(s, pi, dir, false);
      earlier = other >= 0 ? this.closerWaitingCopy(other, s, pi, dir) : -1;
    }
    if (other < 0 && !upstream && this.matchPieces(s, pi, dir)) return;
    if (other < 0) {
      w.state[s] = PENDING;
      w.index(s);
      if (upstream && w.len[s]! > 0) this.addData(s, pi * 2 + dir);
      return;
    }
    this.unpend(other);
    this.match(pi, other, s, dir);
  }

  /** Take a pending packet out of the key index and its pair's payload list. */
  private unpend(s: number): void {
    const w = this.window;
    w.unindex(s);
    if (w.inData[s] === 0) return;
    w.inData[s] = 0;
    const n = w.dataNext[s]!;
    const p = w.dataPrev[s]!;
    if (p >= 0) w.dataNext[p] = n;
    else this.dataHead[w.pair[s]! * 2 + w.dir[s]!] = n;
    if (n >= 0) w.dataPrev[n] = p;
  }

  private addData(s: number, k: number): void {
    const w = this.window;
    const head = this.dataHead[k]!;
    w.inData[s] = 1;
    w.dataPrev[s] = -1;
    w.dataNext[s] = head;
    if (head >= 0) w.dataPrev[head] = s;
    this.dataHead[k] = s;
  }

  /**
   * RESEGMENTED: a downstream packet with payload and no copy of the same key is matched by byte range
   * with the pending upstream packets of its pair and direction that carry the same acknowledgement and
   * the same SYN/RST/ACK flags: one upstream segment that holds its bytes (the device cut it, as TSO or
   * GSO do), or upstream segments that its bytes hold (the device merged them, as GRO or LRO do). Each
   * such piece counts as a match with its own delay and the `segments` change. An upstream segment is
   * decided once its bytes are all accounted for; one that ages with only some of them is matched, not
   * dropped. Partial overlaps (cut and merged at once) are not matched.
   */
  private matchPieces(d: number, pi: number, dir: 0 | 1): boolean {
    const w = this.window;
    const length = w.len[d]!;
    if (length <= 0) return false;
    const start = w.seqKey[d]!;
    const t = w.timeNs[d]!;
    const keyFlags = w.flags[d]! & (TCP_SYN | TCP_RST | TCP_ACK);
    let inside = 0;
    let last = -1;
    let examined = 0;
    for (let u = this.dataHead[pi * 2 + dir]!; u >= 0 && examined < MAX_CANDIDATES; ) {
      const next = w.dataNext[u]!;
      examined++;
      const delay = t - w.timeNs[u]!;
      if (
        w.ackKey[u] === w.ackKey[d] &&
        (w.flags[u]! & (TCP_SYN | TCP_RST | TCP_ACK)) === keyFlags &&
        delay >= -this.slackNs &&
        delay <= this.maxDelayNs + this.slackNs
      ) {
        const from = (w.seqKey[u]! - start) | 0;
        const to = from + w.len[u]!;
        if (from <= 0 && to >= length && inside === 0) {
          // The device cut u: d is one of its pieces.
          this.matchPiece(pi, u, d, dir);
          w.covered[u]! += length;
          if (w.covered[u]! >= w.len[u]!) {
            this.unpend(u);
            w.state[u] = MATCHED;
          }
          w.state[d] = MATCHED;
          return true;
        }
        if (from >= 0 && to <= length) {
          // The device merged u into d.
          this.matchPiece(pi, u, d, dir);
          this.unpend(u);
          w.state[u] = MATCHED;
          inside += w.len[u]!;
          last = u;
        }
      }
      u = next;
    }
    if (last < 0) return false;
    w.state[d] = MATCHED;
    return true;
  }

  /** One piece of a resegmented packet: counted, timed and compared like a match. */
  private matchPiece(pi: number, up: number, down: number, dir: 0 | 1): void {
    const w = this.window;
    const table = this.table;
    const delay = w.timeNs[down]! - w.timeNs[up]!;
    const serverSlot = w.side[up] === 1 ? up : down;
    // Pieces differ in their numbers, IP IDs, payload bytes and PSH by nature; the offset still shows.
    const own = F_SEQ | F_IP_ID | F_PAYLOAD | F_FLAGS;
    let bits =
      (changedFields(w, up, down, table.ackOffset(pi, dir)) & ~own) |
      table.endpointChangeBits(pi, w.session[serverSlot]!, dir) |
      F_SEGMENTS;
    if (table.seqOffset(pi, dir) !== 0) bits |= F_SEQ;
    if (w.otherPacket[up]! < 0) {
      w.otherPacket[up] = w.packet[down]!;
      w.delayNs[up] = delay;
      w.changes[up] = bits;
    }
    w.otherPacket[down] = w.packet[up]!;
    w.delayNs[down] = delay;
    w.changes[down] = bits;
    table.bump(pi, C_MATCHED, dir);
    table.delays.add(pi * 2 + dir, delay);
    if (delay > this.maxSeenDelay[dir]!) this.maxSeenDelay[dir] = delay;
    table.recordChanges(w, pi, up, down, dir, bits);
  }

  /**
   * CLOSER WAITING COPY: before copy `d` takes original `u`, a downstream packet with the same key that
   * came before `u` (within slack: a copy that looked early after clock alignment) and is waiting for
   * its original gets `u` instead, when it is closer to `u` in time and no worse a fit (same IP ID or
   * timestamp score). Otherwise identical packets in a row (a SYN-ACK and its retransmission) would each
   * take the other's original. Returns that packet, or -1.
   */
  private closerWaitingCopy(u: number, d: number, pi: number, dir: 0 | 1): number {
    const w = this.window;
    const tu = w.timeNs[u]!;
    const ipId = this.table.preserved(pi, P_IP_ID, dir);
    const ts = w.hasTs[u] === 1 && this.table.preserved(pi, P_TS, dir);
    const dScore = fitScore(w, d, u, ipId, ts);
    let best = -1;
    let bestDistance = Math.abs(w.timeNs[d]! - tu);
    let examined = 0;
    for (let c = w.chainOf(u); c >= 0 && examined < MAX_CANDIDATES; c = w.chainNext(c)) {
      if (c === d || w.side[c] !== w.side[d] || !w.sameKey(c, u)) continue;
      examined++;
      const delay = w.timeNs[c]! - tu;
      if (delay > 0 || delay < -this.slackNs) continue;
      if (-delay < bestDistance && fitScore(w, c, u, ipId, ts) >= dScore) {
        best = c;
        bestDistance = -delay;
      }
    }
    return best;
  }

  /**
   * DEVICE HANDSHAKE (spliced pairs): on its side, a packet with SYN before that side's handshake ACK, or
   * the handshake ACK itself (pass 1 found it: the initiator's first ACK of the responder's ISN + 1).
   */
  private inDeviceHandshake(s: number): boolean {
    const w = this.window;
    const data = w.side[s] === 0 ? this.client : this.server;
    const session = data.sessions[w.session[s]!];
    if (session === undefined) return false;
    const packet = w.packet[s]!;
    const hsAck = session.handshakeAck;
    if (hsAck !== null && packet === hsAck.packet) return true;
    return (w.flags[s]! & TCP_SYN) !== 0 && (hsAck === null || packet < hsAck.packet);
  }

  /** The pending packet of the other side with the same key that best fits as s's counterpart, or -1. */
  private bestCandidate(s: number, pi: number, dir: 0 | 1, upstream: boolean): number {
    const w = this.window;
    const side = w.side[s];
    const t = w.timeNs[s]!;
    const ipId = this.table.preserved(pi, P_IP_ID, dir);
    const ts = w.hasTs[s] === 1 && this.table.preserved(pi, P_TS, dir);
    const lo = -this.slackNs;
    const hi = this.maxDelayNs + this.slackNs;
    let best = -1;
    let bestScore = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    let examined = 0;
    for (let c = w.chainOf(s); c >= 0 && examined < MAX_CANDIDATES; c = w.chainNext(c)) {
      if (w.side[c] === side || !w.sameKey(c, s)) continue;
      examined++;
      const delay = upstream ? w.timeNs[c]! - t : t - w.timeNs[c]!;
      if (delay < lo || delay > hi) continue;
      let score = 0;
      if (ipId && w.ipId[c] === w.ipId[s]) score += 2;
      if (ts && w.hasTs[c] === 1 && w.tsval[c] === w.tsval[s]) score += 1;
      const distance = Math.abs(delay);
      // Chains run newest first: on a tie the oldest candidate wins (first in, first out).
      if (score > bestScore || (score === bestScore && distance <= bestDistance)) {
        best = c;
        bestScore = score;
        bestDistance = distance;
      }
    }
    return best;
  }

  private match(pi: number, up: number, down: number, dir: 0 | 1): void {
    const w = this.window;
    const table = this.table;
    const delay = w.timeNs[down]! - w.timeNs[up]!;
    const serverSlot = w.side[up] === 1 ? up : down;
    const bits =
      changedFields(w, up, down, table.ackOffset(pi, dir)) |
      table.endpointChangeBits(pi, w.session[serverSlot]!, dir);
    w.state[up] = MATCHED;
    w.state[down] = MATCHED;
    w.otherPacket[up] = w.packet[down]!;
    w.otherPacket[down] = w.packet[up]!;
    w.delayNs[up] = delay;
    w.delayNs[down] = delay;
    w.changes[up] = bits;
    w.changes[down] = bits;
    table.bump(pi, C_MATCHED, dir);
    table.delays.add(pi * 2 + dir, delay);
    if (delay > this.maxSeenDelay[dir]!) this.maxSeenDelay[dir] = delay;
    if (bits !== 0) table.recordChanges(w, pi, up, down, dir, bits);
    table.learn(pi, P_IP_ID, dir, w.ipId[up] === w.ipId[down]);
    if (w.hasTs[up] === 1 && w.hasTs[down] === 1) table.learn(pi, P_TS, dir, w.tsval[up] === w.tsval[down]);
  }

  /** Report decided packets from the front of the queue; age out pending ones whose window has passed. */
  private drain(final: boolean): void {
    const w = this.window;
    for (let f = w.front(); f >= 0; f = w.front()) {
      if (w.state[f] === PENDING) {
        const upstream = (w.side[f] === 0) === (w.dir[f] === 0);
        const age = upstream ? this.maxDelayNs + this.slackNs : this.slackNs;
        const full = w.size > this.maxWindow;
        if (!final && !full && !(w.timeNs[f]! + age < this.frontierNs)) break;
        if (full && !final && this.stats) this.stats.forced++;
        this.unpend(f);
        const pi = w.pair[f]!;
        const dir = w.dir[f]! as 0 | 1;
        const original = upstream ? -1 : this.bestCandidate(f, pi, dir, false);
        if (original >= 0) {
          this.unpend(original);
          this.match(pi, original, f, dir);
        } else if (upstream && w.covered[f]! > 0) {
          // Some of its bytes left in pieces (RESEGMENTED): forwarded, already counted.
          w.state[f] = MATCHED;
        } else if (upstream || !this.matchPieces(f, pi, dir)) {
          this.decideUnmatched(f, upstream);
        }
      }
      this.report(f);
      w.popFront();
    }
  }

  /**
   * OUTSIDE: an unmatched packet gets a verdict only if the capture that should hold its counterpart (the
   * other side's) was running when the counterpart would have passed. For a drop that is from slack before
   * it to the largest delay seen after it; for an injection, from that long before it to slack after it.
   * Packets of the same pair captured on that side before and after the packet prove it just as well (a
   * capture that started a moment before the pair's first packet still saw the whole connection).
   */
  private decideUnmatched(f: number, upstream: boolean): void {
    const w = this.window;
    const pi = w.pair[f]!;
    const dir = w.dir[f]! as 0 | 1;
    const t = w.timeNs[f]!;
    const far = 1 - w.side[f]!;
    const reach = this.maxSeenDelay[dir]! + this.slackNs;
    const before = upstream ? this.slackNs : reach;
    const after = upstream ? reach : this.slackNs;
    const startCovered = t - before >= this.range[far * 2]! || this.pairSeen[pi * 4 + far]! <= t;
    const endCovered = t + after <= this.range[far * 2 + 1]! || this.pairSeen[pi * 4 + 2 + far]! >= t;
    const covered = startCovered && endCovered;
    if (!covered) {
      w.state[f] = OUTSIDE;
      this.table.bump(pi, C_OUTSIDE, dir);
    } else if (upstream) {
      w.state[f] = DROPPED;
      this.table.bump(pi, C_DROPPED, dir);
      this.example(pi, f, 'dropped');
    } else {
      w.state[f] = INJECTED;
      this.table.bump(pi, C_INJECTED, dir);
      this.example(pi, f, 'injected');
    }
  }

  private example(pi: number, s: number, event: 'dropped' | 'injected'): void {
    if (!this.table.wantsExample(pi)) return;
    const w = this.window;
    this.table.addExample(pi, {
      event,
      dir: w.dir[s]! as 0 | 1,
      side: w.side[s] === 0 ? 'client' : 'server',
      packet: w.packet[s]!,
      relNs: w.ownNs[s]!,
      detail: flat(describePacket(w, s)),
      flags: w.flags[s]!,
      len: w.len[s]!,
      seq: w.seq[s]!,
      ack: w.flags[s]! & TCP_ACK ? w.ack[s]! : 0,
    });
  }

  private report(f: number): void {
    const cb = this.onPacket;
    if (cb === undefined) return;
    const w = this.window;
    const e = this.event;
    e.side = w.side[f] === 0 ? 'client' : 'server';
    e.packet = w.packet[f]!;
    const pi = w.pair[f]!;
    e.pair = pi >= 0 ? this.pairs[pi]!.id : -1;
    e.dir = w.dir[f]! as 0 | 1;
    e.event = EVENT_KINDS[w.state[f]!]!;
    e.otherPacket = w.otherPacket[f]!;
    const d = w.delayNs[f]!;
    e.delayNs = Number.isNaN(d) ? null : d;
    e.changes = w.changes[f]!;
    cb(e);
  }

  finish(): PairMatch[] {
    this.drain(true);
    const clock = this.toClient;
    const toClient = (ns: number) => clock.map(ns);
    return new MatchResults(this.table.seal(), this.pairs, this.client, this.server, toClient).views();
  }
}
