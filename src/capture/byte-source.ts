/**
 * Where a reader's bytes come from: the file itself, or a decompressor in front of it. Both are synchronous
 * and pull-based so the hot loop never waits on a promise.
 */
import { closeSync, readSync } from 'node:fs';
import { READ_FAILED } from './anomalies.js';
import { CaptureError } from './types.js';

export interface ByteSource {
  /** Fill `into[offset .. offset + length)` as far as possible; returns the bytes written, 0 at the end. */
  read(into: Uint8Array, offset: number, length: number): number;
  /** Bytes taken from the file on disk so far. */
  readonly bytesRead: number;
  close(): void;
}

/** Plain reads of an open file descriptor, from a given position on. */
export class FileSource implements ByteSource {
  bytesRead: number;
  private fd: number | null;

  constructor(
    fd: number,
    private readonly path: string,
    private position = 0,
  ) {
    this.fd = fd;
    this.bytesRead = position;
  }

  read(into: Uint8Array, offset: number, length: number): number {
    if (this.fd === null || length === 0) return 0;
    let n: number;
    try {
      n = readSync(this.fd, into, offset, length, this.position);
    } catch (e) {
      throw new CaptureError(
        READ_FAILED,
        this.path,
        this.position,
        `cannot read ${this.path}: ${(e as Error).message}`,
      );
    }
    this.position += n;
    this.bytesRead += n;
    return n;
  }

  close(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      try {
        closeSync(fd);
      } catch {
        // Closing a descriptor we opened can only fail if it is already gone: nothing left to release.
      }
    }
  }
}
