/**
 * Payload fingerprints that survive a middlebox: the next stage pairs connections seen on two sides of a
 * device by comparing them. Two kinds, both cheap 32-bit hashes (no cryptography per packet):
 *
 * - a head hash: FNV-1a over the first HEAD_BYTES bytes of a message or direction;
 * - content-defined chunks: a Gear rolling hash (FastCDC's) cuts the byte stream where the hash of the last
 *   32 bytes has its top CHUNK_MASK_BITS bits zero, so boundaries depend on content, not on offsets. An
 *   inserted header line or a different segmentation changes only the chunks it touches; the rest still
 *   match. A chunk is named by mixing the Gear value every CHUNK_SAMPLE bytes and at its end, plus its
 *   length: each Gear value depends on the previous 32 bytes, so sampling every 16 bytes covers every byte
 *   at a fraction of the cost of a second per-byte hash.
 *
 * Chunk sizes: at least CHUNK_MIN bytes, at most CHUNK_MAX, about CHUNK_MIN + 2^CHUNK_MASK_BITS on average.
 * Work is bounded: a fingerprint stops reading bytes once it holds `maxChunks` chunks or has read
 * MAX_FINGERPRINT_BYTES bytes (the start of a message identifies it; hashing whole downloads would cost more
 * than the rest of the analysis).
 */

export const HEAD_BYTES = 64;
export const CHUNK_MIN = 32;
export const CHUNK_MAX = 1024;
export const CHUNK_MASK_BITS = 7;
/** Gear values are mixed into the chunk hash every CHUNK_SAMPLE bytes (must not exceed the 32-byte window). */
export const CHUNK_SAMPLE = 16;
export const CHUNK_MASK = ~(0xffffffff >>> CHUNK_MASK_BITS);
export const MAX_FINGERPRINT_BYTES = 1024;

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
// Signed 32-bit forms keep the hot loop in small-integer arithmetic (no double conversions).
const FNV_OFFSET_I32 = FNV_OFFSET | 0;
export const MIX = 0x9e3779b1 | 0;

/** FNV-1a of `bytes[start..end)`, continuing from `h` (start with FNV_OFFSET). */
export function fnv1a(bytes: Uint8Array, start: number, end: number, h = FNV_OFFSET): number {
  // In signed 32-bit form with the prime as a literal (16777619 = FNV_PRIME): the unsigned offset is not a
  // small integer, and a loop started from it kept the hash as a boxed number (about 25 instructions a byte).
  // Four bytes per loop turn: the compiler checks the array's map and reloads its data pointer once per turn.
  let x = h | 0;
  let i = start | 0;
  for (; i + 4 <= end; i += 4) {
    x = Math.imul(x ^ bytes[i]!, 16777619);
    x = Math.imul(x ^ bytes[i + 1]!, 16777619);
    x = Math.imul(x ^ bytes[i + 2]!, 16777619);
    x = Math.imul(x ^ bytes[i + 3]!, 16777619);
  }
  for (; i < end; i++) x = Math.imul(x ^ bytes[i]!, 16777619);
  return x >>> 0;
}

/**
 * 256 fixed pseudo-random words (splitmix32 from a constant seed): both sides must use the same table.
 * Held in a module-private binding, which the optimizing compiler folds into `feed` as a constant of known
 * length (no map, length and bounds checks per byte); an exported binding is read through a cell per use.
 */
const GEAR_TABLE: Int32Array = (() => {
  const table = new Int32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  return table;
})();
export const GEAR: Int32Array = GEAR_TABLE;

/**
 * A 32-bit view of the last buffer `feed` read: a capture reader hands out records in one reused buffer,
 * so the view is made once per buffer, not per call.
 */
let wordBuf: Uint8Array | null = null;
let words: DataView = new DataView(new ArrayBuffer(0));

function finalMix(h: number, gear: number, len: number): number {
  h = Math.imul(h ^ gear, MIX);
  h = Math.imul(h ^ len, FNV_PRIME);
  return (h ^ (h >>> 15)) >>> 0;
}

/** A message's fingerprint. */
export interface Fingerprint {
  /** FNV-1a of the first HEAD_BYTES bytes (FNV_OFFSET when none were seen). */
  headHash: number;
  /** Content-defined chunk hashes and their lengths, in stream order. */
  hashes: number[];
  lengths: number[];
  /** Bytes seen (including those past the byte and chunk caps). */
  bytes: number;
}

/** A fingerprint that keeps its chunks elsewhere (a pool): the chunker hands them over when it closes it. */
export interface StoresChunks {
  storeChunks(hashes: readonly number[], lengths: readonly number[], n: number): void;
}

/** Shared by every fingerprint that holds no chunks (most directions of short exchanges end with some). */
export const NO_CHUNKS: number[] = Object.freeze([]) as unknown as number[];

/**
 * The rolling state that cuts one direction's bytes into chunks and writes them into the fingerprint of
 * the message being read; `begin` switches to the next message. One per direction at a time, not one per
 * message, because a direction's bytes arrive in order; a chunker is free again once its fingerprint is
 * complete, so a table keeps a few and lends them out. Chunks collect in reused scratch arrays and are
 * written to the fingerprint, sized exactly, when it is closed (`end`): until then the fingerprint shows
 * no chunks.
 */
export class Chunker {
  private target: Fingerprint | null = null;
  private maxChunks = 0;
  private gear = 0;
  private chunkHash = FNV_OFFSET_I32;
  private chunkLen = 0;
  /** Chunks of the current fingerprint so far: the first `count` entries of the scratch arrays. */
  private count = 0;
  private readonly hashes: number[] = [];
  private readonly lengths: number[] = [];
  /** A fingerprint object its owner points at what it writes (a table's chunkers each keep a message view). */
  view: Fingerprint | null = null;

  /** Close the current fingerprint and start writing `target`, with room for `maxChunks` chunks. */
  begin(target: Fingerprint, maxChunks: number): void {
    this.end();
    this.target = target;
    this.maxChunks = maxChunks;
  }

  get current(): Fingerprint | null {
    return this.target;
  }

  /**
   * True once the current fingerprint has seen MAX_FINGERPRINT_BYTES bytes: it reads nothing more, so it
   * can be closed now (later bytes only add to `bytes`, which the owner can do without a chunker). One
   * capped by its chunk count stays open: its byte count still reads the bytes up to the byte cap.
   */
  get full(): boolean {
    const fp = this.target;
    return fp !== null && fp.bytes >= MAX_FINGERPRINT_BYTES;
  }

  feed(buf: Uint8Array, start: number, end: number): void {
    const fp = this.target;
    if (fp === null) return;
    const before = fp.bytes;
    fp.bytes += end - start;
    const limit = this.maxChunks;
    let count = this.count;
    if (before >= MAX_FINGERPRINT_BYTES || count >= limit) return;
    if (before < HEAD_BYTES) {
      const headEnd = Math.min(end, start + (HEAD_BYTES - before));
      fp.headHash = fnv1a(buf, start, headEnd, fp.headHash);
    }
    if (end - start > MAX_FINGERPRINT_BYTES - before) end = start + (MAX_FINGERPRINT_BYTES - before);
    let gear = this.gear | 0;
    let h = this.chunkHash | 0;
    let len = this.chunkLen | 0;
    const table = GEAR_TABLE;
    const hashes = this.hashes;
    const lengths = this.lengths;
    // Literals, not the named constants: V8 does not fold module-level constants into these loops, and they
    // run twice as fast with them inline. 15 / 16 = CHUNK_SAMPLE - 1 / CHUNK_SAMPLE, -33554432 = CHUNK_MASK
    // (top 7 bits), 32 = CHUNK_MIN, 1024 = CHUNK_MAX, -1640531535 = MIX (fingerprint.test.ts checks they
    // agree). The bytes go in blocks that end where the chunk length reaches the next multiple of
    // CHUNK_SAMPLE, so the per-byte code neither counts the length nor tests for a sample; CHUNK_MIN and
    // CHUNK_MAX are multiples of CHUNK_SAMPLE, so a block lies wholly below CHUNK_MIN (no cut can fall in
    // it but on its last byte) or wholly at or above it, and no block passes CHUNK_MAX.
    if (buf !== wordBuf) {
      wordBuf = buf;
      words = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const view = words;
    let i = start;
    while (i < end) {
      const from = i;
      let stop = i + (16 - (len & 15));
      if (stop > end) stop = end;
      if (stop - i === 16) {
        // A whole block from a sample point, unrolled, its bytes read four at a time (little-endian, so the
        // first byte is the low one). In blocks at or past CHUNK_MIN a cut may fall on any byte: the block
        // stops at the first, and its bytes are taken again one by one below to find where.
        const w0 = view.getInt32(i, true);
        const w1 = view.getInt32(i + 4, true);
        const w2 = view.getInt32(i + 8, true);
        const w3 = view.getInt32(i + 12, true);
        if (len >= 32) {
          const gearBefore = gear;
          // biome-ignore lint/suspicious/noConfusingLabels: the one exit from the unrolled block at a cut
          block: {
            gear = ((gear << 1) + table[w0 & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w0 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w0 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[w0 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[w1 & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w1 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w1 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[w1 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[w2 & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w2 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w2 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[w2 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[w3 & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w3 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[(w3 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) break block;
            gear = ((gear << 1) + table[w3 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) break block;
            i = stop;
          }
          if (i !== stop) {
            gear = gearBefore;
            while (i < stop) {
              gear = ((gear << 1) + table[buf[i]!]!) | 0;
              i++;
              if ((gear & -33554432) === 0) break;
            }
          }
        } else {
          gear = ((gear << 1) + table[w0 & 255]!) | 0;
          gear = ((gear << 1) + table[(w0 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w0 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w0 >>> 24]!) | 0;
          gear = ((gear << 1) + table[w1 & 255]!) | 0;
          gear = ((gear << 1) + table[(w1 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w1 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w1 >>> 24]!) | 0;
          gear = ((gear << 1) + table[w2 & 255]!) | 0;
          gear = ((gear << 1) + table[(w2 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w2 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w2 >>> 24]!) | 0;
          gear = ((gear << 1) + table[w3 & 255]!) | 0;
          gear = ((gear << 1) + table[(w3 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w3 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w3 >>> 24]!) | 0;
          i = stop;
        }
      } else if (len >= 32) {
        while (i < stop) {
          gear = ((gear << 1) + table[buf[i]!]!) | 0;
          i++;
          if ((gear & -33554432) === 0) break;
        }
      } else {
        while (i < stop) {
          gear = ((gear << 1) + table[buf[i]!]!) | 0;
          i++;
        }
      }
      len += i - from;
      if ((len & 15) === 0) h = Math.imul(h ^ gear, -1640531535);
      if (((gear & -33554432) === 0 && len >= 32) || len >= 1024) {
        hashes[count] = finalMix(h, gear, len);
        lengths[count] = len;
        count++;
        h = FNV_OFFSET_I32;
        len = 0;
        gear = 0;
        if (count >= limit) break;
      }
    }
    this.gear = gear;
    this.chunkHash = h;
    this.chunkLen = len;
    this.count = count;
  }

  /** Bytes are missing here: end the current chunk so no chunk spans the hole. */
  cut(): void {
    if (this.target !== null && this.chunkLen > 0 && this.count < this.maxChunks) {
      this.hashes[this.count] = finalMix(this.chunkHash, this.gear, this.chunkLen);
      this.lengths[this.count] = this.chunkLen;
      this.count++;
    }
    this.chunkLen = 0;
    this.chunkHash = FNV_OFFSET_I32;
    this.gear = 0;
  }

  /** Close the current fingerprint (its last partial chunk) and return how many chunks it holds. */
  end(): number {
    const fp = this.target;
    if (fp === null) return 0;
    this.cut();
    this.target = null;
    const n = this.count;
    this.count = 0;
    const pooled = fp as Fingerprint & Partial<StoresChunks>;
    if (pooled.storeChunks !== undefined) {
      pooled.storeChunks(this.hashes, this.lengths, n);
    } else if (n === 0) {
      fp.hashes = NO_CHUNKS;
      fp.lengths = NO_CHUNKS;
    } else {
      // Copies sized exactly: arrays grown by push keep spare capacity.
      fp.hashes = this.hashes.slice(0, n);
      fp.lengths = this.lengths.slice(0, n);
    }
    return n;
  }

  /** Chunks the current fingerprint may still take (for returning unused budget). */
  get unused(): number {
    return this.target === null ? 0 : this.maxChunks - this.count;
  }
}

/**
 * Chunk hashes and lengths of many fingerprints, end to end in two typed arrays: messages number in the
 * millions, and two arrays of their own each would be most of a table's objects and of the collector's work
 * (typed arrays are neither traced nor copied by it).
 */
export class ChunkPool {
  /** Hashes as signed 32-bit values (read back with `>>> 0`), lengths up to CHUNK_MAX. */
  hashes = new Int32Array(1024);
  lengths = new Uint16Array(1024);
  size = 0;

  /** Append the first `n` chunks of the lists; returns where they start. */
  append(hashes: readonly number[], lengths: readonly number[], n: number): number {
    const at = this.size;
    if (at + n > this.hashes.length) this.grow(at + n);
    const h = this.hashes;
    const l = this.lengths;
    for (let i = 0; i < n; i++) {
      h[at + i] = hashes[i]! | 0;
      l[at + i] = lengths[i]!;
    }
    this.size = at + n;
    return at;
  }

  /** The hashes of chunks `at .. at + n` as an array of unsigned values (NO_CHUNKS when n is 0). */
  hashList(at: number, n: number): number[] {
    if (n === 0) return NO_CHUNKS;
    const out: number[] = new Array(n);
    for (let k = 0; k < n; k++) out[k] = this.hashes[at + k]! >>> 0;
    return out;
  }

  /** The lengths of chunks `at .. at + n` as an array (NO_CHUNKS when n is 0). */
  lengthList(at: number, n: number): number[] {
    if (n === 0) return NO_CHUNKS;
    const out: number[] = new Array(n);
    for (let k = 0; k < n; k++) out[k] = this.lengths[at + k]!;
    return out;
  }

  /** Drop the spare capacity (no chunk is added any more). */
  trim(): void {
    if (this.hashes.length === this.size) return;
    this.hashes = this.hashes.slice(0, this.size);
    this.lengths = this.lengths.slice(0, this.size);
  }

  private grow(min: number): void {
    let cap = this.hashes.length * 2;
    while (cap < min) cap *= 2;
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes.subarray(0, this.size));
    const lengths = new Uint16Array(cap);
    lengths.set(this.lengths.subarray(0, this.size));
    this.hashes = hashes;
    this.lengths = lengths;
  }
}

/**
 * A fingerprint whose chunks live in a `ChunkPool`. `hashes` and `lengths` are made as arrays on first
 * read and kept; `chunkCount`, `chunkHash(i)` and `chunkLength(i)` read the pool without making them.
 */
export class PooledFingerprint implements Fingerprint, StoresChunks {
  private headHashI32 = FNV_OFFSET_I32;
  bytes = 0;
  private readonly pool: ChunkPool;
  private chunkAt = 0;
  private chunkN = 0;
  /** The arrays, once made or assigned (null: not made yet, read the pool). */
  private hashList: number[] | null = null;
  private lengthList: number[] | null = null;

  constructor(pool: ChunkPool) {
    this.pool = pool;
  }

  get headHash(): number {
    return this.headHashI32 >>> 0;
  }
  set headHash(hash: number) {
    this.headHashI32 = hash | 0;
  }

  get hashes(): number[] {
    if (this.hashList === null) {
      if (this.chunkN === 0) return NO_CHUNKS;
      this.hashList = this.pool.hashList(this.chunkAt, this.chunkN);
    }
    return this.hashList;
  }
  set hashes(list: number[]) {
    this.hashList = list;
  }

  get lengths(): number[] {
    if (this.lengthList === null) {
      if (this.chunkN === 0) return NO_CHUNKS;
      this.lengthList = this.pool.lengthList(this.chunkAt, this.chunkN);
    }
    return this.lengthList;
  }
  set lengths(list: number[]) {
    this.lengthList = list;
  }

  /** Number of chunks (the length of `hashes`). */
  get chunkCount(): number {
    return this.hashList !== null ? this.hashList.length : this.chunkN;
  }
  /** Chunk `i`'s hash and length (`hashes[i]`, `lengths[i]`). */
  chunkHash(i: number): number {
    return this.hashList !== null ? this.hashList[i]! : this.pool.hashes[this.chunkAt + i]! >>> 0;
  }
  chunkLength(i: number): number {
    return this.lengthList !== null ? this.lengthList[i]! : this.pool.lengths[this.chunkAt + i]!;
  }

  /** @internal the chunker's closing write: the first `n` chunks of its lists. */
  storeChunks(hashes: readonly number[], lengths: readonly number[], n: number): void {
    this.chunkAt = n === 0 ? 0 : this.pool.append(hashes, lengths, n);
    this.chunkN = n;
    this.hashList = null;
    this.lengthList = null;
  }
}

/** A message's fingerprint, its fields in one fixed layout. */
class MessageFingerprint implements Fingerprint {
  headHash = FNV_OFFSET;
  hashes = NO_CHUNKS;
  lengths = NO_CHUNKS;
  bytes = 0;
}

/** A fresh, empty fingerprint. */
export function emptyFingerprint(): Fingerprint {
  return new MessageFingerprint();
}
