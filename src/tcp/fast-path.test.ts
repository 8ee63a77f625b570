/**
 * The table's shortcut for in-order packets of established connections must give exactly what the full
 * rule chain gives: the same per-packet results, stream bytes and gaps, and the same sessions. Random
 * connections (data, pure ACKs, duplicate ACKs, retransmissions, holes, keep-alives, zero windows and
 * probes, window changes, FIN/RST, repeated SYNs, unknown lengths, sequence numbers near the wrap) go
 * through a table with the shortcut and one without it (`fastPath: false`), packet by packet.
 */
import { describe, expect, jest, test } from '@jest/globals';
import fc from 'fast-check';
import type { PacketView } from '../decode/types.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../decode/types.js';
import { createView } from '../decode/view.js';
import { A_FAST_RETRANSMISSION, A_RETRANSMISSION, A_WINDOW_FULL } from './flags.js';
import type { Session } from './session.js';
import { SessionTable, type TcpPacketResult } from './session-table.js';

const CLIENT = 0x0a000001;
const SERVER = 0x0a000002;

interface Pkt {
  from: 0 | 1;
  flags: number;
  seq: number;
  ack: number;
  ms: number;
  len: number;
  window: number;
  wscale: number;
  sack: number;
  timestamps: boolean;
  port: number;
}

function fill(v: PacketView, p: Pkt, index: number, payload: Uint8Array): PacketView {
  v.index = index;
  v.tsSec = 1_700_000_000 + Math.floor(p.ms / 1000);
  v.tsNsec = Math.round((p.ms % 1000) * 1e6);
  v.ipVersion = 4;
  v.proto = 6;
  v.isTcp = true;
  v.src.fill(0);
  v.dst.fill(0);
  v.src[3] = p.from === 0 ? CLIENT : SERVER;
  v.dst[3] = p.from === 0 ? SERVER : CLIENT;
  v.srcPort = p.from === 0 ? p.port : 80;
  v.dstPort = p.from === 0 ? 80 : p.port;
  v.seq = p.seq >>> 0;
  v.ack = p.ack >>> 0;
  v.flags = p.flags;
  v.window = p.window;
  v.wscale = p.wscale;
  v.mss = p.flags & TCP_SYN ? 1460 : -1;
  v.ttl = 64;
  v.ipId = index;
  v.sackCount = p.sack;
  v.hasTimestamps = p.timestamps;
  v.buf = payload;
  v.payloadOffset = 0;
  v.payloadLength = p.len;
  v.payloadCaptured = Math.max(p.len, 0);
  v.optionCount = 0;
  return v;
}

/** Payload bytes that depend on the stream position, so reassembly mistakes change the bytes. */
function payloadOf(p: Pkt): Uint8Array {
  const out = new Uint8Array(Math.max(p.len, 0));
  for (let i = 0; i < out.length; i++)
    out[i] = ((p.seq + i) * 31 + p.from * 7 + (i % 13 === 12 ? 10 : 0)) & 255;
  return out;
}

interface Outcome {
  results: TcpPacketResult[];
  stream: string[];
  sessions: unknown[];
}

function snapshot(s: Session): unknown {
  return {
    index: s.index,
    a: s.a,
    b: s.b,
    initiator: s.initiator,
    initiatorBy: s.initiatorBy,
    packets: s.packets,
    firstPacket: s.firstPacket,
    lastPacket: s.lastPacket,
    endSec: s.endSec,
    endNsec: s.endNsec,
    endRelNs: s.endRelNs,
    synCount: s.synCount,
    synAckCount: s.synAckCount,
    previousIndex: s.previousIndex,
    sincePreviousNs: s.sincePreviousNs,
    handshake: [s.syn?.packet, s.synAck?.packet, s.handshakeAck?.packet],
    fin: s.fin,
    rst: s.rst,
    dirs: s.dirs.map((d) => ({ ...d, ...Object.fromEntries(DIR_KEYS.map((k) => [k, d[k]])) })),
    streams: s.streams.map((r) => ({
      edgeSeq: r.edgeSeq,
      edgeOffset: r.edgeOffset,
      gapCount: r.gapCount,
      gapBytes: r.gapBytes,
      delivered: r.delivered,
      buffered: r.buffered,
      overflows: r.overflows,
      gaps: r.gaps.map((g) => ({ ...g })),
    })),
    history: s.history.text,
    flagCounts: s.flagCounts === null ? null : [...s.flagCounts],
    findings: s.findings.map((f) => ({ ...f })),
    messagesDropped: s.messagesDropped,
    messages: s.messages.map((m) => ({
      dir: m.dir,
      firstPacket: m.firstPacket,
      lastPacket: m.lastPacket,
      firstRelNs: m.firstRelNs,
      lastRelNs: m.lastRelNs,
      start: m.start,
      end: m.end,
      packets: m.packets,
      tls: m.tls,
      headHash: m.fingerprint.headHash,
      bytes: m.fingerprint.bytes,
      hashes: [...m.fingerprint.hashes],
      lengths: [...m.fingerprint.lengths],
    })),
  };
}

const DIR_KEYS = [
  'packets',
  'payloadBytes',
  'syn',
  'synAck',
  'fin',
  'rst',
  'sackPackets',
  'timestampPackets',
  'isn',
  'isnKnown',
  'firstSeqSet',
  'maxEnd',
  'headHash',
  'headBytes',
] as const;

function feed(packets: Pkt[], fastPath: boolean): Outcome {
  const results: TcpPacketResult[] = [];
  const stream: string[] = [];
  const table = new SessionTable({
    fastPath,
    onPacket: (r) => results.push({ ...r }),
    onStreamData: (s, dir, offset, buf, start, end) =>
      stream.push(`${s.index}/${dir}@${offset}:${Array.from(buf.subarray(start, end)).join(',')}`),
    onStreamGap: (s, dir, offset, missing, reason) =>
      stream.push(`${s.index}/${dir}@${offset} gap ${missing} ${reason}`),
  });
  const view = createView();
  packets.forEach((p, i) => {
    table.onPacket(fill(view, p, i + 1, payloadOf(p)));
  });
  table.finish();
  return { results, stream, sessions: table.sessions.map(snapshot) };
}

/** What a sender does next; the generator turns a list of these into packets of one or two connections. */
type Step =
  | 'data'
  | 'bigData'
  | 'oneByte'
  | 'ack'
  | 'dupAck'
  | 'retransmit'
  | 'hole'
  | 'keepAlive'
  | 'zeroWindow'
  | 'probe'
  | 'windowUp'
  | 'ackBeyond'
  | 'fin'
  | 'rst'
  | 'syn'
  | 'unknownLength'
  | 'oldAck'
  | 'fill'
  | 'fastRetransmit';

const STEPS: Step[] = [
  'data',
  'data',
  'data',
  'bigData',
  'oneByte',
  'ack',
  'ack',
  'dupAck',
  'retransmit',
  'hole',
  'keepAlive',
  'zeroWindow',
  'probe',
  'windowUp',
  'ackBeyond',
  'fin',
  'rst',
  'syn',
  'unknownLength',
  'oldAck',
  'fill',
  'fill',
  'fastRetransmit',
];

interface Gen {
  steps: { step: Step; from: 0 | 1; conn: 0 | 1; gapMs: number; n: number; sack: boolean; ts: boolean }[];
  isn: [number, number];
  handshake: boolean;
  scales: [number, number];
}

/** Packets of up to two connections following the steps: each sender tracks its next seq and the peer's. */
function packetsOf(g: Gen): Pkt[] {
  const out: Pkt[] = [];
  let ms = 0;
  const conns = [0, 1].map((c) => ({
    port: 40000 + c,
    next: [(g.isn[0] + c * 7777) >>> 0, (g.isn[1] + c * 5555) >>> 0],
    acked: [0, 0],
    window: [1000, 2000],
    /** The ack and window each side sent last (what WINDOW FULL measures the other side against). */
    sentAck: [0, 0],
    sentWindow: [1000, 2000],
  }));
  const scaled = g.handshake && g.scales[0] >= 0 && g.scales[1] >= 0;
  for (const conn of conns) {
    const [a, b] = conn.next as [number, number];
    if (g.handshake) {
      out.push({
        from: 0,
        flags: TCP_SYN,
        seq: a,
        ack: 0,
        ms,
        len: 0,
        window: 1000,
        wscale: g.scales[0],
        sack: 0,
        timestamps: true,
        port: conn.port,
      });
      ms += 1;
      out.push({
        from: 1,
        flags: TCP_SYN | TCP_ACK,
        seq: b,
        ack: (a + 1) >>> 0,
        ms,
        len: 0,
        window: 2000,
        wscale: g.scales[1],
        sack: 0,
        timestamps: true,
        port: conn.port,
      });
      ms += 1;
      conn.next = [(a + 1) >>> 0, (b + 1) >>> 0];
      conn.sentAck = [0, (a + 1) >>> 0];
    }
    conn.acked = [conn.next[1]!, conn.next[0]!];
  }
  for (const { step, from, conn: ci, gapMs, n, sack, ts } of g.steps) {
    const conn = conns[ci]!;
    const to = from === 0 ? 1 : 0;
    ms += gapMs;
    const seq = conn.next[from]!;
    const base = { from, ms, wscale: -1, sack: sack ? 1 : 0, timestamps: ts, port: conn.port };
    const ack = conn.next[to]!;
    const window = conn.window[from]!;
    const push = (p: Partial<Pkt>) => out.push({ ...base, flags: TCP_ACK, seq, ack, len: 0, window, ...p });
    switch (step) {
      case 'data':
      case 'bigData':
      case 'oneByte': {
        const len = step === 'oneByte' ? 1 : step === 'bigData' ? 1000 + n * 37 : 1 + n;
        push({ flags: TCP_ACK | TCP_PSH, len });
        conn.next[from] = (seq + len) >>> 0;
        break;
      }
      case 'ack':
        push({});
        conn.acked[from] = ack;
        break;
      case 'dupAck':
        push({ ack: conn.acked[from]! });
        break;
      case 'oldAck':
        push({ ack: (conn.acked[from]! - 1 - n) >>> 0 });
        break;
      case 'ackBeyond':
        push({ ack: (ack + 1 + n) >>> 0 });
        break;
      case 'retransmit':
        push({ flags: TCP_ACK | TCP_PSH, seq: (seq - 1 - n) >>> 0, len: 1 + n });
        break;
      case 'hole':
        push({ flags: TCP_ACK | TCP_PSH, seq: (seq + 1 + n) >>> 0, len: 1 + (n % 5) });
        conn.next[from] = (seq + 2 + n + (n % 5)) >>> 0;
        break;
      case 'keepAlive':
        push({ seq: (seq - 1) >>> 0, len: n % 2 });
        break;
      case 'zeroWindow':
        conn.window[from] = 0;
        push({ window: 0 });
        break;
      case 'probe':
        push({ flags: TCP_ACK | TCP_PSH, len: 1 });
        conn.next[from] = (seq + 1) >>> 0;
        break;
      case 'windowUp':
        conn.window[from] = 500 + n * 100;
        push({ window: conn.window[from] });
        break;
      case 'fin':
        push({ flags: TCP_ACK | TCP_FIN });
        conn.next[from] = (seq + 1) >>> 0;
        break;
      case 'rst':
        push({ flags: TCP_RST | (n % 2 ? TCP_ACK : 0) });
        break;
      case 'syn':
        push({
          flags: TCP_SYN | (from === 1 ? TCP_ACK : 0),
          seq: n % 2 ? seq : (seq + 100_000) >>> 0,
          ack: from === 1 ? ack : 0,
        });
        break;
      case 'fill': {
        // Data up to the right edge of the peer's window, scaled or not (WINDOW FULL when it matches).
        const shift = scaled && n % 2 === 0 ? Math.min(g.scales[to], 14) : 0;
        const edge = conn.sentAck[to]! + conn.sentWindow[to]! * 2 ** shift;
        const len = (edge - seq) >>> 0;
        const fits = len > 0 && len < 20000;
        push({ flags: TCP_ACK | TCP_PSH, len: fits ? len : 1 + n });
        conn.next[from] = (seq + (fits ? len : 1 + n)) >>> 0;
        break;
      }
      case 'fastRetransmit':
        // From where the peer's (duplicate) ACKs point.
        push({ flags: TCP_ACK | TCP_PSH, seq: conn.sentAck[to]!, len: 1 + n });
        break;
      case 'unknownLength':
        push({ len: -1 });
        break;
    }
  }
  return out;
}

const genArb: fc.Arbitrary<Gen> = fc.record({
  steps: fc.array(
    fc.record({
      step: fc.constantFrom(...STEPS),
      from: fc.constantFrom<0 | 1>(0, 1),
      conn: fc.constantFrom<0 | 1>(0, 0, 0, 1),
      gapMs: fc.constantFrom(0, 0.001, 0.5, 2, 5, 30),
      n: fc.integer({ min: 0, max: 40 }),
      sack: fc.boolean(),
      ts: fc.boolean(),
    }),
    { minLength: 5, maxLength: 60, size: 'max' },
  ),
  // Near the wrap and anywhere.
  isn: fc.tuple(
    fc.oneof(fc.integer({ min: 0xffffff00, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
    fc.oneof(fc.integer({ min: 0xffffff00, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })),
  ),
  handshake: fc.boolean(),
  scales: fc.tuple(fc.constantFrom(-1, 0, 2, 7, 14), fc.constantFrom(-1, 0, 2, 7, 14)),
});

describe('SessionTable fast path', () => {
  test('random connections: the same results, streams and sessions with and without it', () => {
    const spy = jest.spyOn(SessionTable.prototype as unknown as { inOrder: () => boolean }, 'inOrder');
    let taken = 0;
    let packets = 0;
    try {
      fc.assert(
        fc.property(genArb, (g) => {
          const list = packetsOf(g);
          const slow = feed(list, false);
          expect(spy).not.toHaveBeenCalled();
          const fast = feed(list, true);
          taken += spy.mock.results.filter((r) => r.value === true).length;
          packets += list.length;
          spy.mockClear();
          expect(fast.results).toEqual(slow.results);
          expect(fast.stream).toEqual(slow.stream);
          expect(fast.sessions).toEqual(slow.sessions);
        }),
        { numRuns: 60 },
      );
    } finally {
      spy.mockRestore();
    }
    // The shortcut must actually carry a good share of the packets for the comparison to mean anything.
    expect(taken).toBeGreaterThan(packets / 5);
  });

  test('a bulk transfer with window-full segments: most packets take the shortcut, results unchanged', () => {
    const list: Pkt[] = [];
    const base = { wscale: -1, sack: 0, timestamps: false, port: 40000 };
    list.push({ ...base, from: 0, flags: TCP_SYN, seq: 100, ack: 0, ms: 0, len: 0, window: 4000, wscale: 0 });
    list.push({
      ...base,
      from: 1,
      flags: TCP_SYN | TCP_ACK,
      seq: 900,
      ack: 101,
      ms: 1,
      len: 0,
      window: 3000,
      wscale: 0,
    });
    list.push({ ...base, from: 0, flags: TCP_ACK, seq: 101, ack: 901, ms: 2, len: 0, window: 4000 });
    let seq = 901;
    for (let i = 0; i < 40; i++) {
      // The client's window is 4000 bytes from its last ack: the 4th segment of 1000 fills it.
      list.push({ ...base, from: 1, flags: TCP_ACK, seq, ack: 101, ms: 3 + i, len: 1000, window: 3000 });
      seq += 1000;
      if (i % 4 === 3)
        list.push({
          ...base,
          from: 0,
          flags: TCP_ACK,
          seq: 101,
          ack: seq,
          ms: 3.5 + i,
          len: 0,
          window: 4000,
        });
    }
    const spy = jest.spyOn(SessionTable.prototype as unknown as { inOrder: () => boolean }, 'inOrder');
    try {
      const fast = feed(list, true);
      const taken = spy.mock.results.filter((r) => r.value === true).length;
      const slow = feed(list, false);
      expect(fast).toEqual(slow);
      expect(taken).toBeGreaterThan(40);
      expect(fast.results.filter((r) => r.analysis !== 0).length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  test('state the shortcut leaves behind: the first-ACK mark and the time of the last ACK', () => {
    const base = { wscale: -1, sack: 0, timestamps: false, port: 40000, window: 1000 };
    const c = 5000;
    const sv = 9000;
    const handshake: Pkt[] = [
      { ...base, from: 0, flags: TCP_SYN, seq: c, ack: 0, ms: 0, len: 0, wscale: 2 },
      { ...base, from: 1, flags: TCP_SYN | TCP_ACK, seq: sv, ack: c + 1, ms: 1, len: 0, wscale: 2 },
      { ...base, from: 0, flags: TCP_ACK, seq: c + 1, ack: sv + 1, ms: 2, len: 0 },
    ];
    // The server's first data clears its first-ACK mark: the client's 4,000 bytes then fill its scaled window.
    const full = feed(
      [
        ...handshake,
        { ...base, from: 1, flags: TCP_ACK, seq: sv + 1, ack: c + 1, ms: 3, len: 100 },
        { ...base, from: 0, flags: TCP_ACK, seq: c + 1, ack: sv + 101, ms: 4, len: 4000 },
      ],
      true,
    );
    expect(full.results.at(-1)!.analysis).toBe(A_WINDOW_FULL);
    // Two duplicate ACKs, then data from the server 40 ms later with the same ack: a client segment
    // resent 5 ms after that data follows the server's last ACK closely enough to be a fast retransmission.
    const fast = feed(
      [
        ...handshake,
        { ...base, from: 0, flags: TCP_ACK, seq: c + 1, ack: sv + 1, ms: 10, len: 100 },
        { ...base, from: 1, flags: TCP_ACK, seq: sv + 1, ack: c + 1, ms: 11, len: 0 },
        { ...base, from: 1, flags: TCP_ACK, seq: sv + 1, ack: c + 1, ms: 12, len: 0 },
        { ...base, from: 1, flags: TCP_ACK, seq: sv + 1, ack: c + 1, ms: 50, len: 10 },
        { ...base, from: 0, flags: TCP_ACK, seq: c + 1, ack: sv + 11, ms: 55, len: 100 },
      ],
      true,
    );
    expect(fast.results.at(-1)!.analysis).toBe(A_FAST_RETRANSMISSION | A_RETRANSMISSION);
  });
});
