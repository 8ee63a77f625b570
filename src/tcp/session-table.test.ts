import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { PacketView } from '../decode/types.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../decode/types.js';
import { createView } from '../decode/view.js';
import { Chunker, emptyFingerprint, type Fingerprint, fnv1a } from './fingerprint.js';
import {
  A_FAST_RETRANSMISSION,
  A_RETRANSMISSION,
  A_REUSED_PORTS,
  A_TFO_ACK,
  A_TFO_IGNORED,
  A_TFO_SYN,
  H_RST_AFTER_SYNACK,
  H_SYN_UNANSWERED,
  H_SYNACK_BAD_ACK,
  H_SYNACK_RETRANSMITTED_AFTER_ACK,
} from './flags.js';
import type { Session } from './session.js';
import { SessionTable, type TcpPacketResult } from './session-table.js';

const CLIENT = 0x0a000001; // 10.0.0.1
const SERVER = 0x0a000002; // 10.0.0.2

interface Pkt {
  from: 'c' | 's';
  flags: number;
  seq: number;
  ack?: number;
  ms: number;
  payload?: Uint8Array | number;
  window?: number;
  wscale?: number;
  cport?: number;
  captured?: number;
}

/** Fills one reused PacketView the way the decoder would for an IPv4 TCP packet. */
class Wire {
  private readonly view = createView();
  private index = 0;

  packet(p: Pkt): PacketView {
    const v = this.view;
    const payload =
      typeof p.payload === 'number' ? new Uint8Array(p.payload).fill(0x61) : (p.payload ?? new Uint8Array(0));
    v.index = ++this.index;
    v.tsSec = 1_700_000_000 + Math.floor(p.ms / 1000);
    v.tsNsec = Math.round((p.ms % 1000) * 1e6);
    v.ipVersion = 4;
    v.proto = 6;
    v.isTcp = true;
    v.src.fill(0);
    v.dst.fill(0);
    const cport = p.cport ?? 40000;
    v.src[3] = p.from === 'c' ? CLIENT : SERVER;
    v.dst[3] = p.from === 'c' ? SERVER : CLIENT;
    v.srcPort = p.from === 'c' ? cport : 80;
    v.dstPort = p.from === 'c' ? 80 : cport;
    v.seq = p.seq >>> 0;
    v.ack = (p.ack ?? 0) >>> 0;
    v.flags = p.flags;
    v.window = p.window ?? 1000;
    v.wscale = p.wscale ?? -1;
    v.mss = p.flags & TCP_SYN ? 1460 : -1;
    v.ttl = 64;
    v.ipId = this.index;
    v.buf = payload;
    v.payloadOffset = 0;
    v.payloadLength = payload.length;
    v.payloadCaptured = p.captured ?? payload.length;
    v.optionCount = 0;
    return v;
  }
}

interface Run {
  table: SessionTable;
  results: TcpPacketResult[];
  stream: Map<string, number[]>;
}

function run(packets: Pkt[], opts: ConstructorParameters<typeof SessionTable>[0] = {}): Run {
  const results: TcpPacketResult[] = [];
  const stream = new Map<string, number[]>();
  const table = new SessionTable({
    ...opts,
    onPacket: (r) => results.push({ ...r }),
    onStreamData: (s: Session, d, _o, buf, start, end) => {
      const key = `${s.index}/${d}`;
      let bytes = stream.get(key);
      if (!bytes) {
        bytes = [];
        stream.set(key, bytes);
      }
      if (bytes.length < 4096) for (let i = start; i < end; i++) bytes.push(buf[i]!);
    },
  });
  const wire = new Wire();
  for (const p of packets) table.onPacket(wire.packet(p));
  table.finish();
  return { table, results, stream };
}

const C = 1000;
const S = 900_000;

/** Handshake with window scaling (client shift 2, server shift 7) at 0, 10, 11 ms. */
const HANDSHAKE: Pkt[] = [
  { from: 'c', flags: TCP_SYN, seq: C, ms: 0, wscale: 2 },
  { from: 's', flags: TCP_SYN | TCP_ACK, seq: S, ack: C + 1, ms: 10, wscale: 7 },
  { from: 'c', flags: TCP_ACK, seq: C + 1, ack: S + 1, ms: 11 },
];

const text = (s: string) => new TextEncoder().encode(s);

describe('SessionTable', () => {
  test('a request/response connection: handshake, numbers, history, messages, close', () => {
    const req = text('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
    const resp = text('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const { table, results } = run([
      ...HANDSHAKE,
      { from: 'c', flags: TCP_ACK | TCP_PSH, seq: C + 1, ack: S + 1, ms: 12, payload: req },
      { from: 's', flags: TCP_ACK | TCP_PSH, seq: S + 1, ack: C + 1 + req.length, ms: 20, payload: resp },
      { from: 'c', flags: TCP_ACK | TCP_FIN, seq: C + 1 + req.length, ack: S + 1 + resp.length, ms: 30 },
      { from: 's', flags: TCP_ACK | TCP_FIN, seq: S + 1 + resp.length, ack: C + 2 + req.length, ms: 31 },
      { from: 'c', flags: TCP_ACK, seq: C + 2 + req.length, ack: S + 2 + resp.length, ms: 32 },
    ]);
    expect(table.sessions).toHaveLength(1);
    const s = table.sessions[0]!;
    expect(s.initiator).toBe('a');
    expect(s.initiatorBy).toBe('syn');
    expect([s.clientIsn, s.serverIsn]).toEqual([C, S]);
    expect(s.synToSynAckNs).toBe(10_000_000);
    expect(s.synAckToAckNs).toBe(1_000_000);
    expect(s.handshakeAck?.packet).toBe(3);
    expect(s.syn?.wscale).toBe(2);
    expect(s.history.text).toBe('ShADdFf');
    expect(s.fin).toMatchObject({ dir: 0, packet: 6 });
    expect(s.rst).toBeNull();
    expect([s.firstPacket, s.lastPacket, s.packets]).toEqual([1, 8, 8]);
    expect([s.dirs[0].payloadBytes, s.dirs[1].payloadBytes]).toEqual([req.length, resp.length]);

    // Relative numbers and scaled windows, as tshark shows them.
    expect(results.map((r) => [r.seq, r.ack, r.nxtSeq])).toEqual([
      [0, 0, 1],
      [0, 1, 1],
      [1, 1, 1],
      [1, 1, 1 + req.length],
      [1, 1 + req.length, 1 + resp.length],
      [1 + req.length, 1 + resp.length, 2 + req.length],
      [1 + resp.length, 2 + req.length, 2 + resp.length],
      [2 + req.length, 2 + resp.length, 2 + req.length],
    ]);
    expect(results.map((r) => r.windowScaleFactor)).toEqual([null, null, 4, 4, 128, 4, 128, 4]);
    expect(results[4]!.window).toBe(128_000);

    expect(s.messages.map((m) => [m.dir, m.firstPacket, m.start, m.end])).toEqual([
      [0, 4, 0, req.length],
      [1, 5, 0, resp.length],
    ]);
    expect(s.messages[0]!.fingerprint.headHash).toBe(fnv1a(req, 0, req.length));
    expect(s.dirs[1].headHash).toBe(fnv1a(resp, 0, resp.length));
    expect(s.messages[1]!.fingerprint.hashes.length).toBeGreaterThan(0);
  });

  test('sessions are numbered by first packet and found from either direction', () => {
    const { table, results } = run([
      { from: 'c', flags: TCP_SYN, seq: 1, ms: 0, cport: 1 },
      { from: 'c', flags: TCP_SYN, seq: 1, ms: 1, cport: 2 },
      { from: 's', flags: TCP_SYN | TCP_ACK, seq: 7, ack: 2, ms: 2, cport: 2 },
      { from: 's', flags: TCP_SYN | TCP_ACK, seq: 7, ack: 2, ms: 3, cport: 1 },
    ]);
    expect(table.sessions).toHaveLength(2);
    expect(results.map((r) => [r.session, r.dir])).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ]);
  });

  test('without a SYN the initiator is the first sender, unless it answers from a well-known port', () => {
    const mid = run([{ from: 's', flags: TCP_ACK, seq: 5, ack: 9, ms: 0, payload: 10 }]);
    expect(mid.table.sessions[0]!.initiator).toBe('b');
    expect(mid.table.sessions[0]!.initiatorBy).toBe('port');
    expect(mid.results[0]!.windowScaleFactor).toBe(-1);
    expect(mid.table.sessions[0]!.clientIsn).toBeNull();
    const synack = run([{ from: 's', flags: TCP_SYN | TCP_ACK, seq: 5, ack: 9, ms: 0 }]);
    expect(synack.table.sessions[0]!.initiatorBy).toBe('synack');
    expect(synack.table.sessions[0]!.history.text).toBe('^h');
  });

  test('REUSED PORTS: a new SYN with another ISN starts a new session linked to the previous one', () => {
    const { table, results } = run([
      ...HANDSHAKE,
      { from: 'c', flags: TCP_ACK | TCP_FIN, seq: C + 1, ack: S + 1, ms: 20 },
      { from: 's', flags: TCP_ACK | TCP_FIN, seq: S + 1, ack: C + 2, ms: 21 },
      { from: 'c', flags: TCP_ACK, seq: C + 2, ack: S + 2, ms: 22 },
      { from: 'c', flags: TCP_SYN, seq: 777_777, ms: 1022 },
      { from: 's', flags: TCP_SYN | TCP_ACK, seq: 55, ack: 777_778, ms: 1023 },
    ]);
    expect(table.sessions).toHaveLength(2);
    const second = table.sessions[1]!;
    expect(second.previousIndex).toBe(0);
    expect(second.sincePreviousNs).toBe(1000_000_000);
    expect(results[6]!.analysis & A_REUSED_PORTS).toBe(A_REUSED_PORTS);
    expect(results[6]!.seq).toBe(0);
    expect(results[7]!.session).toBe(1);
    // The same ISN again is a repeated SYN of the same session, as in Wireshark.
    const again = run([HANDSHAKE[0]!, { ...HANDSHAKE[0]!, ms: 1000 }]);
    expect(again.table.sessions).toHaveLength(1);
    expect(again.results[1]!.analysis & (A_RETRANSMISSION | A_REUSED_PORTS)).toBe(
      A_RETRANSMISSION | A_REUSED_PORTS,
    );
  });

  test('a fast retransmission also carries the retransmission bit', () => {
    const { results, table } = run([
      ...HANDSHAKE,
      { from: 'c', flags: TCP_ACK, seq: C + 1, ack: S + 1, ms: 12, payload: 100 },
      { from: 'c', flags: TCP_ACK, seq: C + 101, ack: S + 1, ms: 12.1, payload: 100 },
      { from: 's', flags: TCP_ACK, seq: S + 1, ack: C + 1, ms: 20 },
      { from: 's', flags: TCP_ACK, seq: S + 1, ack: C + 1, ms: 21 },
      { from: 's', flags: TCP_ACK, seq: S + 1, ack: C + 1, ms: 22 },
      { from: 'c', flags: TCP_ACK, seq: C + 1, ack: S + 1, ms: 25, payload: 100 },
    ]);
    expect(results[8]!.analysis).toBe(A_FAST_RETRANSMISSION | A_RETRANSMISSION);
    expect(results[7]!.dupAckNum).toBe(3);
    const s = table.sessions[0]!;
    expect(s.count(A_RETRANSMISSION)).toBe(1);
    expect(s.history.text).toBe('ShADaT');
    // The retransmission did not open a new message.
    expect(s.messages).toHaveLength(1);
  });

  test('SYNACK BAD ACK reports the absolute values in hex; an unanswered SYN is recorded at the end', () => {
    const bad = run([
      { from: 'c', flags: TCP_SYN, seq: 0x1000, ms: 0 },
      { from: 's', flags: TCP_SYN | TCP_ACK, seq: 124124, ack: 124125, ms: 0.026 },
      { from: 'c', flags: TCP_SYN, seq: 0x1000, ms: 1000 },
    ]);
    expect(bad.results[1]!.analysis & H_SYNACK_BAD_ACK).toBe(H_SYNACK_BAD_ACK);
    const finding = bad.table.sessions[0]!.findings[0]!;
    expect(finding.id).toBe('tcp.handshake.synack_bad_ack');
    expect(finding.detail).toContain('0x0001e4dd');
    expect(finding.detail).toContain('expected 0x00001001');

    const silent = run([
      { from: 'c', flags: TCP_SYN, seq: 5, ms: 0 },
      { from: 'c', flags: TCP_SYN, seq: 5, ms: 1000 },
    ]);
    const s = silent.table.sessions[0]!;
    expect(s.count(H_SYN_UNANSWERED)).toBe(1);
    expect(s.findings[0]!.detail).toContain('2 SYN(s) from packet 1');
  });

  test('SYN-ACK re-sent after the handshake ACK, and RST after SYN-ACK', () => {
    const resent = run([...HANDSHAKE, { ...HANDSHAKE[1]!, ms: 1000 }]);
    expect(resent.results[3]!.analysis & H_SYNACK_RETRANSMITTED_AFTER_ACK).toBe(
      H_SYNACK_RETRANSMITTED_AFTER_ACK,
    );
    expect(resent.table.sessions[0]!.findings[0]!.detail).toContain('after handshake ACK 3');

    const reset = run([HANDSHAKE[0]!, HANDSHAKE[1]!, { from: 'c', flags: TCP_RST, seq: C + 1, ms: 10.5 }]);
    expect(reset.results[2]!.analysis & H_RST_AFTER_SYNACK).toBe(H_RST_AFTER_SYNACK);
    expect(reset.table.sessions[0]!.history.text).toBe('ShR');
  });

  test('out-of-order payload is delivered in order; a hole acknowledged by the peer becomes a gap', () => {
    const gaps: string[] = [];
    const { stream, table } = run(
      [
        ...HANDSHAKE,
        { from: 'c', flags: TCP_ACK, seq: C + 1, ack: S + 1, ms: 12, payload: text('aaaa') },
        { from: 'c', flags: TCP_ACK, seq: C + 9, ack: S + 1, ms: 13, payload: text('cccc') },
        { from: 'c', flags: TCP_ACK, seq: C + 5, ack: S + 1, ms: 13.5, payload: text('bbbb') },
        { from: 'c', flags: TCP_ACK, seq: C + 17, ack: S + 1, ms: 14, payload: text('eeee') },
        { from: 's', flags: TCP_ACK, seq: S + 1, ack: C + 21, ms: 15 },
      ],
      { onStreamGap: (_s, d, at, n, why) => gaps.push(`${d}:${at}+${n}:${why}`) },
    );
    expect(String.fromCharCode(...(stream.get('0/0') ?? []))).toBe('aaaabbbbcccceeee');
    expect(gaps).toEqual(['0:12+4:acked']);
    expect(table.sessions[0]!.history.text).toBe('ShADaG');
  });

  test('bytes cut by the snap length are skipped without a gap', () => {
    const { stream, table } = run([
      ...HANDSHAKE,
      { from: 'c', flags: TCP_ACK, seq: C + 1, ack: S + 1, ms: 12, payload: text('abcdef'), captured: 2 },
      { from: 'c', flags: TCP_ACK, seq: C + 7, ack: S + 1, ms: 13, payload: text('gh') },
    ]);
    expect(String.fromCharCode(...(stream.get('0/0') ?? []))).toBe('abgh');
    expect(table.sessions[0]!.streams[0].truncatedBytes).toBe(4);
    expect(table.sessions[0]!.streams[0].gapCount).toBe(0);
  });

  test('memory does not grow with packets per connection', () => {
    const packets: Pkt[] = [...HANDSHAKE];
    let seq = C + 1;
    for (let i = 0; i < 20_000; i++) {
      packets.push({ from: 'c', flags: TCP_ACK, seq, ack: S + 1, ms: 12 + i * 0.01, payload: 1000 });
      seq += 1000;
    }
    const oneWay = run(packets, { maxMessagesPerSession: 8 }).table.sessions[0]!;
    expect(oneWay.messages).toHaveLength(1);
    expect(oneWay.messages[0]!.end).toBe(20_000_000);
    expect(oneWay.messages[0]!.fingerprint.hashes.length).toBeLessThanOrEqual(16);

    const pingPong: Pkt[] = [...HANDSHAKE];
    for (let i = 0; i < 100; i++) {
      pingPong.push({ from: 'c', flags: TCP_ACK, seq: C + 1 + i, ack: S + 1 + i, ms: 12 + i, payload: 1 });
      pingPong.push({ from: 's', flags: TCP_ACK, seq: S + 1 + i, ack: C + 2 + i, ms: 12.5 + i, payload: 1 });
    }
    const s = run(pingPong, { maxMessagesPerSession: 8 }).table.sessions[0]!;
    expect(s.messages).toHaveLength(8);
    expect(s.messagesDropped).toBe(192);
  });

  test('hostile views never throw and every packet lands in one session', () => {
    const arb = fc.record({
      seq: fc.integer({ min: 0, max: 0xffffffff }),
      ack: fc.integer({ min: 0, max: 0xffffffff }),
      flags: fc.integer({ min: 0, max: 0xfff }),
      win: fc.integer({ min: 0, max: 0xffff }),
      len: fc.integer({ min: -1, max: 3000 }),
      cap: fc.integer({ min: 0, max: 3000 }),
      wscale: fc.integer({ min: -1, max: 255 }),
      from: fc.constantFrom<'c' | 's'>('c', 's'),
      ms: fc.integer({ min: -5000, max: 5000 }),
    });
    fc.assert(
      fc.property(fc.array(arb, { maxLength: 60 }), (list) => {
        const table = new SessionTable();
        const wire = new Wire();
        for (const p of list) {
          const v = wire.packet({
            from: p.from,
            flags: p.flags,
            seq: p.seq,
            ack: p.ack,
            ms: p.ms,
            window: p.win,
          });
          v.wscale = p.wscale;
          const payload = new Uint8Array(Math.max(p.len, 0));
          v.buf = payload;
          v.payloadLength = p.len;
          v.payloadCaptured = Math.min(p.cap, payload.length);
          table.onPacket(v);
        }
        table.finish();
        // Every packet landed in exactly one session.
        return table.sessions.reduce((n, x) => n + x.packets, 0) === list.length;
      }),
      { numRuns: 300 },
    );
  });

  test('TFO SYN, and the SYN-ACK that acknowledges its data (TFO ACK) or only the SYN (TFO IGNORED)', () => {
    for (const [ack, bit] of [
      [C + 1 + 4, A_TFO_ACK],
      [C + 1, A_TFO_IGNORED],
    ] as const) {
      const results: number[] = [];
      const table = new SessionTable({ onPacket: (r) => results.push(r.analysis) });
      const wire = new Wire();
      const syn = wire.packet({ from: 'c', flags: TCP_SYN, seq: C, ms: 0, payload: text('ping') });
      syn.tfo = true;
      table.onPacket(syn);
      table.onPacket(wire.packet({ from: 's', flags: TCP_SYN | TCP_ACK, seq: S, ack, ms: 1 }));
      expect(results[0]! & A_TFO_SYN).toBe(A_TFO_SYN);
      expect(results[1]! & (A_TFO_ACK | A_TFO_IGNORED)).toBe(bit);
      // Data acknowledged together with the SYN is not a bad handshake ack.
      expect(results[1]! & H_SYNACK_BAD_ACK).toBe(0);
    }
  });

  test('non-TCP packets are ignored', () => {
    const table = new SessionTable();
    const v = createView();
    table.onPacket(v);
    table.finish();
    expect(table.sessions).toHaveLength(0);
    expect(table.packets).toBe(0);
  });
});

describe('SessionTable after finish()', () => {
  test('sessions stay readable; feeding more packets is refused', () => {
    const table = new SessionTable();
    const view = createView();
    view.isTcp = true;
    view.flags = TCP_SYN;
    view.payloadLength = 0;
    table.onPacket(view);
    table.finish();
    expect(table.sessions).toHaveLength(1);
    expect(table.sessions[0]!.packets).toBe(1);
    expect(() => table.onPacket(view)).toThrow(/after finish/);
  });
});

describe('SessionTable message fingerprints', () => {
  /** Deterministic pseudo-random bytes. */
  function bytes(n: number, seed: number): Uint8Array {
    const out = new Uint8Array(n);
    let x = seed >>> 0;
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  }

  function expected(data: Uint8Array): Fingerprint {
    const fp = emptyFingerprint();
    const chunker = new Chunker();
    chunker.begin(fp, 16);
    chunker.feed(data, 0, data.length);
    chunker.end();
    return fp;
  }

  test('equal to the fingerprint of each message alone, with segments out of order and late request bytes', () => {
    const req1 = bytes(300, 1);
    const resp1 = bytes(3000, 2);
    const req2 = bytes(200, 3);
    const resp2 = bytes(700, 4);
    let c = C + 1;
    let s = S + 1;
    const packets: Pkt[] = [...HANDSHAKE];
    // Request 1: its second half first (buffered), then the first half.
    packets.push({ from: 'c', flags: TCP_ACK, seq: c + 150, ack: s, ms: 12, payload: req1.subarray(150) });
    packets.push({ from: 'c', flags: TCP_ACK, seq: c, ack: s, ms: 13, payload: req1.subarray(0, 150) });
    c += req1.length;
    // Response 1: the third 1000 bytes before the second.
    for (const [part, ms] of [
      [0, 20],
      [2, 21],
      [1, 22],
    ] as const) {
      const piece = resp1.subarray(part * 1000, part * 1000 + 1000);
      packets.push({ from: 's', flags: TCP_ACK, seq: s + part * 1000, ack: c, ms, payload: piece });
    }
    s += resp1.length;
    // Request 2: its second half, then the response begins, then the first half arrives late.
    packets.push({ from: 'c', flags: TCP_ACK, seq: c + 100, ack: s, ms: 30, payload: req2.subarray(100) });
    packets.push({ from: 's', flags: TCP_ACK, seq: s, ack: c, ms: 31, payload: resp2 });
    packets.push({ from: 'c', flags: TCP_ACK, seq: c, ack: s, ms: 32, payload: req2.subarray(0, 100) });
    const { table } = run(packets, { maxChunksPerSession: 1000 });
    const messages = table.sessions[0]!.messages;
    expect(messages.map((m) => [m.dir, m.start, m.end])).toEqual([
      [0, 0, 300],
      [1, 0, 3000],
      [0, 300, 500],
      [1, 3000, 3700],
    ]);
    [req1, resp1, req2, resp2].forEach((data, i) => {
      const fp = messages[i]!.fingerprint;
      const want = expected(data);
      expect([fp.headHash, fp.hashes, fp.lengths, fp.bytes]).toEqual([
        want.headHash,
        want.hashes,
        want.lengths,
        want.bytes,
      ]);
    });
  });
});
