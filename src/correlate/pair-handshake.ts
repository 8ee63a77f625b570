/**
 * Pass-through pairing: the same connection seen on both sides, found by its SYN. A candidate shares the
 * client's SYN sequence number or its SYN TSval; it is kept when the server-side SYN comes after the
 * client-side one (within the clock window) and not too long after, and scored by what else agrees (the
 * other ISN, options, IP ID, ports). Candidates are assigned one to one, best score first, nearest time
 * on a tie, so a reused ISN or a TSval shared by connections opened in the same millisecond cannot steal
 * another connection's counterpart.
 */
import type { HandshakePacket } from '../tcp/index.js';
import type { HandshakeIndex } from './candidates.js';
import { MAX_POSTINGS } from './candidates.js';
import type { PairClock } from './pair-clock.js';
import { H_SYN, H_SYN_ACK, H_SYN_SACK_PERM, H_SYN_TS, type HandshakeTable } from './pair-syns.js';

export interface HandshakeMatch {
  client: number;
  server: number;
  score: number;
  /** Server-side SYN (on the client clock) minus client-side SYN. */
  synDelayNs: number;
  isnEqual: boolean;
  tsvalEqual: boolean;
}

/** Agreement of two SYNs beyond the key that found them, 0..1 (weights: options 2, wscale and SACK-permitted
 * 1, MSS 1, timestamps 2, IP ID 1). */
export function synAgreement(a: HandshakePacket, b: HandshakePacket): number {
  let agree = 0;
  if (sameKinds(a.optionKinds, b.optionKinds)) agree += 2;
  if (a.wscale === b.wscale && a.sackPerm === b.sackPerm) agree += 1;
  if (a.mss === b.mss) agree += 1;
  if (a.hasTimestamps === b.hasTimestamps && (!a.hasTimestamps || a.tsval === b.tsval)) agree += 2;
  if (a.ipId >= 0 && a.ipId === b.ipId) agree += 1;
  return agree / 7;
}

function sameKinds(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Handshake matches between the sides of the two indexes (client side `hc`), in client session order. */
export function matchHandshakes(
  hc: HandshakeIndex,
  hs: HandshakeIndex,
  clock: PairClock,
  maxLatencyNs: number,
): HandshakeMatch[] {
  const tc = hc.table;
  const ts = hs.table;
  const cands = new Candidates();
  collectCandidates(hc, hs, clock, maxLatencyNs, cands);
  // One candidate per client and server: nothing to choose between (the common case of pass-through
  // devices), so the preference order needs no sort.
  const order = oneToOne(cands, tc.size, ts.size) ? null : cands.preferenceOrder();
  const out = assign(cands, order, tc.size, ts.size);
  // Client sessions are visited in order: without a preference sort the matches are in client order.
  return order === null ? out : out.sort((x, y) => x.client - y.client);
}

// The loops over every session and candidate are functions of their own, so that the engine compiles each
// whole once its loop is hot (see sorted.ts).

/** Every server session sharing a client SYN's ISN or TSval, weighed (`evaluate`) into `cands`. */
function collectCandidates(
  hc: HandshakeIndex,
  hs: HandshakeIndex,
  clock: PairClock,
  maxLatencyNs: number,
  cands: Candidates,
): void {
  const tc = hc.table;
  const ts = hs.table;
  // Server sessions already weighed for the current client session (found by both its ISN and TSval).
  const seenBy = new Int32Array(ts.size).fill(-1);
  const window = clock.windowNs;
  for (let c = 0; c < tc.size; c++) {
    const h = tc.has[c]!;
    if ((h & H_SYN) === 0) continue;
    const seq = tc.synSeq[c]!;
    if (hs.isn.count(seq) <= MAX_POSTINGS) {
      for (let e = hs.isn.first(seq); e >= 0; e = hs.isn.nextEntry(e)) {
        const s = hs.isn.valueAt(e);
        if (seenBy[s] === c) continue;
        seenBy[s] = c;
        evaluate(tc, ts, c, s, clock, window, maxLatencyNs, cands);
      }
    }
    const tsval = tc.synTsval[c]!;
    if ((h & H_SYN_TS) !== 0 && tsval !== 0 && hs.tsval.count(tsval) <= MAX_POSTINGS) {
      for (let e = hs.tsval.first(tsval); e >= 0; e = hs.tsval.nextEntry(e)) {
        const s = hs.tsval.valueAt(e);
        if (seenBy[s] === c) continue;
        seenBy[s] = c;
        evaluate(tc, ts, c, s, clock, window, maxLatencyNs, cands);
      }
    }
  }
}

/** Candidates in preference order (`order`, or as found when null), each kept unless a side is taken. */
function assign(
  cands: Candidates,
  order: Int32Array | null,
  clients: number,
  servers: number,
): HandshakeMatch[] {
  const usedC = new Uint8Array(clients);
  const usedS = new Uint8Array(servers);
  const out: HandshakeMatch[] = [];
  for (let i = 0; i < cands.size; i++) {
    const k = order === null ? i : order[i]!;
    const c = cands.c[k]!;
    const s = cands.s[k]!;
    if (usedC[c] || usedS[s]) continue;
    usedC[c] = 1;
    usedS[s] = 1;
    const f = cands.flags[k]!;
    out.push({
      client: c,
      server: s,
      score: cands.score[k]!,
      synDelayNs: cands.delay[k]!,
      isnEqual: (f & ISN_EQUAL) !== 0,
      tsvalEqual: (f & TSVAL_EQUAL) !== 0,
    });
  }
  return out;
}

const ISN_EQUAL = 1;
const TSVAL_EQUAL = 2;

/** Candidate pairs as columns (one row per client/server session weighed and kept). */
class Candidates {
  size = 0;
  c = new Int32Array(1024);
  s = new Int32Array(1024);
  score = new Float64Array(1024);
  delay = new Float64Array(1024);
  flags = new Uint8Array(1024);

  add(c: number, s: number, score: number, delay: number, flags: number): void {
    if (this.size === this.c.length) this.grow();
    const i = this.size++;
    this.c[i] = c;
    this.s[i] = s;
    this.score[i] = score;
    this.delay[i] = delay;
    this.flags[i] = flags;
  }

  /** Rows by score (best first), then nearest time, then client and server session. */
  preferenceOrder(): Int32Array {
    const order = new Int32Array(this.size);
    for (let i = 0; i < this.size; i++) order[i] = i;
    const { c, s, score, delay } = this;
    return order.sort(
      (x, y) =>
        score[y]! - score[x]! || Math.abs(delay[x]!) - Math.abs(delay[y]!) || c[x]! - c[y]! || s[x]! - s[y]!,
    );
  }

  private grow(): void {
    const n = this.c.length * 2;
    const c = new Int32Array(n);
    c.set(this.c);
    this.c = c;
    const s = new Int32Array(n);
    s.set(this.s);
    this.s = s;
    const score = new Float64Array(n);
    score.set(this.score);
    this.score = score;
    const delay = new Float64Array(n);
    delay.set(this.delay);
    this.delay = delay;
    const flags = new Uint8Array(n);
    flags.set(this.flags);
    this.flags = flags;
  }
}

/** No client and no server session has two candidates. */
function oneToOne(cands: Candidates, clients: number, servers: number): boolean {
  const c = new Uint8Array(clients);
  const s = new Uint8Array(servers);
  for (let i = 0; i < cands.size; i++) {
    const x = cands.c[i]!;
    const y = cands.s[i]!;
    if (c[x] === 1 || s[y] === 1) return false;
    c[x] = 1;
    s[y] = 1;
  }
  return true;
}

/**
 * FORWARDED HANDSHAKE: without the client's ISN, only the order shows that the device passed the SYN on:
 * the server-side SYN comes before the client-side SYN-ACK and so does the server's SYN-ACK. A proxy
 * answers the client first; its own SYN may still carry the same options and, by chance, the same TSval.
 */
function forwardedInOrder(
  tc: HandshakeTable,
  ts: HandshakeTable,
  c: number,
  s: number,
  clock: PairClock,
): boolean {
  if ((tc.has[c]! & H_SYN_ACK) === 0) return true;
  const limit = tc.synAckNs[c]! + clock.windowNs;
  if (clock.toClient(ts.synNs[s]!) > limit) return false;
  return (ts.has[s]! & H_SYN_ACK) === 0 || clock.toClient(ts.synAckNs[s]!) <= limit;
}

/** Weigh server session s as client session c's counterpart; kept candidates are added to `out`. */
function evaluate(
  tc: HandshakeTable,
  ts: HandshakeTable,
  c: number,
  s: number,
  clock: PairClock,
  window: number,
  maxLatencyNs: number,
  out: Candidates,
): void {
  const hs = ts.has[s]!;
  if ((hs & H_SYN) === 0) return;
  const delay = clock.toClient(ts.synNs[s]!) - tc.synNs[c]!;
  // The server side cannot see the SYN before the client side did (beyond the clock's uncertainty).
  if (delay < -window || delay > maxLatencyNs) return;
  const hc = tc.has[c]!;
  const isnEqual = tc.synSeq[c] === ts.synSeq[s];
  const tsvalEqual =
    (hc & H_SYN_TS) !== 0 &&
    (hs & H_SYN_TS) !== 0 &&
    tc.synTsval[c] === ts.synTsval[s] &&
    tc.synTsval[c] !== 0;
  const agreement = synAgreementAt(tc, c, ts, s);
  // A TSval is a millisecond clock: shared by connections opened together, so it needs company.
  if (!isnEqual && agreement < 0.7) return;
  if (!isnEqual && clock.source !== 'coarse' && !forwardedInOrder(tc, ts, c, s, clock)) return;
  let score = isnEqual ? 0.6 : 0.3;
  score += 0.25 * agreement;
  if ((hc & H_SYN_ACK) !== 0 && (hs & H_SYN_ACK) !== 0 && tc.synAckSeq[c] === ts.synAckSeq[s]) score += 0.1;
  if (tc.clientPort[c] === ts.clientPort[s]) score += 0.05;
  out.add(c, s, Math.min(1, score), delay, (isnEqual ? ISN_EQUAL : 0) | (tsvalEqual ? TSVAL_EQUAL : 0));
}

/** `synAgreement` of the SYNs of rows a (table ta) and b (table tb), both present. */
export function synAgreementAt(ta: HandshakeTable, a: number, tb: HandshakeTable, b: number): number {
  let agree = 0;
  const ha = ta.has[a]!;
  const hb = tb.has[b]!;
  if (sameKinds(ta.synKinds[a]!, tb.synKinds[b]!)) agree += 2;
  if (ta.synWscale[a] === tb.synWscale[b] && (ha & H_SYN_SACK_PERM) === (hb & H_SYN_SACK_PERM)) agree += 1;
  if (ta.synMss[a] === tb.synMss[b]) agree += 1;
  const tsA = ha & H_SYN_TS;
  if (tsA === (hb & H_SYN_TS) && (tsA === 0 || ta.synTsval[a] === tb.synTsval[b])) agree += 2;
  if (ta.synIpId[a]! >= 0 && ta.synIpId[a] === tb.synIpId[b]) agree += 1;
  return agree / 7;
}
