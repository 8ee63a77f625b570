/**
 * Pairing by sizes and timing, one request at a time: a TLS-terminating proxy that pools its server
 * connections (HAProxy `http-reuse`, nginx `keepalive`) sends the requests of many client connections
 * over a few server connections, so no server connection answers to one client connection and
 * `timingLinks`' whole-session match (pair-timing.ts) finds nothing. Each server-side request is linked on
 * its own to the client-side TLS request that can have caused it (sent before it, within the latency
 * bound, of a fitting size, nearest in time and in the device's usual size difference), and its response
 * to that client connection's next response. The same guard as for whole sessions applies: the links must
 * look like one device (most request latencies and size differences agree), else none is kept.
 */
import type { Message, Session } from '../tcp/index.js';
import { isClientHello, TLS_ALERT, TLS_APPLICATION_DATA, tlsContentType } from '../tcp/index.js';
import { at, type PairClock } from './pair-clock.js';
import type { Link } from './pair-content.js';
import type { Similarity } from './pair-similarity.js';
import { upperBound } from './sorted.js';
import type { SideData } from './types.js';

/** What the whole-session pass (pair-timing.ts) hands over. */
export interface PoolFrame {
  client: SideData;
  server: SideData;
  clock: PairClock;
  maxLatency: number;
  window: number;
  /** The device's usual size difference (client - server bytes) per direction. */
  typical: [number, number];
}

/** What pair-timing.ts decides about a message and a pair of sizes (passed in to keep one definition). */
export interface PoolRules {
  carriesData(m: Message): boolean;
  sizesFit(clientBytes: number, serverBytes: number, early: boolean): boolean;
  cost(f: PoolFrame, latencyNs: number, diff: number, dir: 0 | 1): number;
  similarity(): Similarity;
  /** Most bytes of handshake records that may travel in front of a client's first data. */
  postHandshakeBytes: number;
  /** The accepted subset of request links (same device-wide guard as for whole sessions). */
  consistent(latencies: readonly number[], diffs: readonly number[]): boolean[];
}

/**
 * Share of the server-side requests looked at that the kept links must explain (pair-timing.ts asks the
 * same of whole server sessions). A pool carries every request of its clients; chance links between
 * unrelated captures (lined up by a user offset, say) explain a few requests here and there, however
 * consistent those few look.
 */
export const MIN_EXPLAINED_SHARE = 0.5;
/** Client requests of a fitting size looked at per server request, nearest in time first. */
const NEAREST_REQUESTS = 64;
/** Candidate client requests kept per server request for the assignment. */
const KEEP_PER_REQUEST = 4;
/** A runner-up this close in cost (milliseconds of latency) makes the link ambiguous. */
const AMBIGUOUS_COST = 0.5;

interface RequestCandidate {
  c: number;
  cm: number;
  s: number;
  sm: number;
  latencyNs: number;
  diff: number;
  cost: number;
}

/**
 * Links the requests of server sessions `servers` (and their responses) to requests of client sessions
 * `clients`, skipping client messages already linked (`usedClient`: c * 65536 + cm).
 */
export function poolLinks(
  f: PoolFrame,
  rules: PoolRules,
  servers: readonly Session[],
  clients: readonly number[],
  usedClient: Set<number>,
): Link[] {
  const index = new RequestIndex(f.client, clients, rules);
  if (index.size === 0) return [];
  const candidates: RequestCandidate[] = [];
  const bestCost = new Map<number, number[]>();
  const mine: RequestCandidate[] = [];
  let requests = 0;
  for (const s of servers) {
    for (let sm = 0; sm < s.messages.length; sm++) {
      const b = s.messages[sm]!;
      if (b.dir !== 0 || !rules.carriesData(b)) continue;
      requests++;
      const tb = f.clock.toClient(at(f.server, b.firstRelNs));
      const bytes = b.end - b.start;
      mine.length = 0;
      // Requests that left the client side up to maxLatency before this one reached the server side (or
      // up to the clock's window after it), the NEAREST_REQUESTS latest of a fitting size: in dense traffic
      // the work grows with the traffic around each request, not with the square of the requests.
      index.forEachBackward(tb + f.window, tb - f.maxLatency, (c, cm, ta, clientBytes, early) => {
        if (usedClient.has(c * 65536 + cm) || !rules.sizesFit(clientBytes, bytes, early)) return true;
        const latencyNs = tb - ta;
        const diff = clientBytes - bytes;
        mine.push({ c, cm, s: s.index, sm, latencyNs, diff, cost: rules.cost(f, latencyNs, diff, 0) });
        return mine.length < NEAREST_REQUESTS;
      });
      mine.sort((x, y) => x.cost - y.cost || x.c - y.c || x.cm - y.cm);
      const kept = mine.slice(0, KEEP_PER_REQUEST);
      candidates.push(...kept);
      bestCost.set(
        s.index * 65536 + sm,
        kept.map((k) => k.cost),
      );
    }
  }
  candidates.sort((x, y) => x.cost - y.cost || x.s - y.s || x.sm - y.sm || x.c - y.c);

  // Best first: each client request carries one server request and each server request one client request.
  const usedServer = new Set<number>();
  const chosen: RequestCandidate[] = [];
  for (const k of candidates) {
    const sk = k.s * 65536 + k.sm;
    const ck = k.c * 65536 + k.cm;
    if (usedServer.has(sk) || usedClient.has(ck)) continue;
    usedServer.add(sk);
    usedClient.add(ck);
    chosen.push(k);
  }
  const keep = rules.consistent(
    chosen.map((k) => k.latencyNs),
    chosen.map((k) => k.diff),
  );
  if (keep.filter(Boolean).length < MIN_EXPLAINED_SHARE * requests) keep.fill(false);

  const out: Link[] = [];
  for (let i = 0; i < chosen.length; i++) {
    const k = chosen[i]!;
    if (!keep[i]) {
      usedClient.delete(k.c * 65536 + k.cm);
      continue;
    }
    const costs = bestCost.get(k.s * 65536 + k.sm) ?? [];
    const ambiguous = costs.length > 1 && costs[1]! - costs[0]! < AMBIGUOUS_COST;
    out.push(link(rules, k.c, k.cm, k.s, k.sm, k.latencyNs, ambiguous));
    const response = responseLink(f, rules, k, usedClient);
    if (response !== null) out.push(response);
  }
  return out;
}

/**
 * The response to a linked request: the server session's next data message back before its next request,
 * and the client session's next data message back before its next request, if the server-side one left
 * first (within the latency bound) and their sizes fit.
 */
function responseLink(
  f: PoolFrame,
  rules: PoolRules,
  k: RequestCandidate,
  usedClient: Set<number>,
): Link | null {
  const sm = nextResponse(f.server.sessions[k.s]!, k.sm, rules);
  const cm = nextResponse(f.client.sessions[k.c]!, k.cm, rules);
  if (sm < 0 || cm < 0 || usedClient.has(k.c * 65536 + cm)) return null;
  const b = f.server.sessions[k.s]!.messages[sm]!;
  const a = f.client.sessions[k.c]!.messages[cm]!;
  const latencyNs = at(f.client, a.firstRelNs) - f.clock.toClient(at(f.server, b.firstRelNs));
  if (latencyNs < -f.window || latencyNs > f.maxLatency) return null;
  if (!rules.sizesFit(a.end - a.start, b.end - b.start, dataRank(f.client.sessions[k.c]!, cm, rules) < 2))
    return null;
  usedClient.add(k.c * 65536 + cm);
  return link(rules, k.c, cm, k.s, sm, latencyNs, false);
}

/** Index of the first data message back (dir 1) after message `m`, before the next request; -1 if none. */
function nextResponse(s: Session, m: number, rules: PoolRules): number {
  for (let i = m + 1; i < s.messages.length; i++) {
    const x = s.messages[i]!;
    if (!rules.carriesData(x)) continue;
    return x.dir === 1 ? i : -1;
  }
  return -1;
}

/** How many data messages of the same direction come before message `m` in its session. */
function dataRank(s: Session, m: number, rules: PoolRules): number {
  const dir = s.messages[m]!.dir;
  let rank = 0;
  for (let i = 0; i < m; i++) {
    const x = s.messages[i]!;
    if (x.dir === dir && rules.carriesData(x)) rank++;
  }
  return rank;
}

function link(
  rules: PoolRules,
  c: number,
  cm: number,
  s: number,
  sm: number,
  latencyNs: number,
  ambiguous: boolean,
): Link {
  return { c, cm, s, sm, sim: rules.similarity(), latencyNs, structural: false, ambiguous, alike: 0 };
}

/** Bytes a client's handshake flight may vary by (padding, a longer session ticket request). */
const FLIGHT_SLACK = 16;

/** The message starts with handshake records other than the ClientHello (ChangeCipherSpec, Finished). */
function startsWithHandshake(m: Message): boolean {
  const t = m.tls ?? 0;
  const type = tlsContentType(t);
  return type !== 0 && type !== TLS_APPLICATION_DATA && type !== TLS_ALERT && !isClientHello(t);
}

/**
 * Size of the clients' last handshake flight: the most common size of client messages that start with
 * one and hold at most `most` bytes (one TLS stack sends the same flight every time; where it goes
 * out alone it is its own message). 0 when there is none.
 */
function handshakeFlightBytes(client: SideData, sessions: readonly number[], most: number): number {
  const counts = new Map<number, number>();
  for (const c of sessions)
    for (const m of client.sessions[c]!.messages) {
      const bytes = m.end - m.start;
      if (m.dir === 0 && startsWithHandshake(m) && bytes <= most)
        counts.set(bytes, (counts.get(bytes) ?? 0) + 1);
    }
  let best = 0;
  let seen = 0;
  for (const [bytes, n] of counts) if (n > seen || (n === seen && bytes < best)) [best, seen] = [bytes, n];
  return seen >= 2 ? best : 0;
}

/** Client-side requests with data (dir 0) of some sessions, by time (shared-base ns). */
class RequestIndex {
  private readonly times: Float64Array;
  private readonly sessions: Int32Array;
  private readonly messages: Int32Array;
  private readonly bytes: Float64Array;
  /** 1 when the request is one of its session's first two (handshake records may travel with it). */
  private readonly early: Uint8Array;

  constructor(client: SideData, sessions: readonly number[], rules: PoolRules) {
    const entries: { t: number; c: number; cm: number; bytes: number; early: boolean }[] = [];
    const flight = handshakeFlightBytes(client, sessions, rules.postHandshakeBytes);
    for (const c of sessions) {
      const messages = client.sessions[c]!.messages;
      let rank = 0;
      for (let cm = 0; cm < messages.length; cm++) {
        const m = messages[cm]!;
        if (m.dir !== 0 || !rules.carriesData(m)) continue;
        let bytes = m.end - m.start;
        // The client's last handshake flight (ChangeCipherSpec, Finished) in front of the request: alone,
        // it is no request; with the request, its bytes are not the request's.
        if (startsWithHandshake(m) && flight > 0) {
          if (bytes <= flight + FLIGHT_SLACK) continue;
          bytes -= flight;
        }
        entries.push({ t: at(client, m.firstRelNs), c, cm, bytes, early: rank++ < 2 });
      }
    }
    entries.sort((x, y) => x.t - y.t || x.c - y.c || x.cm - y.cm);
    this.times = Float64Array.from(entries, (e) => e.t);
    this.sessions = Int32Array.from(entries, (e) => e.c);
    this.messages = Int32Array.from(entries, (e) => e.cm);
    this.bytes = Float64Array.from(entries, (e) => e.bytes);
    this.early = Uint8Array.from(entries, (e) => (e.early ? 1 : 0));
  }

  get size(): number {
    return this.times.length;
  }

  /** Calls `fn` for every request with a time in [to, from], latest first, until it returns false. */
  forEachBackward(
    from: number,
    to: number,
    fn: (c: number, cm: number, t: number, bytes: number, early: boolean) => boolean,
  ): void {
    for (let i = upperBound(this.times, from) - 1; i >= 0 && this.times[i]! >= to; i--)
      if (!fn(this.sessions[i]!, this.messages[i]!, this.times[i]!, this.bytes[i]!, this.early[i] === 1))
        return;
  }
}
