/**
 * The capture stage turns a file's bytes into packet records. Its contract with later stages is this file.
 *
 * A reader is pull-based and synchronous: `next()` returns the same `PacketRecord` object each time, filled
 * in place, with `data` a view into the reader's reused chunk buffer. Both are valid only until the next
 * call: copy what must outlive it. This is what lets a reader deliver millions of packets per second without
 * allocating per packet, and lets two files be read side by side in time order.
 */
import type { AnomalyLog } from '../common/anomaly.js';

export type CaptureFormat = 'pcap' | 'pcapng';
export type Compression = 'none' | 'gzip' | 'zstd';

/** One interface (pcapng IDB, or the single implicit interface of a classic pcap file). */
export interface InterfaceInfo {
  /** Index over the whole file (IDBs of all sections, in order); what `PacketRecord.interfaceId` holds. */
  id: number;
  /** 0-based pcapng section number (always 0 for classic pcap). */
  section: number;
  /** LINKTYPE_ value (FCS bits stripped for classic pcap). */
  linktype: number;
  snaplen: number;
  name: string | null;
  description: string | null;
  /** Ticks per second as a bigint-free pair: resolution is 10^-exp10 or 2^-exp2 seconds. */
  tsresol: { base: 10 | 2; exponent: number };
  /** if_tsoffset: seconds added to every timestamp on this interface. */
  tsoffset: number;
  /** Bytes of FCS at the end of each frame, if known (pcap FCS bits or if_fcslen), else null. */
  fcsLen: number | null;
  packets: number;
}

export interface SectionInfo {
  index: number;
  byteOrder: 'little' | 'big';
  version: string;
  /** The byte offset of the SHB. */
  offset: number;
}

export interface CaptureInfo {
  path: string;
  format: CaptureFormat;
  compression: Compression;
  /** Byte order of the classic pcap header, or of the first pcapng section. */
  byteOrder: 'little' | 'big';
  /** Timestamp precision in decimal digits of the finest interface (6 = us, 9 = ns). */
  precisionDigits: number;
  version: string;
  /** Classic pcap snaplen (pcapng: per interface). */
  snaplen: number | null;
  interfaces: InterfaceInfo[];
  sections: SectionInfo[];
}

/** A packet as read from the file. Reused: valid until the reader's next call. */
export interface PacketRecord {
  /** 1-based packet number in the file (custom/non-packet blocks are not counted). */
  index: number;
  /** Timestamp, exact: integer seconds since the epoch and nanoseconds (see common/time.ts). */
  tsSec: number;
  tsNsec: number;
  /** False for pcapng Simple Packet Blocks, which carry no timestamp (tsSec/tsNsec are then 0). */
  hasTs: boolean;
  caplen: number;
  /** Original length on the wire. */
  len: number;
  interfaceId: number;
  linktype: number;
  /** The captured bytes: `buf[offset .. offset + caplen)`. A view into a reused buffer. */
  buf: Uint8Array;
  offset: number;
  /** pcapng opt_comment values of this packet (empty array when none). Reused array. */
  comments: string[];
  /** pcapng epb_flags, or null. */
  flags: number | null;
  /** Byte offset of the record (block) in the decompressed file, for error messages. */
  fileOffset: number;
}

/** A reading error that stops the file. Everything before it was delivered. */
export class CaptureError extends Error {
  constructor(
    /** Stable id, e.g. 'capture.bad_block_length'. */
    readonly id: string,
    readonly path: string,
    /** Byte offset in the (decompressed) file where the problem is. */
    readonly offset: number,
    message: string,
    /** Packet number about to be read (1-based) when it happened, if any. */
    readonly packet?: number,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

export interface CaptureReader {
  readonly info: CaptureInfo;
  readonly anomalies: AnomalyLog;
  /** Next packet, or null at the end of the file or after a fatal error (see `error`). */
  next(): PacketRecord | null;
  /** The fatal error that ended reading early, if any. Warnings go to `anomalies`. */
  readonly error: CaptureError | null;
  /** Bytes read from disk so far (compressed bytes for .gz) and the file's size on disk: for progress bars. */
  readonly bytesRead: number;
  readonly fileSize: number;
  close(): void;
}
