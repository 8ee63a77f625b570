/**
 * A table's messages, one row each in two typed arrays, linked per session in time order: messages number
 * in the millions (five per session in typical traffic), and as objects they were the largest share of a
 * table's heap and of the collector's work. `Session.messages` makes a `MessageRecord` view of each row on
 * first read; the table itself works on rows.
 */
import { ChunkPool, type Fingerprint, FNV_OFFSET, NO_CHUNKS } from './fingerprint.js';
import type { Message } from './session.js';

// Int32 words of a row (hashes kept signed, read back with `>>> 0`).
const DIR = 0;
// Packet numbers are stored in Int32 words and read back unsigned (`>>> 0`): exact up to 2^32 - 1 packets.
const FIRST_PACKET = 1;
const LAST_PACKET = 2;
const PACKETS = 3;
const TLS = 4;
const HEAD_HASH = 5;
const CHUNK_AT = 6;
const CHUNK_N = 7;
/** Next message of the same session (-1: the last). */
const NEXT = 8;
const INT_WORDS = 9;
// Float64 words: stream offsets and byte counts grow past 32 bits; times as whole seconds + ns.
const FIRST_SEC = 0;
const FIRST_REM = 1;
const LAST_SEC = 2;
const LAST_REM = 3;
const START = 4;
const END = 5;
const BYTES = 6;
const FLOAT_WORDS = 7;

function wholeSeconds(ns: number): number {
  return Math.floor(ns / 1e9);
}

export class MessageStore {
  ints: Int32Array;
  floats: Float64Array;
  size = 0;
  /** The messages' chunk hashes and lengths. */
  readonly pool = new ChunkPool();

  constructor(rows = 1024) {
    this.ints = new Int32Array(rows * INT_WORDS);
    this.floats = new Float64Array(rows * FLOAT_WORDS);
  }

  /** A new message (a row linked to nothing yet). */
  add(dir: 0 | 1, packet: number, relNs: number, start: number, end: number): number {
    const row = this.size;
    if ((row + 1) * INT_WORDS > this.ints.length) this.grow();
    const i = row * INT_WORDS;
    const f = row * FLOAT_WORDS;
    const t = this.ints;
    const d = this.floats;
    t[i + DIR] = dir;
    t[i + FIRST_PACKET] = packet;
    t[i + LAST_PACKET] = packet;
    t[i + HEAD_HASH] = FNV_OFFSET;
    t[i + NEXT] = -1;
    const sec = wholeSeconds(relNs);
    d[f + FIRST_SEC] = sec;
    d[f + FIRST_REM] = relNs - sec * 1e9;
    d[f + LAST_SEC] = sec;
    d[f + LAST_REM] = relNs - sec * 1e9;
    d[f + START] = start;
    d[f + END] = end;
    this.size = row + 1;
    return row;
  }

  dir(row: number): 0 | 1 {
    return this.ints[row * INT_WORDS + DIR] as 0 | 1;
  }
  next(row: number): number {
    return this.ints[row * INT_WORDS + NEXT]!;
  }
  setNext(row: number, next: number): void {
    this.ints[row * INT_WORDS + NEXT] = next;
  }
  start(row: number): number {
    return this.floats[row * FLOAT_WORDS + START]!;
  }
  end(row: number): number {
    return this.floats[row * FLOAT_WORDS + END]!;
  }
  setEnd(row: number, end: number): void {
    this.floats[row * FLOAT_WORDS + END] = end;
  }
  bytes(row: number): number {
    return this.floats[row * FLOAT_WORDS + BYTES]!;
  }
  addBytes(row: number, n: number): void {
    const f = row * FLOAT_WORDS + BYTES;
    this.floats[f] = this.floats[f]! + n;
  }
  setTls(row: number, marker: number): void {
    this.ints[row * INT_WORDS + TLS] = marker;
  }
  /**
   * A packet of the message's direction while it was current, at `relSec` whole seconds from the table's
   * base second plus `nsec` (its time without a division per packet).
   */
  seen(row: number, packet: number, relSec: number, nsec: number): void {
    const i = row * INT_WORDS;
    const ints = this.ints;
    ints[i + LAST_PACKET] = packet;
    ints[i + PACKETS] = ints[i + PACKETS]! + 1;
    const f = row * FLOAT_WORDS;
    const floats = this.floats;
    floats[f + LAST_SEC] = relSec;
    floats[f + LAST_REM] = nsec;
  }

  /** Drop the spare capacity (no message is added any more). */
  trim(): void {
    if (this.ints.length > this.size * INT_WORDS) {
      this.ints = this.ints.slice(0, this.size * INT_WORDS);
      this.floats = this.floats.slice(0, this.size * FLOAT_WORDS);
    }
    this.pool.trim();
  }

  private grow(): void {
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    const floats = new Float64Array(this.floats.length * 2);
    floats.set(this.floats);
    this.ints = ints;
    this.floats = floats;
  }
}

/**
 * A message read from (and written to) its row of a MessageStore; it is its own fingerprint. `hashes` and
 * `lengths` are made as arrays on first read and kept; `chunkCount`, `chunkHash(i)` and `chunkLength(i)`
 * read the pool without making them. The table's chunkers each keep one view they point at the message
 * they are writing (`at`).
 */
export class MessageRecord implements Message, Fingerprint {
  private readonly store: MessageStore;
  private r: number;
  private i: number;
  private f: number;
  /** The chunk arrays, once made or assigned (null: not made yet, read the pool). */
  private hashList: number[] | null = null;
  private lengthList: number[] | null = null;

  constructor(store: MessageStore, row: number) {
    this.store = store;
    this.r = row;
    this.i = row * INT_WORDS;
    this.f = row * FLOAT_WORDS;
  }

  /** The row this view reads. */
  get row(): number {
    return this.r;
  }

  /** @internal point this view at another row. */
  at(row: number): this {
    this.r = row;
    this.i = row * INT_WORDS;
    this.f = row * FLOAT_WORDS;
    this.hashList = null;
    this.lengthList = null;
    return this;
  }

  get dir(): 0 | 1 {
    return this.store.ints[this.i + DIR] as 0 | 1;
  }
  set dir(dir: 0 | 1) {
    this.store.ints[this.i + DIR] = dir;
  }
  get firstPacket(): number {
    return this.store.ints[this.i + FIRST_PACKET]! >>> 0;
  }
  set firstPacket(n: number) {
    this.store.ints[this.i + FIRST_PACKET] = n;
  }
  get lastPacket(): number {
    return this.store.ints[this.i + LAST_PACKET]! >>> 0;
  }
  set lastPacket(n: number) {
    this.store.ints[this.i + LAST_PACKET] = n;
  }
  get packets(): number {
    return this.store.ints[this.i + PACKETS]!;
  }
  set packets(n: number) {
    this.store.ints[this.i + PACKETS] = n;
  }
  get tls(): number {
    return this.store.ints[this.i + TLS]!;
  }
  set tls(marker: number) {
    this.store.ints[this.i + TLS] = marker;
  }
  get firstRelNs(): number {
    return this.store.floats[this.f + FIRST_SEC]! * 1e9 + this.store.floats[this.f + FIRST_REM]!;
  }
  set firstRelNs(ns: number) {
    const sec = wholeSeconds(ns);
    this.store.floats[this.f + FIRST_SEC] = sec;
    this.store.floats[this.f + FIRST_REM] = ns - sec * 1e9;
  }
  get lastRelNs(): number {
    return this.store.floats[this.f + LAST_SEC]! * 1e9 + this.store.floats[this.f + LAST_REM]!;
  }
  set lastRelNs(ns: number) {
    const sec = wholeSeconds(ns);
    this.store.floats[this.f + LAST_SEC] = sec;
    this.store.floats[this.f + LAST_REM] = ns - sec * 1e9;
  }
  get start(): number {
    return this.store.floats[this.f + START]!;
  }
  set start(offset: number) {
    this.store.floats[this.f + START] = offset;
  }
  get end(): number {
    return this.store.floats[this.f + END]!;
  }
  set end(offset: number) {
    this.store.floats[this.f + END] = offset;
  }

  get fingerprint(): Fingerprint {
    return this;
  }
  /** Replacing the fingerprint copies its fields in. */
  set fingerprint(fp: Fingerprint) {
    this.headHash = fp.headHash;
    this.hashes = fp.hashes;
    this.lengths = fp.lengths;
    this.bytes = fp.bytes;
  }

  get headHash(): number {
    return this.store.ints[this.i + HEAD_HASH]! >>> 0;
  }
  set headHash(hash: number) {
    this.store.ints[this.i + HEAD_HASH] = hash;
  }
  get bytes(): number {
    return this.store.floats[this.f + BYTES]!;
  }
  set bytes(n: number) {
    this.store.floats[this.f + BYTES] = n;
  }

  get hashes(): number[] {
    if (this.hashList === null) {
      const n = this.chunkN();
      if (n === 0) return NO_CHUNKS;
      this.hashList = this.store.pool.hashList(this.store.ints[this.i + CHUNK_AT]!, n);
    }
    return this.hashList;
  }
  set hashes(list: number[]) {
    this.hashList = list;
  }
  get lengths(): number[] {
    if (this.lengthList === null) {
      const n = this.chunkN();
      if (n === 0) return NO_CHUNKS;
      this.lengthList = this.store.pool.lengthList(this.store.ints[this.i + CHUNK_AT]!, n);
    }
    return this.lengthList;
  }
  set lengths(list: number[]) {
    this.lengthList = list;
  }

  /** Number of chunks (the length of `hashes`). */
  get chunkCount(): number {
    return this.hashList !== null ? this.hashList.length : this.chunkN();
  }
  /** Chunk `k`'s hash and length (`hashes[k]`, `lengths[k]`). */
  chunkHash(k: number): number {
    if (this.hashList !== null) return this.hashList[k]!;
    return this.store.pool.hashes[this.store.ints[this.i + CHUNK_AT]! + k]! >>> 0;
  }
  chunkLength(k: number): number {
    if (this.lengthList !== null) return this.lengthList[k]!;
    return this.store.pool.lengths[this.store.ints[this.i + CHUNK_AT]! + k]!;
  }

  /** @internal the chunker's closing write: the first `n` chunks of its lists. */
  storeChunks(hashes: readonly number[], lengths: readonly number[], n: number): void {
    this.store.ints[this.i + CHUNK_AT] = n === 0 ? 0 : this.store.pool.append(hashes, lengths, n);
    this.store.ints[this.i + CHUNK_N] = n;
    this.hashList = null;
    this.lengthList = null;
  }

  private chunkN(): number {
    return this.store.ints[this.i + CHUNK_N]!;
  }
}
