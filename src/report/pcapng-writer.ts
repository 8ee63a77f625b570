/**
 * A small pcapng writer: one section (SHB), interfaces (IDB) with options, and Enhanced Packet Blocks with
 * comments and flags. Little endian, every block and option padded to 32 bits, timestamps in nanoseconds
 * (if_tsresol 9 on every interface). Blocks are assembled in one reused buffer and written to disk in large
 * chunks: nothing is allocated per packet.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const SHB_TYPE = 0x0a0d0d0a;
const IDB_TYPE = 0x00000001;
const EPB_TYPE = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const OPT_SHB_HARDWARE = 2;
const OPT_SHB_OS = 3;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const OPT_IF_FCSLEN = 13;
const OPT_EPB_FLAGS = 2;

/** Option values are at most 65535 bytes (a 16-bit length); longer text is cut at a character boundary. */
const MAX_OPTION_BYTES = 0xffff;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit. */
const UTF8_PER_UNIT = 3;
const DEFAULT_CHUNK_BYTES = 1 << 20;
const TWO_32 = 0x100000000;
/** Largest seconds writeTicks handles exactly (year 2242). */
const MAX_SEC = 2 ** 33;

export interface SectionOptions {
  comments?: readonly string[];
  /** shb_userappl: the application that wrote the file. */
  userappl?: string;
  hardware?: string;
  os?: string;
}

export interface InterfaceOptions {
  linktype: number;
  /** 0 = no limit, as pcapng defines it. */
  snaplen: number;
  name?: string | null;
  description?: string | null;
  /** if_fcslen: bytes of FCS at the end of each frame, when known. */
  fcsLen?: number | null;
}

export interface PacketOut {
  interfaceId: number;
  /** Exact time: whole seconds since the epoch and nanoseconds (0 <= nsec < 1e9). */
  tsSec: number;
  tsNsec: number;
  /** The captured bytes are `buf[offset .. offset + caplen)`. */
  buf: Uint8Array;
  offset: number;
  caplen: number;
  /** Original length on the wire. */
  len: number;
  comments: readonly string[];
  /** epb_flags, or null for none. */
  flags: number | null;
}

export class PcapngWriter {
  private readonly fd: number;
  private buf: Uint8Array;
  private view: DataView;
  private at = 0;
  private interfaces = 0;
  private closed = false;
  private readonly encoder = new TextEncoder();
  /** Bytes written to the file so far (flushed chunks). */
  bytesWritten = 0;
  packets = 0;

  constructor(
    readonly path: string,
    opts: { chunkBytes?: number } = {},
  ) {
    this.fd = openSync(path, 'w');
    this.buf = new Uint8Array(Math.max(4096, opts.chunkBytes ?? DEFAULT_CHUNK_BYTES));
    this.view = new DataView(this.buf.buffer);
  }

  /** The Section Header Block: must come first, once. Section length -1: not known in advance. */
  writeSection(opts: SectionOptions = {}): void {
    const texts = [...(opts.comments ?? []), opts.hardware ?? '', opts.os ?? '', opts.userappl ?? ''];
    const start = this.beginBlock(SHB_TYPE, 16 + this.textOptionsRoom(texts) + 4);
    this.u32(BYTE_ORDER_MAGIC);
    this.u16(1);
    this.u16(0);
    this.u32(0xffffffff);
    this.u32(0xffffffff);
    for (const c of opts.comments ?? []) this.textOption(OPT_COMMENT, c);
    if (opts.hardware) this.textOption(OPT_SHB_HARDWARE, opts.hardware);
    if (opts.os) this.textOption(OPT_SHB_OS, opts.os);
    if (opts.userappl) this.textOption(OPT_SHB_USERAPPL, opts.userappl);
    this.endBlock(start, true);
  }

  /** An Interface Description Block; returns its interface id (0, 1, ... in order of writing). */
  addInterface(ifc: InterfaceOptions): number {
    const texts = [ifc.name ?? '', ifc.description ?? ''];
    const start = this.beginBlock(IDB_TYPE, 8 + this.textOptionsRoom(texts) + 8 + 8);
    this.u16(ifc.linktype & 0xffff);
    this.u16(0);
    this.u32(ifc.snaplen >>> 0);
    if (ifc.name) this.textOption(OPT_IF_NAME, ifc.name);
    if (ifc.description) this.textOption(OPT_IF_DESCRIPTION, ifc.description);
    // if_tsresol 9: timestamps count nanoseconds.
    this.u16(OPT_IF_TSRESOL);
    this.u16(1);
    this.u32(9);
    if (ifc.fcsLen !== undefined && ifc.fcsLen !== null && ifc.fcsLen >= 0) {
      this.u16(OPT_IF_FCSLEN);
      this.u16(1);
      this.u32((ifc.fcsLen & 0xff) >>> 0);
    }
    this.endBlock(start, true);
    return this.interfaces++;
  }

  /** An Enhanced Packet Block. Times before the epoch (the format has no sign) or past 2^33 s are written as 0. */
  writePacket(p: PacketOut): void {
    if (p.interfaceId < 0 || p.interfaceId >= this.interfaces) {
      throw new RangeError(`pcapng writer: interface ${p.interfaceId} was not written`);
    }
    const caplen = Math.max(0, Math.min(p.caplen, p.buf.length - p.offset));
    const start = this.beginBlock(EPB_TYPE, 20 + caplen + 3 + this.textOptionsRoom(p.comments) + 12);
    this.u32(p.interfaceId);
    // NaN and times the 64-bit count cannot hold fail this test too.
    const inRange = p.tsSec >= 0 && p.tsSec < MAX_SEC && p.tsNsec >= 0 && p.tsNsec < 1e9;
    const sec = inRange ? Math.floor(p.tsSec) : 0;
    const nsec = inRange ? Math.floor(p.tsNsec) : 0;
    writeTicks(this.view, this.at, sec, nsec);
    this.at += 8;
    this.u32(caplen);
    this.u32(Math.max(caplen, p.len) >>> 0);
    this.buf.set(p.buf.subarray(p.offset, p.offset + caplen), this.at);
    this.at += caplen;
    this.pad();
    for (const c of p.comments) this.textOption(OPT_COMMENT, c);
    if (p.flags !== null) {
      this.u16(OPT_EPB_FLAGS);
      this.u16(4);
      this.u32(p.flags >>> 0);
    }
    this.endBlock(start, p.comments.length > 0 || p.flags !== null);
    this.packets++;
  }

  /** Write out what is buffered and close the file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }

  private flush(): void {
    let done = 0;
    while (done < this.at) done += writeSync(this.fd, this.buf, done, this.at - done);
    this.bytesWritten += this.at;
    this.at = 0;
  }

  /**
   * Room for a block of at most `maxBody` bytes (between the type/length words and the trailing length):
   * flush first if it does not fit, grow the buffer for a block larger than it.
   */
  private beginBlock(type: number, maxBody: number): number {
    const need = 12 + maxBody + 4;
    if (this.at + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) {
        this.buf = new Uint8Array(need);
        this.view = new DataView(this.buf.buffer);
      }
    }
    const start = this.at;
    this.u32(type);
    this.u32(0); // total length, set by endBlock
    return start;
  }

  private endBlock(start: number, hasOptions: boolean): void {
    if (hasOptions) {
      this.u16(OPT_ENDOFOPT);
      this.u16(0);
    }
    const total = this.at - start + 4;
    this.view.setUint32(start + 4, total, true);
    this.u32(total);
  }

  /** Upper bound of the bytes the text options take (header, UTF-8 text, padding). */
  private textOptionsRoom(texts: readonly string[] | undefined): number {
    let room = 0;
    for (const t of texts ?? []) room += 4 + Math.min(MAX_OPTION_BYTES, t.length * UTF8_PER_UNIT) + 3;
    return room;
  }

  private textOption(code: number, text: string): void {
    const head = this.at;
    this.at += 4;
    const room = this.buf.subarray(this.at, this.at + MAX_OPTION_BYTES);
    const { written } = this.encoder.encodeInto(text, room);
    this.view.setUint16(head, code, true);
    this.view.setUint16(head + 2, written, true);
    this.at += written;
    this.pad();
  }

  private pad(): void {
    while ((this.at & 3) !== 0) this.buf[this.at++] = 0;
  }

  private u16(v: number): void {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }

  private u32(v: number): void {
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
}

/**
 * The 64-bit nanosecond count sec * 1e9 + nsec as two 32-bit words (high first, as pcapng orders them),
 * exactly: the product exceeds 2^53, so it is built from 16-bit pieces that doubles hold without rounding.
 */
export function writeTicks(view: DataView, at: number, sec: number, nsec: number): void {
  const secLow = sec % 65536;
  const secHigh = (sec - secLow) / 65536;
  const x = secLow * 1e9 + nsec; // < 2^47
  const y = secHigh * 1e9; // < 2^47 for any sec < 2^33
  const yLow = y % 65536;
  const yHigh = (y - yLow) / 65536;
  const z = yLow * 65536 + x;
  const zLow = z % TWO_32;
  const zHigh = (z - zLow) / TWO_32;
  view.setUint32(at, (yHigh + zHigh) >>> 0, true);
  view.setUint32(at + 4, zLow >>> 0, true);
}
