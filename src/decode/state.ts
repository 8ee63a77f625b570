/**
 * What every layer decoder shares while one packet is decoded, and the byte readers they use. Decoders are
 * plain functions `(state, offset) => void` kept in dispatch tables (link type, EtherType, IP protocol),
 * so adding a protocol is adding a table entry, not another branch.
 */
import type { AnomalyLog } from '../common/anomaly.js';
import type { PacketView } from './types.js';

export interface DecodeState {
  readonly view: PacketView;
  readonly anomalies: AnomalyLog;
  /** The packet's bytes (`view.buf`). */
  buf: Uint8Array;
  /** The same bytes as `buf`, for multi-byte reads: one bounds check per field instead of one per byte. */
  data: DataView;
  /** Offset of the frame's first byte in `buf`. */
  start: number;
  /** End of the captured bytes in `buf` (exclusive): nothing at or after it may be read. */
  end: number;
  /** Where the frame ends on the wire (start + original length, never before `end`); may lie beyond `buf`. */
  wireEnd: number;
  /** IP headers entered so far in this packet: bounds IP-in-IP nesting. */
  ipDepth: number;
}

/** A decoder for one layer, starting at `off` in `state.buf`. Must never read at or past `state.end`. */
export type LayerDecoder = (state: DecodeState, off: number) => void;

/** Counts an anomaly for the current packet, with where in the frame it was seen. */
export function report(s: DecodeState, id: string, off: number, detail: string): void {
  s.anomalies.add(id, { packet: s.view.index, detail: `${detail} (frame byte ${off - s.start})` });
}

/** AnomalyLog keeps this many examples per id by default; beyond them an example is built for nothing. */
const EXAMPLES_KEPT = 5;

/**
 * For anomalies that can hit every packet of a file (a snap length cuts every payload; a whole file of an
 * unsupported link type): once enough examples are kept, counts the anomaly and returns true, so the caller
 * skips building the detail text and no per-packet garbage is made.
 */
export function countedWithoutExample(anomalies: AnomalyLog, id: string): boolean {
  if (anomalies.count(id) < EXAMPLES_KEPT) return false;
  anomalies.add(id);
  return true;
}

// Field readers. Callers check bounds against `state.end` first; these only read network byte order (the
// DataView checks the buffer's bounds once per field). V8 inlines them into a single load.

export function be16(d: DataView, o: number): number {
  return d.getUint16(o);
}

export function be32(d: DataView, o: number): number {
  return d.getUint32(o);
}

export function le32(d: DataView, o: number): number {
  return d.getUint32(o, true);
}
