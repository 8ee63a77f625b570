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

interface PendingSegment {
  offset: number;
  /** Captured bytes; the segment covers `length` stream bytes (more when cut by the snap length). */
  bytes: Uint8Array;
  length: number;
}

const NO_PENDING: PendingSegment[] = [];
const NO_GAPS: readonly StreamGap[] = Object.freeze([]);

export class StreamReassembler {
  started = false;
  /** Raw sequence number of the next byte to deliver (kept signed: see FlowState), and its stream offset. */
  private edgeSeqI32 = 0;
  edgeOffset = 0;
  // Both lists are created on first use: most directions never need them, and sessions number 100,000s.
  private pending: PendingSegment[] = NO_PENDING;
  private pendingBytes = 0;
  private gapList: StreamGap[] | null = null;
  gapCount = 0;
  gapBytes = 0;
  /** Bytes the stream moved past because the snap length cut them off. */
  truncatedBytes = 0;
  /** Bytes delivered (excluding gaps). */
  delivered = 0;
  /** Out-of-order segments that had to be buffered, and times the buffer overflowed into a gap. */
  buffered = 0;
  overflows = 0;

  constructor(readonly dir: 0 | 1) {}

  get edgeSeq(): number {
    return this.edgeSeqI32 >>> 0;
  }
  set edgeSeq(seq: number) {
    this.edgeSeqI32 = seq | 0;
  }

  /** The first MAX_GAPS_KEPT gaps, in stream order. */
  get gaps(): readonly StreamGap[] {
    return this.gapList ?? NO_GAPS;
  }

  /** Start the stream at raw sequence `seq` (ISN + 1 after a SYN, else the first data byte seen). */
  start(seq: number): void {
    this.started = true;
    this.edgeSeq = seq >>> 0;
  }

  /** Stream offset of raw sequence number `seq` (relative to the current edge, wrap-safe). */
  offsetOf(seq: number): number {
    return this.edgeOffset + seqDiff(seq, this.edgeSeq);
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
    if (!this.started) this.start(seq);
    const rel = seqDiff(seq, this.edgeSeq);
    if (rel + len <= 0) return;
    if (rel <= 0) {
      this.deliver(buf, start - rel, start + captured, sink);
      const segEnd = this.edgeOffset + seqDiff(seq, this.edgeSeq) + len;
      if (segEnd > this.edgeOffset) this.truncate(segEnd - this.edgeOffset, sink);
      this.drain(packet, sink);
      return;
    }
    this.buffer(this.edgeOffset + rel, buf.slice(start, start + captured), len, packet, sink);
  }

  /**
   * The other side acknowledged up to raw `ack`: while that is beyond the start of the first buffered
   * segment, the bytes before that segment reached the receiver but not the capture, so they are a gap.
   */
  acked(ack: number, packet: number, sink: StreamSink): void {
    for (let first = this.pending[0]; first !== undefined; first = this.pending[0]) {
      if (this.offsetOf(ack) <= first.offset) return;
      this.skipTo(first.offset, packet, 'acked', sink);
      this.drain(packet, sink);
    }
  }

  /** End of capture: whatever is still buffered is delivered after declaring the holes before it. */
  flush(packet: number, sink: StreamSink): void {
    while (this.pending.length > 0) {
      this.skipTo(this.pending[0]!.offset, packet, 'end', sink);
      this.drain(packet, sink);
    }
  }

  private deliver(buf: Uint8Array, from: number, to: number, sink: StreamSink): void {
    const n = to - from;
    if (n <= 0) return;
    sink.data(this.dir, this.edgeOffset, buf, from, to);
    this.edgeOffset += n;
    this.edgeSeq = (this.edgeSeq + n) >>> 0;
    this.delivered += n;
  }

  private truncate(n: number, sink: StreamSink): void {
    sink.truncated(this.dir, this.edgeOffset, n);
    this.truncatedBytes += n;
    this.edgeOffset += n;
    this.edgeSeq = (this.edgeSeq + n) >>> 0;
  }

  private buffer(offset: number, bytes: Uint8Array, length: number, packet: number, sink: StreamSink): void {
    if (this.pending === NO_PENDING) this.pending = [];
    const list = this.pending;
    let i = list.length;
    while (i > 0 && list[i - 1]!.offset > offset) i--;
    list.splice(i, 0, { offset, bytes, length });
    this.pendingBytes += bytes.length;
    this.buffered++;
    while (list.length > MAX_OOO_SEGMENTS || this.pendingBytes > MAX_OOO_BYTES) {
      this.overflows++;
      this.skipTo(list[0]!.offset, packet, 'overflow', sink);
      this.drain(packet, sink);
    }
  }

  /** Deliver buffered segments that now touch the edge; drop those entirely behind it. */
  private drain(_packet: number, sink: StreamSink): void {
    const list = this.pending;
    while (list.length > 0) {
      const seg = list[0]!;
      if (seg.offset > this.edgeOffset) return;
      list.shift();
      this.pendingBytes -= seg.bytes.length;
      const skip = this.edgeOffset - seg.offset;
      if (skip < seg.bytes.length) this.deliver(seg.bytes, skip, seg.bytes.length, sink);
      const end = seg.offset + seg.length;
      if (end > this.edgeOffset) this.truncate(end - this.edgeOffset, sink);
    }
  }

  private skipTo(offset: number, packet: number, reason: GapReason, sink: StreamSink): void {
    const missing = offset - this.edgeOffset;
    if (missing <= 0) return;
    this.gapCount++;
    this.gapBytes += missing;
    if (this.gapList === null) this.gapList = [];
    if (this.gapList.length < MAX_GAPS_KEPT)
      this.gapList.push({ at: this.edgeOffset, missing, packet, reason });
    sink.gap(this.dir, this.edgeOffset, missing, reason);
    this.edgeOffset = offset;
    this.edgeSeq = (this.edgeSeq + missing) >>> 0;
  }
}
