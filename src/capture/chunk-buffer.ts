/**
 * A window over a byte source, refilled in large synchronous reads into one reused buffer. Parsers look at
 * `buf[pos .. end)` and ask `ensure(n)` for the next n bytes; a record that straddles two reads is carried to
 * the start of the buffer. The buffer grows only for a record bigger than itself, never past `maxBytes`, and
 * only as fast as real data arrives: a header claiming 100 MB in a 1 KB file allocates a few KB, not 100 MB.
 */
import type { ByteSource } from './byte-source.js';

export class ChunkBuffer {
  buf: Uint8Array;
  view: DataView;
  /** Next unread byte. */
  pos = 0;
  /** End of valid data. */
  end = 0;
  /** File offset (in the decompressed stream) of `buf[0]`. */
  base = 0;
  private eof = false;

  constructor(
    private readonly source: ByteSource,
    /** Bytes per read from the source; also the initial buffer size. */
    private readonly chunkSize: number,
    readonly maxBytes: number,
  ) {
    this.buf = new Uint8Array(Math.max(16, chunkSize));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes available from `pos` without reading. */
  get available(): number {
    return this.end - this.pos;
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Make `n` bytes available from `pos` (n <= maxBytes); false if the source ends first (the bytes that
   * exist stay available). May move data: re-read `buf`, `view` and `pos` afterwards.
   */
  ensure(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (this.eof) return false;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    while (this.end < n) {
      if (this.end === this.buf.length) this.grow(n);
      const want = Math.min(this.chunkSize, this.buf.length - this.end);
      const got = this.source.read(this.buf, this.end, want);
      if (got === 0) {
        this.eof = true;
        return false;
      }
      this.end += got;
    }
    return true;
  }

  /** Double, up to maxBytes: called only when the buffer is full of real data, so growth follows the data. */
  private grow(need: number): void {
    const size = Math.min(Math.max(this.buf.length * 2, 16), this.maxBytes);
    if (size <= this.buf.length) throw new RangeError(`record of ${need} bytes exceeds ${this.maxBytes}`);
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.end));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}
