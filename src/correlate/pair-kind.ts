/**
 * What the device did to a pass-through connection, from its two handshakes (research notes §6):
 *
 * - same ISN both ways: `same` when the tuple is kept, else `translated` (NAT);
 * - same client ISN, another responder ISN: either the device answered the SYN itself and spliced the
 *   server's connection on later (SYN proxy: `spliced`), or it randomises only the server's numbers
 *   (`seq-shifted`). A SYN proxy's client-side SYN-ACK comes before the server-side SYN; when the clock
 *   cannot order them, Linux SYNPROXY's marks decide: a SYN-ACK with window 0, a server-side SYN with a
 *   non-zero ack field and no ACK flag;
 * - another client ISN: `seq-shifted` (sequence randomiser).
 */
import type { Session } from '../tcp/index.js';
import { at, type PairClock } from './pair-clock.js';
import { H_SYN, H_SYN_ACK, type HandshakeTable } from './pair-syns.js';
import { sameEndpoint } from './pair-tuple.js';
import type { PairKind, SeqOffsets, SideData } from './types.js';

export function passThroughKind(
  client: SideData,
  server: SideData,
  c: Session,
  s: Session,
  clock: PairClock,
): PairKind {
  const isnEqual = c.syn !== null && s.syn !== null && c.syn.seq === s.syn.seq;
  const responderEqual = c.synAck !== null && s.synAck !== null ? c.synAck.seq === s.synAck.seq : null;
  if (isnEqual && responderEqual !== false) {
    return sameEndpoint(c.client, s.client) && sameEndpoint(c.server, s.server) ? 'same' : 'translated';
  }
  if (isnEqual) return deviceAnsweredFirst(client, server, c, s, clock) ? 'spliced' : 'seq-shifted';
  return 'seq-shifted';
}

/**
 * `passThroughKind` from the handshake tables of both sides (rows c and s: a pair of handshake matching,
 * both with a SYN).
 */
export function passThroughKindAt(
  tc: HandshakeTable,
  ts: HandshakeTable,
  c: Session,
  s: Session,
  clock: PairClock,
): PairKind {
  const i = c.index;
  const j = s.index;
  const hc = tc.has[i]!;
  const hs = ts.has[j]!;
  const isnEqual = (hc & H_SYN) !== 0 && (hs & H_SYN) !== 0 && tc.synSeq[i] === ts.synSeq[j];
  const bothSynAcks = (hc & H_SYN_ACK) !== 0 && (hs & H_SYN_ACK) !== 0;
  if (isnEqual && (!bothSynAcks || tc.synAckSeq[i] === ts.synAckSeq[j])) {
    return sameEndpoint(c.client, s.client) && sameEndpoint(c.server, s.server) ? 'same' : 'translated';
  }
  if (!isnEqual || (hc & H_SYN_ACK) === 0) return 'seq-shifted';
  // deviceAnsweredFirst, on the tables.
  const gap = clock.toClient(ts.synNs[j]!) - tc.synAckNs[i]!;
  if (gap > clock.windowNs) return 'spliced';
  if (gap < -clock.windowNs) return 'seq-shifted';
  return tc.synAckWindow[i] === 0 || ts.synAckNumber[j] !== 0 ? 'spliced' : 'seq-shifted';
}

/** Did the client-side SYN-ACK exist before the server side saw any SYN? */
export function deviceAnsweredFirst(
  client: SideData,
  server: SideData,
  c: Session,
  s: Session,
  clock: PairClock,
): boolean {
  if (c.synAck === null || s.syn === null) return false;
  const gap = clock.toClient(at(server, s.syn.relNs)) - at(client, c.synAck.relNs);
  if (gap > clock.windowNs) return true;
  if (gap < -clock.windowNs) return false;
  return c.synAck.window === 0 || s.syn.ack !== 0;
}

/** Server-side value = client-side value + offset (mod 2^32), per direction. */
export function seqOffsetsOf(c: Session, s: Session): SeqOffsets {
  const c2s = (s.dirs[0].isn - c.dirs[0].isn) >>> 0;
  const s2c =
    c.synAck !== null && s.synAck !== null
      ? (s.synAck.seq - c.synAck.seq) >>> 0
      : (s.dirs[1].isn - c.dirs[1].isn) >>> 0;
  return { c2s, s2c };
}

/**
 * `seqOffsetsOf` with the responders' ISNs from the handshake tables when both sides have a SYN-ACK (rows
 * c and s): each direction's numbers read once, without the pair of direction views `dirs` makes.
 */
export function seqOffsetsAt(tc: HandshakeTable, ts: HandshakeTable, c: Session, s: Session): SeqOffsets {
  const i = c.index;
  const j = s.index;
  const c2s = (s.dir0.isn - c.dir0.isn) >>> 0;
  const s2c =
    (tc.has[i]! & H_SYN_ACK) !== 0 && (ts.has[j]! & H_SYN_ACK) !== 0
      ? (ts.synAckSeq[j]! - tc.synAckSeq[i]!) >>> 0
      : (s.dir1.isn - c.dir1.isn) >>> 0;
  return { c2s, s2c };
}

/** Raw sequence number of stream offset 0 of a direction, or null when no byte of it was delivered. */
export function streamStartSeq(s: Session, dir: 0 | 1): number | null {
  const st = s.streams[dir];
  if (!st.started) return null;
  return (st.edgeSeq - (st.edgeOffset % 2 ** 32)) >>> 0;
}

/**
 * SAME NUMBERING: the same bytes at the same raw sequence numbers on both sides, in every direction both
 * captured. A terminating proxy picks its own ISNs, so equal numbers mean the packets passed through; this
 * decides for connections whose handshake was not captured (the capture began mid-connection).
 */
export function sameNumbering(c: Session, s: Session): boolean {
  let compared = 0;
  for (const dir of [0, 1] as const) {
    const a = streamStartSeq(c, dir);
    const b = streamStartSeq(s, dir);
    if (a === null || b === null) continue;
    if (a !== b) return false;
    compared++;
  }
  return compared > 0;
}
