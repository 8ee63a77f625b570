// Independent evidence for the conditional behaviours and the expected anomalies: computed from tshark's
// view of the two captures, never from dualcap.
import { FLAG, isSyn, isSynAck, tupleKey } from '../lib/tshark.mjs';

const MOD = 2 ** 32;
const sameConn = (p, tuple) =>
  (p.src === tuple[0] && p.sport === tuple[1] && p.dst === tuple[2] && p.dport === tuple[3]) ||
  (p.src === tuple[2] && p.sport === tuple[3] && p.dst === tuple[0] && p.dport === tuple[1]);
const fromInitiator = (p, tuple) => p.src === tuple[0] && p.sport === tuple[1];

/** Packets of one attempt: same 4-tuple, from its first SYN until the next attempt on the tuple (or the end). */
export function attemptPackets(packets, attempt, nextStart = Number.POSITIVE_INFINITY) {
  return packets.filter(
    (p) => p.tcp && p.t >= attempt.first && p.t < nextStart && sameConn(p, attempt.tuple),
  );
}

/** Payload segments of one direction, retransmissions (same seq) folded: [seq, len] in order. */
export function segments(pkts, tuple, forward) {
  const seen = new Set();
  const out = [];
  for (const p of pkts) {
    if (p.len === 0 || fromInitiator(p, tuple) !== forward || seen.has(p.seq)) continue;
    seen.add(p.seq);
    out.push([p.seq, p.len]);
  }
  return out;
}

/**
 * TCP handshake anomalies on one side, for each attempt:
 * - tcp.handshake.synack_bad_ack: the responder answers a SYN with an ACK (with or without SYN) whose ack
 *   number is not ISN + 1, before any correct SYN-ACK.
 * - tcp.handshake.synack_retransmitted_after_ack: a SYN-ACK is sent again with the same seq after the
 *   initiator's handshake ACK for it was captured on this side, unprovoked: no SYN retransmission arrived
 *   since the previous SYN-ACK (a SYN-ACK answering a retransmitted SYN that crossed the ACK is normal).
 */
export function handshakeAnomalies(side, packets, attempts) {
  const found = [];
  const byTuple = new Map();
  for (const a of attempts) {
    const k = tupleKey(a.tuple);
    if (!byTuple.has(k)) byTuple.set(k, []);
    byTuple.get(k).push(a);
  }
  for (const list of byTuple.values()) {
    list.forEach((a, i) => {
      const next = list[i + 1]?.first ?? Number.POSITIVE_INFINITY;
      const pkts = attemptPackets(packets, a, next);
      let goodSynAck = null;
      let handshakeAck = null;
      const bad = [];
      const resent = [];
      let synSinceSynAck = false;
      for (const p of pkts) {
        if (fromInitiator(p, a.tuple)) {
          if (isSyn(p)) synSinceSynAck = true;
          if (
            goodSynAck &&
            !handshakeAck &&
            (p.flags & (FLAG.SYN | FLAG.ACK | FLAG.RST)) === FLAG.ACK &&
            p.ack === (goodSynAck.seq + 1) % MOD
          )
            handshakeAck = p;
          continue;
        }
        if (!(p.flags & FLAG.ACK)) continue;
        if (!goodSynAck) {
          if (isSynAck(p) && p.ack === (a.isn + 1) % MOD) goodSynAck = p;
          else if (!(p.flags & FLAG.RST) && p.ack !== (a.isn + 1) % MOD) bad.push(p);
        } else if (handshakeAck && isSynAck(p) && p.seq === goodSynAck.seq && !synSinceSynAck) {
          resent.push(p);
        }
        if (isSynAck(p)) synSinceSynAck = false;
      }
      const conn = { tuple: a.tuple, isn: a.isn };
      if (bad.length)
        found.push({
          id: 'tcp.handshake.synack_bad_ack',
          side,
          ...conn,
          count: bad.length,
          frames: bad.map((p) => p.n),
          times: bad.map((p) => p.time),
          detail: `ack ${bad.map((p) => p.ack).join(',')} != ISN+1 ${(a.isn + 1) % MOD}`,
        });
      if (resent.length)
        found.push({
          id: 'tcp.handshake.synack_retransmitted_after_ack',
          side,
          ...conn,
          count: resent.length,
          frames: resent.map((p) => p.n),
          times: resent.map((p) => p.time),
          detail: `handshake ACK at ${handshakeAck.time}, SYN-ACK seq ${goodSynAck.seq} sent again`,
        });
    });
  }
  return found;
}

export const isSynPacket = isSyn;
