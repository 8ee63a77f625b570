/**
 * Which pass-1 session a packet belongs to, and its direction, without running a second SessionTable:
 * pass 2 would otherwise rebuild every session (streams, messages, fingerprints) a second time, doubling
 * memory and spending most of its time there. The SessionTable's numbering rule is simple enough to
 * replay from pass 1's sessions:
 *
 * SESSION OF A PACKET: a TCP packet belongs to the latest session of its address/port pair (either
 * direction, same IP version) created at or before it, i.e. the one with the highest `firstPacket` <= the
 * packet's number. (The table creates a session at its first packet, and a port-reuse SYN makes the new
 * session the pair's latest for every later packet.) From a to b is direction 0 when a initiated.
 *
 * src/correlate/match-locate.test.ts checks this against the SessionTable packet by packet.
 */
import type { PacketView } from '../decode/types.js';
import { flowHash, pairHash } from '../tcp/flow-index.js';
import type { Session } from '../tcp/index.js';

/**
 * LAYOUT: a lookup touches two or three cache lines, because pass 2 locates every packet of both files:
 * each probe slot holds its group and the group's hash side by side; each group's row of 16 words holds
 * its tuple, the position of its current session among its sessions and their end, and the current
 * session itself with what a packet needs of it (index, flags, creation packet, pair). Only a group with
 * more than one session (port reuse) reads its next session's creation packet from the arrays.
 */
const ROW = 16;
/** Tuple words: a0..a3, b0..b3, ipVersion << 16 | aPort, bPort (flow-index.ts TUPLE_WORDS). */
const WORDS = 10;
const R_CURSOR = 10;
const R_END = 11;
const R_SESSION = 12;
const R_INFO = 13;
const R_FIRST = 14;
const R_PAIR = 15;
/** R_INFO bits: endpoint a initiated; a/b are the group's b/a (a port-reuse SYN from b); identity only;
 * the creation packet does not fit R_FIRST (read from `firstPacket`). */
const A_INITIATED = 1;
const SWAPPED = 2;
const IDENTITY = 4;
const WIDE_FIRST = 8;

export class SessionLocator {
  /** Per group (one address/port pair): see LAYOUT. */
  private readonly rows: Uint32Array;
  /** Open-addressing table, two words a slot: group + 1 (0 = empty), the group's hash. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Sessions of each group in creation order; a group's run ends at its row's R_END. */
  private readonly members: Int32Array;
  private readonly firstPacket: Float64Array;
  /** Per session: the R_INFO bits. */
  private readonly info: Uint8Array;
  /** Per session: its pair (-1 for none), as given. */
  private readonly pairOf: Int32Array | null;
  private lastSwapped = false;
  /** Results of the last `locate`. */
  session = -1;
  dir: 0 | 1 = 0;
  /** The session's pair (`pairOf`), -1 without one. */
  pair = -1;
  /** 1 when the session's packets are reported but never matched (`identityOnly`). */
  identity = 0;

  /**
   * `pairOf` and `identityOnly` (per session, optional) are handed back with each located packet, from the
   * row the lookup reads anyway.
   */
  constructor(sessions: readonly Session[], pairOf?: Int32Array, identityOnly?: Uint8Array) {
    const n = sessions.length;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.rows = new Uint32Array(Math.max(1, n) * ROW);
    this.firstPacket = new Float64Array(n);
    this.info = new Uint8Array(n);
    this.pairOf = pairOf ?? null;
    const groupOf = new Int32Array(n);
    let groups = 0;
    const probe = new Uint32Array(WORDS);
    for (let i = 0; i < n; i++) {
      const s = sessions[i]!;
      this.firstPacket[i] = s.firstPacket;
      for (let k = 0; k < 4; k++) {
        probe[k] = s.a.addr[k]! >>> 0;
        probe[4 + k] = s.b.addr[k]! >>> 0;
      }
      probe[8] = ((s.a.ipVersion << 16) | s.a.port) >>> 0;
      probe[9] = s.b.port;
      const hash = pairHash(
        probe[0]!,
        probe[1]!,
        probe[2]!,
        probe[3]!,
        s.a.port,
        probe[4]!,
        probe[5]!,
        probe[6]!,
        probe[7]!,
        s.b.port,
        s.a.ipVersion,
      );
      let g = this.findGroup(probe, hash);
      this.info[i] =
        (s.initiator === 'a' ? A_INITIATED : 0) |
        (g >= 0 && this.lastSwapped ? SWAPPED : 0) |
        (identityOnly !== undefined && i < identityOnly.length && identityOnly[i] === 1 ? IDENTITY : 0) |
        (s.firstPacket >>> 0 === s.firstPacket ? 0 : WIDE_FIRST);
      if (g < 0) {
        g = groups++;
        this.rows.set(probe, g * ROW);
        let slot = hash & this.mask;
        while (this.slots[slot * 2] !== 0) slot = (slot + 1) & this.mask;
        this.slots[slot * 2] = g + 1;
        this.slots[slot * 2 + 1] = hash;
      }
      groupOf[i] = g;
    }
    // Counting sort of sessions by group keeps each group's sessions in index (= creation) order.
    const start = new Int32Array(groups + 1);
    for (let i = 0; i < n; i++) start[groupOf[i]! + 1]!++;
    for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
    this.members = new Int32Array(n);
    const fill = start.slice(0, groups);
    for (let i = 0; i < n; i++) this.members[fill[groupOf[i]!]!++] = i;
    for (let g = 0; g < groups; g++) {
      this.rows[g * ROW + R_END] = start[g + 1]!;
      this.setCurrent(g * ROW, start[g]!);
    }
  }

  /** Make member c the current session of the group at `row`. */
  private setCurrent(row: number, c: number): void {
    const session = this.members[c]!;
    const rows = this.rows;
    rows[row + R_CURSOR] = c;
    rows[row + R_SESSION] = session;
    rows[row + R_INFO] = this.info[session]!;
    rows[row + R_FIRST] = this.firstPacket[session]! >>> 0;
    rows[row + R_PAIR] = this.pairOf !== null && session < this.pairOf.length ? this.pairOf[session]! : -1;
  }

  /** Set `session`, `dir`, `pair` and `identity` for a decoded TCP packet; false when no pass-1 session holds it. */
  locate(v: PacketView): boolean {
    const hash = flowHash(v);
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.slots[i * 2]!;
      if (entry === 0) return false;
      if (this.slots[i * 2 + 1] !== hash) continue;
      const row = (entry - 1) * ROW;
      const orientation = orientationOf(this.rows, row, v);
      if (orientation === 0) continue;
      return this.pick(row, v.index, orientation === 1);
    }
  }

  /** The group's latest session created at or before `packet` (packets come in file order). */
  private pick(row: number, packet: number, fromA: boolean): boolean {
    // fromA: the packet goes from the group's a to its b.
    const rows = this.rows;
    let c = rows[row + R_CURSOR]!;
    const end = rows[row + R_END]!;
    if (c + 1 < end && this.firstPacket[this.members[c + 1]!]! <= packet) {
      while (c + 1 < end && this.firstPacket[this.members[c + 1]!]! <= packet) c++;
      this.setCurrent(row, c);
    }
    const session = rows[row + R_SESSION]!;
    const info = rows[row + R_INFO]!;
    const first = (info & WIDE_FIRST) === 0 ? rows[row + R_FIRST]! : this.firstPacket[session]!;
    if (first > packet) return false;
    this.session = session;
    this.pair = rows[row + R_PAIR]! | 0;
    this.identity = (info & IDENTITY) === 0 ? 0 : 1;
    const fromSessionA = fromA !== ((info & SWAPPED) !== 0);
    this.dir = fromSessionA === ((info & A_INITIATED) !== 0) ? 0 : 1;
    return true;
  }

  private findGroup(probe: Uint32Array, hash: number): number {
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.slots[i * 2]!;
      if (entry === 0) return -1;
      if (this.slots[i * 2 + 1] !== hash) continue;
      const o = (entry - 1) * ROW;
      let same = true;
      for (let k = 0; k < WORDS && same; k++) same = this.rows[o + k] === probe[k];
      if (same) {
        this.lastSwapped = false;
        return entry - 1;
      }
      // The same pair seen from the other end (a and b swapped) is the same group.
      same =
        this.rows[o + 8] === (((probe[8]! >>> 16) << 16) | probe[9]!) >>> 0 &&
        this.rows[o + 9] === (probe[8]! & 0xffff);
      for (let k = 0; k < 4 && same; k++) {
        same = this.rows[o + k] === probe[4 + k] && this.rows[o + 4 + k] === probe[k];
      }
      if (same) {
        this.lastSwapped = true;
        return entry - 1;
      }
    }
  }
}

/**
 * How a packet's tuple lies against the row's (flow-index.ts `tupleOrientation` on this layout): 1 when the
 * packet goes a->b, 2 when b->a, 0 when it is another pair.
 */
function orientationOf(t: Uint32Array, o: number, v: PacketView): 0 | 1 | 2 {
  const s = v.src;
  const d = v.dst;
  const ports = t[o + 8]!;
  const bPort = t[o + 9]!;
  const version = v.ipVersion << 16;
  if (ports === (version | v.srcPort) >>> 0 && bPort === v.dstPort) {
    if (t[o] === s[0] && t[o + 1] === s[1] && t[o + 2] === s[2] && t[o + 3] === s[3]) {
      if (t[o + 4] === d[0] && t[o + 5] === d[1] && t[o + 6] === d[2] && t[o + 7] === d[3]) return 1;
    }
  }
  if (ports === (version | v.dstPort) >>> 0 && bPort === v.srcPort) {
    if (t[o] === d[0] && t[o + 1] === d[1] && t[o + 2] === d[2] && t[o + 3] === d[3]) {
      if (t[o + 4] === s[0] && t[o + 5] === s[1] && t[o + 6] === s[2] && t[o + 7] === s[3]) return 2;
    }
  }
  return 0;
}
