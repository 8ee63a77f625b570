/**
 * The TCP stage's engine: fed decoded packets one at a time, it finds or creates the session (tshark's
 * tcp.stream numbering and port-reuse rule), runs Wireshark's sequence analysis and the handshake rules,
 * reconstructs each direction's bytes into fingerprinted messages, and streams one result per TCP packet
 * through a callback. Nothing is kept per packet: memory grows with sessions and messages only.
 */
import type { PacketView } from '../decode/types.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/types.js';
import { EndpointCache } from './endpoints.js';
import { Chunker, FNV_OFFSET, fnv1a, HEAD_BYTES, MAX_FINGERPRINT_BYTES } from './fingerprint.js';
import {
  A_FAST_RETRANSMISSION,
  A_RETRANSMISSION,
  A_REUSED_PORTS,
  A_SPURIOUS_RETRANSMISSION,
  A_TFO_ACK,
  A_TFO_IGNORED,
  A_TFO_SYN,
  A_WINDOW_FULL,
  A_ZERO_WINDOW,
  H_SYN_UNANSWERED,
} from './flags.js';
import { FlowState, WSCALE_NONE, WSCALE_UNKNOWN } from './flow.js';
import { FlowIndex, flowHash } from './flow-index.js';
import { checkHandshake } from './handshake-rules.js';
import { HandshakeStore } from './handshake-store.js';
import {
  addHistory,
  flipHistory,
  H_ACK,
  H_DATA,
  H_FIN,
  H_GAP,
  H_INCONSISTENT,
  H_MULTI_FLAG,
  H_RETRANSMIT,
  H_RST,
  H_SYN,
  H_SYNACK,
  H_ZERO_WINDOW,
  HISTORY_SEEN,
} from './history.js';
import { MessageRecord, MessageStore } from './message-store.js';
import { analyzeSegment, Segment } from './rules.js';
import { seqGt, seqLe } from './seq.js';
import { Session, type SessionStores } from './session.js';
import {
  D_BITS,
  D_FIN,
  D_FIRST_SEQ_SET,
  D_HEAD_BYTES,
  D_HEAD_HASH,
  D_ISN,
  D_ISN_KNOWN,
  D_MAX_END,
  D_PACKETS,
  D_PAYLOAD_BYTES,
  D_RST,
  D_SACK_PACKETS,
  D_SYN,
  D_SYN_ACK,
  D_TIMESTAMP_PACKETS,
  DIR_NUMS,
  DIR_WORDS,
  N_END_REL,
  N_END_SEC,
  N_FIRST_RTT,
  N_MRU_SYN,
  N_STREAM,
  ROW_NUMS,
  ROW_WORDS,
  S_CHUNK_BUDGET,
  S_CURRENT_DIR,
  S_CURRENT_MESSAGE,
  S_END_NSEC,
  S_ESTABLISHED,
  S_FIRST_MESSAGE,
  S_FP_CURSOR0,
  S_FP_CURSOR1,
  S_HISTORY,
  S_LAST_PACKET,
  S_MESSAGE_COUNT,
  S_MESSAGES_DROPPED,
  S_PACKETS,
  S_STREAM,
  S_UNUSED_CHUNKS0,
  S_UNUSED_CHUNKS1,
  SessionRows,
} from './session-rows.js';
import {
  type GapReason,
  R_EDGE_OFFSET,
  R_PENDING,
  R_STARTED,
  STREAM_NUMS,
  STREAM_WORDS,
  type StreamSink,
  startStream,
  streamAcked,
  streamFlush,
  streamOffsetOf,
  streamSegment,
} from './stream.js';
import { tlsMarker } from './tls.js';

/** One TCP packet's results. The same object is reused for every packet: copy what you keep. */
export class TcpPacketResult {
  packet = 0;
  /** Session index (tshark's tcp.stream). */
  session = 0;
  /** 0 = from the initiator, 1 = from the responder. */
  dir: 0 | 1 = 0;
  /** True when the packet goes from endpoint a to b (tshark's first-packet order). */
  fromA = true;
  /** Analysis bits (flags.ts; `flagNames` gives the dotted ids); a fast or spurious retransmission also carries A_RETRANSMISSION. */
  analysis = 0;
  /** False when the segment length is unknown (no analysis, raw numbers below). */
  analysed = true;
  /** Relative sequence number, ack (relative when the ACK flag is set, else raw) and next seq. */
  seq = 0;
  ack = 0;
  nxtSeq = 0;
  len = 0;
  tcpFlags = 0;
  /** Window after scaling, and tshark's scale factor: 1 << shift, -1 unknown, -2 none, null on SYNs. */
  window = 0;
  windowScaleFactor: number | null = null;
  /** Duplicate ACK number and the frame it duplicates (0 when not a duplicate ACK). */
  dupAckNum = 0;
  dupAckFrame = 0;
  /** ns from the table's base second. */
  relNs = 0;
}

export interface SessionTableOptions {
  /** Called once per TCP packet with the reused result object. */
  onPacket?: (result: TcpPacketResult, session: Session) => void;
  /** Reconstructed payload, in stream order per direction: `buf[start..end)` at stream `offset`. */
  onStreamData?: (
    session: Session,
    dir: 0 | 1,
    offset: number,
    buf: Uint8Array,
    start: number,
    end: number,
  ) => void;
  /** Bytes missing from the capture in a direction's stream (see stream.ts for when a hole becomes a gap). */
  onStreamGap?: (session: Session, dir: 0 | 1, offset: number, missing: number, reason: GapReason) => void;
  /** Community ID of a packet (the decoder's `communityId`), computed once per session. */
  communityId?: (view: PacketView) => string;
  /** Messages kept per session (default 4096); later ones are counted in `messagesDropped`. */
  maxMessagesPerSession?: number;
  /** Content-defined chunks kept per message (default 16) and per session (default 64). */
  maxChunksPerMessage?: number;
  maxChunksPerSession?: number;
  /** Findings kept per session (default 32). */
  maxFindingsPerSession?: number;
  /** Expected number of sessions, to size the index. */
  expectedSessions?: number;
  /**
   * @internal false runs every packet through the full rule chain, for tests that compare it with the
   * shortcut taken for in-order packets of established connections (same results either way).
   */
  fastPath?: boolean;
}

const SYN_FIN = TCP_SYN | TCP_FIN;
const ANY_RETRANSMISSION = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;

export class SessionTable implements StreamSink {
  /** Every session, indexed by `Session.index`. */
  readonly sessions: Session[] = [];
  /** Base second of all relative times (`relNs` fields): the first TCP packet's second. */
  baseSec = 0;
  /** The epoch in relative ns (Wireshark reads time zero as "unset"). */
  private absZeroNs = 0;
  private started = false;
  private finished = false;
  /** TCP packets fed so far. */
  packets = 0;
  private readonly index: FlowIndex;
  private readonly seg = new Segment();
  private readonly result = new TcpPacketResult();
  /** Session whose stream data is being delivered (the StreamSink callbacks need it). */
  private sinkSession: Session | null = null;
  private readonly maxMessages: number;
  private readonly maxChunksPerMessage: number;
  private readonly maxChunksPerSession: number;
  private readonly maxFindings: number;
  private readonly fastPath: boolean;
  /** Chunkers not lent to a session direction (see `chunkerFor`). */
  private readonly freeChunkers: Chunker[] = [];
  private readonly endpoints = new EndpointCache();
  /**
   * Per tshark flow, the sequence analysis state: session i's a->b flow at 2i, b->a at 2i + 1. Released at
   * finish() (nothing reads it afterwards). Objects, not rows of a typed array: the rules reading rows cost
   * more instructions per packet than the rows saved in the collector (callgrind, quick synthetic file),
   * whether through views or directly.
   */
  private flows: FlowState[] = [];
  /** Every session's handshake packets. */
  private readonly handshakes = new HandshakeStore();
  private readonly stores: SessionStores;
  /** Every session's messages and their chunk hashes and lengths. */
  private readonly messages = new MessageStore();
  /** Every session's counters and history (row = session index). */
  private readonly rows = new SessionRows();

  constructor(private readonly options: SessionTableOptions = {}) {
    this.index = new FlowIndex(options.expectedSessions ?? 1024);
    this.maxMessages = options.maxMessagesPerSession ?? 4096;
    this.maxChunksPerMessage = options.maxChunksPerMessage ?? 16;
    this.maxChunksPerSession = options.maxChunksPerSession ?? 64;
    this.maxFindings = options.maxFindingsPerSession ?? 32;
    this.fastPath = options.fastPath ?? true;
    const index = this.index;
    const cache = this.endpoints;
    this.stores = {
      handshakes: this.handshakes,
      messages: this.messages,
      rows: this.rows,
      endpoints: { endpoint: (session, side) => index.endpoint(session, side, cache) },
    };
  }

  /** Feed one decoded packet; non-TCP packets are ignored. */
  onPacket(v: PacketView): void {
    if (!v.isTcp) return;
    if (this.finished)
      throw new Error('SessionTable.onPacket after finish(): the analysis state is released');
    if (!this.started) {
      this.started = true;
      this.baseSec = v.tsSec;
      this.absZeroNs = -v.tsSec * 1e9;
    }
    this.packets++;
    const timeNs = (v.tsSec - this.baseSec) * 1e9 + v.tsNsec;
    const flags = v.flags;
    const hash = flowHash(v);
    let idx = this.index.find(v, hash);
    let session: Session;
    let fromA: boolean;
    let preFlags = 0;
    if (idx < 0) {
      session = this.createSession(v, hash, timeNs, -1);
      fromA = true;
    } else {
      session = this.sessions[idx]!;
      fromA = this.index.lastMatch === 1;
      const fwd = fromA ? this.flows[idx * 2]! : this.flows[idx * 2 + 1]!;
      if ((flags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_ACK)) === TCP_ACK && this.fastPath) {
        const rev = fromA ? this.flows[idx * 2 + 1]! : this.flows[idx * 2]!;
        if (this.inOrder(session, v, fwd, rev, fromA, timeNs)) return;
      }
      if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN && fwd.baseSeqSet) {
        if (v.seq !== fwd.baseSeq) {
          // REUSED PORTS: a new SYN with another ISN on a known pair starts a new session.
          session = this.createSession(v, hash, timeNs, idx);
          fromA = true;
        } else {
          // Same ISN: a repeated SYN. Wireshark restores nextseq (a RST may have moved it) and marks it.
          fwd.nextSeq = fwd.maxSeqToBeAcked;
        }
        preFlags = A_REUSED_PORTS;
      } else if (
        (flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) &&
        fwd.baseSeqSet &&
        v.seq !== fwd.baseSeq
      ) {
        // A SYN-ACK with a new ISN re-bases the responder's relative numbers.
        fwd.baseSeq = v.seq;
        preFlags = A_REUSED_PORTS;
      }
    }
    idx = session.index;
    const fwd = fromA ? this.flows[idx * 2]! : this.flows[idx * 2 + 1]!;
    const rev = fromA ? this.flows[idx * 2 + 1]! : this.flows[idx * 2]!;
    const dir: 0 | 1 = fromA === (session.initiator === 'a') ? 0 : 1;

    const r = this.result;
    r.packet = v.index;
    r.session = idx;
    r.dir = dir;
    r.fromA = fromA;
    r.tcpFlags = flags;
    r.relNs = timeNs;
    r.dupAckNum = 0;
    r.dupAckFrame = 0;
    const len = v.payloadLength;
    let found = preFlags;
    if (len >= 0) {
      const s = this.seg;
      s.fwd = fwd;
      s.rev = rev;
      s.frame = v.index;
      s.seq = v.seq;
      s.ack = v.ack;
      s.len = len;
      s.flags = flags;
      s.window = v.window;
      s.timeNs = timeNs;
      s.firstRttNs = this.rows.nums[session.index * ROW_NUMS + N_FIRST_RTT]!;
      s.found = found;
      found = analyzeSegment(s);
      if (found & (A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION)) found |= A_RETRANSMISSION;
      r.dupAckNum = s.dupAckNum;
      r.dupAckFrame = s.dupAckFrame;
      r.analysed = true;
      r.len = len;
      r.seq = (v.seq - fwd.baseSeq) >>> 0;
      r.ack = flags & TCP_ACK ? (v.ack - rev.baseSeq) >>> 0 : v.ack;
      r.nxtSeq = (r.seq + len + (flags & SYN_FIN ? 1 : 0)) >>> 0;
    } else {
      r.analysed = false;
      r.len = 0;
      r.seq = v.seq;
      r.ack = v.ack;
      r.nxtSeq = v.seq;
    }
    if (flags & TCP_SYN) {
      r.window = v.window;
      r.windowScaleFactor = null;
    } else {
      const winScale = fwd.winScale;
      if (winScale >= 0) {
        r.window = v.window << winScale;
        r.windowScaleFactor = 1 << winScale;
      } else {
        r.window = v.window;
        r.windowScaleFactor = winScale;
      }
    }
    this.afterAnalysis(session, v, fwd, rev, timeNs);

    found |= this.tfoFlags(session, v, dir, len);
    // Once the handshake ACK is seen only SYN and RST packets concern the handshake rules (as they check).
    if (flags & (TCP_SYN | TCP_RST) || this.rows.ints[idx * ROW_WORDS + S_ESTABLISHED] === 0) {
      found |= checkHandshake(session, v, dir, timeNs, this.maxFindings);
    }
    r.analysis = found;
    if (found !== 0) {
      if (session.flagCounts === null) session.flagCounts = new Uint32Array(24);
      const counts = session.flagCounts;
      for (let bits = found; bits !== 0; bits &= bits - 1) counts[31 - Math.clz32(bits & -bits)]!++;
    }

    this.updateSession(session, v, dir, timeNs, len, found);
    this.options.onPacket?.(r, session);
  }

  /**
   * The common packet of an established connection, done in a fraction of the full chain's instructions:
   * an ACK without SYN, FIN or RST at its direction's next sequence number, carrying data or a new ack
   * number, with a non-zero window. For such a packet every rule of rules.ts except WINDOW FULL is false by
   * its own definition (the reasons are at each test below), the reused-ports and TFO rules need a SYN,
   * and the packet's own letters are only `a` or `d`; so only WINDOW FULL is evaluated, and the flows,
   * the session's row and the result are updated exactly as `analyzeSegment`, `afterAnalysis` and
   * `updateSession` would. Any other packet returns false with nothing changed, for the full chain.
   * rules.ts stays the reference: session-table.test.ts feeds random sequences through tables with and
   * without this path (`fastPath: false`) and requires the same results, streams and sessions.
   */
  private inOrder(
    session: Session,
    v: PacketView,
    fwd: FlowState,
    rev: FlowState,
    fromA: boolean,
    timeNs: number,
  ): boolean {
    const len = v.payloadLength;
    const seq = v.seq;
    const nextSeq = fwd.nextSeq;
    // At the next seq: not LOST SEGMENT (beyond it), KEEP ALIVE (one before it), nor a retransmission or
    // out-of-order segment (before it). A next seq of 0 means "not set" and the base seqs must be known.
    if (len < 0 || seq !== nextSeq || nextSeq === 0 || !rev.baseSeqSet) return false;
    const window = v.window;
    // ZERO WINDOW; ZERO WINDOW PROBE (one byte at the next seq into the peer's zero window).
    if (window === 0 || (len === 1 && rev.window === 0)) return false;
    const ack = v.ack;
    const lastAck = fwd.lastAck;
    // WINDOW UPDATE, DUPLICATE ACK, KEEP ALIVE ACK and ZERO WINDOW PROBE ACK all repeat the previous ack
    // without data.
    if (len === 0 && ack === lastAck) return false;
    // ACKED UNSEEN SEGMENT.
    const revMaxSeqToBeAcked = rev.maxSeqToBeAcked;
    if (revMaxSeqToBeAcked !== 0 && seqGt(ack, revMaxSeqToBeAcked)) return false;
    // SPURIOUS RETRANSMISSION (data the peer has acknowledged already).
    const end = (seq + len) >>> 0;
    const revLastAck = rev.lastAck;
    if (len > 0 && revLastAck !== 0 && seqLe(end, revLastAck)) return false;

    let found = 0;
    const revScale = rev.winScale;
    if (len > 0 && revScale !== WSCALE_UNKNOWN) {
      // WINDOW FULL (rules.ts `isWindowFull`).
      const shift = rev.isFirstAck || revScale === WSCALE_NONE ? 0 : revScale;
      if (end === (revLastAck + ((rev.window << shift) >>> 0)) >>> 0) found = A_WINDOW_FULL;
    }
    const frame = v.index;
    if (ack !== lastAck) {
      fwd.lastNonDupAck = frame;
      fwd.dupAckNum = 0;
    }
    if (len > 0 && seqGt(end, nextSeq)) {
      fwd.nextSeq = end;
      fwd.nextSeqFrame = frame;
      fwd.nextSeqTimeNs = timeNs;
    }
    const maxSeqToBeAcked = fwd.maxSeqToBeAcked;
    if (seq === maxSeqToBeAcked || maxSeqToBeAcked === 0) fwd.maxSeqToBeAcked = fwd.nextSeq;
    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckTimeNs = timeNs;
    fwd.lastSegmentFlags = found;

    const idx = session.index;
    const dir: 0 | 1 = fromA === (session.initiator === 'a') ? 0 : 1;
    const flags = v.flags;
    const r = this.result;
    r.packet = frame;
    r.session = idx;
    r.dir = dir;
    r.fromA = fromA;
    r.tcpFlags = flags;
    r.relNs = timeNs;
    r.dupAckNum = 0;
    r.dupAckFrame = 0;
    r.analysed = true;
    r.len = len;
    const relSeq = (seq - fwd.baseSeq) >>> 0;
    r.seq = relSeq;
    r.ack = (ack - rev.baseSeq) >>> 0;
    r.nxtSeq = (relSeq + len) >>> 0;
    const winScale = fwd.winScale;
    if (winScale >= 0) {
      r.window = window << winScale;
      r.windowScaleFactor = 1 << winScale;
    } else {
      r.window = window;
      r.windowScaleFactor = winScale;
    }

    // afterAnalysis for an ACK without SYN.
    const rows = this.rows;
    const n = idx * ROW_NUMS;
    let nums = rows.nums;
    const mruSyn = nums[n + N_MRU_SYN]!;
    if (!Number.isNaN(mruSyn) && nums[n + N_FIRST_RTT] === 0) {
      const rtt = timeNs - mruSyn;
      nums[n + N_FIRST_RTT] = rtt < 0 ? Number.POSITIVE_INFINITY : rtt;
    }
    fwd.isFirstAck = false;
    if (v.wscale >= 0) fwd.winScale = Math.min(v.wscale, 14);

    const w = idx * ROW_WORDS;
    if (rows.ints[w + S_ESTABLISHED] === 0)
      found |= checkHandshake(session, v, dir, timeNs, this.maxFindings);
    r.analysis = found;
    if (found !== 0) {
      if (session.flagCounts === null) session.flagCounts = new Uint32Array(24);
      const counts = session.flagCounts;
      for (let bits = found; bits !== 0; bits &= bits - 1) counts[31 - Math.clz32(bits & -bits)]!++;
    }

    // updateSession for an ACK without SYN, FIN or RST.
    let ints = rows.ints;
    nums = rows.nums;
    ints[w + S_PACKETS]!++;
    ints[w + S_LAST_PACKET] = frame;
    ints[w + S_END_NSEC] = v.tsNsec;
    nums[n + N_END_SEC] = v.tsSec;
    nums[n + N_END_REL] = timeNs;
    const d = w + dir * DIR_WORDS;
    ints[d + D_PACKETS]!++;
    if (len > 0) nums[n + dir * DIR_NUMS + D_PAYLOAD_BYTES]! += len;
    if (v.sackCount > 0) ints[d + D_SACK_PACKETS]!++;
    if (v.hasTimestamps) ints[d + D_TIMESTAMP_PACKETS]!++;
    if ((ints[d + D_BITS]! & D_FIRST_SEQ_SET) === 0) {
      ints[d + D_BITS] = ints[d + D_BITS]! | D_FIRST_SEQ_SET;
      ints[d + D_ISN] = seq;
    }
    const h = w + S_HISTORY;
    const letter = len > 0 ? H_DATA : H_ACK;
    if ((ints[h + HISTORY_SEEN + dir]! & (1 << letter)) === 0) addHistory(rows, h, dir, letter);
    this.sinkSession = session;
    if (len > 0) this.trackData(session, v, dir, timeNs, len);
    ints = rows.ints;
    const other = dir === 0 ? 1 : 0;
    const sw = w + S_STREAM + other * STREAM_WORDS;
    if (ints[sw + R_PENDING] !== 0) {
      streamAcked(rows, sw, n + N_STREAM + other * STREAM_NUMS, other, ack, frame, this);
    }
    this.options.onPacket?.(r, session);
    return true;
  }

  /** Wireshark's bookkeeping after the analysis: SYN timing, first RTT, window scale negotiation. */
  private afterAnalysis(
    session: Session,
    v: PacketView,
    fwd: FlowState,
    rev: FlowState,
    timeNs: number,
  ): void {
    const flags = v.flags;
    const nums = this.rows.nums;
    const n = session.index * ROW_NUMS;
    if (flags & TCP_SYN) {
      if (!(flags & TCP_ACK)) {
        // Wireshark keeps absolute times and reads a zero time (the epoch) as "unset".
        nums[n + N_MRU_SYN] = v.tsSec === 0 && v.tsNsec === 0 ? Number.NaN : timeNs;
      }
      fwd.isFirstAck = true;
    }
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_ACK) {
      const mruSyn = nums[n + N_MRU_SYN]!;
      if (!Number.isNaN(mruSyn) && nums[n + N_FIRST_RTT] === 0) {
        const rtt = timeNs - mruSyn;
        // A negative delta is a huge unsigned threshold in Wireshark: out-of-order then always matches time.
        nums[n + N_FIRST_RTT] = rtt < 0 ? Number.POSITIVE_INFINITY : rtt;
      }
      fwd.isFirstAck = false;
    }
    if (v.wscale >= 0) fwd.winScale = Math.min(v.wscale, 14);
    if (flags & TCP_SYN) {
      // Scaling is used only if both SYNs carried the option.
      if (fwd.winScale === WSCALE_UNKNOWN) {
        fwd.winScale = WSCALE_NONE;
        rev.winScale = WSCALE_NONE;
      } else if (flags & TCP_ACK && rev.winScale === WSCALE_NONE) {
        fwd.winScale = WSCALE_NONE;
      }
    }
  }

  /**
   * TFO SYN: a SYN carrying data and a Fast Open option. TFO ACK / TFO IGNORED: the SYN-ACK answering such
   * a SYN acknowledges its data / only the SYN.
   */
  private tfoFlags(session: Session, v: PacketView, dir: 0 | 1, len: number): number {
    const flags = v.flags;
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) return len > 0 && v.tfo ? A_TFO_SYN : 0;
    if ((flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK) || dir !== 1) return 0;
    if (!session.hasSyn || session.synDataLength <= 0) return 0;
    const synSeq = session.synSeq;
    if (v.ack === (synSeq + 1 + session.synDataLength) >>> 0) return A_TFO_ACK;
    if (v.ack === (synSeq + 1) >>> 0) return A_TFO_IGNORED;
    return 0;
  }

  private createSession(v: PacketView, hash: number, timeNs: number, previous: number): Session {
    const idx = this.sessions.length;
    this.rows.add();
    // Endpoints are made from the flow index's tuple when first read (`endpoint`).
    const session = new Session(idx, null, null, this.absZeroNs, this.maxChunksPerSession, this.stores);
    this.flows.push(new FlowState(this.absZeroNs), new FlowState(this.absZeroNs));
    const synAck = v.flags & TCP_SYN && v.flags & TCP_ACK;
    if (v.flags & TCP_SYN) {
      session.initiator = synAck ? 'b' : 'a';
      session.initiatorBy = synAck ? 'synack' : 'syn';
      if (synAck) flipHistory(this.rows, idx * ROW_WORDS + S_HISTORY);
    } else if (v.srcPort < 1024 && v.dstPort >= 1024) {
      session.initiator = 'b';
      session.initiatorBy = 'port';
    }
    session.firstPacket = v.index;
    session.startSec = v.tsSec;
    session.startNsec = v.tsNsec;
    session.startRelNs = timeNs;
    if (this.options.communityId) session.communityId = this.options.communityId(v);
    if (previous >= 0) {
      const prev = this.sessions[previous]!;
      session.previousIndex = previous;
      session.sincePreviousNs = timeNs - prev.endRelNs;
    }
    this.sessions.push(session);
    this.index.add(idx, v, hash, previous);
    return session;
  }

  private updateSession(
    session: Session,
    v: PacketView,
    dir: 0 | 1,
    timeNs: number,
    len: number,
    found: number,
  ): void {
    const flags = v.flags;
    const rows = this.rows;
    const ints = rows.ints;
    const nums = rows.nums;
    const row = session.index;
    const w = row * ROW_WORDS;
    const n = row * ROW_NUMS;
    ints[w + S_PACKETS]!++;
    ints[w + S_LAST_PACKET] = v.index;
    ints[w + S_END_NSEC] = v.tsNsec;
    nums[n + N_END_SEC] = v.tsSec;
    nums[n + N_END_REL] = timeNs;
    const d = w + dir * DIR_WORDS;
    const h = w + S_HISTORY;
    ints[d + D_PACKETS]!++;
    if (len > 0) nums[n + dir * DIR_NUMS + D_PAYLOAD_BYTES]! += len;
    if (v.sackCount > 0) ints[d + D_SACK_PACKETS]!++;
    if (v.hasTimestamps) ints[d + D_TIMESTAMP_PACKETS]!++;
    if ((ints[d + D_BITS]! & D_FIRST_SEQ_SET) === 0) {
      ints[d + D_BITS] = ints[d + D_BITS]! | D_FIRST_SEQ_SET;
      ints[d + D_ISN] = v.seq;
    }
    if (flags & TCP_SYN) {
      if (flags & TCP_ACK) {
        ints[d + D_SYN_ACK]!++;
        addHistory(rows, h, dir, H_SYNACK);
      } else {
        ints[d + D_SYN]!++;
        addHistory(rows, h, dir, H_SYN);
      }
      if ((ints[d + D_BITS]! & D_ISN_KNOWN) === 0) {
        ints[d + D_BITS] = ints[d + D_BITS]! | D_ISN_KNOWN;
        ints[d + D_ISN] = v.seq;
      }
      if (flags & (TCP_FIN | TCP_RST)) addHistory(rows, h, dir, H_MULTI_FLAG);
      const sw = w + S_STREAM + dir * STREAM_WORDS;
      if (ints[sw + R_STARTED] === 0) startStream(rows, sw, v.seq + 1);
    }
    if ((flags & (TCP_FIN | TCP_RST)) === (TCP_FIN | TCP_RST)) addHistory(rows, h, dir, H_INCONSISTENT);
    if (flags & TCP_FIN) {
      ints[d + D_FIN]!++;
      addHistory(rows, h, dir, H_FIN);
      if (!session.hasFin) session.recordClose(false, dir, v.index, v.tsSec, v.tsNsec, timeNs);
    }
    if (flags & TCP_RST) {
      ints[d + D_RST]!++;
      addHistory(rows, h, dir, H_RST);
      if (!session.hasRst) session.recordClose(true, dir, v.index, v.tsSec, v.tsNsec, timeNs);
    }
    if (flags & TCP_ACK && len <= 0 && !(flags & (TCP_SYN | TCP_FIN | TCP_RST)))
      addHistory(rows, h, dir, H_ACK);
    if (len > 0) {
      addHistory(rows, h, dir, H_DATA);
      if (found & ANY_RETRANSMISSION) addHistory(rows, h, dir, H_RETRANSMIT);
    }
    if (found & A_ZERO_WINDOW) addHistory(rows, h, dir, H_ZERO_WINDOW);

    this.sinkSession = session;
    if (len > 0 && !(flags & TCP_RST && flags & TCP_SYN)) this.trackData(session, v, dir, timeNs, len);
    if (flags & TCP_ACK) {
      // The acknowledged stream is the other direction's; most have nothing buffered to release.
      const other = dir === 0 ? 1 : 0;
      const sw = w + S_STREAM + other * STREAM_WORDS;
      if (rows.ints[sw + R_PENDING] !== 0) {
        streamAcked(rows, sw, n + N_STREAM + other * STREAM_NUMS, other, v.ack, v.index, this);
      }
    }
  }

  /** New payload opens or extends a message; then the bytes go to the stream reassembler. */
  private trackData(session: Session, v: PacketView, dir: 0 | 1, timeNs: number, len: number): void {
    const rows = this.rows;
    const sw = session.index * ROW_WORDS + S_STREAM + dir * STREAM_WORDS;
    const sn = session.index * ROW_NUMS + N_STREAM + dir * STREAM_NUMS;
    // Data on a SYN (TCP Fast Open) starts after the SYN's own sequence number.
    const dataSeq = v.flags & TCP_SYN ? (v.seq + 1) >>> 0 : v.seq;
    if (rows.ints[sw + R_STARTED] === 0) startStream(rows, sw, dataSeq);
    const nums = rows.nums;
    const maxEndAt = session.index * ROW_NUMS + dir * DIR_NUMS + D_MAX_END;
    const maxEnd = nums[maxEndAt]!;
    const start = streamOffsetOf(rows, sw, sn, dataSeq);
    const end = start + len;
    const messages = this.messages;
    let m = rows.ints[session.index * ROW_WORDS + S_CURRENT_MESSAGE]!;
    if (end > maxEnd) {
      if (m < 0 || messages.dir(m) !== dir) {
        m = this.openMessage(session, v, dir, timeNs, maxEnd, end);
        if (m >= 0 && start === messages.start(m)) {
          messages.setTls(m, tlsMarker(v.buf, v.payloadOffset, v.payloadCaptured));
        }
      } else {
        messages.setEnd(m, end);
      }
      // openMessage adds no session row, so `nums` is still the rows' array.
      nums[maxEndAt] = end;
    }
    if (m >= 0 && messages.dir(m) === dir) messages.seen(m, v.index, v.tsSec - this.baseSec, v.tsNsec);
    const captured = Math.min(v.payloadCaptured, len);
    streamSegment(
      rows,
      sw,
      sn,
      dir,
      dataSeq,
      v.buf,
      v.payloadOffset,
      len,
      Math.max(captured, 0),
      v.index,
      this,
    );
  }

  private openMessage(
    session: Session,
    v: PacketView,
    dir: 0 | 1,
    timeNs: number,
    start: number,
    end: number,
  ): number {
    const w = session.index * ROW_WORDS;
    const previous = this.rows.ints[w + S_CURRENT_MESSAGE]!;
    if (previous >= 0) {
      const previousDir = this.messages.dir(previous);
      if (previousDir !== dir) {
        this.rows.ints[w + S_CURRENT_MESSAGE] = -1;
        this.closeIfComplete(
          session,
          previousDir,
          previous,
          this.rows.nums[session.index * ROW_NUMS + N_STREAM + previousDir * STREAM_NUMS + R_EDGE_OFFSET]!,
        );
      }
    }
    const ints = this.rows.ints;
    if (ints[w + S_MESSAGE_COUNT]! >= this.maxMessages) {
      ints[w + S_MESSAGES_DROPPED]!++;
      ints[w + S_CURRENT_MESSAGE] = -1;
      ints[w + S_CURRENT_DIR] = dir;
      return -1;
    }
    const m = session.addMessage(dir, v.index, timeNs, start, end);
    ints[w + S_CURRENT_MESSAGE] = m;
    ints[w + S_CURRENT_DIR] = dir;
    return m;
  }

  /** @internal StreamSink: reconstructed bytes -> the direction's head hash and the fingerprints of their messages. */
  data(dir: 0 | 1, offset: number, buf: Uint8Array, start: number, end: number): void {
    const session = this.sinkSession!;
    this.options.onStreamData?.(session, dir, offset, buf, start, end);
    const edge = offset + (end - start);
    const ints = this.rows.ints;
    const d = session.index * ROW_WORDS + dir * DIR_WORDS;
    const headBytes = ints[d + D_HEAD_BYTES]!;
    if (headBytes < HEAD_BYTES) {
      const seed = headBytes === 0 ? FNV_OFFSET : ints[d + D_HEAD_HASH]! >>> 0;
      const take = Math.min(end - start, HEAD_BYTES - headBytes);
      ints[d + D_HEAD_HASH] = fnv1a(buf, start, start + take, seed);
      ints[d + D_HEAD_BYTES] = headBytes + take;
    }
    const messages = this.messages;
    let m = -1;
    while (start < end) {
      m = this.messageAt(session, dir, offset);
      if (m < 0) return;
      const mEnd = messages.end(m);
      if (offset >= mEnd) break;
      const take = Math.min(end - start, mEnd - offset);
      if (messages.bytes(m) >= MAX_FINGERPRINT_BYTES) {
        // Closed (capped): only the byte count still grows.
        messages.addBytes(m, take);
      } else {
        const chunker = this.chunkerFor(session, dir, m);
        chunker.feed(buf, start, start + take);
        if (chunker.full) this.releaseChunker(session, dir);
      }
      start += take;
      offset += take;
    }
    if (m >= 0) this.closeIfComplete(session, dir, m, edge);
  }

  /**
   * Close `m`'s fingerprint and take back its chunker once no byte of `m` can arrive any more: its end is
   * final (another message is current) and the direction's bytes were delivered (or declared missing) up
   * to it. Bytes are delivered in stream order, so none of `m`'s can come later; closing now gives the
   * fingerprint it would get when the direction's next message or the end of the capture closed it.
   */
  private closeIfComplete(session: Session, dir: 0 | 1, m: number, edge: number): void {
    if (edge < this.messages.end(m) || m === this.rows.ints[session.index * ROW_WORDS + S_CURRENT_MESSAGE])
      return;
    const chunker = dir === 0 ? session.chunker0 : session.chunker1;
    if (chunker !== null && writes(chunker, m)) this.releaseChunker(session, dir);
  }

  /**
   * The direction's chunker, writing into message `m`: opening `m`'s fingerprint closes the previous one
   * of the direction and returns the chunks it left unused to the session's budget first.
   */
  private chunkerFor(session: Session, dir: 0 | 1, m: number): Chunker {
    let chunker = dir === 0 ? session.chunker0 : session.chunker1;
    if (chunker !== null && writes(chunker, m)) return chunker;
    const ints = this.rows.ints;
    const w = session.index * ROW_WORDS;
    const unusedAt = w + (dir === 0 ? S_UNUSED_CHUNKS0 : S_UNUSED_CHUNKS1);
    if (chunker === null) {
      chunker = this.freeChunkers.pop() ?? this.newChunker();
      if (dir === 0) session.chunker0 = chunker;
      else session.chunker1 = chunker;
    } else {
      ints[unusedAt] = ints[unusedAt]! + chunker.unused;
      chunker.end();
    }
    const budget = ints[w + S_CHUNK_BUDGET]! + ints[unusedAt]!;
    ints[unusedAt] = 0;
    const reserve = Math.min(this.maxChunksPerMessage, budget);
    ints[w + S_CHUNK_BUDGET] = budget - reserve;
    // The chunker's own view, pointed at the row once the previous fingerprint is closed (end()).
    chunker.end();
    chunker.begin((chunker.view as MessageRecord).at(m), reserve);
    return chunker;
  }

  private newChunker(): Chunker {
    const chunker = new Chunker();
    chunker.view = new MessageRecord(this.messages, 0);
    return chunker;
  }

  /**
   * Close the direction's open fingerprint and take its chunker back: a capped fingerprint reads no more
   * bytes, so only sessions in the middle of a message's first bytes hold one. Its unused chunks wait for
   * the direction's next fingerprint, as if it had stayed open until then.
   */
  private releaseChunker(session: Session, dir: 0 | 1): void {
    const chunker = dir === 0 ? session.chunker0 : session.chunker1;
    if (chunker === null) return;
    const unusedAt = session.index * ROW_WORDS + (dir === 0 ? S_UNUSED_CHUNKS0 : S_UNUSED_CHUNKS1);
    this.rows.ints[unusedAt] = this.rows.ints[unusedAt]! + chunker.unused;
    if (dir === 0) session.chunker0 = null;
    else session.chunker1 = null;
    chunker.end();
    this.freeChunkers.push(chunker);
  }

  /** @internal StreamSink: a hole in a direction's bytes. */
  gap(dir: 0 | 1, offset: number, missing: number, reason: GapReason): void {
    const session = this.sinkSession!;
    addHistory(this.rows, session.index * ROW_WORDS + S_HISTORY, dir, H_GAP);
    this.options.onStreamGap?.(session, dir, offset, missing, reason);
    this.cutFingerprint(session, dir, offset);
  }

  /** @internal StreamSink: bytes cut by the snap length; chunks must not span them. */
  truncated(dir: 0 | 1, offset: number, _missing: number): void {
    this.cutFingerprint(this.sinkSession!, dir, offset);
  }

  private cutFingerprint(session: Session, dir: 0 | 1, _offset: number): void {
    (dir === 0 ? session.chunker0 : session.chunker1)?.cut();
  }

  /**
   * Index of the message of direction `dir` holding stream `offset` (the last one starting at or before it),
   * moving the direction's cursor forward.
   */
  private messageAt(session: Session, dir: 0 | 1, offset: number): number {
    const messages = this.messages;
    const w = session.index * ROW_WORDS;
    const cursorAt = w + (dir === 0 ? S_FP_CURSOR0 : S_FP_CURSOR1);
    let cur = this.rows.ints[cursorAt]!;
    if (cur < 0) {
      cur = nextOfDir(messages, dir, this.rows.ints[w + S_FIRST_MESSAGE]!);
      if (cur < 0) return -1;
    }
    for (;;) {
      const next = nextOfDir(messages, dir, messages.next(cur));
      if (next < 0 || messages.start(next) > offset) break;
      cur = next;
    }
    this.rows.ints[cursorAt] = cur;
    return messages.start(cur) <= offset ? cur : -1;
  }

  /**
   * End of input: flush out-of-order buffers (declaring the holes before them), close fingerprints, and
   * record sessions whose SYN was never answered. Idempotent.
   */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const session of this.sessions) {
      this.sinkSession = session;
      const sw = session.index * ROW_WORDS + S_STREAM;
      const sn = session.index * ROW_NUMS + N_STREAM;
      const last = session.lastPacket;
      streamFlush(this.rows, sw, sn, 0, last, this);
      streamFlush(this.rows, sw + STREAM_WORDS, sn + STREAM_NUMS, 1, last, this);
      this.releaseChunker(session, 0);
      this.releaseChunker(session, 1);
      // Arrays grown by push keep spare capacity; the session's list no longer grows.
      session.trimMessages();
      session.currentMessage = -1;
      if (
        session.hasSyn &&
        !session.hasSynAck &&
        this.rows.ints[session.index * ROW_WORDS + DIR_WORDS + D_PACKETS] === 0
      ) {
        if (session.flagCounts === null) session.flagCounts = new Uint32Array(24);
        session.flagCounts[31 - Math.clz32(H_SYN_UNANSWERED)]!++;
        if (session.findings.length < this.maxFindings) {
          const syn = session.syn!;
          session.findings.push({
            id: 'tcp.handshake.syn_unanswered',
            packet: syn.packet,
            detail: `${session.synCount} SYN(s) from packet ${syn.packet}, no SYN-ACK or other reply captured`,
            seq: syn.seq,
            ack: null,
            expectedAck: null,
            relatedPacket: null,
            relNs: syn.relNs,
          });
        }
      }
    }
    this.sinkSession = null;
    // No bytes come after the end: the lent-out chunkers are garbage now.
    this.freeChunkers.length = 0;
    this.messages.trim();
    this.handshakes.trim();
    this.rows.trim();
    this.flows = [];
  }
}

/** The first message of direction `dir` from row `row` on in its session's list (-1: none). */
function nextOfDir(messages: MessageStore, dir: 0 | 1, row: number): number {
  while (row >= 0 && messages.dir(row) !== dir) row = messages.next(row);
  return row;
}

/** Whether the chunker is writing the fingerprint of message row `m`. */
function writes(chunker: Chunker, m: number): boolean {
  const current = chunker.current;
  return current !== null && current === chunker.view && (current as MessageRecord).row === m;
}
