/**
 * What pass 2 accumulates for one pair while packets stream by: counters per direction, the delay
 * histograms, changed fields with one example each, bounded examples of drops and injections, and what
 * the first matches taught about the IP ID and the timestamps. Memory is fixed per pair.
 */
import { formatAddress } from '../decode/index.js';
import type { Endpoint, Session } from '../tcp/index.js';
import { DelayHistogram } from './match-delay.js';
import {
  F_DST_ADDRESS,
  F_DST_PORT,
  F_SRC_ADDRESS,
  F_SRC_PORT,
  FIELD_COUNT,
  FIELD_NAMES,
  fieldDelta,
  fieldRaw,
  formatField,
} from './match-fields.js';
import type { PacketWindow } from './match-window.js';
import type { FieldChange, MessageTiming, PacketEvent, PairMatch, SessionPair } from './types.js';

/**
 * PRESERVED FIELD: a field (IP ID, TCP timestamps) is taken as preserved by the device in a direction once
 * at least 2 matched packets carried it unchanged and unchanged copies outnumber changed ones 8 to 1.
 * Then it tells retransmissions apart: among candidates with the same key, the copy with the same value
 * is the one that was forwarded.
 */
export class Preservation {
  same = 0;
  changed = 0;
  get preserved(): boolean {
    return this.same >= 2 && this.same >= 8 * this.changed;
  }
  get known(): boolean {
    return this.same + this.changed >= 2;
  }
}

export class PairState {
  /**
   * Sequence offsets, server side = client side + offset, per direction. Per-pair state uses plain arrays:
   * a pair may have only a handful of packets, and typed arrays cost far more to create.
   */
  readonly offset: [number, number] = [0, 0];
  readonly spliced: boolean;
  readonly matched: [number, number] = [0, 0];
  readonly dropped: [number, number] = [0, 0];
  readonly injected: [number, number] = [0, 0];
  readonly answered: [number, number] = [0, 0];
  readonly outside: [number, number] = [0, 0];
  readonly delay: [DelayHistogram, DelayHistogram] = [new DelayHistogram(), new DelayHistogram()];
  readonly ipId: [Preservation, Preservation] = [new Preservation(), new Preservation()];
  readonly ts: [Preservation, Preservation] = [new Preservation(), new Preservation()];
  readonly examples: PacketEvent[] = [];
  /** Changed fields: (direction, field) -> entry, and the entries (ENTRY numbers each, see E_*). */
  private entryOf: number[] | null = null;
  private entries: number[] = [];
  private entryCount = 0;
  /** Server-side sessions of the pair and, per session and direction, the address/port change bits. */
  private readonly serverSessions: number[];
  private readonly endpointBits: number[];
  private readonly clientSession: Session | undefined;
  private readonly firstServerSession: Session | undefined;

  constructor(
    readonly pair: SessionPair,
    clientSession: Session | undefined,
    serverSessions: (Session | undefined)[],
    private readonly maxExamples: number,
  ) {
    this.clientSession = clientSession;
    this.firstServerSession = serverSessions[0];
    this.spliced = pair.kind === 'spliced';
    if (pair.seqOffsets !== null) {
      this.offset[0] = pair.seqOffsets.c2s >>> 0;
      this.offset[1] = pair.seqOffsets.s2c >>> 0;
    }
    this.serverSessions = pair.server.slice();
    this.endpointBits = [];
    for (const ss of serverSessions) {
      const bits: [number, number] = clientSession && ss ? endpointChanges(clientSession, ss) : [0, 0];
      this.endpointBits.push(bits[0], bits[1]);
    }
  }

  /** Address and port change bits of a direction for a server-side session of this pair. */
  endpointChangeBits(serverSession: number, dir: 0 | 1): number {
    const i = this.serverSessions.indexOf(serverSession);
    return i < 0 ? 0 : this.endpointBits[i * 2 + dir]!;
  }

  /**
   * Count changed fields of a matched packet; the first change of each field and direction is kept as the
   * example, in numbers (text is made once, in `result`).
   */
  recordChanges(w: PacketWindow, up: number, down: number, dir: 0 | 1, bits: number): void {
    if (bits === 0) return;
    this.entryOf ??= new Array<number>(2 * FIELD_COUNT).fill(-1);
    for (let rest = bits; rest !== 0; rest &= rest - 1) {
      const f = 31 - Math.clz32(rest & -rest);
      const k = dir * FIELD_COUNT + f;
      const delta = fieldDelta(w, f, up, down);
      let e = this.entryOf[k]!;
      if (e < 0) {
        e = this.newEntry(k);
        const at = e * ENTRY;
        const client = w.side[up] === 0 ? up : down;
        const server = client === up ? down : up;
        const x = this.entries;
        x[at + E_KEY] = k;
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

  private newEntry(k: number): number {
    const e = this.entryCount++;
    for (let i = 0; i < ENTRY; i++) this.entries.push(0);
    this.entryOf![k] = e;
    return e;
  }

  /** The example of entry e in words. */
  private fieldChange(e: number): FieldChange {
    const x = this.entries;
    const at = e * ENTRY;
    const k = x[at + E_KEY]!;
    const dir = k >= FIELD_COUNT ? 1 : 0;
    const f = k - dir * FIELD_COUNT;
    const name = FIELD_NAMES[f]!;
    const clientPacket = x[at + E_CLIENT]!;
    const serverPacket = x[at + E_SERVER]!;
    const values = isEndpointField(f) ? this.endpointValues(f, dir) : null;
    const from = values ? values[0] : formatField(f, x[at + E_UP]!, x[at + E_UP + 1]!);
    const to = values ? values[1] : formatField(f, x[at + E_DOWN]!, x[at + E_DOWN + 1]!);
    const [upName, upPacket, downName, downPacket] =
      dir === 0
        ? ['client', clientPacket, 'server', serverPacket]
        : ['server', serverPacket, 'client', clientPacket];
    const delta = x[at + E_DELTA]!;
    return {
      field: name,
      dir,
      count: x[at + E_COUNT]!,
      clientPacket,
      serverPacket,
      detail: `${name} ${from} (${upName} side #${upPacket}) -> ${to} (${downName} side #${downPacket})`,
      delta: Number.isNaN(delta) ? null : delta,
    };
  }

  /** Endpoint values (upstream, downstream) for an address/port change example. */
  private endpointValues(f: number, dir: 0 | 1): [string, string] | null {
    const cs = this.clientSession;
    const ss = this.firstServerSession;
    if (!cs || !ss) return null;
    const ofClient = (f === F_SRC_INDEX || f === F_SRC_PORT_INDEX) === (dir === 0);
    const a = ofClient ? cs.client : cs.server;
    const b = ofClient ? ss.client : ss.server;
    // Upstream first: the client side for client-to-server packets, the server side for the others.
    const [up, down] = dir === 0 ? [a, b] : [b, a];
    if (f === F_SRC_PORT_INDEX || f === F_DST_PORT_INDEX) return [String(up.port), String(down.port)];
    return [this.addressText(up), this.addressText(down)];
  }

  /** Address text, remembered per pair: a pair's examples name the same four endpoints. */
  private addressCache: Map<Endpoint, string> | null = null;
  private addressText(e: Endpoint): string {
    this.addressCache ??= new Map();
    let text = this.addressCache.get(e);
    if (text === undefined) {
      text = formatAddress(e.ipVersion, Uint32Array.from(e.addr));
      this.addressCache.set(e, text);
    }
    return text;
  }

  get wantsExample(): boolean {
    return this.examples.length < this.maxExamples;
  }

  addExample(event: PacketEvent): void {
    if (this.examples.length < this.maxExamples) this.examples.push(event);
  }

  result(timing: MessageTiming): PairMatch {
    const changes: FieldChange[] = [];
    if (this.entryOf !== null) {
      // In direction, then field order.
      for (let k = 0; k < 2 * FIELD_COUNT; k++) {
        const e = this.entryOf[k]!;
        if (e >= 0) changes.push(this.fieldChange(e));
      }
    }
    return {
      pair: this.pair.id,
      matched: [this.matched[0], this.matched[1]],
      dropped: [this.dropped[0], this.dropped[1]],
      injected: [this.injected[0], this.injected[1]],
      delay: [this.delay[0].stats(), this.delay[1].stats()],
      changes,
      examples: this.examples,
      answered: [this.answered[0], this.answered[1]],
      outside: [this.outside[0], this.outside[1]],
      timing,
    };
  }
}

/** Layout of a changed-field entry: key (dir * FIELD_COUNT + field), count, delta, example packets, values. */
const E_KEY = 0;
const E_COUNT = 1;
const E_DELTA = 2;
const E_CLIENT = 3;
const E_SERVER = 4;
const E_UP = 5;
const E_DOWN = 7;
const ENTRY = 9;

const F_SRC_INDEX = 31 - Math.clz32(F_SRC_ADDRESS);
const F_SRC_PORT_INDEX = 31 - Math.clz32(F_SRC_PORT);
const F_DST_PORT_INDEX = 31 - Math.clz32(F_DST_PORT);

function isEndpointField(f: number): boolean {
  const bit = 1 << f;
  return (bit & (F_SRC_ADDRESS | F_DST_ADDRESS | F_SRC_PORT | F_DST_PORT)) !== 0;
}

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
