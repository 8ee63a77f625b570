/**
 * Pass-through pairing: the same connection seen on both sides, found by its SYN. A candidate shares the
 * client's SYN sequence number or its SYN TSval; it is kept when the server-side SYN comes after the
 * client-side one (within the clock window) and not too long after, and scored by what else agrees (the
 * other ISN, options, IP ID, ports). Candidates are assigned one to one, best score first, nearest time
 * on a tie, so a reused ISN or a TSval shared by connections opened in the same millisecond cannot steal
 * another connection's counterpart.
 */
import type { HandshakePacket, Session } from '../tcp/index.js';
import type { HandshakeIndex } from './candidates.js';
import { MAX_POSTINGS } from './candidates.js';
import { at, type PairClock } from './pair-clock.js';
import type { SideData } from './types.js';

export interface HandshakeMatch {
  client: number;
  server: number;
  score: number;
  /** Server-side SYN (on the client clock) minus client-side SYN. */
  synDelayNs: number;
  isnEqual: boolean;
  tsvalEqual: boolean;
}

interface Candidate {
  c: number;
  s: number;
  score: number;
  delay: number;
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

export function matchHandshakes(
  client: SideData,
  server: SideData,
  hs: HandshakeIndex,
  clock: PairClock,
  maxLatencyNs: number,
): HandshakeMatch[] {
  const cands: Candidate[] = [];
  // Server sessions already weighed for the current client session (found by both its ISN and TSval).
  const seenBy = new Int32Array(server.sessions.length).fill(-1);
  const consider = (c: Session, s: number) => {
    if (seenBy[s] === c.index) return;
    seenBy[s] = c.index;
    const cand = evaluate(client, server, c, server.sessions[s]!, clock, maxLatencyNs);
    if (cand) cands.push(cand);
  };
  for (const c of client.sessions) {
    const syn = c.syn;
    if (syn === null) continue;
    if (hs.isn.count(syn.seq) <= MAX_POSTINGS) {
      for (let e = hs.isn.first(syn.seq); e >= 0; e = hs.isn.nextEntry(e)) consider(c, hs.isn.valueAt(e));
    }
    if (syn.hasTimestamps && syn.tsval !== 0 && hs.tsval.count(syn.tsval) <= MAX_POSTINGS) {
      for (let e = hs.tsval.first(syn.tsval); e >= 0; e = hs.tsval.nextEntry(e))
        consider(c, hs.tsval.valueAt(e));
    }
  }
  // One candidate per client and server: nothing to choose between (the common case of pass-through
  // devices), so the preference order needs no sort.
  if (!oneToOne(cands, client.sessions.length, server.sessions.length))
    cands.sort(
      (x, y) => y.score - x.score || Math.abs(x.delay) - Math.abs(y.delay) || x.c - y.c || x.s - y.s,
    );
  const usedC = new Uint8Array(client.sessions.length);
  const usedS = new Uint8Array(server.sessions.length);
  const out: HandshakeMatch[] = [];
  for (const k of cands) {
    if (usedC[k.c] || usedS[k.s]) continue;
    usedC[k.c] = 1;
    usedS[k.s] = 1;
    out.push({
      client: k.c,
      server: k.s,
      score: k.score,
      synDelayNs: k.delay,
      isnEqual: k.isnEqual,
      tsvalEqual: k.tsvalEqual,
    });
  }
  return out.sort((x, y) => x.client - y.client);
}

/** No client and no server session has two candidates. */
function oneToOne(cands: readonly Candidate[], clients: number, servers: number): boolean {
  const c = new Uint8Array(clients);
  const s = new Uint8Array(servers);
  for (const k of cands) {
    if (c[k.c] === 1 || s[k.s] === 1) return false;
    c[k.c] = 1;
    s[k.s] = 1;
  }
  return true;
}

/**
 * FORWARDED HANDSHAKE: without the client's ISN, only the order shows that the device passed the SYN on:
 * the server-side SYN comes before the client-side SYN-ACK and so does the server's SYN-ACK. A proxy
 * answers the client first; its own SYN may still carry the same options and, by chance, the same TSval.
 */
function forwardedInOrder(
  client: SideData,
  server: SideData,
  c: Session,
  s: Session,
  clock: PairClock,
): boolean {
  if (c.synAck === null) return true;
  const limit = at(client, c.synAck.relNs) + clock.windowNs;
  if (clock.toClient(at(server, s.syn!.relNs)) > limit) return false;
  return s.synAck === null || clock.toClient(at(server, s.synAck.relNs)) <= limit;
}

function evaluate(
  client: SideData,
  server: SideData,
  c: Session,
  s: Session,
  clock: PairClock,
  maxLatencyNs: number,
): Candidate | null {
  const a = c.syn!;
  const b = s.syn;
  if (b === null) return null;
  const delay = clock.toClient(at(server, b.relNs)) - at(client, a.relNs);
  // The server side cannot see the SYN before the client side did (beyond the clock's uncertainty).
  if (delay < -clock.windowNs || delay > maxLatencyNs) return null;
  const isnEqual = a.seq === b.seq;
  const tsvalEqual = a.hasTimestamps && b.hasTimestamps && a.tsval === b.tsval && a.tsval !== 0;
  const agreement = synAgreement(a, b);
  // A TSval is a millisecond clock: shared by connections opened together, so it needs company.
  if (!isnEqual && agreement < 0.7) return null;
  if (!isnEqual && clock.source !== 'coarse' && !forwardedInOrder(client, server, c, s, clock)) return null;
  let score = isnEqual ? 0.6 : 0.3;
  score += 0.25 * agreement;
  if (c.synAck && s.synAck && c.synAck.seq === s.synAck.seq) score += 0.1;
  if (c.client.port === s.client.port) score += 0.05;
  return { c: c.index, s: s.index, score: Math.min(1, score), delay, isnEqual, tsvalEqual };
}
