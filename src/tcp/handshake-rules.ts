/**
 * Handshake rules Wireshark lacks, each one function stating its rule. They come from field cases where a
 * middlebox answered a SYN with a SYN-ACK acknowledging the wrong number, or a server kept re-sending its
 * SYN-ACK although the handshake ACK was on the wire. Each finding keeps its evidence (packet numbers and
 * the values seen, sequence numbers in hex as absolute values).
 */
import type { PacketView } from '../decode/types.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/types.js';
import { FLAG_IDS, H_RST_AFTER_SYNACK, H_SYNACK_BAD_ACK, H_SYNACK_RETRANSMITTED_AFTER_ACK } from './flags.js';
import type { Session } from './session.js';

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** Record a finding about packet `v` (bounded by `max`); the numbers are `Finding`'s, per rule. */
function addFinding(
  session: Session,
  bit: number,
  v: PacketView,
  relNs: number,
  expectedAck: number | null,
  relatedPacket: number,
  detail: string,
  max: number,
): void {
  if (session.findings.length < max) {
    session.findings.push({
      id: FLAG_IDS[31 - Math.clz32(bit)]!,
      packet: v.index,
      detail,
      seq: v.seq >>> 0,
      ack: v.flags & TCP_ACK ? v.ack >>> 0 : null,
      expectedAck,
      relatedPacket,
      relNs,
    });
  }
}

/**
 * SYNACK BAD ACK: a SYN-ACK, or any other ACK-bearing reply from the responder before a SYN-ACK, answering a
 * SYN, whose ack number is not that SYN's ISN + 1 (nor ISN + 1 + the SYN's data length with TCP Fast Open).
 */
export function isSynAckBadAck(session: Session, v: PacketView, dir: 0 | 1): boolean {
  if (dir !== 1 || !session.hasSyn || (v.flags & TCP_ACK) === 0) return false;
  const isSynAck = (v.flags & TCP_SYN) !== 0;
  if (!isSynAck && (session.hasSynAck || session.established)) return false;
  const expected = (session.lastSynSeq + 1) >>> 0;
  if (v.ack === expected) return false;
  return !(isSynAck && session.synDataLength > 0 && v.ack === (expected + session.synDataLength) >>> 0);
}

/** SYNACK RETRANSMITTED AFTER ACK: a SYN-ACK captured after the ACK that completed the handshake. */
export function isSynAckAfterAck(session: Session, v: PacketView): boolean {
  return (v.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) && session.established;
}

/** RST AFTER SYNACK: a RST (either side) after a SYN-ACK and before the handshake ACK was captured. */
export function isRstAfterSynAck(session: Session, v: PacketView): boolean {
  return (v.flags & TCP_RST) !== 0 && session.hasSynAck && !session.established;
}

/**
 * Apply the handshake rules to one packet and record the handshake packets (first SYN, first SYN-ACK, the
 * handshake ACK). Returns the H_ bits for this packet; evidence goes to `session.findings` (bounded).
 */
export function checkHandshake(
  session: Session,
  v: PacketView,
  dir: 0 | 1,
  relNs: number,
  maxFindings: number,
): number {
  const flags = v.flags;
  // Once the handshake ACK is seen, only SYN and RST packets can match a rule or be a handshake packet.
  if (session.established && (flags & (TCP_SYN | TCP_RST)) === 0) return 0;
  let found = 0;
  if (isSynAckBadAck(session, v, dir)) {
    found |= H_SYNACK_BAD_ACK;
    const syn = session.syn!;
    const what = flags & TCP_SYN ? 'SYN-ACK' : 'reply';
    addFinding(
      session,
      H_SYNACK_BAD_ACK,
      v,
      relNs,
      (session.lastSynSeq + 1) >>> 0,
      syn.packet,
      `${what} ${v.index} acks ${hex(v.ack)}, expected ${hex(session.lastSynSeq + 1)} (SYN ${syn.packet} seq ${hex(session.lastSynSeq)})`,
      maxFindings,
    );
  }
  if (isSynAckAfterAck(session, v)) {
    found |= H_SYNACK_RETRANSMITTED_AFTER_ACK;
    const ack = session.handshakeAck!;
    addFinding(
      session,
      H_SYNACK_RETRANSMITTED_AFTER_ACK,
      v,
      relNs,
      null,
      ack.packet,
      `SYN-ACK ${v.index} (seq ${hex(v.seq)}) re-sent ${ms(relNs - ack.relNs)} after handshake ACK ${ack.packet}`,
      maxFindings,
    );
  }
  if (isRstAfterSynAck(session, v)) {
    found |= H_RST_AFTER_SYNACK;
    const synAck = session.synAck!;
    addFinding(
      session,
      H_RST_AFTER_SYNACK,
      v,
      relNs,
      null,
      synAck.packet,
      `RST ${v.index} from the ${dir === 0 ? 'initiator' : 'responder'} ${ms(relNs - synAck.relNs)} after SYN-ACK ${synAck.packet}, before any handshake ACK`,
      maxFindings,
    );
  }

  if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
    session.synCount++;
    session.lastSynSeq = v.seq;
    if (!session.hasSyn) {
      session.recordSyn(v, relNs, optionKinds(v));
      session.synDataLength = Math.max(v.payloadLength, 0);
    }
  } else if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
    session.synAckCount++;
    if (!session.hasSynAck) session.recordSynAck(v, relNs, optionKinds(v));
  } else if (
    dir === 0 &&
    (flags & (TCP_ACK | TCP_RST | TCP_FIN)) === TCP_ACK &&
    session.hasSynAck &&
    !session.established &&
    v.ack === (session.synAckSeq + 1) >>> 0
  ) {
    session.recordHandshakeAck(v, relNs, optionKinds(v));
    session.established = true;
  }
  return found;
}

/**
 * Option lists repeat across sessions (each stack sends the same few layouts), so lists of up to
 * INTERNED_MAX_KINDS kinds are shared, frozen, from a bounded table keyed by the packed kinds: three
 * handshake packets per session would otherwise each hold an array of their own.
 */
const INTERNED_MAX_KINDS = 6;
const INTERNED_MAX_LISTS = 4096;
const internedKinds = new Map<number, number[]>();

function optionKinds(v: PacketView): number[] {
  const n = v.optionCount;
  if (n <= INTERNED_MAX_KINDS) {
    // 8 bits per kind plus the count above them: at most 51 bits, exact in a double.
    let key = n;
    for (let i = 0; i < n; i++) key = key * 256 + v.optionKinds[i]!;
    const known = internedKinds.get(key);
    if (known !== undefined) return known;
    const kinds = copyKinds(v);
    if (internedKinds.size < INTERNED_MAX_LISTS) internedKinds.set(key, Object.freeze(kinds) as number[]);
    return kinds;
  }
  return copyKinds(v);
}

function copyKinds(v: PacketView): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.optionCount; i++) out.push(v.optionKinds[i]!);
  return out;
}
