/**
 * pcapng files: a sequence of blocks (type u32, total length u32, body, total length u32 again), grouped in
 * sections that each start with a Section Header Block carrying that section's byte order. Interfaces
 * (IDBs) are numbered per section in the file; records here carry the file-wide index. Layout per
 * draft-ietf-opsawg-pcapng.
 */
import type { AnomalyLog } from '../common/anomaly.js';
import {
  BAD_BLOCK_LENGTH,
  BAD_BLOCK_TRAILER,
  BAD_OPTION,
  BAD_RECORD_LENGTH,
  BAD_SECTION_HEADER,
  ODD_VERSION,
  TRUNCATED_HEADER,
  UNDEFINED_INTERFACE,
  UNKNOWN_BLOCK,
  UNSUPPORTED_VERSION,
} from './anomalies.js';
import type { ByteSource } from './byte-source.js';
import type { ChunkBuffer } from './chunk-buffer.js';
import { linktypeName, MAX_RECORD_BYTES, maxCaplenFor } from './linktype.js';
import { forEachOption, optionString, readInt64 } from './pcapng-options.js';
import { checkRecordLengths, ReaderBase } from './reader-base.js';
import { makeTickScale, precisionDigits, type TickScale, ticksToTime } from './ticks.js';
import {
  CaptureError,
  type CaptureInfo,
  type Compression,
  type InterfaceInfo,
  type PacketRecord,
} from './types.js';

export const SHB_TYPE = 0x0a0d0d0a;
const IDB_TYPE = 1;
const PB_TYPE = 2; // obsolete Packet Block
const SPB_TYPE = 3;
const NRB_TYPE = 4;
const ISB_TYPE = 5;
const EPB_TYPE = 6;
const SYSTEMD_JOURNAL_TYPE = 9;
const DSB_TYPE = 10;
const CB_TYPE = 0x00000bad;
const DCB_TYPE = 0x40000bad;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** An EPB without packet bytes or options: header, fixed fields (20 bytes) and trailer. */
const EPB_MIN_LENGTH = 32;

const OPT_COMMENT = 1;
const OPT_EPB_FLAGS = 2;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;
const OPT_IF_FCSLEN = 13;
const OPT_IF_TSOFFSET = 14;

/** Smallest legal total length per block type (header, fixed fields, trailer). */
function minBlockLength(type: number): number {
  switch (type) {
    case SHB_TYPE:
      return 28;
    case IDB_TYPE:
      return 20;
    case PB_TYPE:
    case EPB_TYPE:
      return 32;
    case SPB_TYPE:
      return 16;
    default:
      return 12;
  }
}

/** Block types the format defines that carry no packet: skipped without comment. */
function isKnownNonPacket(type: number): boolean {
  return (
    type === NRB_TYPE ||
    type === ISB_TYPE ||
    type === DSB_TYPE ||
    type === SYSTEMD_JOURNAL_TYPE ||
    type === CB_TYPE ||
    type === DCB_TYPE
  );
}

/** An IDB, with the fields read per packet copied out of `info` so the direct EPB path reads one object. */
interface Interface {
  info: InterfaceInfo;
  scale: TickScale;
  maxCaplen: number;
  id: number;
  linktype: number;
  snaplen: number;
}

/** A module constant rather than the import: V8 folds it, where an imported binding is loaded and checked. */
const MAX_BLOCK_BYTES = MAX_RECORD_BYTES;

export class PcapngReader extends ReaderBase {
  /** Byte order of the current section. Initialised as a boolean so V8 reads it per packet without checks. */
  private little = true;
  private readonly ifaces: Interface[] = [];
  /** File-wide index of the current section's first interface, and how many it has defined. */
  private sectionBase = 0;
  private sectionCount = 0;

  /** Reads the first section header; throws a CaptureError when it is cut short or unusable. */
  constructor(
    path: string,
    cb: ChunkBuffer,
    source: ByteSource,
    anomalies: AnomalyLog,
    fileSize: number,
    compression: Compression,
  ) {
    const cut = () =>
      new CaptureError(
        TRUNCATED_HEADER,
        path,
        0,
        `${path}: section header block cut short at ${cb.end} bytes`,
      );
    if (!cb.ensure(12)) throw cut();
    const little = byteOrderOf(cb.view, 0);
    if (little === null) {
      throw new CaptureError(
        BAD_SECTION_HEADER,
        path,
        8,
        `${path}: section header byte-order magic is 0x${cb.view.getUint32(8, false).toString(16)}, not 0x1a2b3c4d`,
      );
    }
    const total = cb.view.getUint32(4, little);
    if (total < 28 || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
      throw new CaptureError(
        BAD_BLOCK_LENGTH,
        path,
        4,
        `${path}: section header block length ${total} is invalid`,
      );
    }
    if (!cb.ensure(total)) throw cut();
    const info: CaptureInfo = {
      path,
      format: 'pcapng',
      compression,
      byteOrder: little ? 'little' : 'big',
      precisionDigits: 6,
      version: '',
      snaplen: null,
      interfaces: [],
      sections: [],
    };
    super(info, cb, source, anomalies, fileSize);
    this.little = little;
    const major = cb.view.getUint16(12, little);
    const minor = cb.view.getUint16(14, little);
    if (major !== 1) {
      throw new CaptureError(
        UNSUPPORTED_VERSION,
        path,
        12,
        `${path}: pcapng version ${major}.${minor} is not 1.x`,
      );
    }
    info.version = `${major}.${minor}`;
    this.startSection(0, little, major, minor);
    cb.pos = total;
    // Read the leading metadata blocks (interfaces) now, so `info` describes them before the first packet.
    this.guard(true);
  }

  next(): PacketRecord | null {
    if (this.done) return null;
    try {
      const rec = this.enhancedPacket();
      if (rec !== null) return rec;
    } catch (e) {
      return this.failWith(e);
    }
    return this.guard(false);
  }

  /**
   * The common case, taken first: a well-formed EPB of a defined interface, whole in the buffer. Anything
   * else (another block type, a block cut by the chunk's end, any bad length or an undefined interface)
   * returns null having consumed nothing, and `read` takes the block with every check and anomaly in its
   * order. The conditions here are those under which `read` + `packetBlock` deliver without comment, so
   * both paths give the same record.
   */
  private enhancedPacket(): PacketRecord | null {
    const cb = this.cb;
    const p = cb.pos;
    const avail = cb.end - p;
    if (avail < EPB_MIN_LENGTH) return null;
    const v = cb.view;
    const little = this.little;
    if (v.getUint32(p, little) !== EPB_TYPE) return null;
    const total = v.getUint32(p + 4, little);
    if (total > avail || total < EPB_MIN_LENGTH || (total & 3) !== 0 || total > MAX_BLOCK_BYTES) return null;
    const local = v.getUint32(p + 8, little);
    if (local >= this.sectionCount) return null;
    const iface = this.ifaces[this.sectionBase + local]!;
    const caplen = v.getUint32(p + 20, little);
    if (caplen > total - EPB_MIN_LENGTH || caplen > iface.maxCaplen) return null;
    if (v.getUint32(p + total - 4, little) !== total) return null;
    cb.pos = p + total;
    const rec = this.rec;
    ticksToTime(v.getUint32(p + 12, little), v.getUint32(p + 16, little), iface.scale, rec);
    // The same record as packetBlock + deliver would fill, in the same order (options before the count).
    rec.hasTs = true;
    if (rec.comments.length !== 0) rec.comments.length = 0;
    rec.flags = null;
    const optStart = p + 28 + ((caplen + 3) & ~3);
    if (optStart + 4 <= p + total - 4) this.packetOptions(optStart, p + total - 4, p);
    const len = v.getUint32(p + 24, little);
    const index = ++this.packets;
    const fileOffset = cb.base + p;
    const snaplen = iface.snaplen;
    if (caplen > len || (caplen > snaplen && snaplen !== 0)) {
      checkRecordLengths(this.anomalies, index, fileOffset, caplen, len, snaplen);
    }
    rec.index = index;
    rec.caplen = caplen;
    rec.len = len;
    rec.interfaceId = iface.id;
    rec.linktype = iface.linktype;
    rec.buf = cb.buf;
    rec.offset = p + 28;
    rec.fileOffset = fileOffset;
    iface.info.packets++;
    return rec;
  }

  private guard(prime: boolean): PacketRecord | null {
    try {
      return this.read(prime);
    } catch (e) {
      return this.failWith(e);
    }
  }

  /** The next packet, skipping other blocks; with `prime`, stops before the first packet block instead. */
  private read(prime: boolean): PacketRecord | null {
    const cb = this.cb;
    for (;;) {
      if (cb.end - cb.pos < 12 && !cb.ensure(12)) return this.endOfFile(12, 'block header');
      let p = cb.pos;
      let v = cb.view;
      const type = v.getUint32(p, this.little);
      let little = this.little;
      if (type === SHB_TYPE) {
        const order = byteOrderOf(v, p);
        if (order === null) {
          return this.fail(
            BAD_SECTION_HEADER,
            cb.base + p,
            `section header at byte ${cb.base + p} has byte-order magic 0x${v.getUint32(p + 8, false).toString(16)}`,
          );
        }
        little = order;
      }
      const total = v.getUint32(p + 4, little);
      if (total % 4 !== 0 || total < minBlockLength(type) || total > MAX_RECORD_BYTES) {
        return this.fail(
          BAD_BLOCK_LENGTH,
          cb.base + p + 4,
          `block of type 0x${type.toString(16)} at byte ${cb.base + p} has invalid length ${total}`,
        );
      }
      if (prime && (type === EPB_TYPE || type === SPB_TYPE || type === PB_TYPE)) return null;
      if (cb.end - p < total) {
        if (!cb.ensure(total)) return this.endOfFile(total, `block of ${total} bytes`);
        p = cb.pos;
        v = cb.view;
      }
      const trailer = v.getUint32(p + total - 4, little);
      if (trailer !== total) {
        return this.fail(
          BAD_BLOCK_TRAILER,
          cb.base + p + total - 4,
          `block at byte ${cb.base + p} starts with length ${total} but ends with ${trailer}`,
        );
      }
      // Consumed before it is interpreted: the record's bytes stay in the buffer until the next call.
      cb.pos = p + total;
      switch (type) {
        case EPB_TYPE:
        case PB_TYPE: {
          const rec = this.packetBlock(type, p, total, v);
          if (rec !== undefined) return rec;
          break;
        }
        case SPB_TYPE: {
          const rec = this.simplePacket(p, total, v);
          if (rec !== undefined) return rec;
          break;
        }
        case IDB_TYPE:
          this.interfaceBlock(p, total, v);
          break;
        case SHB_TYPE: {
          const major = v.getUint16(p + 12, little);
          const minor = v.getUint16(p + 14, little);
          if (major !== 1) {
            return this.fail(
              UNSUPPORTED_VERSION,
              cb.base + p + 12,
              `section at byte ${cb.base + p} has pcapng version ${major}.${minor}`,
            );
          }
          this.little = little;
          this.startSection(cb.base + p, little, major, minor);
          break;
        }
        default:
          if (!isKnownNonPacket(type)) {
            this.anomalies.add(UNKNOWN_BLOCK, {
              offset: cb.base + p,
              detail: `block type 0x${type.toString(16)}`,
            });
          }
      }
    }
  }

  private startSection(offset: number, little: boolean, major: number, minor: number): void {
    const sections = this.info.sections;
    sections.push({
      index: sections.length,
      byteOrder: little ? 'little' : 'big',
      version: `${major}.${minor}`,
      offset,
    });
    this.sectionBase = this.ifaces.length;
    this.sectionCount = 0;
    if (minor !== 0 && minor !== 2) {
      this.anomalies.add(ODD_VERSION, { offset: offset + 12, detail: `pcapng version ${major}.${minor}` });
    }
  }

  private interfaceBlock(p: number, total: number, v: DataView): void {
    const little = this.little;
    const linktype = v.getUint16(p + 8, little);
    const snaplen = v.getUint32(p + 12, little);
    const info: InterfaceInfo = {
      id: this.ifaces.length,
      section: this.info.sections.length - 1,
      linktype,
      snaplen,
      name: null,
      description: null,
      tsresol: { base: 10, exponent: 6 },
      tsoffset: 0,
      fcsLen: null,
      packets: 0,
    };
    const bytes = this.cb.buf;
    const ok = forEachOption(v, p + 16, p + total - 4, little, (code, at, length) => {
      if (code === OPT_IF_NAME) info.name = optionString(bytes, at, length);
      else if (code === OPT_IF_DESCRIPTION) info.description = optionString(bytes, at, length);
      else if (code === OPT_IF_TSRESOL && length >= 1) {
        const r = bytes[at] ?? 6;
        // MSB set: a negative power of 2; clear: a negative power of 10.
        info.tsresol = r & 0x80 ? { base: 2, exponent: r & 0x7f } : { base: 10, exponent: r };
      } else if (code === OPT_IF_FCSLEN && length >= 1) info.fcsLen = bytes[at] ?? null;
      else if (code === OPT_IF_TSOFFSET && length >= 8) info.tsoffset = readInt64(v, at, little);
    });
    if (!ok) this.badOption(p);
    const scale = makeTickScale(info.tsresol.base, info.tsresol.exponent, info.tsoffset);
    this.ifaces.push({ info, scale, maxCaplen: maxCaplenFor(linktype), id: info.id, linktype, snaplen });
    this.info.interfaces.push(info);
    this.sectionCount++;
    const digits = precisionDigits(info.tsresol.base, info.tsresol.exponent);
    this.info.precisionDigits =
      this.ifaces.length === 1 ? digits : Math.max(this.info.precisionDigits, digits);
  }

  /** EPB or obsolete PB; undefined when the packet is skipped (undefined interface). */
  private packetBlock(type: number, p: number, total: number, v: DataView): PacketRecord | null | undefined {
    const little = this.little;
    const cb = this.cb;
    const local = type === EPB_TYPE ? v.getUint32(p + 8, little) : v.getUint16(p + 8, little);
    const caplen = v.getUint32(p + 20, little);
    const room = total - 32;
    if (caplen > room) {
      return this.fail(
        BAD_RECORD_LENGTH,
        cb.base + p + 20,
        `packet ${this.packets + 1} at byte ${cb.base + p}: captured length ${caplen} exceeds its block (${room} bytes)`,
      );
    }
    const iface = this.lookup(local, p);
    if (iface === undefined) return undefined;
    if (caplen > iface.maxCaplen) {
      return this.fail(
        BAD_RECORD_LENGTH,
        cb.base + p + 20,
        `packet ${this.packets + 1} at byte ${cb.base + p}: captured length ${caplen} exceeds ${iface.maxCaplen}, the maximum for ${linktypeName(iface.info.linktype)}`,
      );
    }
    const rec = this.rec;
    ticksToTime(v.getUint32(p + 12, little), v.getUint32(p + 16, little), iface.scale, rec);
    rec.hasTs = true;
    if (rec.comments.length !== 0) rec.comments.length = 0; // the length setter is a runtime call: skip it when empty
    rec.flags = null;
    const optStart = p + 28 + ((caplen + 3) & ~3);
    if (optStart + 4 <= p + total - 4) this.packetOptions(optStart, p + total - 4, p);
    return this.deliver(iface, caplen, v.getUint32(p + 24, little), p, p + 28);
  }

  /** SPB: no timestamp, interface 0 of the section, captured length = min(original length, snaplen). */
  private simplePacket(p: number, total: number, v: DataView): PacketRecord | null | undefined {
    const cb = this.cb;
    const len = v.getUint32(p + 8, this.little);
    const iface = this.lookup(0, p);
    if (iface === undefined) return undefined;
    const snaplen = iface.info.snaplen;
    const caplen = snaplen !== 0 && snaplen < len ? snaplen : len;
    const room = total - 16;
    if (caplen > room || caplen > iface.maxCaplen) {
      return this.fail(
        BAD_RECORD_LENGTH,
        cb.base + p + 8,
        `packet ${this.packets + 1} at byte ${cb.base + p}: simple packet of ${len} bytes (snaplen ${snaplen}) does not fit its block (${room} bytes)`,
      );
    }
    const rec = this.rec;
    rec.hasTs = false;
    rec.tsSec = 0;
    rec.tsNsec = 0;
    if (rec.comments.length !== 0) rec.comments.length = 0; // the length setter is a runtime call: skip it when empty
    rec.flags = null;
    return this.deliver(iface, caplen, len, p, p + 12);
  }

  private deliver(iface: Interface, caplen: number, len: number, p: number, data: number): PacketRecord {
    const cb = this.cb;
    const rec = this.rec;
    const index = ++this.packets;
    const fileOffset = cb.base + p;
    const info = iface.info;
    checkRecordLengths(this.anomalies, index, fileOffset, caplen, len, info.snaplen);
    rec.index = index;
    rec.caplen = caplen;
    rec.len = len;
    rec.interfaceId = info.id;
    rec.linktype = info.linktype;
    rec.buf = cb.buf;
    rec.offset = data;
    rec.fileOffset = fileOffset;
    info.packets++;
    return rec;
  }

  private lookup(local: number, p: number): Interface | undefined {
    if (local < this.sectionCount) return this.ifaces[this.sectionBase + local];
    const cb = this.cb;
    this.anomalies.add(UNDEFINED_INTERFACE, {
      packet: this.packets + 1,
      offset: cb.base + p,
      detail: `interface ${local} of section ${this.info.sections.length - 1}, which defines ${this.sectionCount}`,
    });
    return undefined;
  }

  /** opt_comment (any number) and epb_flags; a dedicated loop because this runs per packet. */
  private packetOptions(start: number, end: number, blockAt: number): void {
    const v = this.cb.view;
    const little = this.little;
    const rec = this.rec;
    let p = start;
    while (p + 4 <= end) {
      const code = v.getUint16(p, little);
      const length = v.getUint16(p + 2, little);
      if (code === 0) return;
      if (p + 4 + length > end) {
        this.badOption(blockAt);
        return;
      }
      if (code === OPT_COMMENT) rec.comments.push(optionString(this.cb.buf, p + 4, length));
      else if (code === OPT_EPB_FLAGS && length >= 4) rec.flags = v.getUint32(p + 4, little);
      p += 4 + ((length + 3) & ~3);
    }
  }

  private badOption(blockAt: number): void {
    this.anomalies.add(BAD_OPTION, { packet: this.packets + 1, offset: this.cb.base + blockAt });
  }
}

/** Byte order of the SHB at `p` from its byte-order magic: true little, false big, null neither. */
function byteOrderOf(v: DataView, p: number): boolean | null {
  const magic = v.getUint32(p + 8, true);
  if (magic === BYTE_ORDER_MAGIC) return true;
  if (magic === 0x4d3c2b1a) return false;
  return null;
}
