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
  fieldValue,
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
  /** Sequence offsets, server side = client side + offset, per direction. */
  readonly offset = new Uint32Array(2);
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
  private changeCounts: Uint32Array | null = null;
  private changeDelta: Float64Array | null = null;
  private readonly changeExamples: (FieldChange | null)[] = [];
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

  /** Count changed fields of a matched packet; the first change of each field and direction is the example. */
  recordChanges(w: PacketWindow, up: number, down: number, dir: 0 | 1, bits: number): void {
    if (bits === 0) return;
    this.changeCounts ??= new Uint32Array(2 * FIELD_COUNT);
    this.changeDelta ??= new Float64Array(2 * FIELD_COUNT).fill(Number.NaN);
    for (let rest = bits; rest !== 0; rest &= rest - 1) {
      const f = 31 - Math.clz32(rest & -rest);
      const k = dir * FIELD_COUNT + f;
      const first = this.changeCounts[k] === 0;
      this.changeCounts[k]!++;
      const delta = fieldDelta(w, f, up, down);
      if (first) {
        this.changeDelta[k] = delta;
        this.changeExamples[k] = this.example(w, f, up, down, dir);
      } else if (!Object.is(this.changeDelta[k], delta)) {
        // NaN marks "no single difference" from then on.
        this.changeDelta[k] = Number.NaN;
      }
    }
  }

  private example(w: PacketWindow, f: number, up: number, down: number, dir: 0 | 1): FieldChange {
    const client = w.side[up] === 0 ? up : down;
    const server = client === up ? down : up;
    const name = FIELD_NAMES[f]!;
    const values = isEndpointField(f) ? this.endpointValues(f, dir) : null;
    const from = values ? values[0] : fieldValue(w, f, up);
    const to = values ? values[1] : fieldValue(w, f, down);
    const upName = w.side[up] === 0 ? 'client' : 'server';
    const downName = upName === 'client' ? 'server' : 'client';
    return {
      field: name,
      dir,
      count: 0,
      clientPacket: w.packet[client]!,
      serverPacket: w.packet[server]!,
      detail: `${name} ${from} (${upName} side #${w.packet[up]}) -> ${to} (${downName} side #${w.packet[down]})`,
      delta: null,
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
    return [addressText(up), addressText(down)];
  }

  get wantsExample(): boolean {
    return this.examples.length < this.maxExamples;
  }

  addExample(event: PacketEvent): void {
    if (this.examples.length < this.maxExamples) this.examples.push(event);
  }

  result(timing: MessageTiming): PairMatch {
    const changes: FieldChange[] = [];
    if (this.changeCounts !== null && this.changeDelta !== null) {
      for (let dir = 0; dir < 2; dir++) {
        for (let f = 0; f < FIELD_COUNT; f++) {
          const k = dir * FIELD_COUNT + f;
          const example = this.changeExamples[k];
          if (this.changeCounts[k] === 0 || !example) continue;
          const d = this.changeDelta[k]!;
          changes.push({ ...example, count: this.changeCounts[k]!, delta: Number.isNaN(d) ? null : d });
        }
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

const F_SRC_INDEX = 31 - Math.clz32(F_SRC_ADDRESS);
const F_SRC_PORT_INDEX = 31 - Math.clz32(F_SRC_PORT);
const F_DST_PORT_INDEX = 31 - Math.clz32(F_DST_PORT);

function addressText(e: Endpoint): string {
  return formatAddress(e.ipVersion, Uint32Array.from(e.addr));
}

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
