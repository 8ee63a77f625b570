/**
 * Synthetic TCP traffic: many overlapping connections, each a handshake, a few request/response exchanges
 * and a close, interleaved in time the way a capture point sees them. A connection is a small state machine
 * that plans one exchange at a time (so a connection of millions of packets needs no more memory than a
 * short one), and the scheduler picks a random live connection for each next packet.
 */
import { FLAG_ACK, FLAG_FIN, FLAG_PSH, FLAG_RST, FLAG_SYN } from './frames.mjs';

/** Odds of the rare events that make the traffic look real to a TCP analyser. */
const RETRANSMIT_P = 0.003;
const REORDER_P = 0.002;
const RESET_CLOSE_P = 0.01;

class Connection {
  constructor(rng, pool, params) {
    Object.assign(this, params);
    this.rng = rng;
    this.pool = pool;
    this.queue = [];
    this.head = 0;
    this.planned = 'none';
    this.next = { client: params.clientIsn, server: params.serverIsn };
    this.lastTsval = { client: 0, server: 0 };
    this.ipId = { client: rng.int(0, 0xffff), server: rng.int(0, 0xffff) };
    this.segment = this.mss - (this.timestamps ? 12 : 0);
    this.readyAt = 0;
  }

  /** Next packet of this connection at time `relNs`, or null when it is over. */
  take(relNs) {
    if (this.head === this.queue.length && !this.plan()) return null;
    const d = this.queue[this.head];
    this.queue[this.head++] = undefined;
    const side = d.fromClient ? 'client' : 'server';
    const other = d.fromClient ? 'server' : 'client';
    if (this.timestamps) {
      d.tsval = (this.tsBase[side] + Math.floor(relNs / 1e6)) >>> 0;
      d.tsecr = d.flags & FLAG_SYN && d.fromClient ? 0 : this.lastTsval[other];
      this.lastTsval[side] = d.tsval;
    }
    d.ipId = this.ipId[side];
    this.ipId[side] = (this.ipId[side] + 1) & 0xffff;
    return d;
  }

  plan() {
    this.queue.length = 0;
    this.head = 0;
    if (this.planned === 'none') {
      this.push(true, FLAG_SYN, 0, 64240);
      this.push(false, FLAG_SYN | FLAG_ACK, 0, 65160);
      this.push(true, FLAG_ACK, 0);
      this.planned = 'open';
    } else if (this.planned === 'open' && this.pairsLeft > 0) {
      this.pairsLeft--;
      this.planExchange();
    } else if (this.planned === 'open') {
      this.planClose();
      this.planned = 'closed';
    } else return false;
    return true;
  }

  planExchange() {
    const rng = this.rng;
    const request = rng.chance(0.05) ? rng.int(this.segment + 1, 2 * this.segment) : rng.int(80, 1200);
    this.send(true, request);
    const r = rng.float();
    const response =
      r < 0.55
        ? rng.int(100, this.segment)
        : r < 0.85
          ? rng.int(this.segment + 1, 4 * this.segment)
          : rng.int(4 * this.segment + 1, 12 * this.segment);
    const first = this.queue.length;
    this.send(false, response);
    const segments = this.queue.splice(first);
    // Delayed ACKs: the client acknowledges every second segment and the last one.
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      this.queue.push(seg);
      if (i % 2 === 1 || i === segments.length - 1) {
        this.push(true, FLAG_ACK, 0);
        this.queue[this.queue.length - 1].ack = (seg.seq + seg.len) >>> 0;
      }
    }
    this.sprinkleLoss(first);
  }

  /** Rare retransmissions (the same segment again, a little later) and swapped neighbours (reordering). */
  sprinkleLoss(first) {
    const rng = this.rng;
    for (let i = first; i < this.queue.length; i++) {
      const d = this.queue[i];
      if (d.fromClient || d.len === 0) continue;
      if (rng.chance(RETRANSMIT_P)) {
        this.queue.splice(Math.min(this.queue.length, i + 2), 0, { ...d, retransmission: true });
        i++;
      } else if (rng.chance(REORDER_P)) {
        const n = this.queue[i + 1];
        if (n && !n.fromClient && n.len > 0) {
          this.queue[i] = n;
          this.queue[i + 1] = d;
          i++;
        }
      }
    }
  }

  planClose() {
    if (this.rng.chance(RESET_CLOSE_P)) {
      this.push(false, FLAG_RST | FLAG_ACK, 0, 0);
      return;
    }
    const clientFirst = this.rng.chance(0.7);
    this.push(clientFirst, FLAG_FIN | FLAG_ACK, 0);
    this.push(!clientFirst, FLAG_FIN | FLAG_ACK, 0);
    this.push(clientFirst, FLAG_ACK, 0);
  }

  /** Bytes from one side cut into MSS-sized segments, PSH on the last. */
  send(fromClient, bytes) {
    for (let at = 0; at < bytes; at += this.segment) {
      const len = Math.min(this.segment, bytes - at);
      this.push(fromClient, at + len >= bytes ? FLAG_PSH | FLAG_ACK : FLAG_ACK, len);
    }
  }

  push(fromClient, flags, len, window = fromClient ? 502 : 509) {
    const side = fromClient ? 'client' : 'server';
    const other = fromClient ? 'server' : 'client';
    const seq = this.next[side];
    const ack = flags & FLAG_ACK ? this.next[other] : 0;
    this.next[side] = (seq + len + (flags & FLAG_SYN ? 1 : 0) + (flags & FLAG_FIN ? 1 : 0)) >>> 0;
    this.queue.push({
      conn: this,
      fromClient,
      flags,
      seq,
      ack,
      len,
      payOff: len ? this.pool.offsetFor(this.rng, len) : 0,
      window,
      tsval: 0,
      tsecr: 0,
      ipId: 0,
      retransmission: false,
    });
  }
}

function ipv4(a, b, c, d) {
  return Uint8Array.of(a, b, c, d);
}

function ipv6(prefix, host) {
  const out = new Uint8Array(16);
  out.set(prefix, 0);
  out[12] = host >>> 24;
  out[13] = (host >>> 16) & 0xff;
  out[14] = (host >>> 8) & 0xff;
  out[15] = host & 0xff;
  return out;
}

const V6_CLIENTS = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 1);
const V6_SERVERS = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 2);

/**
 * Runs the traffic and calls `onPacket(descriptor, relNs)` for every packet in time order. `relNs` is
 * nanoseconds since the start (the caller adds a base second).
 *
 * Options: minConnections and targetPackets (connections keep starting until both are reached; the live
 * ones then finish), concurrency, meanGapNs, ipv6Share, endless (one connection that exchanges until
 * targetPackets), minSpacingNs (least time between two packets of one connection), seed-driven `rng` and
 * payload `pool`.
 */
export function runTraffic(opts, onPacket) {
  const { rng, pool } = opts;
  const clientPorts = new Map();
  const active = [];
  let started = 0;
  let emitted = 0;
  let relNs = 0;
  let stopping = false;

  const newConnection = () => {
    const id = started++;
    const family = rng.chance(opts.ipv6Share) ? 6 : 4;
    const client = rng.int(0, 4095);
    const server = rng.int(0, 499);
    const port = clientPorts.get(client) ?? 32768 + rng.int(0, 20000);
    clientPorts.set(client, port >= 60999 ? 32768 : port + 1);
    const linuxLike = rng.chance(0.75);
    const r = rng.float();
    return new Connection(rng, pool, {
      id,
      family,
      clientIp: family === 4 ? ipv4(10, 1 + (client >> 8), client & 0xff, 2) : ipv6(V6_CLIENTS, client + 2),
      serverIp:
        family === 4
          ? server < 250
            ? ipv4(192, 0, 2, 1 + server)
            : ipv4(198, 51, 100, server - 249)
          : ipv6(V6_SERVERS, server + 1),
      clientPort: port,
      serverPort: r < 0.7 ? 443 : r < 0.9 ? 80 : 8080,
      clientIsn: opts.endless ? 0xfff00000 : rng.u32(),
      serverIsn: opts.endless ? 0xf0000000 : rng.u32(),
      mss: family === 4 ? 1460 : 1440,
      wscale: linuxLike ? 7 : 8,
      timestamps: linuxLike,
      clientTtl: linuxLike ? 64 : 128,
      serverTtl: 64 - rng.int(0, 12),
      flowLabel: family === 6 ? rng.int(1, 0xfffff) : 0,
      tsBase: { client: rng.u32(), server: rng.u32() },
      pairsLeft: opts.endless ? Number.POSITIVE_INFINITY : rng.int(1, 4),
    });
  };

  for (;;) {
    while (
      active.length < opts.concurrency &&
      !stopping &&
      (started < opts.minConnections || emitted < opts.targetPackets) &&
      !(opts.endless && started >= 1)
    ) {
      active.push(newConnection());
    }
    if (active.length === 0) break;
    const i = rng.int(0, active.length - 1);
    const conn = active[i];
    if (conn.readyAt > relNs) {
      // Too soon after this connection's previous packet: let time pass instead.
      relNs += 1 + Math.floor(rng.exp(opts.meanGapNs));
      continue;
    }
    const d = conn.take(relNs);
    if (!d) {
      active[i] = active[active.length - 1];
      active.pop();
      continue;
    }
    onPacket(d, relNs);
    conn.readyAt = relNs + (opts.minSpacingNs ?? 0);
    emitted++;
    relNs += 1 + Math.floor(rng.exp(opts.meanGapNs));
    if (!stopping && emitted >= opts.targetPackets && started >= opts.minConnections) {
      stopping = true;
      for (const c of active) if (c.pairsLeft === Number.POSITIVE_INFINITY) c.pairsLeft = 0;
    }
  }
  return { connections: started, packets: emitted, spanNs: relNs };
}
