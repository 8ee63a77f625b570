/**
 * The merged pcapng's reorder buffer: packets already taken in merged time order whose verdict has not
 * come yet. Verdicts come from packet matching, which reports a packet only once it is decided (up to the
 * matching window later), and in its own merged order; both orders agree except around timestamps that
 * run backwards. Normally a packet is written the moment it is taken and nothing waits here.
 *
 * Numbers live in typed arrays indexed by slot and bytes in one arena, so holding a packet allocates
 * nothing. Bounds: at most `maxPackets` packets and `maxBytes` bytes; past either the oldest packet is
 * written as it is (see `full`), so memory stays bounded whatever the timestamps do.
 */

/** Slot states. */
export const WAITING = 0; // a TCP packet whose verdict may still come
export const DECIDED = 1; // verdict attached, or none will come (not TCP, or matching passed it by)

export class MergeQueue {
  /** Ring of slots; positions grow forever, slot = position & mask. */
  private cap: number;
  private mask: number;
  head = 0;
  tail = 0;
  side: Uint8Array;
  packet: Float64Array;
  state: Uint8Array;
  /** Time on the client clock, ns from the correlation's base second. */
  timeNs: Float64Array;
  caplen: Float64Array;
  len: Float64Array;
  interfaceId: Int32Array;
  linktype: Int32Array;
  /** epb_flags, NaN for none. */
  flags: Float64Array;
  isTcp: Uint8Array;
  /** Pass-1 session of a TCP packet, -1 when none. */
  session: Int32Array;
  /** This side's TCP analysis bits. */
  analysis: Uint32Array;
  /** Verdict (MatchEvent fields); event 0 = none. */
  event: Uint8Array;
  pair: Int32Array;
  dir: Uint8Array;
  otherPacket: Float64Array;
  delayNs: Float64Array;
  changes: Uint32Array;
  /** Start of the packet's bytes in the arena. */
  start: Float64Array;
  /** Input comments (rare): kept per slot only when there are some. */
  comments: (string[] | null)[];

  arena: Uint8Array;
  private arenaEnd = 0;
  peak = 0;

  constructor(
    readonly maxPackets: number,
    readonly maxBytes: number,
  ) {
    this.cap = 64;
    this.mask = this.cap - 1;
    this.side = new Uint8Array(this.cap);
    this.packet = new Float64Array(this.cap);
    this.state = new Uint8Array(this.cap);
    this.timeNs = new Float64Array(this.cap);
    this.caplen = new Float64Array(this.cap);
    this.len = new Float64Array(this.cap);
    this.interfaceId = new Int32Array(this.cap);
    this.linktype = new Int32Array(this.cap);
    this.flags = new Float64Array(this.cap);
    this.isTcp = new Uint8Array(this.cap);
    this.session = new Int32Array(this.cap);
    this.analysis = new Uint32Array(this.cap);
    this.event = new Uint8Array(this.cap);
    this.pair = new Int32Array(this.cap);
    this.dir = new Uint8Array(this.cap);
    this.otherPacket = new Float64Array(this.cap);
    this.delayNs = new Float64Array(this.cap);
    this.changes = new Uint32Array(this.cap);
    this.start = new Float64Array(this.cap);
    this.comments = new Array<string[] | null>(this.cap).fill(null);
    this.arena = new Uint8Array(Math.min(maxBytes, 1 << 20));
  }

  get size(): number {
    return this.tail - this.head;
  }

  slot(pos: number): number {
    return pos & this.mask;
  }

  /** True when another packet of `bytes` bytes would exceed a bound: write the oldest first. */
  full(bytes: number): boolean {
    if (this.size === 0) return false;
    if (this.size >= this.maxPackets) return true;
    const live = this.arenaEnd - this.start[this.slot(this.head)]!;
    return live + bytes > this.maxBytes;
  }

  /** A new slot at the tail holding a copy of `buf[offset .. offset + caplen)`; returns the slot. */
  push(buf: Uint8Array, offset: number, caplen: number): number {
    if (this.size === this.cap) this.grow();
    this.reserve(caplen);
    const s = this.slot(this.tail++);
    this.start[s] = this.arenaEnd;
    this.arena.set(buf.subarray(offset, offset + caplen), this.arenaEnd);
    this.arenaEnd += caplen;
    this.caplen[s] = caplen;
    this.comments[s] = null;
    this.event[s] = 0;
    if (this.size > this.peak) this.peak = this.size;
    return s;
  }

  /** Drop the front slot (after writing it). */
  pop(): void {
    this.comments[this.slot(this.head)] = null;
    this.head++;
    if (this.size === 0) this.arenaEnd = 0;
  }

  /** Room for `bytes` more in the arena: move the live bytes to the start, or grow. */
  private reserve(bytes: number): void {
    if (this.arenaEnd + bytes <= this.arena.length) return;
    const from = this.size > 0 ? this.start[this.slot(this.head)]! : this.arenaEnd;
    const live = this.arenaEnd - from;
    if (from > 0) {
      this.arena.copyWithin(0, from, this.arenaEnd);
      for (let p = this.head; p < this.tail; p++) this.start[this.slot(p)]! -= from;
      this.arenaEnd = live;
    }
    if (this.arenaEnd + bytes > this.arena.length) {
      let n = this.arena.length;
      while (n < this.arenaEnd + bytes) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.arena.subarray(0, this.arenaEnd));
      this.arena = next;
    }
  }

  private grow(): void {
    const oldMask = this.mask;
    const n = this.cap * 2;
    const mask = n - 1;
    const move = <T extends Column>(a: T, b: T): T => {
      for (let p = this.head; p < this.tail; p++) b[p & mask] = a[p & oldMask]!;
      return b;
    };
    this.side = move(this.side, new Uint8Array(n));
    this.packet = move(this.packet, new Float64Array(n));
    this.state = move(this.state, new Uint8Array(n));
    this.timeNs = move(this.timeNs, new Float64Array(n));
    this.caplen = move(this.caplen, new Float64Array(n));
    this.len = move(this.len, new Float64Array(n));
    this.interfaceId = move(this.interfaceId, new Int32Array(n));
    this.linktype = move(this.linktype, new Int32Array(n));
    this.flags = move(this.flags, new Float64Array(n));
    this.isTcp = move(this.isTcp, new Uint8Array(n));
    this.session = move(this.session, new Int32Array(n));
    this.analysis = move(this.analysis, new Uint32Array(n));
    this.event = move(this.event, new Uint8Array(n));
    this.pair = move(this.pair, new Int32Array(n));
    this.dir = move(this.dir, new Uint8Array(n));
    this.otherPacket = move(this.otherPacket, new Float64Array(n));
    this.delayNs = move(this.delayNs, new Float64Array(n));
    this.changes = move(this.changes, new Uint32Array(n));
    this.start = move(this.start, new Float64Array(n));
    const comments = new Array<string[] | null>(n).fill(null);
    for (let p = this.head; p < this.tail; p++) comments[p & mask] = this.comments[p & oldMask]!;
    this.comments = comments;
    this.cap = n;
    this.mask = mask;
  }
}

type Column = Uint8Array | Int32Array | Uint32Array | Float64Array;
