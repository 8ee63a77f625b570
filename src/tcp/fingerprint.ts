/**
 * Payload fingerprints that survive a middlebox: the next stage pairs connections seen on two sides of a
 * device by comparing them. Two kinds, both cheap 32-bit hashes (no cryptography per packet):
 *
 * - a head hash: FNV-1a over the first HEAD_BYTES bytes of a message or direction;
 * - content-defined chunks: a Gear rolling hash (FastCDC's) cuts the byte stream where the hash of the last
 *   ~32 bytes has its top CHUNK_MASK_BITS bits zero, so boundaries depend on content, not on offsets. An
 *   inserted header line or a different segmentation changes only the chunks it touches; the rest still
 *   match. Each chunk is named by FNV-1a of its bytes.
 *
 * Chunk sizes: at least CHUNK_MIN bytes, at most CHUNK_MAX, about CHUNK_MIN + 2^CHUNK_MASK_BITS on average.
 */

export const HEAD_BYTES = 64;
export const CHUNK_MIN = 32;
export const CHUNK_MAX = 1024;
export const CHUNK_MASK_BITS = 7;
const CHUNK_MASK = ~(0xffffffff >>> CHUNK_MASK_BITS) >>> 0;

export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of `bytes[start..end)`, continuing from `h` (start with FNV_OFFSET). */
export function fnv1a(bytes: Uint8Array, start: number, end: number, h = FNV_OFFSET): number {
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h >>> 0;
}

/** 256 fixed pseudo-random words (splitmix32 from a constant seed): both sides must use the same table. */
export const GEAR: Uint32Array = (() => {
  const table = new Uint32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return table;
})();

/**
 * Fingerprint of one message or direction: feed bytes in stream order, collect chunk hashes (and lengths) up to
 * `maxChunks`; after that it stops looking at bytes, which bounds the cost per message.
 */
export class ContentFingerprint {
  readonly hashes: number[] = [];
  readonly lengths: number[] = [];
  private gear = 0;
  private chunkHash = FNV_OFFSET;
  private chunkLen = 0;
  headHash = FNV_OFFSET;
  /** Bytes fed so far (including those past the chunk cap). */
  bytes = 0;

  constructor(readonly maxChunks: number) {}

  get full(): boolean {
    return this.hashes.length >= this.maxChunks;
  }

  feed(buf: Uint8Array, start: number, end: number): void {
    if (this.bytes < HEAD_BYTES) {
      const headEnd = Math.min(end, start + (HEAD_BYTES - this.bytes));
      this.headHash = fnv1a(buf, start, headEnd, this.headHash);
    }
    this.bytes += end - start;
    if (this.hashes.length >= this.maxChunks) return;
    let gear = this.gear;
    let h = this.chunkHash;
    let len = this.chunkLen;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      gear = ((gear << 1) + GEAR[b]!) >>> 0;
      h = Math.imul(h ^ b, FNV_PRIME);
      len++;
      if ((len >= CHUNK_MIN && (gear & CHUNK_MASK) === 0) || len >= CHUNK_MAX) {
        this.hashes.push(h >>> 0);
        this.lengths.push(len);
        h = FNV_OFFSET;
        len = 0;
        gear = 0;
        if (this.hashes.length >= this.maxChunks) break;
      }
    }
    this.gear = gear;
    this.chunkHash = h;
    this.chunkLen = len;
  }

  /** Bytes are missing here: end the current chunk so no chunk spans the hole. */
  cut(): void {
    this.finish();
  }

  /** Close the last partial chunk (end of message). Idempotent. */
  finish(): void {
    if (this.chunkLen > 0 && this.hashes.length < this.maxChunks) {
      this.hashes.push(this.chunkHash >>> 0);
      this.lengths.push(this.chunkLen);
    }
    this.chunkLen = 0;
    this.chunkHash = FNV_OFFSET;
    this.gear = 0;
  }
}
