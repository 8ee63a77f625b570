/**
 * Candidate indexes of pairing: which server-side sessions and messages might be the counterpart of a
 * client-side one, found by numeric keys in O(1) each (never by comparing every session with every other).
 *
 * Handshake keys (pass-through devices): the SYN's sequence number (kept by routers, NAT and SYN proxies,
 * whose server-side SYN carries the client's ISN) and the SYN's TSval (kept by NAT and sequence
 * randomisers). Content keys (any device that forwards the bytes, terminating or not): per message, the
 * head hash, the content-defined chunk hashes and the line hashes; messages without captured payload fall
 * back to their size. Keys are tagged with their kind and direction so that equal numbers of different
 * kinds never meet.
 */
import type { Session } from '../tcp/index.js';
import { KeyIndex, tagged } from './pair-index.js';
import { DISTINCT_LINK, Rarity } from './pair-rarity.js';
import { H_SYN, H_SYN_TS, HandshakeTable } from './pair-syns.js';
import type { SideData } from './types.js';

/** A key held by more values than this identifies nothing (a common header line, "HTTP/1.1 200 OK"). */
export const MAX_POSTINGS = 16;
/** Head hashes of messages shorter than this are too weak to be keys. */
export const MIN_HEAD_BYTES = 16;
/** The last (partial) chunk of a message is a key only when at least this long. */
export const MIN_TAIL_CHUNK = 16;

const KIND_HEAD = 0;
const KIND_CHUNK = 1;
const KIND_LINE = 2;
const KIND_SIZE = 3;

export interface HandshakeIndex {
  /** SYN sequence number -> session index. */
  isn: KeyIndex;
  /** SYN TSval -> session index (SYNs with timestamps and a non-zero TSval). */
  tsval: KeyIndex;
  /** The side's handshake fields the index was made from. */
  table: HandshakeTable;
}

/** Index a side's SYNs; `table` must be of the side's current shift (a new one by default). */
export function indexHandshakes(side: SideData, table = new HandshakeTable(side)): HandshakeIndex {
  const n = table.size;
  const isn = new KeyIndex(n);
  const tsval = new KeyIndex(n);
  const has = table.has;
  for (let i = 0; i < n; i++) {
    const h = has[i]!;
    if ((h & H_SYN) === 0) continue;
    isn.add(table.synSeq[i]!, i);
    if ((h & H_SYN_TS) !== 0 && table.synTsval[i] !== 0) tsval.add(table.synTsval[i]!, i);
  }
  return { isn, tsval, table };
}

/** Every message of a side under one global number, with its content keys indexed. */
export class MessageIndex {
  /** Global message number -> session index and message index. */
  readonly session: Int32Array;
  readonly message: Int32Array;
  /** Session index -> global number of its first message. */
  readonly firstOf: Int32Array;
  readonly keys: KeyIndex;
  readonly size: number;
  /** Each message's own keys, computed once: `keyList[keyStart[g] .. keyStart[g + 1])`. */
  readonly keyStart: Int32Array;
  readonly keyList: Uint32Array;
  /** How many of a message's keys are byte keys (head hash, chunks): they lead its list. */
  readonly byteKeys: Uint8Array;

  constructor(readonly side: SideData) {
    const sessions = side.sessions;
    const firstOf = new Int32Array(sessions.length + 1);
    let total = 0;
    for (let i = 0; i < sessions.length; i++) {
      firstOf[i] = total;
      total += sessions[i]!.messages.length;
    }
    firstOf[sessions.length] = total;
    this.firstOf = firstOf;
    this.size = total;
    this.session = new Int32Array(total);
    this.message = new Int32Array(total);
    this.keys = new KeyIndex(total * 8);
    this.keyStart = new Int32Array(total + 1);
    this.byteKeys = new Uint8Array(total);
    let list = new Uint32Array(Math.max(16, total * 8));
    let used = 0;
    const scratch: number[] = [];
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i]!;
      for (let m = 0; m < s.messages.length; m++) {
        const g = firstOf[i]! + m;
        this.session[g] = i;
        this.message[g] = m;
        this.byteKeys[g] = messageKeys(side, s, m, scratch);
        if (used + scratch.length > list.length) {
          const wider = new Uint32Array(Math.max(list.length * 2, used + scratch.length));
          wider.set(list);
          list = wider;
        }
        for (const k of scratch) {
          this.keys.add(k, g);
          list[used++] = k;
        }
        this.keyStart[g + 1] = used;
      }
    }
    this.keyList = list.subarray(0, used);
  }
}

/**
 * The content keys of message `m` of session `s`, into `out` (cleared first): byte keys first (head hash,
 * chunks), then line keys; a message without captured payload has only its size. Returns how many byte
 * keys lead the list.
 */
export function messageKeys(side: SideData, s: Session, m: number, out: number[]): number {
  out.length = 0;
  const msg = s.messages[m]!;
  const fp = msg.fingerprint;
  const tag = msg.dir * 4;
  if (fp.bytes === 0) {
    if (msg.end > msg.start) out.push(tagged(msg.end - msg.start, tag + KIND_SIZE));
    return 0;
  }
  if (fp.bytes >= MIN_HEAD_BYTES) out.push(tagged(fp.headHash, tag + KIND_HEAD));
  const n = fp.hashes.length;
  for (let i = 0; i < n; i++) {
    if (i === n - 1 && fp.lengths[i]! < MIN_TAIL_CHUNK) continue;
    out.push(tagged(fp.hashes[i]!, tag + KIND_CHUNK));
  }
  const byteKeys = out.length;
  const lines = side.lineHashes[s.index]?.[m];
  if (lines) for (let i = 0; i < lines.length; i++) out.push(tagged(lines[i]!, tag + KIND_LINE));
  return byteKeys;
}

/** Pairs of times (client side, server side) for the coarse offset, from keys unique on both sides. */
export interface CoarsePoints {
  clientNs: number[];
  serverNs: number[];
  /** 1 where the point comes from a line or a size (short, and shared by unrelated traffic more often). */
  weak: number[];
}

/** A byte key held by more messages than this on either side is not used for the coarse offset. */
export const MAX_COMMON_POSTINGS = 64;

/**
 * COMMON CONTENT POINTS: when no key is unique on both sides (every client sends the same request), each
 * byte key (head hash or chunk: the same bytes, not just a similar line) shared by a few messages on each
 * side gives every combination of its client and server times. The true offset is the one all the true
 * combinations share; wrong combinations spread by the spacing of the messages, so the consensus must be
 * taken with a narrow window (COMMON_CLUSTER_NS). A combination counts only when its two messages are
 * distinctively alike (`Rarity`): the same request sent by every client is, a shared status line or
 * header block with different ids after it is not.
 */
export function commonPoints(
  client: SideData,
  server: SideData,
  mc: MessageIndex,
  ms: MessageIndex,
  rarity = new Rarity(mc, ms),
): CoarsePoints {
  const out: CoarsePoints = { clientNs: [], serverNs: [], weak: [] };
  const done = new KeyIndex(1024);
  for (let g = 0; g < mc.size && out.clientNs.length < MAX_COARSE_POINTS; g++) {
    for (let i = mc.keyStart[g]!; i < mc.keyStart[g]! + mc.byteKeys[g]!; i++) {
      const k = mc.keyList[i]!;
      if (done.count(k) > 0) continue;
      done.add(k, 0);
      const nc = mc.keys.count(k);
      const ns = ms.keys.count(k);
      if (ns === 0 || nc > MAX_COMMON_POSTINGS || ns > MAX_COMMON_POSTINGS) continue;
      for (let a = mc.keys.first(k); a >= 0; a = mc.keys.nextEntry(a)) {
        const ga = mc.keys.valueAt(a);
        const ta = client.sessions[mc.session[ga]!]!.messages[mc.message[ga]!]!.firstRelNs + client.shiftNs;
        for (let b = ms.keys.first(k); b >= 0; b = ms.keys.nextEntry(b)) {
          const gb = ms.keys.valueAt(b);
          if (rarity.alike(ga, gb) < DISTINCT_LINK) continue;
          out.clientNs.push(ta);
          out.weak.push(0);
          out.serverNs.push(
            server.sessions[ms.session[gb]!]!.messages[ms.message[gb]!]!.firstRelNs + server.shiftNs,
          );
        }
      }
    }
  }
  return out;
}

/** Consensus window for common content points: forwarding delays of a LAN device, not message spacing. */
export const COMMON_CLUSTER_NS = 2e6;

/** Most points kept for the coarse offset: its consensus needs many, not all. */
export const MAX_COARSE_POINTS = 200_000;

export function coarsePoints(
  client: SideData,
  server: SideData,
  hc: HandshakeIndex,
  hs: HandshakeIndex,
  mc: MessageIndex,
  ms: MessageIndex,
  rarity = new Rarity(mc, ms),
): CoarsePoints {
  const out = handshakePoints(hc, hs);
  addContentPoints(out, client, server, mc, ms, rarity);
  return capped(out);
}

/** One point per SYN whose sequence number, or TSval, is held by one SYN on each side. */
export function handshakePoints(hc: HandshakeIndex, hs: HandshakeIndex): CoarsePoints {
  const out: CoarsePoints = { clientNs: [], serverNs: [], weak: [] };
  const tc = hc.table;
  const ts = hs.table;
  for (let i = 0; i < tc.size; i++) {
    const h = tc.has[i]!;
    if ((h & H_SYN) === 0) continue;
    const seq = tc.synSeq[i]!;
    if (hc.isn.count(seq) === 1) {
      const j = hs.isn.unique(seq);
      if (j >= 0) pushPoint(out, tc.synNs[i]!, ts.synNs[j]!, 0);
    }
    const tsval = tc.synTsval[i]!;
    if ((h & H_SYN_TS) !== 0 && tsval !== 0 && hc.tsval.count(tsval) === 1) {
      const j = hs.tsval.unique(tsval);
      if (j >= 0) pushPoint(out, tc.synNs[i]!, ts.synNs[j]!, 0);
    }
  }
  return out;
}

/**
 * One point per client message: its first key that is unique on both sides, when the two messages are
 * distinctively alike (a key held once on each side may still be structure: the only upload's headers).
 */
export function addContentPoints(
  out: CoarsePoints,
  client: SideData,
  server: SideData,
  mc: MessageIndex,
  ms: MessageIndex,
  rarity: Rarity,
): void {
  for (let g = 0; g < mc.size; g++) {
    const s = client.sessions[mc.session[g]!]!;
    const m = mc.message[g]!;
    for (let i = mc.keyStart[g]!; i < mc.keyStart[g + 1]!; i++) {
      const k = mc.keyList[i]!;
      if (mc.keys.count(k) !== 1) continue;
      const h = ms.keys.unique(k);
      if (h < 0 || rarity.alike(g, h) < DISTINCT_LINK) continue;
      const other = server.sessions[ms.session[h]!]!.messages[ms.message[h]!]!;
      const weak = i >= mc.keyStart[g]! + mc.byteKeys[g]! ? 1 : 0;
      pushPoint(out, s.messages[m]!.firstRelNs + client.shiftNs, other.firstRelNs + server.shiftNs, weak);
      break;
    }
  }
}

function pushPoint(out: CoarsePoints, clientNs: number, serverNs: number, weak: number): void {
  out.clientNs.push(clientNs);
  out.serverNs.push(serverNs);
  out.weak.push(weak);
}

/** At most MAX_COARSE_POINTS, evenly spaced in the order found. */
export function capped(out: CoarsePoints): CoarsePoints {
  if (out.clientNs.length > MAX_COARSE_POINTS) {
    const stride = Math.ceil(out.clientNs.length / MAX_COARSE_POINTS);
    out.clientNs = out.clientNs.filter((_, i) => i % stride === 0);
    out.serverNs = out.serverNs.filter((_, i) => i % stride === 0);
    out.weak = out.weak.filter((_, i) => i % stride === 0);
  }
  return out;
}
