/**
 * Address/port pair -> latest session, without string keys: a commutative 32-bit hash of both endpoints
 * (the same for either direction) into an open-addressing table of session indices, with the tuple stored
 * in a flat typed array to confirm a match (hash collisions are expected with 100,000s of flows).
 * Following gopacket's FastHash, the two endpoint hashes are combined with + and *, not ^, so A->A flows
 * do not all collide at 0.
 */
import type { PacketView } from '../decode/types.js';
import type { EndpointCache } from './endpoints.js';
import type { Endpoint } from './session.js';

/** Words per stored tuple: a0..a3, b0..b3, ipVersion << 16 | aPort, bPort. */
export const TUPLE_WORDS = 10;

function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(port ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w0, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ w1;
  h = Math.imul((h << 13) | (h >>> 19), 0xe6546b64) ^ w2;
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ w3;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

/**
 * Direction-independent hash of two endpoints (four address words and a port each) and the IP version:
 * the sum and the product of the endpoint hashes commute. The correlation stage keys pass 1's sessions
 * with it, so it must stay the one function for both.
 */
export function pairHash(
  a0: number,
  a1: number,
  a2: number,
  a3: number,
  aPort: number,
  b0: number,
  b1: number,
  b2: number,
  b3: number,
  bPort: number,
  ipVersion: number,
): number {
  const ha = endpointHash(a0, a1, a2, a3, aPort);
  const hb = endpointHash(b0, b1, b2, b3, bPort);
  let h = ((ha + hb) | 0) ^ Math.imul(ha, hb) ^ ipVersion;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h | 0;
}

/** Direction-independent hash of a packet's addresses, ports and IP version. */
export function flowHash(v: PacketView): number {
  const s = v.src;
  const d = v.dst;
  return pairHash(s[0]!, s[1]!, s[2]!, s[3]!, v.srcPort, d[0]!, d[1]!, d[2]!, d[3]!, v.dstPort, v.ipVersion);
}

/**
 * How a packet's tuple lies against a stored one (`TUPLE_WORDS` words at `o`: a0..a3, b0..b3,
 * ipVersion << 16 | aPort, bPort): 1 when the packet goes a->b, 2 when b->a, 0 when it is another pair.
 */
export function tupleOrientation(t: Uint32Array, o: number, v: PacketView): 0 | 1 | 2 {
  const s = v.src;
  const d = v.dst;
  if (
    t[o + 8] === ((v.ipVersion << 16) | v.srcPort) &&
    t[o + 9] === v.dstPort &&
    t[o] === s[0] &&
    t[o + 1] === s[1] &&
    t[o + 2] === s[2] &&
    t[o + 3] === s[3] &&
    t[o + 4] === d[0] &&
    t[o + 5] === d[1] &&
    t[o + 6] === d[2] &&
    t[o + 7] === d[3]
  ) {
    return 1;
  }
  if (
    t[o + 8] === ((v.ipVersion << 16) | v.dstPort) &&
    t[o + 9] === v.srcPort &&
    t[o] === d[0] &&
    t[o + 1] === d[1] &&
    t[o + 2] === d[2] &&
    t[o + 3] === d[3] &&
    t[o + 4] === s[0] &&
    t[o + 5] === s[1] &&
    t[o + 6] === s[2] &&
    t[o + 7] === s[3]
  ) {
    return 2;
  }
  return 0;
}

export class FlowIndex {
  /**
   * Open addressing over slot pairs [session index + 1 (0 = empty), hash]: a probe compares the hash in the
   * slot it has just read, without a second random read per packet (the index outgrows the caches).
   */
  private slots: Int32Array;
  /** Slot pairs - 1 (a power of two minus one). */
  private mask: number;
  private used = 0;
  /** Per session: [a0..a3, b0..b3, ipVersion << 16 | aPort, bPort]. */
  private tuples: Uint32Array;
  private capacity: number;

  constructor(initialSessions = 1024) {
    let cap = 16;
    while (cap < initialSessions * 2) cap *= 2;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.capacity = Math.max(1, initialSessions);
    this.tuples = new Uint32Array(this.capacity * TUPLE_WORDS);
  }

  /** Direction of the last successful `find`: 1 when the packet goes a->b, 2 when b->a. */
  lastMatch = 0;

  /** The latest session of this packet's address/port pair, or -1 (direction in `lastMatch`). */
  find(v: PacketView, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const entry = slots[i * 2]!;
      if (entry === 0) return -1;
      if (slots[i * 2 + 1] === hash) {
        const idx = entry - 1;
        const m = this.matches(idx, v);
        if (m !== 0) {
          this.lastMatch = m;
          return idx;
        }
      }
    }
  }

  /** Session `idx`'s endpoint a (`side` 0) or b (1), from its stored tuple, shared through `cache`. */
  endpoint(idx: number, side: 0 | 1, cache: EndpointCache): Endpoint {
    const t = this.tuples;
    const o = idx * TUPLE_WORDS;
    const ipVersion = t[o + 8]! >>> 16 === 6 ? 6 : 4;
    const port = side === 0 ? t[o + 8]! & 0xffff : t[o + 9]!;
    const w = o + side * 4;
    return cache.of(ipVersion, t[w]!, t[w + 1]!, t[w + 2]!, t[w + 3]!, port);
  }

  /** 1 if the packet goes a->b in session `idx`, 2 if b->a, 0 if the tuple differs. */
  matches(idx: number, v: PacketView): number {
    return tupleOrientation(this.tuples, idx * TUPLE_WORDS, v);
  }

  /**
   * Register session `idx` (indices are dense and increasing) for this packet's tuple, with the packet's
   * source as endpoint a. Replaces `previous` (>= 0) as the latest session of the pair.
   */
  add(idx: number, v: PacketView, hash: number, previous: number): void {
    if (idx >= this.capacity) this.growTuples(idx + 1);
    const t = this.tuples;
    const o = idx * TUPLE_WORDS;
    t.set(v.src.subarray(0, 4), o);
    t.set(v.dst.subarray(0, 4), o + 4);
    t[o + 8] = (v.ipVersion << 16) | v.srcPort;
    t[o + 9] = v.dstPort;
    if (previous >= 0) {
      const slots = this.slots;
      for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
        if (slots[i * 2] === previous + 1) {
          slots[i * 2] = idx + 1;
          return;
        }
      }
    }
    if ((this.used + 1) * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    this.insert(idx, hash);
    this.used++;
  }

  private insert(idx: number, hash: number): void {
    const slots = this.slots;
    let i = hash & this.mask;
    while (slots[i * 2] !== 0) i = (i + 1) & this.mask;
    slots[i * 2] = idx + 1;
    slots[i * 2 + 1] = hash;
  }

  private rehash(cap: number): void {
    const old = this.slots;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    for (let i = 0; i < old.length; i += 2) {
      const entry = old[i]!;
      if (entry !== 0) this.insert(entry - 1, old[i + 1]!);
    }
  }

  private growTuples(min: number): void {
    let n = this.capacity * 2;
    while (n < min) n *= 2;
    const tuples = new Uint32Array(n * TUPLE_WORDS);
    tuples.set(this.tuples);
    this.tuples = tuples;
    this.capacity = n;
  }
}
