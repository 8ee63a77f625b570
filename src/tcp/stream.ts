/**
 * Byte-stream reconstruction of one direction, bounded: bytes are delivered in stream order to a sink (which
 * fingerprints them) and then forgotten. Retransmitted and overlapping bytes are delivered once (the first
 * copy wins, as in Wireshark's follow). Segments that arrive ahead of a hole are copied into a small
 * out-of-order buffer. The hole is declared a gap (recorded with its offset and size) and delivery continues
 * after it when the other side acknowledges beyond the start of the first buffered segment (so the receiver
 * had the missing bytes: they are missing from the capture only, Wireshark's follow rule), when the buffer
 * would exceed MAX_OOO_SEGMENTS or MAX_OOO_BYTES, or at the end of the capture (where Wireshark's follow
 * drops the buffered data instead; we deliver it).
 *
 * Bytes cut off by the snap length are not gaps: the stream moves past them without delivering anything,
 * as Wireshark's follow does, and they are counted in `truncatedBytes`.
 *
 * Offsets are stream offsets: 0 is the first byte after the SYN (or the first byte seen when the connection
 * began before the capture), counted without wrapping, so they can exceed 2^32.
 */
import { seqDiff } from './seq.js';

export const MAX_OOO_SEGMENTS = 64;
export const MAX_OOO_BYTES = 256 * 1024;
/** Gaps kept per direction with their positions; beyond this only `gapCount`/`gapBytes` grow. */
export const MAX_GAPS_KEPT = 64;

export type GapReason = 'acked' | 'overflow' | 'end';

export interface StreamGap {
  /** Stream offset where bytes are missing. */
  at: number;
  missing: number;
  /** Packet being processed when the gap was declared. */
  packet: number;
  /** Why it was declared: the peer acknowledged past it, the buffer overflowed, or the capture ended. */
  reason: GapReason;
}

export interface StreamSink {
  data(dir: 0 | 1, offset: number, buf: Uint8Array, start: number, end: number): void;
  gap(dir: 0 | 1, offset: number, missing: number, reason: GapReason): void;
  /** Bytes at `offset` that were on the wire but cut off by the snap length. */
  truncated(dir: 0 | 1, offset: number, missing: number): void;
}

export interface PendingSegment {
  offset: number;
  /** Captured bytes; the segment covers `length` stream bytes (more when cut by the snap length). */
  bytes: Uint8Array;
  length: number;
}

const NO_GAPS: readonly StreamGap[] = Object.freeze([]);

// Int32 words of a direction's stream state. The raw sequence number of the next byte to deliver is an
// unsigned 32-bit value stored as a signed word and read back with `>>> 0`.
export const R_STARTED = 0;
export const R_EDGE_SEQ = 1;
/** Segments in the out-of-order buffer (the list itself is in the host's `pendingLists`). */
export const R_PENDING = 2;
export const R_PENDING_BYTES = 3;
export const R_GAP_COUNT = 4;
export const R_BUFFERED = 5;
export const R_OVERFLOWS = 6;
export const STREAM_WORDS = 7;
// Float64 words: stream offsets and byte counts, which grow past 32 bits.
/** Stream offset of the next byte to deliver. */
export const R_EDGE_OFFSET = 0;
export const R_GAP_BYTES = 1;
export const R_TRUNCATED_BYTES = 2;
export const R_DELIVERED = 3;
export const STREAM_NUMS = 4;

/**
 * Where streams' states live: rows at any offsets of two typed arrays, and the two lists most directions
 * never need (the out-of-order buffer, the gaps kept), keyed by the state's word offset in `ints`. A table
 * keeps its sessions' streams in its session rows: as two objects per session they were a fifth of what
 * the collector copied and marked.
 */
export interface StreamHost {
  readonly ints: Int32Array;
  readonly nums: Float64Array;
  readonly pendingLists: Map<number, PendingSegment[]>;
  readonly gapLists: Map<number, StreamGap[]>;
}

/** Start the stream at words `w`, `n` at raw sequence `seq` (ISN + 1 after a SYN, else the first data byte). */
export function startStream(host: StreamHost, w: number, seq: number): void {
  host.ints[w + R_STARTED] = 1;
  host.ints[w + R_EDGE_SEQ] = seq;
}

/** Stream offset of raw sequence number `seq` (relative to the current edge, wrap-safe). */
export function streamOffsetOf(host: StreamHost, w: number, n: number, seq: number): number {
  return host.nums[n + R_EDGE_OFFSET]! + seqDiff(seq, host.ints[w + R_EDGE_SEQ]! >>> 0);
}

/**
 * A segment of `len` bytes at raw `seq`, of which `captured` are in `buf[start..)` (fewer with a snap
 * length): the uncaptured tail is a gap once it reaches the edge.
 */
export function streamSegment(
  host: StreamHost,
  w: number,
  n: number,
  dir: 0 | 1,
  seq: number,
  buf: Uint8Array,
  start: number,
  len: number,
  captured: number,
  packet: number,
  sink: StreamSink,
): void {
  if (host.ints[w + R_STARTED] === 0) startStream(host, w, seq);
  const rel = seqDiff(seq, host.ints[w + R_EDGE_SEQ]! >>> 0);
  if (rel + len <= 0) return;
  if (rel <= 0) {
    deliver(host, w, n, dir, buf, start - rel, start + captured, sink);
    const edge = host.nums[n + R_EDGE_OFFSET]!;
    const segEnd = edge + seqDiff(seq, host.ints[w + R_EDGE_SEQ]! >>> 0) + len;
    if (segEnd > edge) truncate(host, w, n, dir, segEnd - edge, sink);
    if (host.ints[w + R_PENDING] !== 0) drain(host, w, n, dir, sink);
    return;
  }
  buffer(
    host,
    w,
    n,
    dir,
    host.nums[n + R_EDGE_OFFSET]! + rel,
    buf.slice(start, start + captured),
    len,
    packet,
    sink,
  );
}

/**
 * The other side acknowledged up to raw `ack`: while that is beyond the start of the first buffered
 * segment, the bytes before that segment reached the receiver but not the capture, so they are a gap.
 */
export function streamAcked(
  host: StreamHost,
  w: number,
  n: number,
  dir: 0 | 1,
  ack: number,
  packet: number,
  sink: StreamSink,
): void {
  if (host.ints[w + R_PENDING] === 0) return;
  const list = host.pendingLists.get(w)!;
  for (let first = list[0]; first !== undefined; first = list[0]) {
    if (streamOffsetOf(host, w, n, ack) <= first.offset) return;
    skipTo(host, w, n, dir, first.offset, packet, 'acked', sink);
    drain(host, w, n, dir, sink);
  }
}

/** End of capture: whatever is still buffered is delivered after declaring the holes before it. */
export function streamFlush(
  host: StreamHost,
  w: number,
  n: number,
  dir: 0 | 1,
  packet: number,
  sink: StreamSink,
): void {
  if (host.ints[w + R_PENDING] === 0) return;
  const list = host.pendingLists.get(w)!;
  while (list.length > 0) {
    skipTo(host, w, n, dir, list[0]!.offset, packet, 'end', sink);
    drain(host, w, n, dir, sink);
  }
}

function advance(host: StreamHost, w: number, n: number, bytes: number): void {
  host.nums[n + R_EDGE_OFFSET] = host.nums[n + R_EDGE_OFFSET]! + bytes;
  host.ints[w + R_EDGE_SEQ] = host.ints[w + R_EDGE_SEQ]! + bytes;
}

function deliver(
  host: StreamHost,
  w: number,
  n: number,
  dir: 0 | 1,
  buf: Uint8Array,
  from: number,
  to: number,
  sink: StreamSink,
): void {
  const count = to - from;
  if (count <= 0) return;
  sink.data(dir, host.nums[n + R_EDGE_OFFSET]!, buf, from, to);
  advance(host, w, n, count);
  host.nums[n + R_DELIVERED] = host.nums[n + R_DELIVERED]! + count;
}

function truncate(host: StreamHost, w: number, n: number, dir: 0 | 1, count: number, sink: StreamSink): void {
  sink.truncated(dir, host.nums[n + R_EDGE_OFFSET]!, count);
  host.nums[n + R_TRUNCATED_BYTES] = host.nums[n + R_TRUNCATED_BYTES]! + count;
  advance(host, w, n, count);
}

function buffer(
  host: StreamHost,
  w: number,
  n: number,
  dir: 0 | 1,
  offset: number,
  bytes: Uint8Array,
  length: number,
  packet: number,
  sink: StreamSink,
): void {
  let list = host.pendingLists.get(w);
  if (list === undefined) {
    list = [];
    host.pendingLists.set(w, list);
  }
  let i = list.length;
  while (i > 0 && list[i - 1]!.offset > offset) i--;
  list.splice(i, 0, { offset, bytes, length });
  const ints = host.ints;
  ints[w + R_PENDING] = list.length;
  ints[w + R_PENDING_BYTES] = ints[w + R_PENDING_BYTES]! + bytes.length;
  ints[w + R_BUFFERED] = ints[w + R_BUFFERED]! + 1;
  while (list.length > MAX_OOO_SEGMENTS || host.ints[w + R_PENDING_BYTES]! > MAX_OOO_BYTES) {
    host.ints[w + R_OVERFLOWS] = host.ints[w + R_OVERFLOWS]! + 1;
    skipTo(host, w, n, dir, list[0]!.offset, packet, 'overflow', sink);
    drain(host, w, n, dir, sink);
  }
}

/** Deliver buffered segments that now touch the edge; drop those entirely behind it. */
function drain(host: StreamHost, w: number, n: number, dir: 0 | 1, sink: StreamSink): void {
  const list = host.pendingLists.get(w);
  if (list === undefined) return;
  while (list.length > 0) {
    const seg = list[0]!;
    const edge = host.nums[n + R_EDGE_OFFSET]!;
    if (seg.offset > edge) break;
    list.shift();
    host.ints[w + R_PENDING_BYTES] = host.ints[w + R_PENDING_BYTES]! - seg.bytes.length;
    const skip = edge - seg.offset;
    if (skip < seg.bytes.length) deliver(host, w, n, dir, seg.bytes, skip, seg.bytes.length, sink);
    const end = seg.offset + seg.length;
    const after = host.nums[n + R_EDGE_OFFSET]!;
    if (end > after) truncate(host, w, n, dir, end - after, sink);
  }
  host.ints[w + R_PENDING] = list.length;
  if (list.length === 0) host.pendingLists.delete(w);
}

function skipTo(
  host: StreamHost,
  w: number,
  n: number,
  dir: 0 | 1,
  offset: number,
  packet: number,
  reason: GapReason,
  sink: StreamSink,
): void {
  const edge = host.nums[n + R_EDGE_OFFSET]!;
  const missing = offset - edge;
  if (missing <= 0) return;
  host.ints[w + R_GAP_COUNT] = host.ints[w + R_GAP_COUNT]! + 1;
  host.nums[n + R_GAP_BYTES] = host.nums[n + R_GAP_BYTES]! + missing;
  let gaps = host.gapLists.get(w);
  if (gaps === undefined) {
    gaps = [];
    host.gapLists.set(w, gaps);
  }
  if (gaps.length < MAX_GAPS_KEPT) gaps.push({ at: edge, missing, packet, reason });
  sink.gap(dir, edge, missing, reason);
  host.nums[n + R_EDGE_OFFSET] = offset;
  host.ints[w + R_EDGE_SEQ] = host.ints[w + R_EDGE_SEQ]! + missing;
}

/** A stream host of one direction's state, for a reassembler made on its own. */
function ownHost(): StreamHost {
  return {
    ints: new Int32Array(STREAM_WORDS),
    nums: new Float64Array(STREAM_NUMS),
    pendingLists: new Map(),
    gapLists: new Map(),
  };
}

/**
 * One direction's reconstruction, read from (and run on) its state in a host: a session's is in its
 * table's session rows, made into this view only when asked for; `new StreamReassembler(dir)` has a state
 * of its own.
 */
export class StreamReassembler {
  readonly dir: 0 | 1;
  private readonly host: StreamHost;
  private readonly w: number;
  private readonly n: number;

  constructor(dir: 0 | 1, host: StreamHost | null = null, w = 0, n = 0) {
    this.dir = dir;
    this.host = host ?? ownHost();
    this.w = host === null ? 0 : w;
    this.n = host === null ? 0 : n;
  }

  get started(): boolean {
    return this.host.ints[this.w + R_STARTED] !== 0;
  }
  /** Raw sequence number of the next byte to deliver, and its stream offset. */
  get edgeSeq(): number {
    return this.host.ints[this.w + R_EDGE_SEQ]! >>> 0;
  }
  get edgeOffset(): number {
    return this.host.nums[this.n + R_EDGE_OFFSET]!;
  }
  /** Holes declared, and their bytes (all of them; `gaps` keeps the first MAX_GAPS_KEPT). */
  get gapCount(): number {
    return this.host.ints[this.w + R_GAP_COUNT]!;
  }
  get gapBytes(): number {
    return this.host.nums[this.n + R_GAP_BYTES]!;
  }
  /** Bytes the stream moved past because the snap length cut them off. */
  get truncatedBytes(): number {
    return this.host.nums[this.n + R_TRUNCATED_BYTES]!;
  }
  /** Bytes delivered (excluding gaps). */
  get delivered(): number {
    return this.host.nums[this.n + R_DELIVERED]!;
  }
  /** Out-of-order segments that had to be buffered, and times the buffer overflowed into a gap. */
  get buffered(): number {
    return this.host.ints[this.w + R_BUFFERED]!;
  }
  get overflows(): number {
    return this.host.ints[this.w + R_OVERFLOWS]!;
  }

  /** The first MAX_GAPS_KEPT gaps, in stream order. */
  get gaps(): readonly StreamGap[] {
    return this.host.gapLists.get(this.w) ?? NO_GAPS;
  }

  /** Start the stream at raw sequence `seq` (ISN + 1 after a SYN, else the first data byte seen). */
  start(seq: number): void {
    startStream(this.host, this.w, seq);
  }

  /** Stream offset of raw sequence number `seq` (relative to the current edge, wrap-safe). */
  offsetOf(seq: number): number {
    return streamOffsetOf(this.host, this.w, this.n, seq);
  }

  /**
   * A segment of `len` bytes at raw `seq`, of which `captured` are in `buf[start..)` (fewer with a snap
   * length): the uncaptured tail is a gap once it reaches the edge.
   */
  segment(
    seq: number,
    buf: Uint8Array,
    start: number,
    len: number,
    captured: number,
    packet: number,
    sink: StreamSink,
  ): void {
    streamSegment(this.host, this.w, this.n, this.dir, seq, buf, start, len, captured, packet, sink);
  }

  /** The other side acknowledged up to raw `ack` (see `streamAcked`). */
  acked(ack: number, packet: number, sink: StreamSink): void {
    streamAcked(this.host, this.w, this.n, this.dir, ack, packet, sink);
  }

  /** End of capture: whatever is still buffered is delivered after declaring the holes before it. */
  flush(packet: number, sink: StreamSink): void {
    streamFlush(this.host, this.w, this.n, this.dir, packet, sink);
  }
}
