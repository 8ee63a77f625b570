import { describe, expect, test } from '@jest/globals';
import { TCP_ACK, TCP_FIN, TCP_SYN } from '../decode/types.js';
import {
  A_ACK_LOST_SEGMENT,
  A_DUPLICATE_ACK,
  A_FAST_RETRANSMISSION,
  A_KEEP_ALIVE,
  A_KEEP_ALIVE_ACK,
  A_LOST_SEGMENT,
  A_OUT_OF_ORDER,
  A_RETRANSMISSION,
  A_SPURIOUS_RETRANSMISSION,
  A_WINDOW_FULL,
  A_WINDOW_UPDATE,
  A_ZERO_WINDOW,
  A_ZERO_WINDOW_PROBE,
  A_ZERO_WINDOW_PROBE_ACK,
  flagNames,
} from './flags.js';
import { FlowState, WSCALE_NONE } from './flow.js';
import { analyzeSegment, Segment } from './rules.js';

const MS = 1_000_000;
const C = 1000; // client ISN
const S = 5000; // server ISN

/** Two directions of one connection driven segment by segment; times in ms. */
class Conn {
  readonly flows = [new FlowState(-1e18), new FlowState(-1e18)] as const;
  private readonly seg = new Segment();
  private frame = 0;
  firstRttNs = 0;
  dupAckNum = 0;
  dupAckFrame = 0;

  send(
    dir: 0 | 1,
    seq: number,
    ack: number,
    len: number,
    ms: number,
    flags = TCP_ACK,
    window = 1000,
  ): number {
    const s = this.seg;
    s.fwd = this.flows[dir];
    s.rev = this.flows[1 - dir]!;
    s.frame = ++this.frame;
    s.seq = seq >>> 0;
    s.ack = ack >>> 0;
    s.len = len;
    s.flags = flags;
    s.window = window;
    s.timeNs = ms * MS;
    s.firstRttNs = this.firstRttNs;
    s.found = 0;
    const found = analyzeSegment(s);
    this.dupAckNum = s.dupAckNum;
    this.dupAckFrame = s.dupAckFrame;
    return found;
  }

  /** SYN, SYN-ACK, ACK at t = 0, 1, 2 ms; both sides without window scaling. */
  handshake(): this {
    this.send(0, C, 0, 0, 0, TCP_SYN);
    this.send(1, S, C + 1, 0, 1, TCP_SYN | TCP_ACK);
    this.send(0, C + 1, S + 1, 0, 2);
    this.flows[0].winScale = WSCALE_NONE;
    this.flows[1].winScale = WSCALE_NONE;
    return this;
  }
}

const names = (flags: number) => flagNames(flags).map((n) => n.replace('tcp.analysis.', ''));

describe('Wireshark sequence analysis rules', () => {
  test('a clean exchange raises nothing', () => {
    const c = new Conn().handshake();
    expect(c.send(0, C + 1, S + 1, 100, 3)).toBe(0);
    expect(c.send(1, S + 1, C + 101, 200, 4)).toBe(0);
    expect(c.send(0, C + 101, S + 201, 0, 5)).toBe(0);
  });

  test('LOST SEGMENT, then OUT OF ORDER within 3 ms, then RETRANSMISSION later', () => {
    const c = new Conn().handshake();
    c.send(0, C + 1, S + 1, 100, 10);
    expect(names(c.send(0, C + 201, S + 1, 100, 11))).toEqual(['lost_segment']);
    // The hole filled 2.9 ms after the segment that set the next seq: out of order.
    expect(names(c.send(0, C + 101, S + 1, 50, 13.9))).toEqual(['out_of_order']);
    // 3 ms or more later: a retransmission.
    expect(names(c.send(0, C + 151, S + 1, 50, 14))).toEqual(['retransmission']);
  });

  test('the out-of-order threshold is the first RTT when known', () => {
    const c = new Conn().handshake();
    c.firstRttNs = 10 * MS;
    c.send(0, C + 1, S + 1, 100, 10);
    c.send(0, C + 201, S + 1, 100, 11);
    expect(c.send(0, C + 101, S + 1, 100, 20.9)).toBe(A_OUT_OF_ORDER);
  });

  test('DUPLICATE ACK counts repeats and names the frame duplicated', () => {
    const c = new Conn().handshake();
    c.send(1, S + 1, C + 1, 0, 3); // frame 4: changes the ack? no, same as SYN-ACK's ack
    expect(c.send(0, C + 1, S + 1, 100, 4)).toBe(0); // frame 5
    expect(c.send(1, S + 1, C + 101, 0, 5)).toBe(0); // frame 6: new ack
    expect(c.send(1, S + 1, C + 101, 0, 6)).toBe(A_DUPLICATE_ACK);
    expect([c.dupAckNum, c.dupAckFrame]).toEqual([1, 6]);
    expect(c.send(1, S + 1, C + 101, 0, 7)).toBe(A_DUPLICATE_ACK);
    expect([c.dupAckNum, c.dupAckFrame]).toEqual([2, 6]);
    // A different window is a window update, not a duplicate.
    expect(c.send(1, S + 1, C + 101, 0, 8, TCP_ACK, 2000)).toBe(A_WINDOW_UPDATE);
  });

  test('FAST RETRANSMISSION needs >= 2 duplicate ACKs and < 20 ms after the last one', () => {
    const fast = new Conn().handshake();
    fast.send(0, C + 1, S + 1, 100, 3);
    fast.send(0, C + 101, S + 1, 100, 3.1);
    fast.send(1, S + 1, C + 1, 0, 10); // acks nothing new: same ack as before
    fast.send(1, S + 1, C + 1, 0, 11);
    fast.send(1, S + 1, C + 1, 0, 12);
    expect(fast.send(0, C + 1, S + 1, 100, 31.9)).toBe(A_FAST_RETRANSMISSION);

    const slow = new Conn().handshake();
    slow.send(0, C + 1, S + 1, 100, 3);
    slow.send(0, C + 101, S + 1, 100, 3.1);
    slow.send(1, S + 1, C + 1, 0, 10);
    slow.send(1, S + 1, C + 1, 0, 11);
    slow.send(1, S + 1, C + 1, 0, 12);
    expect(slow.send(0, C + 1, S + 1, 100, 32)).toBe(A_RETRANSMISSION);
  });

  test('SPURIOUS RETRANSMISSION: data the receiver had already acknowledged', () => {
    const c = new Conn().handshake();
    c.send(0, C + 1, S + 1, 100, 3);
    c.send(1, S + 1, C + 101, 0, 4);
    expect(c.send(0, C + 1, S + 1, 100, 50)).toBe(A_SPURIOUS_RETRANSMISSION);
  });

  test('KEEP ALIVE one byte before the next seq, and its ACK', () => {
    const c = new Conn().handshake();
    c.send(0, C + 1, S + 1, 100, 3);
    c.send(1, S + 1, C + 101, 0, 4);
    expect(c.send(0, C + 100, S + 1, 1, 1000)).toBe(A_KEEP_ALIVE);
    expect(c.send(1, S + 1, C + 101, 0, 1001)).toBe(A_KEEP_ALIVE_ACK);
    expect(c.send(0, C + 100, S + 1, 0, 2000)).toBe(A_KEEP_ALIVE);
  });

  test('ZERO WINDOW, ZERO WINDOW PROBE and its ACK', () => {
    const c = new Conn().handshake();
    c.send(0, C + 1, S + 1, 100, 3);
    expect(c.send(1, S + 1, C + 101, 0, 4, TCP_ACK, 0)).toBe(A_ZERO_WINDOW);
    expect(c.send(0, C + 101, S + 1, 1, 5)).toBe(A_ZERO_WINDOW_PROBE);
    expect(c.send(1, S + 1, C + 101, 0, 6, TCP_ACK, 0)).toBe(A_ZERO_WINDOW | A_ZERO_WINDOW_PROBE_ACK);
    // The probe did not advance the next seq: the same byte again is a probe again.
    expect(c.send(0, C + 101, S + 1, 1, 7)).toBe(A_ZERO_WINDOW_PROBE);
    // A FIN never counts as a zero window.
    expect(c.send(1, S + 1, C + 101, 0, 8, TCP_ACK | TCP_FIN, 0) & A_ZERO_WINDOW).toBe(0);
  });

  test('WINDOW FULL: data up to the right edge the peer advertised', () => {
    const c = new Conn().handshake();
    c.send(1, S + 1, C + 1, 0, 3, TCP_ACK, 300); // window 300 from ack C+1
    c.send(0, C + 1, S + 1, 200, 4);
    expect(c.send(0, C + 201, S + 1, 100, 5)).toBe(A_WINDOW_FULL);
  });

  test('ACKED UNSEEN SEGMENT once per hole', () => {
    const c = new Conn().handshake();
    c.send(0, C + 1, S + 1, 100, 3);
    expect(c.send(1, S + 1, C + 301, 0, 4)).toBe(A_ACK_LOST_SEGMENT);
    expect(c.send(1, S + 1, C + 401, 0, 5)).toBe(0);
    // New data from the client moves the limit: the next ACK beyond it is flagged again.
    expect(c.send(0, C + 301, S + 1, 100, 6) & A_LOST_SEGMENT).toBe(A_LOST_SEGMENT);
    c.send(0, C + 401, S + 1, 100, 6.5);
    expect(c.send(1, S + 1, C + 901, 0, 7)).toBe(A_ACK_LOST_SEGMENT);
  });

  test('relative numbering bases: ISN from the SYN, or seq - 1 without one', () => {
    const c = new Conn().handshake();
    expect([c.flows[0].baseSeq, c.flows[1].baseSeq]).toEqual([C, S]);
    const mid = new Conn();
    mid.send(0, 777, 888, 10, 0);
    expect([mid.flows[0].baseSeq, mid.flows[1].baseSeq]).toEqual([776, 887]);
  });
});
