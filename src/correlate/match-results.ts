/**
 * Pass 2's results, kept as numbers: per pair and direction the counters and the delay summary in flat
 * typed arrays, the changed-field examples as rows of numbers grouped by pair, and the bounded examples of
 * drops and injections. Each pair's `PairMatch` is a view over them whose parts (tuples, delay summaries,
 * field changes with their text, handshake and message timing) are made when a reader first asks and then
 * kept, so a reader sees the same objects on every read and may change them, as with plain objects.
 *
 * Why: a correlation of tens of thousands of connections made every part of every pair eagerly, about
 * 2.6 KB per pair (field-change text most of it), while a report reads the details of few pairs.
 */
import type { Session } from '../tcp/index.js';
import { FIELD_COUNT, FIELD_NAMES, formatField } from './match-fields.js';
import type { ToClient } from './match-timing.js';
import { pairTiming } from './match-timing.js';
import { addressOf } from './pair-tuple.js';
import { flat } from './text.js';
import type {
  DelayStats,
  FieldChange,
  MessageTiming,
  PacketEvent,
  PairMatch,
  SessionPair,
  SideData,
} from './types.js';

/** Counter numbers: each is per pair and direction. */
export const C_MATCHED = 0;
export const C_DROPPED = 1;
export const C_INJECTED = 2;
export const C_ANSWERED = 3;
export const C_OUTSIDE = 4;
export const COUNTERS = 5;

/** Layout of a changed-field row: key (dir * FIELD_COUNT + field), count, delta, example packets, values. */
export const E_KEY = 0;
export const E_COUNT = 1;
export const E_DELTA = 2;
export const E_CLIENT = 3;
export const E_SERVER = 4;
export const E_UP = 5;
export const E_DOWN = 7;
export const ENTRY = 9;

/**
 * Layout of a compact endpoint record, per pair and direction (ENDPOINT RECORD in match-pair-state.ts): the
 * address and port change bits (0 = none), how many packets carried them, and the example packets. Each
 * bit reads as a changed-field row with that count, no delta and values from the sessions' endpoints.
 */
export const EP_BITS = 0;
export const EP_COUNT = 1;
export const EP_CLIENT = 2;
export const EP_SERVER = 3;
export const ENDPOINT_ENTRY = 4;

/** Write the changed-field row of one endpoint field (`key` = dir * FIELD_COUNT + field) at x[at]. */
export function endpointRow(
  x: Float64Array,
  at: number,
  key: number,
  count: number,
  example: Float64Array,
  exampleAt: number,
): void {
  x[at + E_KEY] = key;
  x[at + E_COUNT] = count;
  x[at + E_DELTA] = Number.NaN;
  x[at + E_CLIENT] = example[exampleAt]!;
  x[at + E_SERVER] = example[exampleAt + 1]!;
  x.fill(0, at + E_UP, at + ENTRY);
}

/** Layout of a delay summary: [(pair * 2 + dir) * DELAY_STATS + D_...]. */
export const D_COUNT = 0;
export const D_MIN = 1;
export const D_P50 = 2;
export const D_P99 = 3;
export const D_MAX = 4;
export const DELAY_STATS = 5;

export interface MatchResultData {
  /** [(pair * COUNTERS + counter) * 2 + dir]. */
  counters: Uint32Array;
  /** [(pair * 2 + dir) * DELAY_STATS + D_...]. */
  delays: Float64Array;
  /** Rows of pair p: changes[changeStart[p] * ENTRY .. changeStart[p + 1] * ENTRY), direction then field. */
  changeStart: Int32Array;
  changes: Float64Array;
  /** Compact endpoint records: [(pair * 2 + dir) * ENDPOINT_ENTRY + EP_...]. */
  endpoint: Float64Array;
  /** Per pair, undefined when none. */
  examples: (PacketEvent[] | undefined)[];
}

/** What the views need besides the numbers: the pairs and sessions (for texts and timing) and the clock. */
export class MatchResults {
  constructor(
    readonly data: MatchResultData,
    readonly pairs: readonly SessionPair[],
    readonly client: SideData,
    readonly server: SideData,
    readonly toClient: ToClient,
  ) {}

  /** One view per pair, in `pairs` order. */
  views(): PairMatch[] {
    const out: PairMatch[] = new Array(this.pairs.length);
    for (let i = 0; i < this.pairs.length; i++) out[i] = new PairMatchView(this, i);
    return out;
  }

  count(pair: number, counter: number, dir: number): number {
    return this.data.counters[(pair * COUNTERS + counter) * 2 + dir]!;
  }

  delayStats(pair: number, dir: number): DelayStats {
    const d = this.data.delays;
    const at = (pair * 2 + dir) * DELAY_STATS;
    return { count: d[at]!, minNs: d[at + 1]!, p50Ns: d[at + 2]!, p99Ns: d[at + 3]!, maxNs: d[at + 4]! };
  }

  /** The pair's changed fields, direction then field order: its rows, with the endpoint records' fields
   * read as rows in their places. */
  fieldChanges(pair: number): FieldChange[] {
    const out: FieldChange[] = [];
    const { changeStart, changes, endpoint } = this.data;
    const end = changeStart[pair + 1]!;
    let e = changeStart[pair]!;
    for (let dir = 0; dir < 2; dir++) {
      const keyEnd = (dir + 1) * FIELD_COUNT;
      const at = (pair * 2 + dir) * ENDPOINT_ENTRY;
      let bits = endpoint[at + EP_BITS]!;
      for (; e < end && changes[e * ENTRY + E_KEY]! < keyEnd; e++) {
        const key = changes[e * ENTRY + E_KEY]!;
        for (; bits !== 0 && lowestField(bits) + dir * FIELD_COUNT < key; bits &= bits - 1) {
          out.push(this.endpointChange(pair, dir, lowestField(bits), at));
        }
        out.push(this.fieldChange(pair, changes, e * ENTRY));
      }
      for (; bits !== 0; bits &= bits - 1) out.push(this.endpointChange(pair, dir, lowestField(bits), at));
    }
    return out;
  }

  /** One field of a compact endpoint record, as a row. */
  private endpointChange(pair: number, dir: number, f: number, at: number): FieldChange {
    const row = new Float64Array(ENTRY);
    const { endpoint } = this.data;
    endpointRow(row, 0, dir * FIELD_COUNT + f, endpoint[at + EP_COUNT]!, endpoint, at + EP_CLIENT);
    return this.fieldChange(pair, row, 0);
  }

  timing(pair: number): MessageTiming {
    return pairTiming(this.pairs[pair]!, this.client, this.server, this.toClient);
  }

  /** The example of the row at x[at] in words. */
  private fieldChange(pair: number, x: Float64Array, at: number): FieldChange {
    const k = x[at + E_KEY]!;
    const dir = k >= FIELD_COUNT ? 1 : 0;
    const f = k - dir * FIELD_COUNT;
    const name = FIELD_NAMES[f]!;
    const clientPacket = x[at + E_CLIENT]!;
    const serverPacket = x[at + E_SERVER]!;
    const values = isEndpointField(f) ? this.endpointValues(pair, f, dir) : null;
    const from = values ? values[0] : formatField(f, x[at + E_UP]!, x[at + E_UP + 1]!);
    const to = values ? values[1] : formatField(f, x[at + E_DOWN]!, x[at + E_DOWN + 1]!);
    const where =
      dir === 0
        ? `${from} (client side #${clientPacket}) -> ${to} (server side #${serverPacket})`
        : `${from} (server side #${serverPacket}) -> ${to} (client side #${clientPacket})`;
    const delta = x[at + E_DELTA]!;
    return {
      field: name,
      dir,
      count: x[at + E_COUNT]!,
      clientPacket,
      serverPacket,
      detail: flat(`${name} ${where}`),
      delta: Number.isNaN(delta) ? null : delta,
      upstream: isNumberField(f) ? x[at + E_UP]! : null,
      downstream: isNumberField(f) ? x[at + E_DOWN]! : null,
    };
  }

  /** Endpoint values (upstream, downstream) for an address/port change example. */
  private endpointValues(pair: number, f: number, dir: 0 | 1): [string, string] | null {
    const p = this.pairs[pair]!;
    const cs: Session | undefined = this.client.sessions[p.client];
    const first = p.server[0];
    const ss: Session | undefined = first === undefined ? undefined : this.server.sessions[first];
    if (!cs || !ss) return null;
    const ofClient = (f === F_SRC_ADDRESS_INDEX || f === F_SRC_PORT_INDEX) === (dir === 0);
    const a = ofClient ? cs.client : cs.server;
    const b = ofClient ? ss.client : ss.server;
    // Upstream first: the client side for client-to-server packets, the server side for the others.
    const up = dir === 0 ? a : b;
    const down = dir === 0 ? b : a;
    if (f === F_SRC_PORT_INDEX || f === F_DST_PORT_INDEX) return [String(up.port), String(down.port)];
    return [addressOf(up), addressOf(down)];
  }
}

const F_SRC_ADDRESS_INDEX = FIELD_NAMES.indexOf('src-address');
const F_DST_ADDRESS_INDEX = FIELD_NAMES.indexOf('dst-address');
const F_SRC_PORT_INDEX = FIELD_NAMES.indexOf('src-port');
const F_DST_PORT_INDEX = FIELD_NAMES.indexOf('dst-port');

/** Fields whose first raw number is the field's value itself (FieldChange.upstream/downstream). */
const NUMBER_FIELDS = new Set<string>([
  'ttl',
  'ip-id',
  'dscp',
  'ecn',
  'window',
  'mss',
  'wscale',
  'sack-perm',
  'seq',
  'ack',
  'flags',
  'segments',
]);

function isNumberField(f: number): boolean {
  return NUMBER_FIELDS.has(FIELD_NAMES[f]!);
}

/** The lowest field of a set of field bits. */
function lowestField(bits: number): number {
  return 31 - Math.clz32(bits & -bits);
}

function isEndpointField(f: number): boolean {
  return (
    f === F_SRC_ADDRESS_INDEX || f === F_DST_ADDRESS_INDEX || f === F_SRC_PORT_INDEX || f === F_DST_PORT_INDEX
  );
}

/**
 * One pair's results. Every part is made on first read and kept (a reader may change what it got, as with
 * a plain object); `toJSON` gives the plain object with the properties in the documented order.
 */
class PairMatchView implements PairMatch {
  readonly pair: number;
  private _matched: [number, number] | undefined = undefined;
  private _dropped: [number, number] | undefined = undefined;
  private _injected: [number, number] | undefined = undefined;
  private _answered: [number, number] | undefined = undefined;
  private _outside: [number, number] | undefined = undefined;
  private _delay: [DelayStats, DelayStats] | undefined = undefined;
  private _changes: FieldChange[] | undefined = undefined;
  private _examples: PacketEvent[] | undefined = undefined;
  private _timing: MessageTiming | undefined = undefined;

  constructor(
    private readonly results: MatchResults,
    private readonly index: number,
  ) {
    this.pair = results.pairs[index]!.id;
  }

  private two(counter: number): [number, number] {
    return [this.results.count(this.index, counter, 0), this.results.count(this.index, counter, 1)];
  }

  get matched(): [number, number] {
    this._matched ??= this.two(C_MATCHED);
    return this._matched;
  }
  set matched(v: [number, number]) {
    this._matched = v;
  }

  get dropped(): [number, number] {
    this._dropped ??= this.two(C_DROPPED);
    return this._dropped;
  }
  set dropped(v: [number, number]) {
    this._dropped = v;
  }

  get injected(): [number, number] {
    this._injected ??= this.two(C_INJECTED);
    return this._injected;
  }
  set injected(v: [number, number]) {
    this._injected = v;
  }

  get delay(): [DelayStats, DelayStats] {
    this._delay ??= [this.results.delayStats(this.index, 0), this.results.delayStats(this.index, 1)];
    return this._delay;
  }
  set delay(v: [DelayStats, DelayStats]) {
    this._delay = v;
  }

  get changes(): FieldChange[] {
    this._changes ??= this.results.fieldChanges(this.index);
    return this._changes;
  }
  set changes(v: FieldChange[]) {
    this._changes = v;
  }

  get examples(): PacketEvent[] {
    this._examples ??= this.results.data.examples[this.index] ?? [];
    return this._examples;
  }
  set examples(v: PacketEvent[]) {
    this._examples = v;
  }

  get answered(): [number, number] {
    this._answered ??= this.two(C_ANSWERED);
    return this._answered;
  }
  set answered(v: [number, number]) {
    this._answered = v;
  }

  get outside(): [number, number] {
    this._outside ??= this.two(C_OUTSIDE);
    return this._outside;
  }
  set outside(v: [number, number]) {
    this._outside = v;
  }

  get timing(): MessageTiming {
    this._timing ??= this.results.timing(this.index);
    return this._timing;
  }
  set timing(v: MessageTiming) {
    this._timing = v;
  }

  toJSON(): PairMatch {
    return {
      pair: this.pair,
      matched: this.matched,
      dropped: this.dropped,
      injected: this.injected,
      delay: this.delay,
      changes: this.changes,
      examples: this.examples,
      answered: this.answered,
      outside: this.outside,
      timing: this.timing,
    };
  }
}
