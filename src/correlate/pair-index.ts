/**
 * A multimap from 32-bit keys to int32 values in typed arrays: the candidate index of pairing. Hundreds of
 * thousands of sessions give millions of fingerprints; a Map of arrays would cost an object per key, this
 * costs about 12 bytes per entry plus the open-addressing table of distinct keys. The number of values per
 * key is kept, so callers skip keys too common to identify anything in O(1), never walking their lists.
 */

const EMPTY_SLOT = -1;
/** A module binding: a sandboxed global object (test runners) makes a `Math` lookup per key costly. */
const imul = Math.imul;

export class KeyIndex {
  /** Open addressing over distinct keys: key, number of values, head of its value list. */
  private slotKey: Uint32Array;
  private slotCount: Int32Array;
  private slotHead: Int32Array;
  private slotUsed: Uint8Array;
  private mask: number;
  private distinct = 0;
  /** Values as linked lists, newest first. */
  private value: Int32Array;
  private next: Int32Array;
  size = 0;

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.slotKey = new Uint32Array(cap);
    this.slotCount = new Int32Array(cap);
    this.slotHead = new Int32Array(cap).fill(EMPTY_SLOT);
    this.slotUsed = new Uint8Array(cap);
    this.value = new Int32Array(Math.max(16, expected));
    this.next = new Int32Array(Math.max(16, expected));
  }

  add(key: number, value: number): void {
    if ((this.distinct + 1) * 2 > this.mask + 1) this.rehash();
    const slot = this.findSlot(key >>> 0, true);
    if (this.size === this.value.length) this.growValues();
    const e = this.size++;
    this.value[e] = value;
    this.next[e] = this.slotHead[slot]!;
    this.slotHead[slot] = e;
    this.slotCount[slot]!++;
  }

  /** Number of values stored under `key`. */
  count(key: number): number {
    const slot = this.findSlot(key >>> 0, false);
    return slot < 0 ? 0 : this.slotCount[slot]!;
  }

  /** First entry of `key`'s list (newest value first), or -1; walk with `nextEntry`, read with `valueAt`. */
  first(key: number): number {
    const slot = this.findSlot(key >>> 0, false);
    return slot < 0 ? -1 : this.slotHead[slot]!;
  }

  nextEntry(entry: number): number {
    return this.next[entry]!;
  }

  valueAt(entry: number): number {
    return this.value[entry]!;
  }

  /** The only value of `key`, or -1 when it has none or several. */
  unique(key: number): number {
    const slot = this.findSlot(key >>> 0, false);
    if (slot < 0 || this.slotCount[slot] !== 1) return -1;
    return this.value[this.slotHead[slot]!]!;
  }

  private findSlot(key: number, create: boolean): number {
    // Multiplicative hashing spreads keys that differ only in high bits (ISNs, hashes are already mixed).
    let i = imul(key, 0x9e3779b1) >>> 0;
    i &= this.mask;
    for (;;) {
      if (this.slotUsed[i] === 0) {
        if (!create) return -1;
        this.slotUsed[i] = 1;
        this.slotKey[i] = key;
        this.distinct++;
        return i;
      }
      if (this.slotKey[i] === key) return i;
      i = (i + 1) & this.mask;
    }
  }

  private rehash(): void {
    const oldKey = this.slotKey;
    const oldCount = this.slotCount;
    const oldHead = this.slotHead;
    const oldUsed = this.slotUsed;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.slotKey = new Uint32Array(cap);
    this.slotCount = new Int32Array(cap);
    this.slotHead = new Int32Array(cap).fill(EMPTY_SLOT);
    this.slotUsed = new Uint8Array(cap);
    this.distinct = 0;
    for (let s = 0; s < oldUsed.length; s++) {
      if (oldUsed[s] === 0) continue;
      const slot = this.findSlot(oldKey[s]!, true);
      this.slotCount[slot] = oldCount[s]!;
      this.slotHead[slot] = oldHead[s]!;
    }
  }

  private growValues(): void {
    const cap = this.value.length * 2;
    const value = new Int32Array(cap);
    value.set(this.value);
    const next = new Int32Array(cap);
    next.set(this.next);
    this.value = value;
    this.next = next;
  }
}

/** Mix a small tag (direction, key kind) into a 32-bit hash so that equal hashes of different kinds differ. */
export function tagged(hash: number, tag: number): number {
  let h = imul((hash ^ imul(tag + 1, 0x85ebca6b)) >>> 0, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
