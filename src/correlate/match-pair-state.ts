/**
 * What pass 2 accumulates per pair while packets stream by: counters per direction, delay histograms,
 * changed fields with one example each, bounded examples of drops and injections, and what the first
 * matches taught about the IP ID and the timestamps. All pairs live in one table of typed arrays indexed
 * by pair number (struct of arrays): a capture can hold tens of thousands of connections of a few packets
 * each, and objects per pair would cost more to make and collect than their packets cost to match. Text
 * is made only when a reader of the results asks (match-results.ts).
 */
import type { Endpoint, Session } from '../tcp/index.js';
import { DelayTable } from './match-delay.js';
import {
  F_DST_ADDRESS,
  F_DST_PORT,
  F_SRC_ADDRESS,
  F_SRC_PORT,
  FIELD_COUNT,
  fieldDelta,
  fieldRaw,
} from './match-fields.js';
import {
  COUNTERS,
  DELAY_STATS,
  E_CLIENT,
  E_COUNT,
  E_DELTA,
  E_DOWN,
  E_KEY,
  E_SERVER,
  E_UP,
  ENDPOINT_ENTRY,
  ENTRY,
  EP_BITS,
  EP_CLIENT,
  EP_COUNT,
  EP_SERVER,
  endpointRow,
  type MatchResultData,
} from './match-results.js';
import type { PacketWindow } from './match-window.js';
import type { PacketEvent, SessionPair } from './types.js';

export { C_ANSWERED, C_DROPPED, C_INJECTED, C_MATCHED, C_OUTSIDE } from './match-results.js';

/**
 * PRESERVED FIELD: a field (IP ID, TCP timestamps) is taken as preserved by the device in a direction once
 * at least 2 matched packets carried it unchanged and unchanged copies outnumber changed ones 8 to 1.
 * Then it tells retransmissions apart: among candidates with the same key, the copy with the same value
 * is the one that was forwarded. Learned per pair, and per direction across pairs for a pair's first
 * packets.
 */
export const P_IP_ID = 0;
export const P_TS = 1;

export function isPreserved(same: number, changed: number): boolean {
  return same >= 2 && same >= 8 * changed;
}

/** Kinds as numbers for the per-packet path. */
export const K_PASS = 0;
export const K_SPLICED = 1;
export const K_TERMINATED = 2;

export class PairTable {
  readonly size: number;
  readonly kind: Uint8Array;
  /**
   * PAIR ROW: per pair and direction, one row of PAIR_ROW words ([(pair * 2 + dir) * PAIR_ROW + R_...]):
   * the counters, the preservation counts, the address/port change bits of the pair's first server-side
   * session with the state and count of the ENDPOINT RECORD, the head of the changed-field chain, and the
   * sequence offsets of both directions. One row, not an array each: every matched packet reads and
   * writes them for its pair, and the pairs of a capture of many short connections interleave (each array
   * read was a cache line of its own).
   */
  readonly row: Int32Array;
  /** Preservation counts across pairs: [(field * 2 + dir) * 2 + (0 same | 1 changed)]. */
  private readonly globalPreservation = new Uint32Array(8);
  private readonly firstServer: Int32Array;
  /** Per pair and direction: the example packets (client side, server side) of the compact record. */
  private readonly endpointExample: Float64Array;
  /** Histogram number pair * 2 + dir. */
  readonly delays: DelayTable;
  /**
   * Changed fields: each pair and direction's rows (ENTRY numbers each) in a chain, newest first (entry + 1,
   * 0 ends it). A chain holds the few fields a device changes in a direction (one for a router's TTL);
   * a table of every field's row would cost 40 words per pair to find them.
   */
  private entryNext: Int32Array;
  private entries: Float64Array;
  private entryCount = 0;
  /** Examples of drops and injections, per pair, made on the first one. */
  private readonly examples: (PacketEvent[] | undefined)[];

  constructor(
    readonly pairs: readonly SessionPair[],
    private readonly clientSessions: readonly Session[],
    private readonly serverSessions: readonly Session[],
    private readonly maxExamples: number,
  ) {
    const n = pairs.length;
    this.size = n;
    this.kind = new Uint8Array(n);
    this.row = new Int32Array(n * 2 * PAIR_ROW);
    this.firstServer = new Int32Array(n).fill(-1);
    this.endpointExample = new Float64Array(n * 4);
    // Rows grow by doubling; one per pair and direction is a start that a device changing one field (a
    // router's TTL) never outgrows.
    this.entries = new Float64Array(Math.max(16, n * 2) * ENTRY);
    this.entryNext = new Int32Array(Math.max(16, n * 2));
    this.examples = new Array(n);
    for (let i = 0; i < n; i++) {
      const pair = pairs[i]!;
      this.kind[i] = pair.kind === 'terminated' ? K_TERMINATED : pair.kind === 'spliced' ? K_SPLICED : K_PASS;
      if (pair.seqOffsets !== null) {
        // Sequence offsets (server side = client side + offset) as int32 bits: sums stay right mod 2^32.
        const c2s = pair.seqOffsets.c2s | 0;
        const s2c = pair.seqOffsets.s2c | 0;
        this.row[i * 2 * PAIR_ROW + R_OFFSET] = c2s;
        this.row[i * 2 * PAIR_ROW + R_OTHER_OFFSET] = s2c;
        this.row[(i * 2 + 1) * PAIR_ROW + R_OFFSET] = s2c;
        this.row[(i * 2 + 1) * PAIR_ROW + R_OTHER_OFFSET] = c2s;
      }
      const first = pair.server[0];
      const cs = clientSessions[pair.client];
      const ss = first === undefined ? undefined : serverSessions[first];
      if (first !== undefined) this.firstServer[i] = first;
      if (cs && ss) {
        const [c2s, s2c] = endpointChanges(cs, ss);
        this.row[i * 2 * PAIR_ROW + D_ENDPOINT_BITS] = c2s;
        this.row[(i * 2 + 1) * PAIR_ROW + D_ENDPOINT_BITS] = s2c;
      }
    }
    // Only pairs whose packets are matched one to one get delays: the pool is sized for them.
    let matched = 0;
    for (let i = 0; i < n; i++) if (this.kind[i] !== K_TERMINATED) matched++;
    this.delays = new DelayTable(n * 2, matched * 2);
  }

  count(pair: number, counter: number, dir: number): number {
    return this.row[(pair * 2 + dir) * PAIR_ROW + counter]! >>> 0;
  }

  bump(pair: number, counter: number, dir: number): void {
    this.row[(pair * 2 + dir) * PAIR_ROW + counter]!++;
  }

  /** The offset of the direction's sequence space (server side = client side + offset), as int32 bits. */
  seqOffset(pair: number, dir: number): number {
    return this.row[(pair * 2 + dir) * PAIR_ROW + R_OFFSET]!;
  }

  /** The other direction's offset (the space of `dir`'s acknowledgement numbers and SACK blocks). */
  ackOffset(pair: number, dir: number): number {
    return this.row[(pair * 2 + dir) * PAIR_ROW + R_OTHER_OFFSET]!;
  }

  /** Address and port change bits of a direction for a server-side session of the pair. */
  endpointChangeBits(pair: number, serverSession: number, dir: number): number {
    if (serverSession === this.firstServer[pair])
      return this.row[(pair * 2 + dir) * PAIR_ROW + D_ENDPOINT_BITS]!;
    // Another server-side connection of the same pair (rare): compare its endpoints now.
    const cs = this.clientSessions[this.pairs[pair]!.client];
    const ss = this.serverSessions[serverSession];
    return cs && ss ? endpointChanges(cs, ss)[dir]! : 0;
  }

  /** Whether `field` (P_IP_ID, P_TS) is preserved in `dir` on the pair, or across pairs while the pair has
   * too few matches to tell. */
  preserved(pair: number, field: number, dir: number): boolean {
    const at = (pair * 2 + dir) * PAIR_ROW + R_PRESERVATION + field * 2;
    const same = this.row[at]!;
    const changed = this.row[at + 1]!;
    if (same + changed >= 2) return isPreserved(same, changed);
    const g = (field * 2 + dir) * 2;
    return isPreserved(this.globalPreservation[g]!, this.globalPreservation[g + 1]!);
  }

  learn(pair: number, field: number, dir: number, same: boolean): void {
    const k = same ? 0 : 1;
    this.row[(pair * 2 + dir) * PAIR_ROW + R_PRESERVATION + field * 2 + k]!++;
    this.globalPreservation[(field * 2 + dir) * 2 + k]!++;
  }

  /**
   * Count changed fields of a matched packet; the first change of each field and direction is kept as the
   * example, in numbers.
   */
  recordChanges(w: PacketWindow, pair: number, up: number, down: number, dir: number, bits: number): void {
    let rest = bits;
    const moved = bits & ENDPOINT_FIELDS;
    if (moved !== 0) {
      // ENDPOINT RECORD: address and port changes are the same on every packet of a direction (those of the
      // pair's first server-side connection), with no delta and the first packet as the example: they are
      // counted per direction, not as a row per field, unless another set of them turns up (a second
      // server-side connection), which turns the record into rows from then on.
      const pd = pair * 2 + dir;
      const row = pd * PAIR_ROW;
      const state = this.row[row + D_ENDPOINT_STATE]!;
      if (state !== ENDPOINT_ROWS && moved === this.row[row + D_ENDPOINT_BITS]) {
        if (state === ENDPOINT_NONE) {
          this.row[row + D_ENDPOINT_STATE] = ENDPOINT_COMPACT;
          const client = w.side[up] === 0 ? up : down;
          this.endpointExample[pd * 2] = w.packet[client]!;
          this.endpointExample[pd * 2 + 1] = w.packet[client === up ? down : up]!;
        }
        this.row[row + D_ENDPOINT_COUNT]!++;
        rest &= ~ENDPOINT_FIELDS;
      } else if (state !== ENDPOINT_ROWS) {
        if (state === ENDPOINT_COMPACT) this.endpointRecordToRows(pair, dir);
        this.row[row + D_ENDPOINT_STATE] = ENDPOINT_ROWS;
      }
    }
    for (; rest !== 0; rest &= rest - 1) {
      const f = 31 - Math.clz32(rest & -rest);
      const pd = pair * 2 + dir;
      const key = dir * FIELD_COUNT + f;
      const delta = fieldDelta(w, f, up, down);
      let e = this.row[pd * PAIR_ROW + D_ENTRY_HEAD]! - 1;
      while (e >= 0 && this.entries[e * ENTRY + E_KEY] !== key) e = this.entryNext[e]! - 1;
      if (e < 0) {
        e = this.newEntry(pd);
        const at = e * ENTRY;
        const client = w.side[up] === 0 ? up : down;
        const server = client === up ? down : up;
        const x = this.entries;
        x[at + E_KEY] = key;
        x[at + E_DELTA] = delta;
        x[at + E_CLIENT] = w.packet[client]!;
        x[at + E_SERVER] = w.packet[server]!;
        fieldRaw(w, f, up, x, at + E_UP);
        fieldRaw(w, f, down, x, at + E_DOWN);
      } else if (this.entries[e * ENTRY + E_DELTA] !== delta) {
        // NaN marks "no single difference" from then on (NaN is unequal to everything, itself included).
        this.entries[e * ENTRY + E_DELTA] = Number.NaN;
      }
      this.entries[e * ENTRY + E_COUNT]!++;
    }
  }

  /** The compact endpoint record of a direction as one row per field, as if counted in rows all along. */
  private endpointRecordToRows(pair: number, dir: number): void {
    const pd = pair * 2 + dir;
    for (let rest = this.row[pd * PAIR_ROW + D_ENDPOINT_BITS]!; rest !== 0; rest &= rest - 1) {
      const f = 31 - Math.clz32(rest & -rest);
      const at = this.newEntry(pd) * ENTRY;
      endpointRow(
        this.entries,
        at,
        dir * FIELD_COUNT + f,
        this.row[pd * PAIR_ROW + D_ENDPOINT_COUNT]! >>> 0,
        this.endpointExample,
        pd * 2,
      );
    }
  }

  /** A new row at the head of chain pd (its numbers to be written by the caller). */
  private newEntry(pd: number): number {
    const e = this.entryCount++;
    if (e >= this.entryNext.length) {
      const grown = new Float64Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
      const next = new Int32Array(this.entryNext.length * 2);
      next.set(this.entryNext);
      this.entryNext = next;
    }
    this.entryNext[e] = this.row[pd * PAIR_ROW + D_ENTRY_HEAD]!;
    this.row[pd * PAIR_ROW + D_ENTRY_HEAD] = e + 1;
    return e;
  }

  wantsExample(pair: number): boolean {
    return (this.examples[pair]?.length ?? 0) < this.maxExamples;
  }

  addExample(pair: number, event: PacketEvent): void {
    let list = this.examples[pair];
    if (list === undefined) {
      list = [];
      this.examples[pair] = list;
    }
    if (list.length < this.maxExamples) list.push(event);
  }

  /**
   * The numbers the results keep, compacted: delay summaries instead of histograms, each pair's changed
   * fields together (direction, then field order). The table's working arrays are left to the collector.
   */
  seal(): MatchResultData {
    const n = this.size;
    const delays = new Float64Array(n * 2 * DELAY_STATS);
    for (let h = 0; h < n * 2; h++) this.delays.statsInto(h, delays, h * DELAY_STATS);
    const changeStart = new Int32Array(n + 1);
    const changes = new Float64Array(this.entryCount * ENTRY);
    let rows = 0;
    // Each chain's rows put in field order through a table by field (entry + 1), cleared as it is read.
    const byField = new Int32Array(FIELD_COUNT);
    for (let pair = 0; pair < n; pair++) {
      changeStart[pair] = rows;
      for (let dir = 0; dir < 2; dir++) {
        const first = this.row[(pair * 2 + dir) * PAIR_ROW + D_ENTRY_HEAD]! - 1;
        if (first < 0) continue;
        for (let e = first; e >= 0; e = this.entryNext[e]! - 1) {
          byField[this.entries[e * ENTRY + E_KEY]! - dir * FIELD_COUNT] = e + 1;
        }
        for (let f = 0; f < FIELD_COUNT; f++) {
          const e = byField[f]! - 1;
          if (e < 0) continue;
          byField[f] = 0;
          for (let j = 0; j < ENTRY; j++) changes[rows * ENTRY + j] = this.entries[e * ENTRY + j]!;
          rows++;
        }
      }
    }
    changeStart[n] = rows;
    // Compact endpoint records stay compact in the results (ENDPOINT RECORD): bits, count, example packets.
    const endpoint = new Float64Array(n * 2 * ENDPOINT_ENTRY);
    for (let pd = 0; pd < n * 2; pd++) {
      if (this.row[pd * PAIR_ROW + D_ENDPOINT_STATE] !== ENDPOINT_COMPACT) continue;
      const at = pd * ENDPOINT_ENTRY;
      endpoint[at + EP_BITS] = this.row[pd * PAIR_ROW + D_ENDPOINT_BITS]!;
      endpoint[at + EP_COUNT] = this.row[pd * PAIR_ROW + D_ENDPOINT_COUNT]! >>> 0;
      endpoint[at + EP_CLIENT] = this.endpointExample[pd * 2]!;
      endpoint[at + EP_SERVER] = this.endpointExample[pd * 2 + 1]!;
    }
    const counters = new Uint32Array(n * COUNTERS * 2);
    for (let pair = 0; pair < n; pair++) {
      for (let c = 0; c < COUNTERS; c++) {
        counters[(pair * COUNTERS + c) * 2] = this.row[pair * 2 * PAIR_ROW + c]! >>> 0;
        counters[(pair * COUNTERS + c) * 2 + 1] = this.row[(pair * 2 + 1) * PAIR_ROW + c]! >>> 0;
      }
    }
    return { counters, delays, changeStart, changes, endpoint, examples: this.examples };
  }
}

const ENDPOINT_FIELDS = F_SRC_ADDRESS | F_DST_ADDRESS | F_SRC_PORT | F_DST_PORT;

/** A pair and direction's row (PAIR ROW, PairTable.row): counters 0..COUNTERS - 1 (C_...), then these. */
const R_PRESERVATION = COUNTERS; // same, changed for P_IP_ID, then for P_TS
const D_ENDPOINT_BITS = R_PRESERVATION + 4;
const D_ENDPOINT_STATE = D_ENDPOINT_BITS + 1;
const D_ENDPOINT_COUNT = D_ENDPOINT_BITS + 2;
const D_ENTRY_HEAD = D_ENDPOINT_BITS + 3;
const R_OFFSET = D_ENDPOINT_BITS + 4;
const R_OTHER_OFFSET = R_OFFSET + 1;
/** 16 words: one cache line. */
const PAIR_ROW = 16;

/** States of a direction's endpoint record (ENDPOINT RECORD in `recordChanges`). */
const ENDPOINT_NONE = 0;
const ENDPOINT_COMPACT = 1;
const ENDPOINT_ROWS = 2;

function sameAddress(a: Endpoint, b: Endpoint): boolean {
  if (a.ipVersion !== b.ipVersion) return false;
  for (let i = 0; i < 4; i++) if (a.addr[i] !== b.addr[i]) return false;
  return true;
}

/**
 * ADDRESS AND PORT CHANGES are per connection: the client-side and server-side sessions' endpoints are
 * compared once, and every matched packet of a direction counts the changes of its source and destination
 * (client to server: source = client endpoint; server to client: source = server endpoint).
 */
function endpointChanges(cs: Session, ss: Session): [number, number] {
  const clientAddr = !sameAddress(cs.client, ss.client);
  const serverAddr = !sameAddress(cs.server, ss.server);
  const clientPort = cs.client.port !== ss.client.port;
  const serverPort = cs.server.port !== ss.server.port;
  const c2s =
    (clientAddr ? F_SRC_ADDRESS : 0) |
    (serverAddr ? F_DST_ADDRESS : 0) |
    (clientPort ? F_SRC_PORT : 0) |
    (serverPort ? F_DST_PORT : 0);
  const s2c =
    (serverAddr ? F_SRC_ADDRESS : 0) |
    (clientAddr ? F_DST_ADDRESS : 0) |
    (serverPort ? F_SRC_PORT : 0) |
    (clientPort ? F_DST_PORT : 0);
  return [c2s, s2c];
}
