/**
 * The matching window: every TCP packet of both captures that is not yet decided, or decided but not yet
 * reported, in struct-of-arrays form (one typed array per field, one slot per packet) so that no object
 * is made per packet. Slots are recycled through a free list; the arrays double when the window holds
 * more packets than ever before, so memory follows the packets inside the window, never the capture.
 *
 * Two structures index the slots:
 * - a hash table of pending packets by match key (pair, direction, sequence and acknowledgement numbers in
 *   the server side's numbering, payload length, SYN/FIN/RST/ACK), chained through `next`/`prev`;
 * - the queue of every slot in merged time order, from which decided packets are reported and old pending
 *   ones are aged out.
 */

/** Slot states. PENDING slots are in the key index; every other state is a decision. */
export const PENDING = 0;
export const MATCHED = 1;
export const DROPPED = 2;
export const INJECTED = 3;
export const ANSWERED = 4;
export const OUTSIDE = 5;
export const TERMINATED = 6;
export const UNPAIRED = 7;

/** Flags that take part in the match key; the others (PSH, URG, ECE, CWR, AE) are compared as a field. */
export const KEY_FLAGS = 0x017;

export const MAX_SACK_BLOCKS = 4;

/**
 * PAYLOAD SAMPLE: the first SAMPLE_HEAD and the last SAMPLE_TAIL captured payload bytes (the tail without
 * the bytes already in the head), kept in SAMPLE_WORDS words per slot, little-endian, zero past the
 * captured bytes: head in the first SAMPLE_HEAD / 4 words, tail in the rest.
 */
export const SAMPLE_HEAD = 48;
export const SAMPLE_TAIL = 16;
export const SAMPLE_WORDS = (SAMPLE_HEAD + SAMPLE_TAIL) / 4;

const NONE = -1;

export class PacketWindow {
  capacity: number;
  /** 0 client side, 1 server side. */
  side!: Uint8Array;
  dir!: Uint8Array;
  state!: Uint8Array;
  pair!: Int32Array;
  session!: Int32Array;
  packet!: Float64Array;
  /** Time on the client clock, ns from the correlation's base second. */
  timeNs!: Float64Array;
  /** Time on the packet's own side's clock, ns from the correlation's base second. */
  ownNs!: Float64Array;
  /** Match key numbers in the server side's numbering (client-side values plus the pair's offsets). */
  seqKey!: Uint32Array;
  ackKey!: Uint32Array;
  seq!: Uint32Array;
  ack!: Uint32Array;
  flags!: Uint16Array;
  len!: Int32Array;
  ipId!: Int32Array;
  ttl!: Int16Array;
  dscp!: Int8Array;
  ecn!: Int8Array;
  window!: Int32Array;
  mss!: Int32Array;
  wscale!: Int8Array;
  sackPerm!: Uint8Array;
  hasTs!: Uint8Array;
  tsval!: Uint32Array;
  tsecr!: Uint32Array;
  /** Hash of the option kinds in header order (0 without options). */
  optionsSig!: Uint32Array;
  sackCount!: Uint8Array;
  /** Raw SACK edges, MAX_SACK_BLOCKS pairs per slot. */
  sack!: Uint32Array;
  /** Sampled payload bytes (PAYLOAD SAMPLE, SAMPLE_WORDS per slot) and how many captured bytes they
   * were taken from (0: none). */
  sample!: Uint32Array;
  payloadHashed!: Int32Array;
  keyHash!: Uint32Array;
  /** Payload bytes of a pending upstream packet already matched by pieces (a device that resegments). */
  covered!: Int32Array;
  /** Per pair and direction, the pending upstream packets with payload (see match.ts, RESEGMENTED). */
  dataNext!: Int32Array;
  dataPrev!: Int32Array;
  inData!: Uint8Array;
  /** The decision's other packet (its number), delay, and changed-field bits, for the report callback. */
  otherPacket!: Float64Array;
  delayNs!: Float64Array;
  changes!: Uint32Array;
  /** Key index chains. */
  private next!: Int32Array;
  private prev!: Int32Array;
  private buckets: Int32Array;
  private bucketMask: number;
  private freeHead = NONE;
  private used = 0;
  /** Queue of slots in arrival order (ring buffer). */
  private queue: Int32Array;
  private qHead = 0;
  private qSize = 0;

  constructor(initialCapacity = 1024) {
    this.capacity = 0;
    this.buckets = new Int32Array(0);
    this.bucketMask = 0;
    this.queue = new Int32Array(initialCapacity);
    this.grow(initialCapacity);
  }

  /** Slots in use (the window's size). */
  get size(): number {
    return this.used;
  }

  /** A free slot (fields hold old values: the caller sets every one). */
  alloc(): number {
    if (this.freeHead === NONE) this.grow(this.capacity * 2);
    const s = this.freeHead;
    this.freeHead = this.next[s]!;
    this.next[s] = NONE;
    this.prev[s] = NONE;
    this.used++;
    return s;
  }

  /** Give back a slot that was allocated but never queued (a packet that turned out not to be TCP). */
  release(s: number): void {
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.used--;
  }

  /** Hash of the match key of slot s (stored in keyHash). */
  computeKey(s: number): number {
    let h = Math.imul(this.pair[s]! ^ (this.dir[s]! << 30), 0x9e3779b1);
    h = Math.imul(h ^ this.seqKey[s]!, 0x85ebca6b);
    h = Math.imul(h ^ this.ackKey[s]!, 0xc2b2ae35);
    h = Math.imul(h ^ (this.len[s]! + (this.flags[s]! & KEY_FLAGS) * 65599), 0x27d4eb2f);
    h ^= h >>> 15;
    this.keyHash[s] = h >>> 0;
    return h >>> 0;
  }

  /** Same match key (pair, direction, translated seq/ack, length, key flags). */
  sameKey(a: number, b: number): boolean {
    return (
      this.keyHash[a] === this.keyHash[b] &&
      this.pair[a] === this.pair[b] &&
      this.dir[a] === this.dir[b] &&
      this.seqKey[a] === this.seqKey[b] &&
      this.ackKey[a] === this.ackKey[b] &&
      this.len[a] === this.len[b] &&
      (this.flags[a]! & KEY_FLAGS) === (this.flags[b]! & KEY_FLAGS)
    );
  }

  /** First pending slot in s's key chain (any side; callers filter), or -1. */
  chainOf(s: number): number {
    return this.buckets[this.keyHash[s]! & this.bucketMask]!;
  }

  chainNext(s: number): number {
    return this.next[s]!;
  }

  /** Add a pending slot to the key index (keyHash must be computed). */
  index(s: number): void {
    const b = this.keyHash[s]! & this.bucketMask;
    const head = this.buckets[b]!;
    this.next[s] = head;
    this.prev[s] = NONE;
    if (head !== NONE) this.prev[head] = s;
    this.buckets[b] = s;
  }

  /** Remove a slot from the key index (when it is decided). */
  unindex(s: number): void {
    const n = this.next[s]!;
    const p = this.prev[s]!;
    if (p !== NONE) this.next[p] = n;
    else this.buckets[this.keyHash[s]! & this.bucketMask] = n;
    if (n !== NONE) this.prev[n] = p;
    this.next[s] = NONE;
    this.prev[s] = NONE;
  }

  /** Append a slot to the time-ordered queue. */
  enqueue(s: number): void {
    if (this.qSize === this.queue.length) {
      const bigger = new Int32Array(this.queue.length * 2);
      for (let i = 0; i < this.qSize; i++) bigger[i] = this.queue[(this.qHead + i) % this.queue.length]!;
      this.queue = bigger;
      this.qHead = 0;
    }
    this.queue[(this.qHead + this.qSize) % this.queue.length] = s;
    this.qSize++;
  }

  /** The oldest queued slot, or -1. */
  front(): number {
    return this.qSize === 0 ? NONE : this.queue[this.qHead]!;
  }

  /** Drop the front slot from the queue and free it. */
  popFront(): void {
    const s = this.queue[this.qHead]!;
    this.qHead = (this.qHead + 1) % this.queue.length;
    this.qSize--;
    this.release(s);
  }

  private grow(capacity: number): void {
    const old = this.capacity;
    const copy = <T extends { set(a: T): void }>(make: (n: number) => T, prev: T | undefined, per = 1): T => {
      const a = make(capacity * per);
      if (prev !== undefined && old > 0) a.set(prev);
      return a;
    };
    this.side = copy((n) => new Uint8Array(n), this.side);
    this.dir = copy((n) => new Uint8Array(n), this.dir);
    this.state = copy((n) => new Uint8Array(n), this.state);
    this.pair = copy((n) => new Int32Array(n), this.pair);
    this.session = copy((n) => new Int32Array(n), this.session);
    this.packet = copy((n) => new Float64Array(n), this.packet);
    this.timeNs = copy((n) => new Float64Array(n), this.timeNs);
    this.ownNs = copy((n) => new Float64Array(n), this.ownNs);
    this.seqKey = copy((n) => new Uint32Array(n), this.seqKey);
    this.ackKey = copy((n) => new Uint32Array(n), this.ackKey);
    this.seq = copy((n) => new Uint32Array(n), this.seq);
    this.ack = copy((n) => new Uint32Array(n), this.ack);
    this.flags = copy((n) => new Uint16Array(n), this.flags);
    this.len = copy((n) => new Int32Array(n), this.len);
    this.ipId = copy((n) => new Int32Array(n), this.ipId);
    this.ttl = copy((n) => new Int16Array(n), this.ttl);
    this.dscp = copy((n) => new Int8Array(n), this.dscp);
    this.ecn = copy((n) => new Int8Array(n), this.ecn);
    this.window = copy((n) => new Int32Array(n), this.window);
    this.mss = copy((n) => new Int32Array(n), this.mss);
    this.wscale = copy((n) => new Int8Array(n), this.wscale);
    this.sackPerm = copy((n) => new Uint8Array(n), this.sackPerm);
    this.hasTs = copy((n) => new Uint8Array(n), this.hasTs);
    this.tsval = copy((n) => new Uint32Array(n), this.tsval);
    this.tsecr = copy((n) => new Uint32Array(n), this.tsecr);
    this.optionsSig = copy((n) => new Uint32Array(n), this.optionsSig);
    this.sackCount = copy((n) => new Uint8Array(n), this.sackCount);
    this.sack = copy((n) => new Uint32Array(n), this.sack, MAX_SACK_BLOCKS * 2);
    this.sample = copy((n) => new Uint32Array(n), this.sample, SAMPLE_WORDS);
    this.payloadHashed = copy((n) => new Int32Array(n), this.payloadHashed);
    this.keyHash = copy((n) => new Uint32Array(n), this.keyHash);
    this.covered = copy((n) => new Int32Array(n), this.covered);
    this.dataNext = copy((n) => new Int32Array(n), this.dataNext);
    this.dataPrev = copy((n) => new Int32Array(n), this.dataPrev);
    this.inData = copy((n) => new Uint8Array(n), this.inData);
    this.otherPacket = copy((n) => new Float64Array(n), this.otherPacket);
    this.delayNs = copy((n) => new Float64Array(n), this.delayNs);
    this.changes = copy((n) => new Uint32Array(n), this.changes);
    this.next = copy((n) => new Int32Array(n), this.next);
    this.prev = copy((n) => new Int32Array(n), this.prev);
    // New slots join the free list, lowest first.
    for (let s = capacity - 1; s >= old; s--) {
      this.next[s] = this.freeHead;
      this.freeHead = s;
    }
    this.capacity = capacity;
    this.rehash(capacity * 2);
  }

  /** Rebuild the bucket array for the new capacity, keeping every pending slot's chain. */
  private rehash(size: number): void {
    const oldBuckets = this.buckets;
    this.buckets = new Int32Array(size).fill(NONE);
    this.bucketMask = size - 1;
    for (let b = 0; b < oldBuckets.length; b++) {
      let s = oldBuckets[b]!;
      while (s !== NONE) {
        const n = this.next[s]!;
        this.index(s);
        s = n;
      }
    }
  }
}
