/**
 * The decode stage's entry point: one `Decoder` per input, reusing a single `PacketView` (see types.ts).
 */

import type { PacketRecord } from '../capture/types.js';
import { AnomalyLog } from '../common/anomaly.js';
import { UNSUPPORTED_LINKTYPE } from './anomalies.js';
import { linkDecoder } from './registry.js';
import { countedWithoutExample, type DecodeState } from './state.js';
import type { PacketView } from './types.js';
import { clearAddressesIfNoIp, createView, resetLayers } from './view.js';

/** Larger than any frame (2^32 - 1, the widest length field of any capture format). */
const MAX_WIRE_LENGTH = 0xffffffff;

/**
 * `x` as an integer within [lo, hi]; NaN and other non-numbers give `lo`. (Math.min/max would let NaN
 * through, and every later bounds check against NaN is false.)
 */
function clampInteger(x: number, lo: number, hi: number): number {
  if (!(x >= lo)) return lo;
  if (x > hi) return hi;
  return Math.floor(x);
}

export class Decoder {
  readonly view: PacketView;
  private readonly state: DecodeState;

  constructor(readonly anomalies: AnomalyLog = new AnomalyLog()) {
    this.view = createView();
    const buf = this.view.buf;
    this.state = {
      view: this.view,
      anomalies,
      buf,
      data: new DataView(buf.buffer, buf.byteOffset, buf.byteLength),
      start: 0,
      end: 0,
      wireEnd: 0,
      ipDepth: 0,
    };
  }

  /** Fills and returns the reused view; valid until the next call (and while `rec.buf` is unchanged). */
  decode(rec: PacketRecord): PacketView {
    const v = this.view;
    v.index = rec.index;
    v.tsSec = rec.tsSec;
    v.tsNsec = rec.tsNsec;
    v.caplen = rec.caplen;
    v.len = rec.len;
    v.interfaceId = rec.interfaceId;
    v.linktype = rec.linktype;
    v.buf = rec.buf;
    resetLayers(v);

    // The record's bounds are trusted only as far as the buffer really reaches.
    const s = this.state;
    const buf = rec.buf;
    // Readers hand over the same chunk buffer packet after packet: a new DataView only when it changes.
    if (buf !== s.buf) {
      s.buf = buf;
      s.data = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const bufLength = buf.length;
    const offset = rec.offset;
    const caplen = rec.caplen;
    const len = rec.len;
    // `x >>> 0 === x`: an integer in [0, 2^32). What every reader delivers takes this path; anything else
    // (NaN, fractions, negatives, bounds past the buffer) is clamped below.
    if (
      offset >>> 0 === offset &&
      caplen >>> 0 === caplen &&
      len >>> 0 === len &&
      offset + caplen <= bufLength &&
      len >= caplen
    ) {
      s.start = offset;
      s.end = offset + caplen;
      s.wireEnd = offset + len;
    } else {
      const start = Number.isInteger(offset) && offset >= 0 && offset <= bufLength ? offset : bufLength;
      s.start = start;
      s.end = start + clampInteger(caplen, 0, bufLength - start);
      s.wireEnd = start + clampInteger(len, s.end - start, MAX_WIRE_LENGTH);
    }
    s.ipDepth = 0;
    const start = s.start;

    const decodeLink = linkDecoder(rec.linktype);
    if (decodeLink === undefined) {
      clearAddressesIfNoIp(v);
      if (!countedWithoutExample(this.anomalies, UNSUPPORTED_LINKTYPE)) {
        this.anomalies.add(UNSUPPORTED_LINKTYPE, { packet: rec.index, detail: `link type ${rec.linktype}` });
      }
      return v;
    }
    v.linkDecoded = true;
    decodeLink(s, start);
    clearAddressesIfNoIp(v);
    return v;
  }
}
