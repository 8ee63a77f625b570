/**
 * Opening a capture: the format is decided by the first bytes, never by the file name (gzip 1f 8b, zstd
 * 28 b5 2f fd, then the pcap or pcapng magic inside).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AnomalyLog } from '../common/anomaly.js';
import { EMPTY_FILE, NOT_A_CAPTURE, OPEN_FAILED } from './anomalies.js';
import { type ByteSource, FileSource } from './byte-source.js';
import { ChunkBuffer } from './chunk-buffer.js';
import { InflateSource } from './inflate-source.js';
import { MAX_RECORD_BYTES } from './linktype.js';
import { isPcapMagic, PcapReader } from './pcap.js';
import { PcapngReader, SHB_TYPE } from './pcapng.js';
import { CaptureError, type CaptureReader, type Compression } from './types.js';

export interface OpenOptions {
  /** Bytes per read from disk (or from the decompressor); default 1 MiB. */
  chunkSize?: number;
}

/**
 * 1 MiB, not more: the decoder reads each record soon after `readSync` copied it, and a chunk about the
 * size of a core's L2 cache is still there then (docs/performance.md, "Chunk size": 4 MiB reads decoded
 * 18-24 % fewer packets per CPU second on the full-frame files).
 */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function sniffCompression(head: Uint8Array, n: number): Compression {
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (n >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

/**
 * Open a pcap or pcapng file, plain or compressed. Throws a CaptureError if the file cannot be opened or is
 * not a capture; any later problem ends reading with `reader.error` set instead.
 */
export function openCapture(path: string, opts: OpenOptions = {}): CaptureReader {
  const chunkSize = Math.max(1, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK_SIZE));
  let fd: number;
  let size: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new CaptureError(OPEN_FAILED, path, 0, `cannot open ${path}: ${(e as Error).message}`);
  }
  let source: ByteSource | null = null;
  try {
    try {
      size = fstatSync(fd).size;
    } catch (e) {
      throw new CaptureError(OPEN_FAILED, path, 0, `cannot read ${path}: ${(e as Error).message}`);
    }
    if (size === 0) throw new CaptureError(EMPTY_FILE, path, 0, `${path}: empty file`);
    const head = new Uint8Array(4);
    let n: number;
    try {
      n = readSync(fd, head, 0, 4, 0);
    } catch (e) {
      throw new CaptureError(OPEN_FAILED, path, 0, `cannot read ${path}: ${(e as Error).message}`);
    }
    const compression = sniffCompression(head, n);
    const anomalies = new AnomalyLog();
    const file = new FileSource(fd, path);
    source = file;
    if (compression !== 'none') source = InflateSource.open(file, path, compression, anomalies);
    const cb = new ChunkBuffer(source, chunkSize, MAX_RECORD_BYTES);
    cb.ensure(4);
    if (cb.available === 0)
      throw new CaptureError(EMPTY_FILE, path, 0, `${path}: empty file after decompression`);
    if (cb.available < 4) {
      throw new CaptureError(
        NOT_A_CAPTURE,
        path,
        0,
        `${path}: not a pcap or pcapng file: only ${cb.available} bytes (0x${hex(cb.buf.subarray(0, cb.available))})`,
      );
    }
    const magic = cb.view.getUint32(0, false);
    if (isPcapMagic(magic)) return new PcapReader(path, cb, source, anomalies, size, compression);
    if (magic === SHB_TYPE) return new PcapngReader(path, cb, source, anomalies, size, compression);
    throw new CaptureError(
      NOT_A_CAPTURE,
      path,
      0,
      `${path}: not a pcap or pcapng file: starts with 0x${hex(cb.buf.subarray(0, 4))}`,
    );
  } catch (e) {
    if (source) source.close();
    else closeSync(fd);
    if (e instanceof CaptureError) throw e;
    throw new CaptureError(OPEN_FAILED, path, 0, `cannot read ${path}: ${(e as Error).message}`);
  }
}
