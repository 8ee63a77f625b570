/**
 * Wireshark's TCP sequence analysis (`tcp_analyze_sequence_number`, packet-tcp.c, as in Wireshark 4.0), one
 * rule per function. Each doc comment states the rule and its thresholds; docs/analysis.md is the user-facing
 * copy and must stay in sync. `analyzeSegment` runs them in Wireshark's order, including its early exits,
 * because several rules read state that earlier rules (or earlier packets) leave behind.
 *
 * All sequence values are raw unsigned 32-bit numbers compared wrap-safely, except where Wireshark compares
 * them as plain integers (noted at the rule).
 */
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/types.js';
import {
  A_ACK_LOST_SEGMENT,
  A_DUPLICATE_ACK,
  A_FAST_RETRANSMISSION,
  A_KEEP_ALIVE,
  A_KEEP_ALIVE_ACK,
  A_LOST_SEGMENT,
  A_OUT_OF_ORDER,
  A_RETRANSMISSION,
  A_SPURIOUS_RETRANSMISSION,
  A_WINDOW_FULL,
  A_WINDOW_UPDATE,
  A_ZERO_WINDOW,
  A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
} from './flags.js';
import { type FlowState, WSCALE_NONE, WSCALE_UNKNOWN } from './flow.js';
import { seqGt, seqLe, seqLt } from './seq.js';

/** Fast retransmission must follow the last duplicate ACK within this many nanoseconds (20 ms). */
export const FAST_RETRANSMISSION_WINDOW_NS = 20_000_000;
/** Out-of-order threshold when no handshake RTT is known (3 ms); otherwise the first RTT is used. */
export const OUT_OF_ORDER_DEFAULT_NS = 3_000_000;

const SYN_FIN_RST = TCP_SYN | TCP_FIN | TCP_RST;

/** One segment being analysed, with the two directions' state. Reused for every packet. */
export class Segment {
  fwd!: FlowState;
  rev!: FlowState;
  frame = 0;
  seq = 0;
  ack = 0;
  len = 0;
  flags = 0;
  /** Raw window field. */
  window = 0;
  timeNs = 0;
  /** The session's first RTT (SYN -> handshake ACK) in ns; 0 = unknown. */
  firstRttNs = 0;
  /** Bits found so far for this segment. */
  found = 0;
  dupAckNum = 0;
  dupAckFrame = 0;
}

/** Nanoseconds between two relative times as Wireshark's unsigned arithmetic sees them: negative = huge. */
function elapsed(nowNs: number, thenNs: number): number {
  const t = nowNs - thenNs;
  return t < 0 ? Number.POSITIVE_INFINITY : t;
}

/**
 * ZERO WINDOW PROBE: the segment carries exactly 1 byte, starts at the next expected sequence number, and
 * the window last advertised by the other side is 0.
 */
export function isZeroWindowProbe(s: Segment): boolean {
  return s.len === 1 && s.seq === s.fwd.nextSeq && s.rev.window === 0;
}

/** ZERO WINDOW: the advertised window is 0 and none of SYN, FIN, RST is set. */
export function isZeroWindow(s: Segment): boolean {
  return s.window === 0 && (s.flags & SYN_FIN_RST) === 0;
}

/**
 * LOST SEGMENT ("previous segment not captured"): the segment starts beyond the highest next sequence number
 * seen in this direction. Only checked once a segment was seen (next seq set); RST segments are exempt.
 */
export function isLostSegment(s: Segment): boolean {
  return s.fwd.nextSeq !== 0 && seqGt(s.seq, s.fwd.nextSeq) && (s.flags & TCP_RST) === 0;
}

/**
 * KEEP ALIVE: a keepalive contains 0 or 1 bytes of data and starts one byte prior to what should be the
 * next sequence number. SYN/FIN/RST segments are never keepalives.
 */
export function isKeepAlive(s: Segment): boolean {
  return (s.len === 0 || s.len === 1) && s.seq === (s.fwd.nextSeq - 1) >>> 0 && (s.flags & SYN_FIN_RST) === 0;
}

/**
 * WINDOW UPDATE: a 0-byte segment with the same seq (= next expected) and ack as the previous segment in
 * this direction and a different, non-zero window. SYN/FIN/RST segments are never window updates.
 */
export function isWindowUpdate(s: Segment): boolean {
  return (
    s.len === 0 &&
    s.window !== 0 &&
    s.window !== s.fwd.window &&
    s.seq === s.fwd.nextSeq &&
    s.ack === s.fwd.lastAck &&
    (s.flags & SYN_FIN_RST) === 0
  );
}

/**
 * WINDOW FULL: the window scaling of the other side is known (or known unused), and this data segment ends
 * exactly at the right edge of the window the other side last advertised (its last ack + its window, scaled
 * unless it has not sent its first pure ACK yet). SYN/FIN/RST segments are never window full. The sums wrap
 * at 32 bits as in Wireshark.
 */
export function isWindowFull(s: Segment): boolean {
  const rev = s.rev;
  if (s.len === 0 || rev.winScale === WSCALE_UNKNOWN || (s.flags & SYN_FIN_RST) !== 0) return false;
  const shift = rev.isFirstAck || rev.winScale === WSCALE_NONE ? 0 : rev.winScale;
  const edge = (rev.lastAck + ((rev.window << shift) >>> 0)) >>> 0;
  return (s.seq + s.len) >>> 0 === edge;
}

/** The segment repeats this direction's previous ack and window at the next expected seq, with no data. */
function repeatsPreviousAck(s: Segment): boolean {
  return (
    s.len === 0 &&
    s.window === s.fwd.window &&
    s.seq === s.fwd.nextSeq &&
    s.ack === s.fwd.lastAck &&
    (s.flags & SYN_FIN_RST) === 0
  );
}

/**
 * KEEP ALIVE ACK: repeats the previous ACK (same seq, ack and non-zero window, no data) and the last segment
 * from the other side was a keepalive.
 */
export function isKeepAliveAck(s: Segment): boolean {
  return s.window !== 0 && repeatsPreviousAck(s) && (s.rev.lastSegmentFlags & A_KEEP_ALIVE) !== 0;
}

/**
 * ZERO WINDOW PROBE ACK: repeats the previous ACK including its zero window, and the last segment from the
 * other side was a zero window probe.
 */
export function isZeroWindowProbeAck(s: Segment): boolean {
  return s.window === 0 && repeatsPreviousAck(s) && (s.rev.lastSegmentFlags & A_ZERO_WINDOW_PROBE) !== 0;
}

/**
 * DUPLICATE ACK: no data, a non-zero window, and seq, ack and window all equal to the previous segment in
 * this direction. The counter counts repeats since the ack number last changed; the frame is that change.
 */
export function isDuplicateAck(s: Segment): boolean {
  return s.window !== 0 && repeatsPreviousAck(s);
}

/**
 * ACKED UNSEEN SEGMENT ("ACKed segment that wasn't captured"): the ACK flag is set and the ack number is
 * beyond the highest contiguous sequence number seen from the other side (once that is known). One hole is
 * reported once: if the other side sent new data since the limit was set (limit < its next seq, a plain
 * unsigned comparison as in Wireshark), the limit moves up to its next seq and this ACK is flagged;
 * otherwise only the first such ACK is flagged, by parking the other side's duplicate-ACK counter at -1
 * (it returns to 0 when the other side's ack number changes).
 */
export function checkAckedUnseenSegment(s: Segment): boolean {
  const rev = s.rev;
  if (rev.maxSeqToBeAcked === 0 || !seqGt(s.ack, rev.maxSeqToBeAcked) || (s.flags & TCP_ACK) === 0) {
    return false;
  }
  if (rev.maxSeqToBeAcked < rev.nextSeq) {
    rev.maxSeqToBeAcked = rev.nextSeq;
    return true;
  }
  const flagged = rev.dupAckNum === 0;
  rev.dupAckNum = -1;
  return flagged;
}

/**
 * SPURIOUS RETRANSMISSION: a data segment that ends at or before the last ack number seen from the other
 * side (the receiver had already acknowledged all of it).
 */
export function isSpuriousRetransmission(s: Segment): boolean {
  return s.len > 0 && s.rev.lastAck !== 0 && seqLe((s.seq + s.len) >>> 0, s.rev.lastAck);
}

/**
 * FAST RETRANSMISSION: the segment does not advance the sequence, the other side sent >= 2 duplicate ACKs
 * (some may be missing from the capture) whose ack number equals this seq, and this segment follows the
 * other side's last ACK within 20 ms.
 */
export function isFastRetransmission(s: Segment, seqNotAdvanced: boolean): boolean {
  return (
    seqNotAdvanced &&
    s.rev.dupAckNum >= 2 &&
    s.rev.lastAck === s.seq &&
    elapsed(s.timeNs, s.rev.lastAckTimeNs) < FAST_RETRANSMISSION_WINDOW_NS
  );
}

/**
 * OUT OF ORDER: the segment does not advance the sequence, arrives within the threshold after the segment
 * that set the highest next seq (the handshake RTT if known, else 3 ms), and does not end exactly at that
 * next seq (which would make it a plain retransmission of the last segment).
 */
export function isOutOfOrder(s: Segment, seqNotAdvanced: boolean): boolean {
  const threshold = s.firstRttNs === 0 ? OUT_OF_ORDER_DEFAULT_NS : s.firstRttNs;
  const synFin = (s.flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0;
  return (
    seqNotAdvanced &&
    elapsed(s.timeNs, s.fwd.nextSeqTimeNs) < threshold &&
    s.fwd.nextSeq !== (s.seq + s.len + synFin) >>> 0
  );
}

/**
 * Run the rules in Wireshark's order on one segment (data length known) and update both directions' state.
 * Returns the analysis bits; `s.dupAckNum` / `s.dupAckFrame` are set for duplicate ACKs.
 */
export function analyzeSegment(s: Segment): number {
  const fwd = s.fwd;
  const rev = s.rev;
  const flags = s.flags;
  let found = s.found;
  s.dupAckNum = 0;
  s.dupAckFrame = 0;

  if (!fwd.baseSeqSet) {
    fwd.baseSeq = flags & TCP_SYN ? s.seq : (s.seq - 1) >>> 0;
    fwd.baseSeqSet = true;
  }
  // The ISN of the other side is only known from a segment with the ACK bit (a SYN's ack field is junk).
  if (!rev.baseSeqSet && flags & TCP_ACK) {
    rev.baseSeq = (s.ack - 1) >>> 0;
    rev.baseSeqSet = true;
  }

  found = forwardRules(s, found);

  if (s.ack !== fwd.lastAck) {
    fwd.lastNonDupAck = s.frame;
    fwd.dupAckNum = 0;
  }

  if (checkAckedUnseenSegment(s)) found |= A_ACK_LOST_SEGMENT;

  const synFin = (flags & (TCP_SYN | TCP_FIN)) !== 0;
  if ((s.len > 0 || synFin) && (found & A_KEEP_ALIVE) === 0) {
    s.found = found;
    found |= classifyRepeatedSegment(s);
  }

  // Where the next segment should start; SYN and FIN each take one sequence number.
  let nextSeq = (s.seq + s.len) >>> 0;
  if (synFin) nextSeq = (nextSeq + 1) >>> 0;
  const probe = (found & A_ZERO_WINDOW_PROBE) !== 0;
  if ((seqGt(nextSeq, fwd.nextSeq) || fwd.nextSeq === 0) && !probe) {
    fwd.nextSeq = nextSeq;
    fwd.nextSeqFrame = s.frame;
    fwd.nextSeqTimeNs = s.timeNs;
  }
  if ((s.seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) && !probe) {
    fwd.maxSeqToBeAcked = fwd.nextSeq;
  }

  fwd.window = s.window;
  fwd.lastAck = s.ack;
  fwd.lastAckTimeNs = s.timeNs;
  fwd.lastSegmentFlags = found;
  s.found = found;
  return found;
}

/**
 * The rules about this direction's own segment, in Wireshark's order: a zero window probe, a keep-alive
 * ACK or a zero-window-probe ACK ends the list (Wireshark's `goto finished_fwd`).
 */
function forwardRules(s: Segment, found: number): number {
  if (isZeroWindowProbe(s)) return found | A_ZERO_WINDOW_PROBE;
  if (isZeroWindow(s)) found |= A_ZERO_WINDOW;
  if (isLostSegment(s)) found |= A_LOST_SEGMENT;
  if (isKeepAlive(s)) found |= A_KEEP_ALIVE;
  if (isWindowUpdate(s)) found |= A_WINDOW_UPDATE;
  if (isWindowFull(s)) found |= A_WINDOW_FULL;
  if (isKeepAliveAck(s)) return found | A_KEEP_ALIVE_ACK;
  if (isZeroWindowProbeAck(s)) return found | A_ZERO_WINDOW_PROBE_ACK;
  if (isDuplicateAck(s)) {
    const fwd = s.fwd;
    fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
    s.dupAckNum = fwd.dupAckNum;
    s.dupAckFrame = fwd.lastNonDupAck;
    found |= A_DUPLICATE_ACK;
  }
  return found;
}

/**
 * RETRANSMISSION / FAST RETRANSMISSION / SPURIOUS / OUT-OF-ORDER: a segment with data (or SYN/FIN) that does
 * not advance the sequence number (seq < highest next seq) is one of these, tested in this order: spurious
 * (even if it advances), fast retransmission, out-of-order, else a plain retransmission. A segment of more
 * than one byte starting one byte before the next seq is new data (after a zero window probe), not a
 * retransmission. Keepalives are never retransmissions.
 */
export function classifyRepeatedSegment(s: Segment): number {
  const fwd = s.fwd;
  let seqNotAdvanced = fwd.nextSeq !== 0 && seqLt(s.seq, fwd.nextSeq);
  if (s.len > 1 && (fwd.nextSeq - 1) >>> 0 === s.seq) seqNotAdvanced = false;
  if (isSpuriousRetransmission(s)) return A_SPURIOUS_RETRANSMISSION;
  if (isFastRetransmission(s, seqNotAdvanced)) return A_FAST_RETRANSMISSION;
  if (isOutOfOrder(s, seqNotAdvanced)) return A_OUT_OF_ORDER;
  return seqNotAdvanced ? A_RETRANSMISSION : 0;
}
