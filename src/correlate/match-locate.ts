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

export class SessionLocator {
  /** Per group (one address/port pair): tuple words [a0..a3, b0..b3, ipVersion << 16 | aPort, bPort]. */
  private readonly tuples: Uint32Array;
  private readonly hashes: Int32Array;
  /** Open-addressing table: slot -> group + 1. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Sessions of each group in creation order: `members[start[g] .. start[g + 1])`. */
  private readonly start: Int32Array;
  private readonly members: Int32Array;
  /** Per group: position in `members` of the session current at the last packet seen. */
  private readonly cursor: Int32Array;
  private readonly firstPacket: Float64Array;
  /** Per session: 1 when endpoint a initiated; 1 when its a/b are the group's b/a (a port-reuse SYN from b). */
  private readonly aInitiated: Uint8Array;
  private readonly swapped: Uint8Array;
  private lastSwapped = false;
  /** Results of the last `locate`. */
  session = -1;
  dir: 0 | 1 = 0;

  constructor(sessions: readonly Session[]) {
    const n = sessions.length;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.tuples = new Uint32Array(Math.max(1, n) * WORDS);
    this.hashes = new Int32Array(Math.max(1, n));
    this.firstPacket = new Float64Array(n);
    this.aInitiated = new Uint8Array(n);
    this.swapped = new Uint8Array(n);
    const groupOf = new Int32Array(n);
    let groups = 0;
    const probe = new Uint32Array(WORDS);
    for (let i = 0; i < n; i++) {
      const s = sessions[i]!;
      this.firstPacket[i] = s.firstPacket;
      this.aInitiated[i] = s.initiator === 'a' ? 1 : 0;
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
      this.swapped[i] = g >= 0 && this.lastSwapped ? 1 : 0;
      if (g < 0) {
        g = groups++;
        this.tuples.set(probe, g * WORDS);
        this.hashes[g] = hash;
        let slot = hash & this.mask;
        while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
        this.slots[slot] = g + 1;
      }
      groupOf[i] = g;
    }
    // Counting sort of sessions by group keeps each group's sessions in index (= creation) order.
    this.start = new Int32Array(groups + 1);
    for (let i = 0; i < n; i++) this.start[groupOf[i]! + 1]!++;
    for (let g = 0; g < groups; g++) this.start[g + 1]! += this.start[g]!;
    this.members = new Int32Array(n);
    const fill = this.start.slice(0, groups);
    for (let i = 0; i < n; i++) this.members[fill[groupOf[i]!]!++] = i;
    this.cursor = this.start.slice(0, groups);
  }

  /** Set `session` and `dir` for a decoded TCP packet; false when no pass-1 session holds it. */
  locate(v: PacketView): boolean {
    const hash = flowHash(v);
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.slots[i]!;
      if (entry === 0) return false;
      const g = entry - 1;
      if (this.hashes[g] !== hash) continue;
      const orientation = tupleOrientation(this.tuples, g * WORDS, v);
      if (orientation === 0) continue;
      return this.pick(g, v.index, orientation === 1);
    }
  }

  /** The group's latest session created at or before `packet` (packets come in file order). */
  private pick(g: number, packet: number, fromA: boolean): boolean {
    // fromA: the packet goes from the group's a to its b.
    const end = this.start[g + 1]!;
    let c = this.cursor[g]!;
    while (c + 1 < end && this.firstPacket[this.members[c + 1]!]! <= packet) c++;
    this.cursor[g] = c;
    const session = this.members[c]!;
    if (this.firstPacket[session]! > packet) return false;
    this.session = session;
    const fromSessionA = fromA !== (this.swapped[session] === 1);
    this.dir = fromSessionA === (this.aInitiated[session] === 1) ? 0 : 1;
    return true;
  }

  private findGroup(probe: Uint32Array, hash: number): number {
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.slots[i]!;
      if (entry === 0) return -1;
      const g = entry - 1;
      if (this.hashes[g] !== hash) continue;
      const o = g * WORDS;
      let same = true;
      for (let k = 0; k < WORDS && same; k++) same = this.tuples[o + k] === probe[k];
      if (same) {
        this.lastSwapped = false;
        return g;
      }
      // The same pair seen from the other end (a and b swapped) is the same group.
      same =
        this.tuples[o + 8] === (((probe[8]! >>> 16) << 16) | probe[9]!) >>> 0 &&
        this.tuples[o + 9] === (probe[8]! & 0xffff);
      for (let k = 0; k < 4 && same; k++) {
        same = this.tuples[o + k] === probe[4 + k] && this.tuples[o + 4 + k] === probe[k];
      }
      if (same) {
        this.lastSwapped = true;
        return g;
      }
    }
  }
}
