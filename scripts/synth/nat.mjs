/**
 * The same traffic seen on both sides of a source NAT, for the correlation benchmark. Inside (side A) the
 * capture sees clients' own addresses; outside (side B) it sees the NAT's address and a rewritten source
 * port, one less TTL on client-to-server packets, and a capture clock that is offset and skewed against A.
 * The device forwards each direction in order (FIFO) after a small random latency, so each side's file is
 * in time order without reordering any connection's packets.
 */
import { encodeFrame } from './frames.mjs';

/** Binary min-heap of (time, item), for merging the delayed direction into each side's time order. */
class TimeHeap {
  constructor() {
    this.times = [];
    this.items = [];
  }

  get size() {
    return this.times.length;
  }

  peekTime() {
    return this.times[0];
  }

  push(t, item) {
    const times = this.times;
    const items = this.items;
    let i = times.length;
    times.push(t);
    items.push(item);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (times[p] <= t) break;
      times[i] = times[p];
      items[i] = items[p];
      i = p;
    }
    times[i] = t;
    items[i] = item;
  }

  /** Removes the earliest entry; returns its item (its time was `peekTime()`). */
  pop() {
    const times = this.times;
    const items = this.items;
    const top = items[0];
    const lastT = times.pop();
    const lastItem = items.pop();
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && times[r] < times[l] ? r : l;
        if (times[c] >= lastT) break;
        times[i] = times[c];
        items[i] = items[c];
        i = c;
      }
      times[i] = lastT;
      items[i] = lastItem;
    }
    return top;
  }
}

export const NAT_V4 = Uint8Array.of(203, 0, 113, 1);
export const NAT_V6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

/**
 * Wraps a traffic callback: feed it every generated packet (descriptor, relNs) in order, then call `finish`.
 * `writeA(relNs, frame, len)` / `writeB(clockRelNs, frame, len)` receive each side's frames in time order.
 */
export function natPair({ rng, pool, latencyNs, offsetNs, skewPpm, scratch }, writeA, writeB) {
  const heapA = new TimeHeap();
  const heapB = new TimeHeap();
  let lastForward = -1; // client -> server, leaving the device (side B)
  let lastReverse = -1; // server -> client, leaving the device (side A)
  let nextPort = 1024;
  const truth = [];
  const viewA = { clientIp: null, clientPort: 0, clientHops: 0, serverHops: 1 };
  const viewB = { clientIp: null, clientPort: 0, clientHops: 1, serverHops: 0 };

  const emitA = (t, d) => {
    viewA.clientIp = d.conn.clientIp;
    viewA.clientPort = d.conn.clientPort;
    writeA(t, scratch, encodeFrame(scratch, d, pool, viewA));
  };
  const emitB = (t, d) => {
    viewB.clientIp = d.conn.family === 4 ? NAT_V4 : NAT_V6;
    viewB.clientPort = d.conn.natPort;
    // The outside capture's clock: offset, and running fast by skewPpm parts per million.
    const clock = t + offsetNs + Math.round((t * skewPpm) / 1e6);
    writeB(clock, scratch, encodeFrame(scratch, d, pool, viewB));
  };
  const drain = (until) => {
    while (heapA.size && heapA.peekTime() <= until) {
      const t = heapA.peekTime();
      emitA(t, heapA.pop());
    }
    while (heapB.size && heapB.peekTime() <= until) {
      const t = heapB.peekTime();
      emitB(t, heapB.pop());
    }
  };

  return {
    packet(d, relNs) {
      const conn = d.conn;
      if (conn.natPort === undefined) {
        conn.natPort = nextPort;
        nextPort = nextPort >= 65535 ? 1024 : nextPort + 1;
        truth.push(conn);
      }
      const through = relNs + rng.int(latencyNs[0], latencyNs[1]);
      if (d.fromClient) {
        lastForward = Math.max(through, lastForward + 1);
        heapA.push(relNs, d);
        heapB.push(lastForward, d);
      } else {
        lastReverse = Math.max(through, lastReverse + 1);
        heapB.push(relNs, d);
        heapA.push(lastReverse, d);
      }
      // Every later packet happens at or after relNs, so everything up to it is final.
      drain(relNs);
    },
    finish() {
      drain(Number.POSITIVE_INFINITY);
      return truth;
    },
  };
}
