/**
 * What the pcap and pcapng readers share: the record they fill, the anomaly log, and the one way reading
 * stops (a fatal CaptureError recorded, never thrown out of `next()`).
 */
import type { AnomalyLog } from '../common/anomaly.js';
import { CAPLEN_EXCEEDS_LEN, CAPLEN_EXCEEDS_SNAPLEN, READ_FAILED, TRUNCATED_RECORD } from './anomalies.js';
import type { ByteSource } from './byte-source.js';
import type { ChunkBuffer } from './chunk-buffer.js';
import { CaptureError, type CaptureInfo, type CaptureReader, type PacketRecord } from './types.js';

export function newRecord(): PacketRecord {
  return {
    index: 0,
    tsSec: 0,
    tsNsec: 0,
    hasTs: true,
    caplen: 0,
    len: 0,
    interfaceId: 0,
    linktype: 0,
    buf: new Uint8Array(0),
    offset: 0,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
}

/**
 * The two length oddities every packet record can show, in either format: more bytes captured than were on
 * the wire, or than the interface's snap length allows (0 = unlimited). Counted; the packet is kept as is.
 */
export function checkRecordLengths(
  anomalies: AnomalyLog,
  packet: number,
  offset: number,
  caplen: number,
  len: number,
  snaplen: number,
): void {
  if (caplen > len)
    anomalies.add(CAPLEN_EXCEEDS_LEN, { packet, offset, detail: `caplen ${caplen} > len ${len}` });
  if (caplen > snaplen && snaplen !== 0)
    anomalies.add(CAPLEN_EXCEEDS_SNAPLEN, {
      packet,
      offset,
      detail: `caplen ${caplen} > snaplen ${snaplen}`,
    });
}

export abstract class ReaderBase implements CaptureReader {
  readonly anomalies: AnomalyLog;
  error: CaptureError | null = null;
  protected readonly rec = newRecord();
  /** Packets delivered so far; the next one is number `packets + 1`. */
  protected packets = 0;
  protected done = false;

  constructor(
    readonly info: CaptureInfo,
    protected readonly cb: ChunkBuffer,
    protected readonly source: ByteSource,
    anomalies: AnomalyLog,
    readonly fileSize: number,
  ) {
    this.anomalies = anomalies;
  }

  get bytesRead(): number {
    return this.source.bytesRead;
  }

  abstract next(): PacketRecord | null;

  /** A fatal problem at `offset`: record it, count it, stop. */
  protected fail(id: string, offset: number, message: string): null {
    const packet = this.packets + 1;
    this.error = new CaptureError(id, this.info.path, offset, `${this.info.path}: ${message}`, packet);
    this.anomalies.add(id, { packet, offset, detail: message });
    return this.stop();
  }

  /** Any CaptureError thrown below (I/O, decompression) ends reading like `fail`. */
  protected failWith(e: unknown): null {
    if (e instanceof CaptureError) {
      this.error = e;
      this.anomalies.add(e.id, { packet: this.packets + 1, offset: e.offset, detail: e.message });
    } else {
      // Not reachable by design (parsers validate before indexing); kept so no untyped exception escapes.
      const message = e instanceof Error ? e.message : String(e);
      this.error = new CaptureError(READ_FAILED, this.info.path, this.cb.offset, message, this.packets + 1);
      this.anomalies.add(READ_FAILED, { packet: this.packets + 1, offset: this.cb.offset, detail: message });
    }
    return this.stop();
  }

  /** The file ended: cleanly if nothing is left, else inside a record of `need` bytes. */
  protected endOfFile(need: number, what: string): null {
    const left = this.cb.available;
    if (left > 0) {
      this.anomalies.add(TRUNCATED_RECORD, {
        packet: this.packets + 1,
        offset: this.cb.offset,
        detail: `${what} needs ${need} bytes, file has ${left}`,
      });
    }
    return this.stop();
  }

  protected stop(): null {
    this.done = true;
    this.source.close();
    return null;
  }

  close(): void {
    this.done = true;
    this.source.close();
  }
}
