/**
 * Streaming, synchronous, bounded decompression of gzip (and zstd where this Node.js has it).
 *
 * Node.js has no public synchronous streaming inflater: `zlib.gunzipSync` needs the whole input and returns
 * the whole output (unbounded memory for a large capture), and the stream classes are asynchronous. So this
 * drives the zlib stream object's native handle directly, the layer `zlib.*Sync` itself is built on:
 * `handle.writeSync(flush, in, inOff, inLen, out, outOff, outLen)` inflates into a caller-given output slice
 * and reports what is left in `_writeState`. (`_processChunk`, one level up, closes the handle after every
 * call in Node 20, so it cannot stream.) Memory is one 64 KiB input slice plus zlib's own state; each native
 * call writes at most 64 KiB straight into the reader's buffer, so a zip bomb costs time, never memory.
 * Multi-member gzip files are handled by zlib's handle itself. Our `onerror` replaces Node's, so a corrupt
 * stream becomes a CaptureError here instead of an asynchronous 'error' event nobody listens to.
 * If a future Node.js drops these internals, opening a compressed file fails with a clear CaptureError.
 */
import * as zlib from 'node:zlib';
import type { AnomalyLog } from '../common/anomaly.js';
import { BAD_COMPRESSED_DATA, TRUNCATED_COMPRESSED, UNSUPPORTED_COMPRESSION } from './anomalies.js';
import type { ByteSource, FileSource } from './byte-source.js';
import { CaptureError, type Compression } from './types.js';

const INPUT_SLICE = 64 * 1024;
/** Output per native call: bounds what a corrupt stream can take with it (see `failed`). */
const OUTPUT_SLICE = 64 * 1024;

interface NativeHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: ((message: string, errno: number) => void) | undefined;
}

interface StreamInternals {
  _handle?: NativeHandle;
  _writeState?: Uint32Array;
  close(): void;
}

interface Flushes {
  /** Keep going, more input follows. */
  more: number;
  /** Input is complete: emit all that can be emitted, without judging completeness. */
  drain: number;
  /** Input is complete: fail if the stream is unfinished. */
  finish: number;
}

export class InflateSource implements ByteSource {
  private readonly stream: StreamInternals;
  private readonly handle: NativeHandle;
  private readonly state: Uint32Array;
  private readonly input = new Uint8Array(INPUT_SLICE);
  private inStart = 0;
  private inEnd = 0;
  private fileDone = false;
  private finished = false;
  private failure: { message: string; errno: number } | null = null;
  private pending: CaptureError | null = null;
  /** Decompressed bytes produced so far: the offset reported with errors. */
  private produced = 0;

  private constructor(
    private readonly file: FileSource,
    private readonly path: string,
    private readonly anomalies: AnomalyLog,
    stream: StreamInternals,
    private readonly flushes: Flushes,
  ) {
    this.stream = stream;
    const handle = stream._handle;
    const state = stream._writeState;
    if (
      !handle ||
      typeof handle.writeSync !== 'function' ||
      !(ArrayBuffer.isView(state) && state.length >= 2)
    ) {
      stream.close();
      throw new CaptureError(
        UNSUPPORTED_COMPRESSION,
        path,
        0,
        `${path}: this Node.js (${process.version}) lacks the zlib internals used for streaming decompression; decompress the file first`,
      );
    }
    this.handle = handle;
    this.state = state;
    handle.onerror = (message, errno) => {
      this.failure = { message, errno };
    };
  }

  static open(
    file: FileSource,
    path: string,
    kind: Exclude<Compression, 'none'>,
    anomalies: AnomalyLog,
  ): InflateSource {
    if (kind === 'gzip') {
      const c = zlib.constants;
      const flushes = { more: c.Z_NO_FLUSH, drain: c.Z_SYNC_FLUSH, finish: c.Z_FINISH };
      return new InflateSource(
        file,
        path,
        anomalies,
        zlib.createGunzip() as unknown as StreamInternals,
        flushes,
      );
    }
    const z = zlib as unknown as Record<string, unknown>;
    const create = z.createZstdDecompress as (() => StreamInternals) | undefined;
    const c = zlib.constants as unknown as Record<string, number | undefined>;
    if (typeof create !== 'function' || c.ZSTD_e_continue === undefined || c.ZSTD_e_end === undefined) {
      file.close();
      throw new CaptureError(
        UNSUPPORTED_COMPRESSION,
        path,
        0,
        `zstd-compressed capture: this Node.js has no zstd support; decompress it first with \`zstd -d ${path}\``,
      );
    }
    const flushes = {
      more: c.ZSTD_e_continue,
      drain: c.ZSTD_e_flush ?? c.ZSTD_e_continue,
      finish: c.ZSTD_e_end,
    };
    return new InflateSource(file, path, anomalies, create(), flushes);
  }

  get bytesRead(): number {
    return this.file.bytesRead;
  }

  read(into: Uint8Array, offset: number, length: number): number {
    if (this.pending) {
      const e = this.pending;
      this.pending = null;
      throw e;
    }
    let total = 0;
    while (total < length && !this.finished) {
      if (this.inStart === this.inEnd && !this.fileDone) {
        this.inStart = 0;
        this.inEnd = this.file.read(this.input, 0, INPUT_SLICE);
        if (this.inEnd === 0) this.fileDone = true;
      }
      const before = this.inStart;
      const flush = this.fileDone ? this.flushes.drain : this.flushes.more;
      const made = this.step(flush, into, offset + total, Math.min(OUTPUT_SLICE, length - total));
      if (made < 0) return this.failed(total);
      total += made;
      if (made > 0) continue;
      if (this.fileDone) {
        if (!this.end(into, offset + total, length - total)) return this.failed(total);
      } else if (this.inStart === before && this.inStart < this.inEnd) {
        // The stream ended and zlib left the rest unread (gzip: trailing zero padding, which gzip(1) also
        // ignores). Every iteration must consume or end, so end here.
        this.finished = true;
        this.release();
      }
    }
    return total;
  }

  /** One native call; the bytes produced (input used is consumed), or -1 if zlib reported an error. */
  private step(flush: number, into: Uint8Array, offset: number, length: number): number {
    const inLen = this.inEnd - this.inStart;
    this.handle.writeSync(flush, this.input, this.inStart, inLen, into, offset, length);
    if (this.failure) return -1;
    const made = length - (this.state[0] ?? 0);
    this.inStart += inLen - (this.state[1] ?? 0);
    this.produced += made;
    return made;
  }

  /** All input given and drained: ask zlib whether the stream was complete. False on a corrupt stream. */
  private end(into: Uint8Array, offset: number, room: number): boolean {
    this.finished = true;
    // Output room must be non-zero for zlib to call an unfinished stream an error; after the drain
    // nothing more comes out.
    this.handle.writeSync(this.flushes.finish, this.input, this.inStart, 0, into, offset, room);
    const failure = this.failure as { message: string; errno: number } | null;
    if (failure && failure.errno === zlib.constants.Z_BUF_ERROR) {
      this.anomalies.add(TRUNCATED_COMPRESSED, { offset: this.produced, detail: failure.message });
      this.failure = null;
    }
    if (this.failure) return false;
    this.release();
    return true;
  }

  /**
   * zlib reported corrupt data. The output of the failing call is unknown (zlib does not report it), so at
   * most one OUTPUT_SLICE is lost; what earlier calls produced is returned first and the error comes on
   * the next read.
   */
  private failed(total: number): number {
    const failure = this.failure;
    this.finished = true;
    this.release();
    const error = new CaptureError(
      BAD_COMPRESSED_DATA,
      this.path,
      this.produced,
      `${this.path}: corrupt compressed data after ${this.produced} decompressed bytes (${failure?.message ?? 'unknown error'})`,
    );
    if (total > 0) {
      this.pending = error;
      return total;
    }
    throw error;
  }

  private release(): void {
    try {
      this.stream.close();
    } catch {
      // Already closed by zlib after an error.
    }
  }

  close(): void {
    this.finished = true;
    this.release();
    this.file.close();
  }
}
