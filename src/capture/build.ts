/**
 * Builds pcap and pcapng bytes from a plain description, field by field as the formats lay them out. Used by
 * the reader's tests (hand-built headers and blocks in both byte orders) and for small fixtures; it writes
 * exactly what it is told, including wrong lengths, so it can build hostile files too.
 */

export interface PcapFileSpec {
  little?: boolean;
  nano?: boolean;
  major?: number;
  minor?: number;
  snaplen?: number;
  /** The whole link-type field, FCS and reserved bits included. */
  linktypeField?: number;
}

export interface PcapRecordSpec {
  sec: number;
  /** Microseconds or nanoseconds, per the file; written as is, even if out of range. */
  frac: number;
  data: Uint8Array;
  /** Original length; defaults to data.length. */
  len?: number;
  /** Captured length written in the header; defaults to data.length. */
  caplen?: number;
}

export function buildPcap(spec: PcapFileSpec, records: PcapRecordSpec[]): Uint8Array {
  const little = spec.little ?? true;
  const parts: Uint8Array[] = [];
  const h = new DataView(new ArrayBuffer(24));
  h.setUint32(0, spec.nano ? 0xa1b23c4d : 0xa1b2c3d4, little);
  h.setUint16(4, spec.major ?? 2, little);
  h.setUint16(6, spec.minor ?? 4, little);
  h.setUint32(16, spec.snaplen ?? 262144, little);
  h.setUint32(20, spec.linktypeField ?? 1, little);
  parts.push(new Uint8Array(h.buffer));
  for (const r of records) {
    const rh = new DataView(new ArrayBuffer(16));
    rh.setUint32(0, r.sec, little);
    rh.setUint32(4, r.frac, little);
    rh.setUint32(8, r.caplen ?? r.data.length, little);
    rh.setUint32(12, r.len ?? r.data.length, little);
    parts.push(new Uint8Array(rh.buffer), r.data);
  }
  return concat(parts);
}

export interface OptionSpec {
  code: number;
  value: Uint8Array;
}

export function textOption(code: number, text: string): OptionSpec {
  return { code, value: new TextEncoder().encode(text) };
}

export function u8Option(code: number, v: number): OptionSpec {
  return { code, value: Uint8Array.of(v) };
}

/** Builds a pcapng file block by block; each section keeps its own byte order. */
export class PcapngBuilder {
  private readonly parts: Uint8Array[] = [];
  private little = true;

  section(little: boolean, opts: { major?: number; minor?: number; options?: OptionSpec[] } = {}): this {
    this.little = little;
    const body = new DataView(new ArrayBuffer(16));
    body.setUint32(0, 0x1a2b3c4d, little);
    body.setUint16(4, opts.major ?? 1, little);
    body.setUint16(6, opts.minor ?? 0, little);
    body.setInt32(8, -1, little);
    body.setInt32(12, -1, little);
    return this.block(0x0a0d0d0a, concat([new Uint8Array(body.buffer), this.options(opts.options)]));
  }

  idb(linktype: number, snaplen: number, options?: OptionSpec[]): this {
    const body = new DataView(new ArrayBuffer(8));
    body.setUint16(0, linktype, this.little);
    body.setUint32(4, snaplen, this.little);
    return this.block(1, concat([new Uint8Array(body.buffer), this.options(options)]));
  }

  /** Enhanced Packet Block; `ticks` is the 64-bit timestamp as a bigint. */
  epb(
    iface: number,
    ticks: bigint,
    data: Uint8Array,
    opts: { len?: number; caplen?: number; options?: OptionSpec[] } = {},
  ): this {
    const body = new DataView(new ArrayBuffer(20));
    body.setUint32(0, iface, this.little);
    body.setUint32(4, Number(ticks >> 32n), this.little);
    body.setUint32(8, Number(ticks & 0xffffffffn), this.little);
    body.setUint32(12, opts.caplen ?? data.length, this.little);
    body.setUint32(16, opts.len ?? data.length, this.little);
    return this.block(6, concat([new Uint8Array(body.buffer), pad4(data), this.options(opts.options)]));
  }

  /** Obsolete Packet Block (type 2). */
  pb(iface: number, ticks: bigint, data: Uint8Array, options?: OptionSpec[]): this {
    const body = new DataView(new ArrayBuffer(20));
    body.setUint16(0, iface, this.little);
    body.setUint32(4, Number(ticks >> 32n), this.little);
    body.setUint32(8, Number(ticks & 0xffffffffn), this.little);
    body.setUint32(12, data.length, this.little);
    body.setUint32(16, data.length, this.little);
    return this.block(2, concat([new Uint8Array(body.buffer), pad4(data), this.options(options)]));
  }

  /** Simple Packet Block: original length, then the captured bytes. */
  spb(len: number, data: Uint8Array): this {
    const body = new DataView(new ArrayBuffer(4));
    body.setUint32(0, len, this.little);
    return this.block(3, concat([new Uint8Array(body.buffer), pad4(data)]));
  }

  /** Any block; `lengths` overrides the leading and trailing total lengths to build broken files. */
  block(type: number, body: Uint8Array, lengths: { lead?: number; trail?: number } = {}): this {
    const total = 12 + body.length;
    const head = new DataView(new ArrayBuffer(8));
    head.setUint32(0, type, this.little);
    head.setUint32(4, lengths.lead ?? total, this.little);
    const tail = new DataView(new ArrayBuffer(4));
    tail.setUint32(0, lengths.trail ?? total, this.little);
    this.parts.push(new Uint8Array(head.buffer), body, new Uint8Array(tail.buffer));
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }

  bytes(): Uint8Array {
    return concat(this.parts);
  }

  private options(options: OptionSpec[] | undefined): Uint8Array {
    if (!options || options.length === 0) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    for (const o of options) {
      const h = new DataView(new ArrayBuffer(4));
      h.setUint16(0, o.code, this.little);
      h.setUint16(2, o.value.length, this.little);
      parts.push(new Uint8Array(h.buffer), pad4(o.value));
    }
    parts.push(new Uint8Array(4)); // opt_endofopt
    return concat(parts);
  }
}

/** A u32 option value in the current section's byte order. */
export function u32Value(v: number, little: boolean): Uint8Array {
  const d = new DataView(new ArrayBuffer(4));
  d.setUint32(0, v, little);
  return new Uint8Array(d.buffer);
}

/** A signed 64-bit option value (if_tsoffset). */
export function i64Value(v: bigint, little: boolean): Uint8Array {
  const d = new DataView(new ArrayBuffer(8));
  d.setBigInt64(0, v, little);
  return new Uint8Array(d.buffer);
}

function pad4(data: Uint8Array): Uint8Array {
  const padded = (data.length + 3) & ~3;
  if (padded === data.length) return data;
  const out = new Uint8Array(padded);
  out.set(data);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
