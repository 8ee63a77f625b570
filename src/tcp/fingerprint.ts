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

/**
 * 32-bit views of the last two buffers read by `fnv1a` or `Chunker.feed`: a capture reader hands out records
 * in one reused buffer, so a view is made once per buffer, not per call, and a caller reading two captures
 * in turn (one buffer each) keeps both views. Both loops read four bytes with one `getInt32` (one bounds
 * check) where a Uint8Array costs a map check and a bounds check per byte.
 */
let wordBuf: Uint8Array | null = null;
let words: DataView = new DataView(new ArrayBuffer(0));
let otherBuf: Uint8Array | null = null;
let otherWords: DataView = words;

function wordsOf(buf: Uint8Array): DataView {
  if (buf === wordBuf) return words;
  const previousBuf = wordBuf;
  const previous = words;
  if (buf === otherBuf) {
    words = otherWords;
  } else {
    words = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  wordBuf = buf;
  otherBuf = previousBuf;
  otherWords = previous;
  return words;
}

/** FNV-1a of `bytes[start..end)`, continuing from `h` (start with FNV_OFFSET). */
export function fnv1a(bytes: Uint8Array, start: number, end: number, h = FNV_OFFSET): number {
  // In signed 32-bit form with the prime as a literal (16777619 = FNV_PRIME): the unsigned offset is not a
  // small integer, and a loop started from it kept the hash as a boxed number. Words only where the range
  // lies in the buffer (a DataView read past the end throws; an element read past it gives undefined, 0
  // here) and is long enough to pay for the view's check; 16 bytes a turn, so the view's map is checked once
  // per four words.
  let x = h | 0;
  let i = start | 0;
  const stop = end | 0;
  if (stop - i >= 8 && i >= 0 && stop <= bytes.length) {
    const view = wordsOf(bytes);
    for (; i + 16 <= stop; i = (i + 16) | 0) {
      const w0 = view.getInt32(i, true);
      x = Math.imul(x ^ (w0 & 255), 16777619);
      x = Math.imul(x ^ ((w0 >>> 8) & 255), 16777619);
      x = Math.imul(x ^ ((w0 >>> 16) & 255), 16777619);
      x = Math.imul(x ^ (w0 >>> 24), 16777619);
      const w1 = view.getInt32((i + 4) | 0, true);
      x = Math.imul(x ^ (w1 & 255), 16777619);
      x = Math.imul(x ^ ((w1 >>> 8) & 255), 16777619);
      x = Math.imul(x ^ ((w1 >>> 16) & 255), 16777619);
      x = Math.imul(x ^ (w1 >>> 24), 16777619);
      const w2 = view.getInt32((i + 8) | 0, true);
      x = Math.imul(x ^ (w2 & 255), 16777619);
      x = Math.imul(x ^ ((w2 >>> 8) & 255), 16777619);
      x = Math.imul(x ^ ((w2 >>> 16) & 255), 16777619);
      x = Math.imul(x ^ (w2 >>> 24), 16777619);
      const w3 = view.getInt32((i + 12) | 0, true);
      x = Math.imul(x ^ (w3 & 255), 16777619);
      x = Math.imul(x ^ ((w3 >>> 8) & 255), 16777619);
      x = Math.imul(x ^ ((w3 >>> 16) & 255), 16777619);
      x = Math.imul(x ^ (w3 >>> 24), 16777619);
    }
    for (; i + 4 <= stop; i = (i + 4) | 0) {
      const w = view.getInt32(i, true);
      x = Math.imul(x ^ (w & 255), 16777619);
      x = Math.imul(x ^ ((w >>> 8) & 255), 16777619);
      x = Math.imul(x ^ ((w >>> 16) & 255), 16777619);
      x = Math.imul(x ^ (w >>> 24), 16777619);
    }
  }
  for (; i < stop; i++) x = Math.imul(x ^ bytes[i]!, 16777619);
  return x >>> 0;
}

/** 256 fixed pseudo-random words (splitmix32 from a constant seed): both sides must use the same table. */
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
  /** GEAR as an array of small integers, held on the prototype (see below the class). */
  declare private readonly gearTable: readonly number[];
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
    fp.bytes = before + (end - start);
    let count = this.count;
    const limit = this.maxChunks;
    // The head hash first: it names the message's first bytes whatever the chunk budget left for it (with
    // no chunks left, a message still has its head hash) and however the bytes were cut into segments.
    if (before < HEAD_BYTES) {
      const headEnd = Math.min(end, start + (HEAD_BYTES - before));
      fp.headHash = fnv1a(buf, start, headEnd, fp.headHash);
    }
    if (before >= MAX_FINGERPRINT_BYTES || count >= limit) return;
    if (end - start > MAX_FINGERPRINT_BYTES - before) end = start + (MAX_FINGERPRINT_BYTES - before);
    const view = wordsOf(buf);
    const table = this.gearTable;
    const hashes = this.hashes;
    const lengths = this.lengths;
    let gear = this.gear | 0;
    let h = this.chunkHash | 0;
    let len = this.chunkLen | 0;
    let i = start | 0;
    const last = end | 0;
    // Literals, not the named constants: V8 does not fold module-level constants into these loops, and they
    // run twice as fast with them inline. -33554432 = CHUNK_MASK (top 7 bits), 32 = CHUNK_MIN, 1024 =
    // CHUNK_MAX, 16 / 15 = CHUNK_SAMPLE / CHUNK_SAMPLE - 1, -1640531535 = MIX (fingerprint.test.ts checks
    // they agree). Each loop turn takes `n` bytes, ending at a sample point, a cut or the end of the bytes,
    // then mixes the sample and closes the chunk there. Whole 16-byte blocks from a sample point are
    // unrolled, their bytes read four at a time (little-endian, so the first byte is the low one). CHUNK_MIN
    // and CHUNK_MAX are multiples of CHUNK_SAMPLE, so a block lies wholly below CHUNK_MIN (no cut can fall
    // in it but on its last byte: it tests none) or wholly at or above it (a cut may fall on any byte: each
    // is tested, and the first that cuts ends the turn).
    while (i < last) {
      let n = 16;
      const room = (last - i) | 0;
      if ((len & 15) === 0 && room >= 16) {
        if (len < 32) {
          const w0 = view.getInt32(i, true);
          gear = ((gear << 1) + table[w0 & 255]!) | 0;
          gear = ((gear << 1) + table[(w0 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w0 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w0 >>> 24]!) | 0;
          const w1 = view.getInt32((i + 4) | 0, true);
          gear = ((gear << 1) + table[w1 & 255]!) | 0;
          gear = ((gear << 1) + table[(w1 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w1 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w1 >>> 24]!) | 0;
          const w2 = view.getInt32((i + 8) | 0, true);
          gear = ((gear << 1) + table[w2 & 255]!) | 0;
          gear = ((gear << 1) + table[(w2 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w2 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w2 >>> 24]!) | 0;
          const w3 = view.getInt32((i + 12) | 0, true);
          gear = ((gear << 1) + table[w3 & 255]!) | 0;
          gear = ((gear << 1) + table[(w3 >>> 8) & 255]!) | 0;
          gear = ((gear << 1) + table[(w3 >>> 16) & 255]!) | 0;
          gear = ((gear << 1) + table[w3 >>> 24]!) | 0;
        } else {
          // Up to four blocks in one turn (`quarters`: as many as the bytes and CHUNK_MAX allow), so the turn's
          // own work is paid once per 64 bytes; the samples between them are mixed here.
          let quarters = room >> 4;
          if (quarters > (1024 - len) >> 4) quarters = (1024 - len) >> 4;
          n = 64;
          // biome-ignore lint/suspicious/noConfusingLabels: the one exit from the unrolled blocks at a cut
          block: {
            const w0 = view.getInt32(i, true);
            gear = ((gear << 1) + table[w0 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 1;
              break block;
            }
            gear = ((gear << 1) + table[(w0 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 2;
              break block;
            }
            gear = ((gear << 1) + table[(w0 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 3;
              break block;
            }
            gear = ((gear << 1) + table[w0 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 4;
              break block;
            }
            const w1 = view.getInt32((i + 4) | 0, true);
            gear = ((gear << 1) + table[w1 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 5;
              break block;
            }
            gear = ((gear << 1) + table[(w1 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 6;
              break block;
            }
            gear = ((gear << 1) + table[(w1 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 7;
              break block;
            }
            gear = ((gear << 1) + table[w1 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 8;
              break block;
            }
            const w2 = view.getInt32((i + 8) | 0, true);
            gear = ((gear << 1) + table[w2 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 9;
              break block;
            }
            gear = ((gear << 1) + table[(w2 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 10;
              break block;
            }
            gear = ((gear << 1) + table[(w2 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 11;
              break block;
            }
            gear = ((gear << 1) + table[w2 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 12;
              break block;
            }
            const w3 = view.getInt32((i + 12) | 0, true);
            gear = ((gear << 1) + table[w3 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 13;
              break block;
            }
            gear = ((gear << 1) + table[(w3 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 14;
              break block;
            }
            gear = ((gear << 1) + table[(w3 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 15;
              break block;
            }
            gear = ((gear << 1) + table[w3 >>> 24]!) | 0;
            if ((gear & -33554432) === 0 || quarters === 1) {
              n = 16;
              break block;
            }
            h = Math.imul(h ^ gear, -1640531535);
            const w4 = view.getInt32((i + 16) | 0, true);
            gear = ((gear << 1) + table[w4 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 17;
              break block;
            }
            gear = ((gear << 1) + table[(w4 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 18;
              break block;
            }
            gear = ((gear << 1) + table[(w4 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 19;
              break block;
            }
            gear = ((gear << 1) + table[w4 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 20;
              break block;
            }
            const w5 = view.getInt32((i + 20) | 0, true);
            gear = ((gear << 1) + table[w5 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 21;
              break block;
            }
            gear = ((gear << 1) + table[(w5 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 22;
              break block;
            }
            gear = ((gear << 1) + table[(w5 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 23;
              break block;
            }
            gear = ((gear << 1) + table[w5 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 24;
              break block;
            }
            const w6 = view.getInt32((i + 24) | 0, true);
            gear = ((gear << 1) + table[w6 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 25;
              break block;
            }
            gear = ((gear << 1) + table[(w6 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 26;
              break block;
            }
            gear = ((gear << 1) + table[(w6 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 27;
              break block;
            }
            gear = ((gear << 1) + table[w6 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 28;
              break block;
            }
            const w7 = view.getInt32((i + 28) | 0, true);
            gear = ((gear << 1) + table[w7 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 29;
              break block;
            }
            gear = ((gear << 1) + table[(w7 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 30;
              break block;
            }
            gear = ((gear << 1) + table[(w7 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 31;
              break block;
            }
            gear = ((gear << 1) + table[w7 >>> 24]!) | 0;
            if ((gear & -33554432) === 0 || quarters === 2) {
              n = 32;
              break block;
            }
            h = Math.imul(h ^ gear, -1640531535);
            const w8 = view.getInt32((i + 32) | 0, true);
            gear = ((gear << 1) + table[w8 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 33;
              break block;
            }
            gear = ((gear << 1) + table[(w8 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 34;
              break block;
            }
            gear = ((gear << 1) + table[(w8 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 35;
              break block;
            }
            gear = ((gear << 1) + table[w8 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 36;
              break block;
            }
            const w9 = view.getInt32((i + 36) | 0, true);
            gear = ((gear << 1) + table[w9 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 37;
              break block;
            }
            gear = ((gear << 1) + table[(w9 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 38;
              break block;
            }
            gear = ((gear << 1) + table[(w9 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 39;
              break block;
            }
            gear = ((gear << 1) + table[w9 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 40;
              break block;
            }
            const w10 = view.getInt32((i + 40) | 0, true);
            gear = ((gear << 1) + table[w10 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 41;
              break block;
            }
            gear = ((gear << 1) + table[(w10 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 42;
              break block;
            }
            gear = ((gear << 1) + table[(w10 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 43;
              break block;
            }
            gear = ((gear << 1) + table[w10 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 44;
              break block;
            }
            const w11 = view.getInt32((i + 44) | 0, true);
            gear = ((gear << 1) + table[w11 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 45;
              break block;
            }
            gear = ((gear << 1) + table[(w11 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 46;
              break block;
            }
            gear = ((gear << 1) + table[(w11 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 47;
              break block;
            }
            gear = ((gear << 1) + table[w11 >>> 24]!) | 0;
            if ((gear & -33554432) === 0 || quarters === 3) {
              n = 48;
              break block;
            }
            h = Math.imul(h ^ gear, -1640531535);
            const w12 = view.getInt32((i + 48) | 0, true);
            gear = ((gear << 1) + table[w12 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 49;
              break block;
            }
            gear = ((gear << 1) + table[(w12 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 50;
              break block;
            }
            gear = ((gear << 1) + table[(w12 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 51;
              break block;
            }
            gear = ((gear << 1) + table[w12 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 52;
              break block;
            }
            const w13 = view.getInt32((i + 52) | 0, true);
            gear = ((gear << 1) + table[w13 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 53;
              break block;
            }
            gear = ((gear << 1) + table[(w13 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 54;
              break block;
            }
            gear = ((gear << 1) + table[(w13 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 55;
              break block;
            }
            gear = ((gear << 1) + table[w13 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 56;
              break block;
            }
            const w14 = view.getInt32((i + 56) | 0, true);
            gear = ((gear << 1) + table[w14 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 57;
              break block;
            }
            gear = ((gear << 1) + table[(w14 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 58;
              break block;
            }
            gear = ((gear << 1) + table[(w14 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 59;
              break block;
            }
            gear = ((gear << 1) + table[w14 >>> 24]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 60;
              break block;
            }
            const w15 = view.getInt32((i + 60) | 0, true);
            gear = ((gear << 1) + table[w15 & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 61;
              break block;
            }
            gear = ((gear << 1) + table[(w15 >>> 8) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 62;
              break block;
            }
            gear = ((gear << 1) + table[(w15 >>> 16) & 255]!) | 0;
            if ((gear & -33554432) === 0) {
              n = 63;
              break block;
            }
            gear = ((gear << 1) + table[w15 >>> 24]!) | 0;
          }
        }
      } else {
        // The bytes up to the next sample point (a call's first and last few bytes), one at a time.
        let stop = (i + 16 - (len & 15)) | 0;
        if (stop > last) stop = last;
        n = (stop - i) | 0;
        if (len >= 32) {
          for (let k = i; k < stop; k++) {
            gear = ((gear << 1) + table[buf[k]!]!) | 0;
            if ((gear & -33554432) === 0) {
              n = (k + 1 - i) | 0;
              break;
            }
          }
        } else {
          for (let k = i; k < stop; k++) gear = ((gear << 1) + table[buf[k]!]!) | 0;
        }
      }
      i = (i + n) | 0;
      len = (len + n) | 0;
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
 * The Gear table as `feed` reads it (V8, Node 20, from the machine code it makes). On the prototype, not in
 * a module binding or a field: the optimizing compiler takes a property found on a prototype as a constant,
 * where a module binding is loaded and checked on every call. A plain array of small integers (every 32-bit
 * integer is one on Node's usual 64-bit builds), not the Int32Array: an element is loaded and untagged in
 * one instruction, where the typed array costs an extra instruction per element to hold the array object.
 */
Object.defineProperty(Chunker.prototype, 'gearTable', { value: Array.from(GEAR_TABLE) });

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
