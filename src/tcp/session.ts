/**
 * What the TCP stage knows about one connection, kept in memory for the whole capture: memory grows with
 * sessions and messages, never with packets per connection. The correlation stage reads these objects.
 *
 * Directions: 0 = from the initiator (client) to the responder (server), 1 = back. `a`/`b` are the source
 * and destination of the session's first packet (tshark's endpoint order), which is not always the client.
 */
import type { PacketView } from '../decode/types.js';
import type { Chunker, Fingerprint } from './fingerprint.js';
import { HandshakeRecord, HandshakeStore } from './handshake-store.js';
import { History } from './history.js';
import { MessageRecord, MessageStore } from './message-store.js';
import {
  C_NSEC,
  C_PACKET,
  C_REL,
  C_SEC,
  CLOSE_FIN,
  CLOSE_FIN_DIR1,
  CLOSE_RST,
  CLOSE_RST_DIR1,
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
  N_FIN,
  N_FIRST_RTT,
  N_MRU_SYN,
  N_RST,
  N_SINCE_PREVIOUS,
  N_START_REL,
  N_START_SEC,
  N_STREAM,
  ROW_NUMS,
  ROW_WORDS,
  S_CHUNK_BUDGET,
  S_CLOSE_BITS,
  S_CURRENT_DIR,
  S_CURRENT_MESSAGE,
  S_END_NSEC,
  S_ESTABLISHED,
  S_FIN,
  S_FIRST_MESSAGE,
  S_FIRST_PACKET,
  S_FP_CURSOR0,
  S_FP_CURSOR1,
  S_HANDSHAKES,
  S_HISTORY,
  S_LAST_MESSAGE,
  S_LAST_PACKET,
  S_LAST_SYN_SEQ,
  S_MESSAGE_COUNT,
  S_MESSAGES_DROPPED,
  S_PACKETS,
  S_PREVIOUS_INDEX,
  S_RST,
  S_START_NSEC,
  S_STREAM,
  S_SYN_ACK_COUNT,
  S_SYN_COUNT,
  S_SYN_DATA_LENGTH,
  S_UNUSED_CHUNKS0,
  S_UNUSED_CHUNKS1,
  SessionRows,
} from './session-rows.js';
import { STREAM_NUMS, STREAM_WORDS, StreamReassembler } from './stream.js';

/** An endpoint: IPv4 in word [3] with words [0..2] = 0, IPv6 as four big-endian 32-bit words. */
export interface Endpoint {
  ipVersion: 4 | 6;
  addr: readonly number[];
  port: number;
}

/** A handshake packet (SYN, SYN-ACK or the handshake ACK) with what middleboxes tend to rewrite. */
export interface HandshakePacket {
  packet: number;
  sec: number;
  nsec: number;
  /** Nanoseconds from the table's base second. */
  relNs: number;
  /** Raw sequence and acknowledgement numbers. */
  seq: number;
  ack: number;
  /** Raw window field. */
  window: number;
  ttl: number;
  /** IPv4 identification (-1 for IPv6 without a fragment header). */
  ipId: number;
  /** TCP options: -1 / false when absent. */
  mss: number;
  wscale: number;
  sackPerm: boolean;
  hasTimestamps: boolean;
  tsval: number;
  tsecr: number;
  tfo: boolean;
  /** Option kinds in header order (NOP/EOL included): shows option rewriting. */
  optionKinds: number[];
}

/**
 * An application message: a run of new payload in one direction, ended by new payload in the other
 * direction (request/response). Byte range in stream offsets of its direction.
 */
export interface Message {
  dir: 0 | 1;
  firstPacket: number;
  lastPacket: number;
  /** Times of the first and last packet, ns from the table's base second (exact: `fromRelNs` gives sec/nsec). */
  firstRelNs: number;
  lastRelNs: number;
  /** Stream offsets [start, end): every new byte after the previous message of this direction. */
  start: number;
  end: number;
  /** Packets of this direction while the message was current (retransmissions included). */
  packets: number;
  /**
   * Fingerprint of the bytes reconstructed for this message: head hash of the first 64 bytes, content-
   * defined chunk hashes and lengths of the first 1,024 bytes (bounded), bytes seen. Absent content
   * (header-only capture, gaps) leaves it partial: compare `end - start` and timing then.
   */
  fingerprint: Fingerprint;
  /** TLS record marker of the message's first bytes (src/tcp/tls.ts); absent or 0 = not TLS. */
  tls?: number;
}

/**
 * A finding with its evidence (handshake rules and other per-session observations). `detail` is for people
 * and may be reworded; later stages read the numbers from the other fields, which mean, per finding id:
 * - tcp.handshake.synack_bad_ack: `seq`/`ack` of the odd answer, `expectedAck` = the latest SYN's seq + 1
 *   (the ISN it should acknowledge), `relatedPacket` = the first SYN;
 * - tcp.handshake.synack_retransmitted_after_ack: `seq`/`ack` of the re-sent SYN-ACK, `relatedPacket` =
 *   the handshake ACK it came after;
 * - tcp.handshake.rst_after_synack: `seq`/`ack` of the RST, `relatedPacket` = the SYN-ACK;
 * - tcp.handshake.syn_unanswered: `packet` and `seq` of the first SYN, `ack` null (a SYN acknowledges
 *   nothing).
 */
export interface Finding {
  id: string;
  /** The packet the finding is about. */
  packet: number;
  detail: string;
  /** Raw sequence number of `packet`. */
  seq: number;
  /** Raw acknowledgement number of `packet`, or null when it carries no ACK flag. */
  ack: number | null;
  /** The acknowledgement number the rule expected instead of `ack`, or null when the rule expects none. */
  expectedAck: number | null;
  /** The earlier packet the rule compares `packet` with, or null when there is none. */
  relatedPacket: number | null;
  /** Time of `packet`, ns from the table's base second. */
  relNs: number;
}

export interface CloseInfo {
  /** Which direction sent it first (0 initiator, 1 responder), its packet number and time. */
  dir: 0 | 1;
  packet: number;
  sec: number;
  nsec: number;
  relNs: number;
}

/**
 * Per-direction counters and stream facts, read from (and written to) the direction's block of a
 * session's row (session-rows.ts); one made with `new DirectionStats()` has a row of its own.
 */
export class DirectionStats {
  private readonly rows: SessionRows;
  /** Word offsets of the block in `rows.ints` and `rows.nums`. */
  private readonly i: number;
  private readonly n: number;

  constructor(rows: SessionRows | null = null, row = 0, dir: 0 | 1 = 0) {
    this.rows = rows ?? new SessionRows(1);
    if (rows === null) this.rows.add();
    this.i = row * ROW_WORDS + dir * DIR_WORDS;
    this.n = row * ROW_NUMS + dir * DIR_NUMS;
  }

  private word(k: number): number {
    return this.rows.ints[this.i + k]!;
  }
  private setWord(k: number, value: number): void {
    this.rows.ints[this.i + k] = value;
  }
  private setBit(mask: number, on: boolean): void {
    this.setWord(D_BITS, on ? this.word(D_BITS) | mask : this.word(D_BITS) & ~mask);
  }

  get packets(): number {
    return this.word(D_PACKETS);
  }
  set packets(n: number) {
    this.setWord(D_PACKETS, n);
  }
  /** Sum of TCP payload lengths (retransmissions included, as tshark's tcp.len). */
  get payloadBytes(): number {
    return this.rows.nums[this.n + D_PAYLOAD_BYTES]!;
  }
  set payloadBytes(n: number) {
    this.rows.nums[this.n + D_PAYLOAD_BYTES] = n;
  }
  get syn(): number {
    return this.word(D_SYN);
  }
  set syn(n: number) {
    this.setWord(D_SYN, n);
  }
  get synAck(): number {
    return this.word(D_SYN_ACK);
  }
  set synAck(n: number) {
    this.setWord(D_SYN_ACK, n);
  }
  get fin(): number {
    return this.word(D_FIN);
  }
  set fin(n: number) {
    this.setWord(D_FIN, n);
  }
  get rst(): number {
    return this.word(D_RST);
  }
  set rst(n: number) {
    this.setWord(D_RST, n);
  }
  /** Packets carrying SACK blocks, and packets carrying the timestamps option. */
  get sackPackets(): number {
    return this.word(D_SACK_PACKETS);
  }
  set sackPackets(n: number) {
    this.setWord(D_SACK_PACKETS, n);
  }
  get timestampPackets(): number {
    return this.word(D_TIMESTAMP_PACKETS);
  }
  set timestampPackets(n: number) {
    this.setWord(D_TIMESTAMP_PACKETS, n);
  }
  /** ISN (raw) if a SYN was seen in this direction, else the first raw seq seen; `isnKnown` says which. */
  get isn(): number {
    return this.word(D_ISN) >>> 0;
  }
  set isn(seq: number) {
    this.setWord(D_ISN, seq | 0);
  }
  get isnKnown(): boolean {
    return (this.word(D_BITS) & D_ISN_KNOWN) !== 0;
  }
  set isnKnown(known: boolean) {
    this.setBit(D_ISN_KNOWN, known);
  }
  get firstSeqSet(): boolean {
    return (this.word(D_BITS) & D_FIRST_SEQ_SET) !== 0;
  }
  set firstSeqSet(set: boolean) {
    this.setBit(D_FIRST_SEQ_SET, set);
  }
  /** Highest stream offset of new payload seen (end of the last new byte). */
  get maxEnd(): number {
    return this.rows.nums[this.n + D_MAX_END]!;
  }
  set maxEnd(offset: number) {
    this.rows.nums[this.n + D_MAX_END] = offset;
  }
  /** Fingerprint of the direction's first bytes (head hash only; chunks live in messages). */
  get headHash(): number {
    return this.word(D_HEAD_HASH) >>> 0;
  }
  set headHash(hash: number) {
    this.setWord(D_HEAD_HASH, hash | 0);
  }
  get headBytes(): number {
    return this.word(D_HEAD_BYTES);
  }
  set headBytes(n: number) {
    this.setWord(D_HEAD_BYTES, n);
  }
}

/** Messages as rows of a store (see `Session.messageRows`): direction, stream range and the next row. */
export interface MessageRows {
  dir(row: number): 0 | 1;
  /** Stream offsets [start, end) of the message in its direction. */
  start(row: number): number;
  end(row: number): number;
  /** The session's next message (-1: the last). */
  next(row: number): number;
}

/** The per-table stores a session's handshake packets and messages live in. */
export interface SessionStores {
  readonly handshakes: HandshakeStore;
  readonly messages: MessageStore;
  /** Per-session counters and history (session i's row is row i). */
  readonly rows: SessionRows;
  /** Where sessions made without endpoints get them (side 0 = a, 1 = b). */
  readonly endpoints?: EndpointSource;
}

/** Makes (or shares) a table session's endpoint on request. */
export interface EndpointSource {
  endpoint(session: number, side: 0 | 1): Endpoint;
}

/** Handshake packet kinds: index in `SessionExtras.handshakes` and word after S_HANDSHAKES. */
const HS_SYN = 0;
const HS_SYN_ACK = 1;
const HS_ACK = 2;

/**
 * A session's objects that most sessions never need during the capture: views made when a reader asks,
 * values assigned from outside, lists made on first use. One object made on demand in place of a dozen
 * fields in every session. `undefined` in `handshakes`, `fin`, `rst`: read the session's row.
 */
class SessionExtras {
  handshakes: (HandshakePacket | null | undefined)[] = [undefined, undefined, undefined];
  fin: CloseInfo | null | undefined = undefined;
  rst: CloseInfo | null | undefined = undefined;
  dir0: DirectionStats | null = null;
  dir1: DirectionStats | null = null;
  history: History | null = null;
  stream0: StreamReassembler | null = null;
  stream1: StreamReassembler | null = null;
  messages: Message[] | null = null;
  findings: Finding[] | null = null;
}

export class Session {
  /** Index in the table, in order of first packet: equals tshark's tcp.stream numbering. */
  readonly index: number;
  /** Source and destination of the first packet (tshark's endpoint_a / endpoint_b). */
  get a(): Endpoint {
    if (this.aEndpoint === null) this.aEndpoint = this.stores!.endpoints!.endpoint(this.index, 0);
    return this.aEndpoint;
  }
  get b(): Endpoint {
    if (this.bEndpoint === null) this.bEndpoint = this.stores!.endpoints!.endpoint(this.index, 1);
    return this.bEndpoint;
  }
  /**
   * The endpoints, once given or made: a table's sessions leave them null and its `endpoints` make them
   * from the flow index's tuple on first read (two objects and an address list per session otherwise).
   */
  private aEndpoint: Endpoint | null;
  private bEndpoint: Endpoint | null;
  /** Which of a/b initiated: 'a' unless the first packet was a SYN-ACK or a reply from a well-known port. */
  initiator: 'a' | 'b' = 'a';
  /** How the initiator was determined. */
  initiatorBy: 'syn' | 'synack' | 'port' | 'first-packet' = 'first-packet';
  /** Community ID v1 (seed 0), when the table was given a function for it. */
  communityId: string | null = null;

  /** First and last packet: numbers, exact times, and ns relative to the table's base second. */
  get firstPacket(): number {
    return this.rows.ints[this.w + S_FIRST_PACKET]! >>> 0;
  }
  set firstPacket(n: number) {
    this.rows.ints[this.w + S_FIRST_PACKET] = n;
  }
  get lastPacket(): number {
    return this.rows.ints[this.w + S_LAST_PACKET]! >>> 0;
  }
  set lastPacket(n: number) {
    this.rows.ints[this.w + S_LAST_PACKET] = n;
  }
  get startSec(): number {
    return this.rows.nums[this.n + N_START_SEC]!;
  }
  set startSec(n: number) {
    this.rows.nums[this.n + N_START_SEC] = n;
  }
  get startNsec(): number {
    return this.rows.ints[this.w + S_START_NSEC]!;
  }
  set startNsec(n: number) {
    this.rows.ints[this.w + S_START_NSEC] = n;
  }
  get endSec(): number {
    return this.rows.nums[this.n + N_END_SEC]!;
  }
  set endSec(n: number) {
    this.rows.nums[this.n + N_END_SEC] = n;
  }
  get endNsec(): number {
    return this.rows.ints[this.w + S_END_NSEC]!;
  }
  set endNsec(n: number) {
    this.rows.ints[this.w + S_END_NSEC] = n;
  }
  get packets(): number {
    return this.rows.ints[this.w + S_PACKETS]!;
  }
  set packets(n: number) {
    this.rows.ints[this.w + S_PACKETS] = n;
  }

  /**
   * Handshake packets: the first SYN, the first SYN-ACK, and the ACK completing the handshake. The table
   * records each as a row of its HandshakeStore (the row + 1 in the session's row, 0 = none); a view of it
   * is made on first read. An assigned value (or the view once made) is kept in `extras`.
   */
  get syn(): HandshakePacket | null {
    return this.handshake(HS_SYN);
  }
  set syn(packet: HandshakePacket | null) {
    this.more().handshakes[HS_SYN] = packet;
  }
  get synAck(): HandshakePacket | null {
    return this.handshake(HS_SYN_ACK);
  }
  set synAck(packet: HandshakePacket | null) {
    this.more().handshakes[HS_SYN_ACK] = packet;
  }
  get handshakeAck(): HandshakePacket | null {
    return this.handshake(HS_ACK);
  }
  set handshakeAck(packet: HandshakePacket | null) {
    this.more().handshakes[HS_ACK] = packet;
  }
  private handshake(k: number): HandshakePacket | null {
    const known = this.extras?.handshakes[k];
    if (known !== undefined) return known;
    const h = this.rows.ints[this.w + S_HANDSHAKES + k]!;
    if (h === 0) return null;
    const record = new HandshakeRecord(this.stores!.handshakes, h - 1);
    this.more().handshakes[k] = record;
    return record;
  }
  private hasHandshake(k: number): boolean {
    const known = this.extras?.handshakes[k];
    return known !== undefined ? known !== null : this.rows.ints[this.w + S_HANDSHAKES + k] !== 0;
  }
  private handshakeSeq(k: number): number {
    const known = this.extras?.handshakes[k];
    if (known !== undefined) return known === null ? 0 : known.seq;
    const h = this.rows.ints[this.w + S_HANDSHAKES + k]!;
    return h === 0 ? 0 : this.stores!.handshakes.seq(h - 1);
  }
  private recordHandshake(k: number, v: PacketView, relNs: number, optionKinds: number[]): void {
    this.rows.ints[this.w + S_HANDSHAKES + k] = this.handshakeStore().add(v, relNs, optionKinds) + 1;
    if (this.extras !== null) this.extras.handshakes[k] = undefined;
  }
  /** Where the table keeps this session's handshake packets and messages (made on first use otherwise). */
  private stores: SessionStores | null;
  /** Number of SYNs / SYN-ACKs seen (retransmissions included). */
  get synCount(): number {
    return this.rows.ints[this.w + S_SYN_COUNT]!;
  }
  set synCount(n: number) {
    this.rows.ints[this.w + S_SYN_COUNT] = n;
  }
  get synAckCount(): number {
    return this.rows.ints[this.w + S_SYN_ACK_COUNT]!;
  }
  set synAckCount(n: number) {
    this.rows.ints[this.w + S_SYN_ACK_COUNT] = n;
  }

  /** First FIN and first RST (who closed first, when): recorded in the session's row, made on first read. */
  get fin(): CloseInfo | null {
    const known = this.extras?.fin;
    return known !== undefined ? known : this.close(false);
  }
  set fin(info: CloseInfo | null) {
    this.more().fin = info;
  }
  get rst(): CloseInfo | null {
    const known = this.extras?.rst;
    return known !== undefined ? known : this.close(true);
  }
  set rst(info: CloseInfo | null) {
    this.more().rst = info;
  }

  /**
   * Per direction, from the initiator and from the responder (`dirs` gives both as a pair): views of the
   * session's row, made on first read and kept.
   */
  get dir0(): DirectionStats {
    const x = this.more();
    if (x.dir0 === null) x.dir0 = new DirectionStats(this.rows, this.row, 0);
    return x.dir0;
  }
  get dir1(): DirectionStats {
    const x = this.more();
    if (x.dir1 === null) x.dir1 = new DirectionStats(this.rows, this.row, 1);
    return x.dir1;
  }
  /** Zeek-style history string (upper case = initiator): a view of the session's row, made on first read. */
  get history(): History {
    const x = this.more();
    if (x.history === null) x.history = new History(this.rows, this.w + S_HISTORY);
    return x.history;
  }
  /**
   * Where the session's numbers, counters and history are: the table's rows (row = index) or a row of its
   * own; `w` and `n` are the row's offsets in `rows.ints` and `rows.nums`.
   */
  private readonly rows: SessionRows;
  /** @internal the session's row in `rows`. */
  get row(): number {
    return this.w / ROW_WORDS;
  }
  private readonly w: number;
  private readonly n: number;
  /**
   * Application messages in time order (bounded by the table's maxMessagesPerSession). The table records
   * them as rows of its MessageStore; the list of views is made on first read and kept up to date.
   */
  get messages(): Message[] {
    const x = this.more();
    let list = x.messages;
    if (list === null) {
      list = [];
      const store = this.stores?.messages;
      if (store !== undefined) {
        for (let row = this.firstMessage; row >= 0; row = store.next(row))
          list.push(new MessageRecord(store, row));
      }
      x.messages = list;
    }
    return list;
  }
  /** Messages not kept because of the bound. */
  get messagesDropped(): number {
    return this.rows.ints[this.w + S_MESSAGES_DROPPED]!;
  }
  set messagesDropped(n: number) {
    this.rows.ints[this.w + S_MESSAGES_DROPPED] = n;
  }
  /** Counts of each analysis bit seen (index = bit number), allocated on the first flag. */
  flagCounts: Uint32Array | null = null;
  /** Handshake findings with evidence (bounded). The list is made on first use: most sessions have none. */
  get findings(): Finding[] {
    const x = this.more();
    if (x.findings === null) x.findings = [];
    return x.findings;
  }

  /** Previous session on the same address/port pair (-1: none), and ns from its last packet to this one's first (-1). */
  get previousIndex(): number {
    return this.rows.ints[this.w + S_PREVIOUS_INDEX]!;
  }
  set previousIndex(n: number) {
    this.rows.ints[this.w + S_PREVIOUS_INDEX] = n;
  }
  get sincePreviousNs(): number {
    return this.rows.nums[this.n + N_SINCE_PREVIOUS]!;
  }
  set sincePreviousNs(n: number) {
    this.rows.nums[this.n + N_SINCE_PREVIOUS] = n;
  }

  /**
   * @internal stream reconstruction per direction relative to the initiator (`streams` gives both): views
   * of the session's row, made on first read and kept.
   */
  get stream0(): StreamReassembler {
    const x = this.more();
    if (x.stream0 === null)
      x.stream0 = new StreamReassembler(0, this.rows, this.w + S_STREAM, this.n + N_STREAM);
    return x.stream0;
  }
  get stream1(): StreamReassembler {
    const x = this.more();
    if (x.stream1 === null) {
      x.stream1 = new StreamReassembler(
        1,
        this.rows,
        this.w + S_STREAM + STREAM_WORDS,
        this.n + N_STREAM + STREAM_NUMS,
      );
    }
    return x.stream1;
  }
  /** What few sessions need or readers ask for, in one object made on first use (null: none yet). */
  private extras: SessionExtras | null = null;
  private more(): SessionExtras {
    if (this.extras === null) this.extras = new SessionExtras();
    return this.extras;
  }
  /** @internal row of the message currently receiving packets (-1: none). */
  get currentMessage(): number {
    return this.rows.ints[this.w + S_CURRENT_MESSAGE]!;
  }
  set currentMessage(n: number) {
    this.rows.ints[this.w + S_CURRENT_MESSAGE] = n;
  }
  /**
   * The session's messages as rows, for readers that walk many sessions' messages without making a view
   * per message (`messages` makes one object per message, kept to the end): rows from `firstMessage`
   * through `messageRows.next(row)` until -1 are the messages of `messages`, in its order, and
   * `messageCount` is their number. A message pushed onto the `messages` list by hand has no row.
   */
  get messageRows(): MessageRows {
    return this.ownStores().messages;
  }
  /** Rows of the first and last message (-1: none), and how many the table recorded. */
  get firstMessage(): number {
    return this.rows.ints[this.w + S_FIRST_MESSAGE]!;
  }
  set firstMessage(n: number) {
    this.rows.ints[this.w + S_FIRST_MESSAGE] = n;
  }
  get lastMessage(): number {
    return this.rows.ints[this.w + S_LAST_MESSAGE]!;
  }
  set lastMessage(n: number) {
    this.rows.ints[this.w + S_LAST_MESSAGE] = n;
  }
  get messageCount(): number {
    return this.rows.ints[this.w + S_MESSAGE_COUNT]!;
  }
  set messageCount(n: number) {
    this.rows.ints[this.w + S_MESSAGE_COUNT] = n;
  }
  /** @internal per direction: row of the message being fingerprinted (-1: none yet). */
  get fpCursor0(): number {
    return this.rows.ints[this.w + S_FP_CURSOR0]!;
  }
  set fpCursor0(n: number) {
    this.rows.ints[this.w + S_FP_CURSOR0] = n;
  }
  get fpCursor1(): number {
    return this.rows.ints[this.w + S_FP_CURSOR1]!;
  }
  set fpCursor1(n: number) {
    this.rows.ints[this.w + S_FP_CURSOR1] = n;
  }
  /**
   * @internal per direction: the chunker lent by the table while a fingerprint is open, and the chunks its
   * last fingerprint left unused, returned to `chunkBudget` when the direction's next fingerprint opens.
   */
  chunker0: Chunker | null = null;
  chunker1: Chunker | null = null;
  get unusedChunks0(): number {
    return this.rows.ints[this.w + S_UNUSED_CHUNKS0]!;
  }
  set unusedChunks0(n: number) {
    this.rows.ints[this.w + S_UNUSED_CHUNKS0] = n;
  }
  get unusedChunks1(): number {
    return this.rows.ints[this.w + S_UNUSED_CHUNKS1]!;
  }
  set unusedChunks1(n: number) {
    this.rows.ints[this.w + S_UNUSED_CHUNKS1] = n;
  }
  get chunkBudget(): number {
    return this.rows.ints[this.w + S_CHUNK_BUDGET]!;
  }
  set chunkBudget(n: number) {
    this.rows.ints[this.w + S_CHUNK_BUDGET] = n;
  }
  /** @internal the handshake ACK has been seen (for synack_retransmitted_after_ack). */
  get established(): boolean {
    return this.rows.ints[this.w + S_ESTABLISHED] !== 0;
  }
  set established(seen: boolean) {
    this.rows.ints[this.w + S_ESTABLISHED] = seen ? 1 : 0;
  }
  /** @internal payload length of the first SYN (TCP Fast Open). */
  get synDataLength(): number {
    return this.rows.ints[this.w + S_SYN_DATA_LENGTH]!;
  }
  set synDataLength(n: number) {
    this.rows.ints[this.w + S_SYN_DATA_LENGTH] = n;
  }
  /** @internal direction of the current message even when it was not kept (-1: none yet). */
  get currentDir(): number {
    return this.rows.ints[this.w + S_CURRENT_DIR]!;
  }
  set currentDir(n: number) {
    this.rows.ints[this.w + S_CURRENT_DIR] = n;
  }

  /**
   * `_absZeroNs` is no longer used (the analysis state per flow lives in the table); the parameter stays so
   * that code constructing sessions keeps compiling.
   */
  constructor(
    index: number,
    a: Endpoint | null,
    b: Endpoint | null,
    _absZeroNs: number,
    chunkBudget: number,
    stores: SessionStores | null = null,
  ) {
    this.stores = stores;
    const rows = stores === null ? new SessionRows(1) : stores.rows;
    const row = stores === null ? rows.add() : index;
    this.rows = rows;
    this.w = row * ROW_WORDS;
    this.n = row * ROW_NUMS;
    this.index = index;
    this.aEndpoint = a;
    this.bEndpoint = b;
    this.chunkBudget = chunkBudget;
  }

  /** @internal first RTT (SYN -> handshake ACK) in ns: 0 = unknown, Infinity for a negative delta. */
  get firstRttNs(): number {
    return this.rows.nums[this.n + N_FIRST_RTT]!;
  }
  set firstRttNs(n: number) {
    this.rows.nums[this.n + N_FIRST_RTT] = n;
  }
  /** @internal time of the most recent pure SYN (Wireshark's ts_mru_syn); NaN when none. */
  get mruSynNs(): number {
    return this.rows.nums[this.n + N_MRU_SYN]!;
  }
  set mruSynNs(n: number) {
    this.rows.nums[this.n + N_MRU_SYN] = n;
  }
  /** @internal raw seq of the latest SYN. */
  get lastSynSeq(): number {
    return this.rows.ints[this.w + S_LAST_SYN_SEQ]! >>> 0;
  }
  set lastSynSeq(seq: number) {
    this.rows.ints[this.w + S_LAST_SYN_SEQ] = seq;
  }

  /** @internal record the packet as the session's first SYN / SYN-ACK / handshake ACK. */
  recordSyn(v: PacketView, relNs: number, optionKinds: number[]): void {
    this.recordHandshake(HS_SYN, v, relNs, optionKinds);
  }
  recordSynAck(v: PacketView, relNs: number, optionKinds: number[]): void {
    this.recordHandshake(HS_SYN_ACK, v, relNs, optionKinds);
  }
  recordHandshakeAck(v: PacketView, relNs: number, optionKinds: number[]): void {
    this.recordHandshake(HS_ACK, v, relNs, optionKinds);
  }
  /** @internal whether the packets were seen, without making their views. */
  get hasSyn(): boolean {
    return this.hasHandshake(HS_SYN);
  }
  get hasSynAck(): boolean {
    return this.hasHandshake(HS_SYN_ACK);
  }
  /** @internal raw seq of the first SYN / SYN-ACK (0 when not seen), without making their views. */
  get synSeq(): number {
    return this.handshakeSeq(HS_SYN);
  }
  get synAckSeq(): number {
    return this.handshakeSeq(HS_SYN_ACK);
  }

  /** @internal whether a FIN / RST was recorded, without making its object. */
  get hasFin(): boolean {
    const known = this.extras?.fin;
    return known !== undefined ? known !== null : (this.rows.ints[this.w + S_CLOSE_BITS]! & CLOSE_FIN) !== 0;
  }
  get hasRst(): boolean {
    const known = this.extras?.rst;
    return known !== undefined ? known !== null : (this.rows.ints[this.w + S_CLOSE_BITS]! & CLOSE_RST) !== 0;
  }
  /** @internal record the session's first FIN (`rst` false) or RST: direction, packet and time. */
  recordClose(rst: boolean, dir: 0 | 1, packet: number, sec: number, nsec: number, relNs: number): void {
    const ints = this.rows.ints;
    const nums = this.rows.nums;
    const w = this.w + (rst ? S_RST : S_FIN);
    const n = this.n + (rst ? N_RST : N_FIN);
    ints[w + C_PACKET] = packet;
    ints[w + C_NSEC] = nsec;
    nums[n + C_SEC] = sec;
    nums[n + C_REL] = relNs;
    const bits = rst
      ? CLOSE_RST | (dir === 1 ? CLOSE_RST_DIR1 : 0)
      : CLOSE_FIN | (dir === 1 ? CLOSE_FIN_DIR1 : 0);
    ints[this.w + S_CLOSE_BITS] = ints[this.w + S_CLOSE_BITS]! | bits;
    if (this.extras !== null) {
      if (rst) this.extras.rst = undefined;
      else this.extras.fin = undefined;
    }
  }
  private close(rst: boolean): CloseInfo | null {
    const bits = this.rows.ints[this.w + S_CLOSE_BITS]!;
    if ((bits & (rst ? CLOSE_RST : CLOSE_FIN)) === 0) return null;
    const w = this.w + (rst ? S_RST : S_FIN);
    const n = this.n + (rst ? N_RST : N_FIN);
    const info: CloseInfo = {
      dir: bits & (rst ? CLOSE_RST_DIR1 : CLOSE_FIN_DIR1) ? 1 : 0,
      packet: this.rows.ints[w + C_PACKET]! >>> 0,
      sec: this.rows.nums[n + C_SEC]!,
      nsec: this.rows.ints[w + C_NSEC]!,
      relNs: this.rows.nums[n + C_REL]!,
    };
    if (rst) this.more().rst = info;
    else this.more().fin = info;
    return info;
  }

  private handshakeStore(): HandshakeStore {
    return this.ownStores().handshakes;
  }

  /** @internal record a new message (a row of the message store) after the session's others. */
  addMessage(dir: 0 | 1, packet: number, relNs: number, start: number, end: number): number {
    const store = this.ownStores().messages;
    const row = store.add(dir, packet, relNs, start, end);
    if (this.lastMessage >= 0) store.setNext(this.lastMessage, row);
    else this.firstMessage = row;
    this.lastMessage = row;
    this.messageCount++;
    this.extras?.messages?.push(new MessageRecord(store, row));
    return row;
  }

  /** @internal the list of messages, sized exactly (the table calls it at its end). */
  trimMessages(): void {
    const list = this.extras?.messages;
    if (list != null && list.length > 0) this.extras!.messages = list.slice();
  }

  private ownStores(): SessionStores {
    // Sessions made outside a table keep their handshake packets and messages in stores of their own.
    if (this.stores === null)
      this.stores = { handshakes: new HandshakeStore(3), messages: new MessageStore(4), rows: this.rows };
    return this.stores;
  }

  get startRelNs(): number {
    return this.rows.nums[this.n + N_START_REL]!;
  }
  set startRelNs(n: number) {
    this.rows.nums[this.n + N_START_REL] = n;
  }
  get endRelNs(): number {
    return this.rows.nums[this.n + N_END_REL]!;
  }
  set endRelNs(n: number) {
    this.rows.nums[this.n + N_END_REL] = n;
  }

  /**
   * Per direction: [from initiator, from responder]. Pairs are made on request (a pair kept per session
   * would cost 64 bytes each); the objects in them are the session's own.
   */
  get dirs(): [DirectionStats, DirectionStats] {
    return [this.dir0, this.dir1];
  }

  /** @internal stream reconstruction per direction relative to the initiator. */
  get streams(): [StreamReassembler, StreamReassembler] {
    return [this.stream0, this.stream1];
  }

  /** Client endpoint (the initiator) and server endpoint. */
  get client(): Endpoint {
    return this.initiator === 'a' ? this.a : this.b;
  }
  get server(): Endpoint {
    return this.initiator === 'a' ? this.b : this.a;
  }

  /** Relative ISN-based numbers: the raw ISN of each direction (initiator first), when a SYN was seen. */
  get clientIsn(): number | null {
    return this.dir0.isnKnown ? this.dir0.isn : null;
  }
  get serverIsn(): number | null {
    return this.dir1.isnKnown ? this.dir1.isn : null;
  }

  /** Handshake durations in ns (SYN -> SYN-ACK, SYN-ACK -> ACK), or null when a packet is missing. */
  get synToSynAckNs(): number | null {
    return this.hasSyn && this.hasSynAck ? this.synAck!.relNs - this.syn!.relNs : null;
  }
  get synAckToAckNs(): number | null {
    return this.hasSynAck && this.hasHandshake(HS_ACK) ? this.handshakeAck!.relNs - this.synAck!.relNs : null;
  }

  /** How many packets carried analysis bit `bit` (a flags.ts constant). */
  count(bit: number): number {
    return this.flagCounts ? this.flagCounts[31 - Math.clz32(bit)]! : 0;
  }
}
