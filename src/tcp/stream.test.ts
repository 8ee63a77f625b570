import { describe, expect, test } from '@jest/globals';
import { type GapReason, MAX_OOO_SEGMENTS, StreamReassembler, type StreamSink } from './stream.js';

class Collect implements StreamSink {
  text = '';
  events: string[] = [];
  data(_d: 0 | 1, offset: number, buf: Uint8Array, start: number, end: number): void {
    this.events.push(`data ${offset} ${end - start}`);
    this.text += String.fromCharCode(...buf.subarray(start, end));
  }
  gap(_d: 0 | 1, offset: number, missing: number, reason: GapReason): void {
    this.events.push(`gap ${offset} ${missing} ${reason}`);
  }
  truncated(_d: 0 | 1, offset: number, missing: number): void {
    this.events.push(`cut ${offset} ${missing}`);
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);

function put(r: StreamReassembler, sink: Collect, seq: number, s: string): void {
  const b = bytes(s);
  r.segment(seq, b, 0, b.length, b.length, 0, sink);
}

describe('stream reconstruction', () => {
  test('overlapping retransmissions deliver each byte once, first copy wins', () => {
    const r = new StreamReassembler(0);
    const sink = new Collect();
    r.start(0xfffffffe); // the stream wraps past 2^32
    put(r, sink, 0xfffffffe, 'abcd');
    put(r, sink, 0x00000000, 'XXef');
    put(r, sink, 0xfffffffe, 'abcdefgh');
    expect(sink.text).toBe('abcdefgh');
    expect(r.delivered).toBe(8);
  });

  test('a full out-of-order buffer turns the hole into a gap', () => {
    const r = new StreamReassembler(1);
    const sink = new Collect();
    r.start(100);
    for (let i = 0; i <= MAX_OOO_SEGMENTS; i++) put(r, sink, 110 + i, 'z');
    expect(sink.events[0]).toBe('gap 0 10 overflow');
    expect(sink.text).toBe('z'.repeat(MAX_OOO_SEGMENTS + 1));
    expect(r.overflows).toBe(1);
  });

  test('at the end, buffered data is delivered after an end gap', () => {
    const r = new StreamReassembler(0);
    const sink = new Collect();
    r.start(0);
    put(r, sink, 0, 'ab');
    put(r, sink, 5, 'fg');
    r.flush(9, sink);
    expect(sink.events).toEqual(['data 0 2', 'gap 2 3 end', 'data 5 2']);
    expect(r.gaps).toEqual([{ at: 2, missing: 3, packet: 9, reason: 'end' }]);
  });

  test('an acknowledgement only up to the hole is no gap', () => {
    const r = new StreamReassembler(0);
    const sink = new Collect();
    r.start(0);
    put(r, sink, 4, 'ef');
    r.acked(4, 1, sink);
    expect(sink.events).toEqual([]);
    r.acked(5, 2, sink);
    expect(sink.events).toEqual(['gap 0 4 acked', 'data 4 2']);
  });
});
