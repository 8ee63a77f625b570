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
import { flowHash, pairHash, tupleOrientation, TUPLE_WORDS as WORDS } from '../tcp/flow-index.js';
import type { Session } from '../tcp/index.js';

/**
 * LAYOUT: a lookup touches few cache lines, because pass 2 locates every packet of both files: each
 * probe slot holds its group and the group's hash side by side; each group's row holds its tuple, the
 * position of its current session and the end of its sessions; each session's creation packet and
 * flags sit in one array each.
 */
const ROW = WORDS + 2;
const ROW_CURSOR = WORDS;
const ROW_END = WORDS + 1;
const A_INITIATED = 1;
const SWAPPED = 2;

export class SessionLocator {
  /** Per group (one address/port pair): [a0..a3, b0..b3, ipVersion << 16 | aPort, bPort, cursor, end]. */
  private readonly rows: Uint32Array;
  /** Open-addressing table, two words a slot: group + 1 (0 = empty), the group's hash. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Sessions of each group in creation order; a group's run ends at its row's `end`. */
  private readonly members: Int32Array;
  private readonly firstPacket: Float64Array;
  /** Per session: A_INITIATED when endpoint a initiated; SWAPPED when its a/b are the group's b/a (a
   * port-reuse SYN from b). */
  private readonly flags: Uint8Array;
  private lastSwapped = false;
  /** Results of the last `locate`. */
  session = -1;
  dir: 0 | 1 = 0;

  constructor(sessions: readonly Session[]) {
    const n = sessions.length;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.rows = new Uint32Array(Math.max(1, n) * ROW);
    this.firstPacket = new Float64Array(n);
    this.flags = new Uint8Array(n);
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
      this.flags[i] = (s.initiator === 'a' ? A_INITIATED : 0) | (g >= 0 && this.lastSwapped ? SWAPPED : 0);
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
      this.rows[g * ROW + ROW_CURSOR] = start[g]!;
      this.rows[g * ROW + ROW_END] = start[g + 1]!;
    }
  }

  /** Set `session` and `dir` for a decoded TCP packet; false when no pass-1 session holds it. */
  locate(v: PacketView): boolean {
    const hash = flowHash(v);
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.slots[i * 2]!;
      if (entry === 0) return false;
      if (this.slots[i * 2 + 1] !== hash) continue;
      const g = entry - 1;
      const orientation = tupleOrientation(this.rows, g * ROW, v);
      if (orientation === 0) continue;
      return this.pick(g, v.index, orientation === 1);
    }
  }

  /** The group's latest session created at or before `packet` (packets come in file order). */
  private pick(g: number, packet: number, fromA: boolean): boolean {
    // fromA: the packet goes from the group's a to its b.
    const row = g * ROW;
    const end = this.rows[row + ROW_END]!;
    let c = this.rows[row + ROW_CURSOR]!;
    if (c + 1 < end) {
      while (c + 1 < end && this.firstPacket[this.members[c + 1]!]! <= packet) c++;
      this.rows[row + ROW_CURSOR] = c;
    }
    const session = this.members[c]!;
    if (this.firstPacket[session]! > packet) return false;
    this.session = session;
    const flags = this.flags[session]!;
    const fromSessionA = fromA !== ((flags & SWAPPED) !== 0);
    this.dir = fromSessionA === ((flags & A_INITIATED) !== 0) ? 0 : 1;
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
