/**
 * Classic pcap (libpcap) files: a 24-byte file header, then records of a 16-byte header and the packet bytes.
 * Layout per draft-ietf-opsawg-pcap and libpcap's pcap-common.h.
 */
import type { AnomalyLog } from '../common/anomaly.js';
import {
  BAD_RECORD_LENGTH,
  INVALID_TIMESTAMP_FRACTION,
  LINKTYPE_RESERVED_BITS,
  ODD_VERSION,
  TRUNCATED_HEADER,
  UNSUPPORTED_VERSION,
} from './anomalies.js';
import type { ByteSource } from './byte-source.js';
import type { ChunkBuffer } from './chunk-buffer.js';
import { linktypeName, maxCaplenFor } from './linktype.js';
import { checkRecordLengths, ReaderBase } from './reader-base.js';
import {
  CaptureError,
  type CaptureInfo,
  type Compression,
  type InterfaceInfo,
  type PacketRecord,
} from './types.js';

export const PCAP_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;

/** Magic numbers as read big-endian from the first four bytes. */
export const PCAP_MAGIC_US_BE = 0xa1b2c3d4;
export const PCAP_MAGIC_US_LE = 0xd4c3b2a1;
export const PCAP_MAGIC_NS_BE = 0xa1b23c4d;
export const PCAP_MAGIC_NS_LE = 0x4d3cb2a1;

export function isPcapMagic(m: number): boolean {
  return m === PCAP_MAGIC_US_BE || m === PCAP_MAGIC_US_LE || m === PCAP_MAGIC_NS_BE || m === PCAP_MAGIC_NS_LE;
}

export class PcapReader extends ReaderBase {
  // Initialised here with values of their final types, not left undefined until the constructor sets them:
  // V8 then keeps them as small integers and booleans and the per-packet code reads them without checks.
  private readonly little: boolean = false;
  /** Nanoseconds per unit of the timestamp fraction: 1000 (us files) or 1 (ns files). */
  private readonly fracScale: number = 1;
  private readonly fracLimit: number = 1;
  private readonly snaplen: number = 0;
  private readonly maxCaplen: number = 0;
  private readonly linktype: number = 0;
  /** The file's one interface, whose packet count grows with every record. */
  private readonly iface: InterfaceInfo;

  /** Reads and checks the file header; throws a CaptureError when it is cut short or unusable. */
  constructor(
    path: string,
    cb: ChunkBuffer,
    source: ByteSource,
    anomalies: AnomalyLog,
    fileSize: number,
    compression: Compression,
  ) {
    if (!cb.ensure(PCAP_HEADER_BYTES)) {
      throw new CaptureError(
        TRUNCATED_HEADER,
        path,
        cb.end,
        `${path}: file header cut short: ${cb.end} of ${PCAP_HEADER_BYTES} bytes`,
      );
    }
    const v = cb.view;
    const magic = v.getUint32(0, false);
    const little = magic === PCAP_MAGIC_US_LE || magic === PCAP_MAGIC_NS_LE;
    const nano = magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE;
    const major = v.getUint16(4, little);
    const minor = v.getUint16(6, little);
    if (major !== 2) {
      throw new CaptureError(
        UNSUPPORTED_VERSION,
        path,
        4,
        `${path}: pcap version ${major}.${minor} is not 2.x`,
      );
    }
    const snaplen = v.getUint32(16, little);
    const field = v.getUint32(20, little);
    // LinkType is the low 16 bits; bit 26 says the FCS length (bits 28-31, in 16-bit words) is present.
    const linktype = field & 0xffff;
    const fcsLen = field & 0x04000000 ? ((field >>> 28) & 0xf) * 2 : null;
    const info: CaptureInfo = {
      path,
      format: 'pcap',
      compression,
      byteOrder: little ? 'little' : 'big',
      precisionDigits: nano ? 9 : 6,
      version: `${major}.${minor}`,
      snaplen,
      interfaces: [
        {
          id: 0,
          section: 0,
          linktype,
          snaplen,
          name: null,
          description: null,
          tsresol: { base: 10, exponent: nano ? 9 : 6 },
          tsoffset: 0,
          fcsLen,
          packets: 0,
        },
      ],
      sections: [],
    };
    super(info, cb, source, anomalies, fileSize);
    if (minor !== 4) this.anomalies.add(ODD_VERSION, { offset: 4, detail: `pcap version ${major}.${minor}` });
    if (field & 0x03ff0000) {
      this.anomalies.add(LINKTYPE_RESERVED_BITS, {
        offset: 20,
        detail: `link-type field 0x${field.toString(16)} (${linktypeName(linktype)})`,
      });
    }
    this.little = little;
    this.fracScale = nano ? 1 : 1000;
    this.fracLimit = nano ? 1e9 : 1e6;
    this.snaplen = snaplen;
    this.linktype = linktype;
    this.maxCaplen = maxCaplenFor(linktype);
    this.iface = info.interfaces[0]!;
    this.rec.linktype = linktype;
    cb.pos = PCAP_HEADER_BYTES;
  }

  next(): PacketRecord | null {
    if (this.done) return null;
    try {
      return this.read();
    } catch (e) {
      return this.failWith(e);
    }
  }

  private read(): PacketRecord | null {
    const cb = this.cb;
    if (cb.end - cb.pos < RECORD_HEADER_BYTES && !cb.ensure(RECORD_HEADER_BYTES)) {
      return this.endOfFile(RECORD_HEADER_BYTES, 'record header');
    }
    let p = cb.pos;
    let v = cb.view;
    const le = this.little;
    const caplen = v.getUint32(p + 8, le);
    if (caplen > this.maxCaplen) {
      return this.fail(
        BAD_RECORD_LENGTH,
        cb.base + p,
        `packet ${this.packets + 1} at byte ${cb.base + p}: captured length ${caplen} exceeds ${this.maxCaplen}, the maximum for ${linktypeName(this.linktype)}`,
      );
    }
    const size = RECORD_HEADER_BYTES + caplen;
    if (cb.end - p < size) {
      if (!cb.ensure(size)) return this.endOfFile(size, `record of ${caplen} captured bytes`);
      p = cb.pos;
      v = cb.view;
    }
    const rec = this.rec;
    const index = ++this.packets;
    const fileOffset = cb.base + p;
    const len = v.getUint32(p + 12, le);
    let sec = v.getUint32(p, le);
    let frac = v.getUint32(p + 4, le);
    if (frac >= this.fracLimit) {
      // Carried into the seconds rather than printed unnormalised (tshark's way): nsec stays < 1e9.
      const carry = Math.floor(frac / this.fracLimit);
      this.anomalies.add(INVALID_TIMESTAMP_FRACTION, {
        packet: index,
        offset: fileOffset,
        detail: `fraction ${frac} ${this.fracScale === 1 ? 'ns' : 'us'}`,
      });
      sec += carry;
      frac -= carry * this.fracLimit;
    }
    checkRecordLengths(this.anomalies, index, fileOffset, caplen, len, this.snaplen);
    rec.index = index;
    rec.tsSec = sec;
    rec.tsNsec = frac * this.fracScale;
    rec.caplen = caplen;
    rec.len = len;
    rec.buf = cb.buf;
    rec.offset = p + RECORD_HEADER_BYTES;
    rec.fileOffset = fileOffset;
    cb.pos = p + size;
    this.iface.packets++;
    return rec;
  }
}
