/**
 * The correlation stage's contract: what pairing and packet matching produce for the diagnosis and report
 * stages. Read this file first; `index.ts` wires the steps:
 *
 *   pass 1 (per file, independently): read -> decode -> SessionTable  => SideData (sessions + fingerprints)
 *   pairing (no packets, only session summaries): coarse offset -> clock alignment -> SessionPair[]
 *   pass 2 (both files at once, merged in aligned time order): packet matching within pairs => PairMatch
 *
 * Memory: pass 1 keeps sessions (proportional to connections and messages, not packets); pass 2 keeps only
 * the packets still inside the matching window. Times are nanoseconds from `Correlation.baseSec` (one base
 * second shared by both sides) unless a field says otherwise; `client` times are on the client-side clock,
 * `server` times on the server-side clock, and `alignment` maps server-side times onto the client clock.
 */

import type { CaptureError, CaptureInfo } from '../capture/types.js';
import type { AnomalyLog } from '../common/anomaly.js';
import type { Message, Session } from '../tcp/index.js';
import type { ClockAlignment } from './clock.js';

export type Side = 'client' | 'server';

/** One capture after pass 1. */
export interface SideData {
  side: Side;
  path: string;
  info: CaptureInfo;
  anomalies: AnomalyLog;
  /** Fatal read error that ended the file early (everything before it was used), or null. */
  error: CaptureError | null;
  packets: number;
  tcpPackets: number;
  /** The SessionTable's base second; `Session` relNs values count from it. */
  baseSec: number;
  /** Shift (ns) that turns this side's session relNs into ns from `Correlation.baseSec`. */
  shiftNs: number;
  /** First and last packet time, ns from this side's baseSec. */
  firstRelNs: number;
  lastRelNs: number;
  /** Timestamp resolution in ns (1000 for microsecond files, 1 for nanosecond). */
  resolutionNs: number;
  sessions: Session[];
  /**
   * Extra per-message fingerprints computed in pass 1 for correlation, indexed like `sessions[i].messages`:
   * `lineHashes[i][m]` = hashes of the first lines of message m of session i (text protocols), so that an
   * inserted or rewritten header line leaves the other lines matching. Empty arrays when not text.
   */
  lineHashes: Uint32Array[][];
}

/** How client-side and server-side connections relate within a pair. */
export type MappingKind = 'one-to-one' | 'many-to-one' | 'per-message';

/**
 * What the device did to this connection, as far as pairing can tell:
 * - `same`: same tuple, same sequence numbers (routed, filtered).
 * - `translated`: addresses and/or ports rewritten, sequence numbers unchanged (NAT).
 * - `seq-shifted`: sequence numbers shifted by a constant per direction (sequence randomiser), tuple kept
 *   or translated.
 * - `spliced`: the device answered the handshake itself, then forwarded packets one to one with a sequence
 *   offset (SYN proxy).
 * - `terminated`: independent connections on each side, related by content and causal timing (full proxy).
 * A client connection that never got a server-side counterpart (a failed handshake) is not a pair: it is
 * listed in `unpaired` with its reason, and diagnosis explains it.
 */
export type PairKind = 'same' | 'translated' | 'seq-shifted' | 'spliced' | 'terminated';

/** One piece of evidence for a pairing decision. */
export interface Evidence {
  /** What matched: 'isn', 'tsval', 'syn-options', 'tuple', 'head-hash', 'chunks', 'lines', 'sizes', 'timing'. */
  kind: string;
  /** Plain words with the values seen, e.g. "client ISN 0x3f2a0011 = server-side SYN seq". */
  detail: string;
  clientPacket?: number;
  serverPacket?: number;
}

export interface Tuple {
  /** As the initiator sent it: [srcIp, srcPort, dstIp, dstPort]. */
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
}

/** A client message carried by a server-side connection (terminating proxies, pools). */
export interface MessageLink {
  /** Index in the client session's `messages`. */
  clientMessage: number;
  /** Index into `SessionPair.server` and that session's `messages`. */
  serverSession: number;
  serverMessage: number;
  /** 0..1: how much of the content matched (1 = identical bytes). */
  similarity: number;
  /** Forwarding latency: server-side first byte (mapped to the client clock) minus client-side first byte
   * for requests; the reverse for responses. Null until the clocks are aligned. */
  latencyNs: number | null;
}

/** Sequence offsets per direction, mod 2^32: server-side value = client-side value + offset. */
export interface SeqOffsets {
  c2s: number;
  s2c: number;
}

export interface SessionPair {
  id: number;
  /** Index into the client side's sessions. */
  client: number;
  /** Indexes into the server side's sessions (several for a pool or a re-dialled proxy connection). */
  server: number[];
  mapping: MappingKind;
  kind: PairKind;
  /** 0..1 confidence in this pairing. */
  score: number;
  evidence: Evidence[];
  /** Client-side tuple and the server-side tuple(s), as each initiator sent them. */
  clientTuple: Tuple;
  serverTuples: Tuple[];
  /** Set when packets pass through (not terminated): per-direction seq offsets. */
  seqOffsets: SeqOffsets | null;
  /** For terminated / pooled pairs: which server-side message carried each client message. */
  messages: MessageLink[];
}

/** Why a connection has no counterpart. */
export type UnpairedReason =
  | 'outside-other-capture' // it lies outside the other capture's time range
  | 'never-forwarded' // client side only: the device did not pass it on (failed handshake, dropped)
  | 'device-generated' // server side only: opened by the device without a client-side cause (health check)
  | 'no-match'; // in range, but nothing on the other side matches it

export interface Unpaired {
  side: Side;
  session: number;
  tuple: Tuple;
  isn: number | null;
  startRelNs: number;
  reason: UnpairedReason;
  detail: string;
}

/** Results of pass 2 for one pair (pass-through kinds only; terminated pairs have message-level links). */
export interface PairMatch {
  pair: number;
  /** Index 0 = client-to-server, 1 = server-to-client. */
  matched: [number, number];
  /** Present upstream, absent downstream: client-side packets for c2s, server-side for s2c. */
  dropped: [number, number];
  /** Present downstream without an upstream original. */
  injected: [number, number];
  /** Transit delay through the device in ns (downstream time mapped to one clock minus upstream time). */
  delay: [DelayStats, DelayStats];
  /** Field changes seen on matched packets: field name -> count and an example. */
  changes: FieldChange[];
  /** Examples (bounded) of dropped / injected packets with their packet numbers. */
  examples: PacketEvent[];
  /**
   * Upstream packets the device consumed and answered itself instead of forwarding: the client's SYN and
   * handshake ACK and the server's SYN-ACK of a spliced pair (SYN proxy). Neither matched nor dropped.
   */
  answered: [number, number];
  /** Unmatched packets whose counterpart would fall outside the other capture's time range: no verdict. */
  outside: [number, number];
  /** Handshake timing on both sides, and for terminated pairs the latency of every linked message. */
  timing: MessageTiming;
}

/**
 * Timing of a pair at the level of handshakes and messages, from pass 1's sessions and the clock alignment
 * (all times on the client clock). For terminated pairs this is the only timing there is: their packets
 * are not forwarded one to one.
 */
export interface MessageTiming {
  handshake: HandshakeTiming;
  /** One per `SessionPair.messages` link, same order (empty for pass-through pairs). */
  links: MessageLatency[];
}

export interface HandshakeTiming {
  /** Client side: first SYN to the first SYN-ACK (the device's answer when it answers itself). */
  clientSynToSynAckNs: number | null;
  /** Client side: first SYN to the handshake ACK, and to the first payload byte from the client. */
  clientSynToAckNs: number | null;
  clientSynToDataNs: number | null;
  /** One per server-side session of the pair, in `SessionPair.server` order. */
  server: ServerHandshakeTiming[];
}

export interface ServerHandshakeTiming {
  session: number;
  /** Server-side first SYN (mapped to the client clock) minus the client's first SYN / handshake ACK /
   * first payload packet: positive when the device connected after that event. */
  synAfterClientSynNs: number | null;
  synAfterClientAckNs: number | null;
  synAfterClientDataNs: number | null;
  /** Server side: first SYN to the first SYN-ACK (the server's own answer time). */
  synToSynAckNs: number | null;
  /**
   * The last client event before the server-side SYN: 'before' (the server connection existed before the
   * client's SYN: pooled or pre-opened), 'syn', 'handshake' (after the client's handshake ACK: SYN proxy),
   * 'data' (after the client's first payload: delayed binding, the device connects once it has a
   * request); null when a SYN is missing.
   */
  connectsAfter: 'before' | 'syn' | 'handshake' | 'data' | null;
}

/** Latency of one message through a terminating device (client clock, ns). */
export interface MessageLatency {
  /** As in MessageLink: index in the client session's messages, index into `SessionPair.server`, index in
   * that session's messages. */
  clientMessage: number;
  serverSession: number;
  serverMessage: number;
  /** 0 request (client to server: server-side minus client-side), 1 response (client-side minus server-side). */
  dir: 0 | 1;
  /** From the first packet of the message upstream to the first packet of the carrying message downstream. */
  firstByteNs: number;
  /** The same for the last packet of each. */
  lastByteNs: number;
}

export interface DelayStats {
  count: number;
  minNs: number;
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
}

export interface FieldChange {
  /** e.g. 'ttl', 'ip-id', 'dscp', 'window', 'mss', 'wscale', 'sack-perm', 'timestamps', 'options',
   * 'seq', 'ack', 'sack-blocks', 'src-address', 'dst-address', 'src-port', 'dst-port', 'payload'; pass 2
   * also reports 'ecn', 'flags' and 'segments' (see docs/correlation-matching.md). */
  field: string;
  dir: 0 | 1;
  count: number;
  /** Example: packet numbers and the values on each side, in plain words. */
  clientPacket: number;
  serverPacket: number;
  detail: string;
  /**
   * Downstream minus upstream value when every counted change had the same difference (mod 2^32 for seq,
   * ack, timestamps and SACK edges, mod 2^16 for the IP ID), else null; null for non-numeric fields.
   */
  delta: number | null;
  /**
   * The example's value upstream (client side for client-to-server packets) and downstream, for fields
   * that are one number: ttl, ip-id, dscp, ecn, window, mss and wscale (-1: option absent), sack-perm (1 or
   * 0), seq, ack, flags (TCP flag bits), segments (payload length). Null for the others: timestamps,
   * options, sack-blocks, payload, addresses and ports (the pair's tuples hold those).
   */
  upstream: number | null;
  downstream: number | null;
}

export interface PacketEvent {
  event: 'dropped' | 'injected' | 'matched' | 'answered';
  dir: 0 | 1;
  side: Side;
  packet: number;
  relNs: number;
  /** Flags/seq/ack/len in plain words, e.g. "SYN seq=0x1a2b3c4d", for people: read the numbers below. */
  detail: string;
  /** TCP flag bits as in the header (decode's TCP_SYN, TCP_ACK, ...). */
  flags: number;
  /** TCP payload length in bytes. */
  len: number;
  /** Raw sequence number, and raw acknowledgement number (0 when the ACK flag is clear). */
  seq: number;
  ack: number;
}

/** Everything correlation found; the input of the diagnosis stage. */
export interface Correlation {
  client: SideData;
  server: SideData;
  /** Base second shared by both sides' relative times. */
  baseSec: number;
  alignment: ClockAlignment;
  /** True when the files look swapped (server side given as client side); a warning tells the user. */
  swapped: boolean;
  pairs: SessionPair[];
  unpaired: Unpaired[];
  matches: PairMatch[];
  warnings: { id: string; text: string }[];
}

export type { Message, Session };
