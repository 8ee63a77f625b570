/**
 * Pairing many hand-made sessions: every candidate comes from an index, so the work grows with the
 * number of sessions, not with its square. The suite uses 20,000 sessions per side (a few seconds);
 * DUALCAP_PAIR_SCALE=100000 runs the size quoted in docs/correlation.md. No timing is asserted.
 */
import { describe, expect, test } from '@jest/globals';
import { AnomalyLog } from '../common/anomaly.js';
import { type HandshakePacket, type Message, Session } from '../tcp/index.js';
import { pairSessions } from './pair.js';
import type { Side, SideData } from './types.js';

const N = Number(process.env.DUALCAP_PAIR_SCALE ?? 20_000);

function handshake(packet: number, relNs: number, seq: number, ack: number, tsval: number): HandshakePacket {
  return {
    packet,
    sec: 0,
    nsec: 0,
    relNs,
    seq,
    ack,
    window: 64240,
    ttl: 64,
    ipId: packet & 0xffff,
    mss: 1460,
    wscale: 7,
    sackPerm: true,
    hasTimestamps: true,
    tsval,
    tsecr: 0,
    tfo: false,
    optionKinds: [2, 4, 8, 1, 3],
  };
}

function message(dir: 0 | 1, relNs: number, start: number, head: number, chunk: number): Message {
  return {
    dir,
    firstPacket: 1,
    lastPacket: 1,
    firstRelNs: relNs,
    lastRelNs: relNs,
    start,
    end: start + 300,
    packets: 1,
    fingerprint: { headHash: head, hashes: [chunk, chunk ^ 0x5bd1e995], lengths: [200, 100], bytes: 300 },
  };
}

/**
 * Connection i: SYN at i * 50 us. Pass-through (even i): the server side has the same ISNs, 20 us later.
 * Terminated (odd i): the server side has its own ISNs, ports and TSvals, and the same messages.
 */
function side(which: Side, n: number, offsetNs: number): SideData {
  const sessions: Session[] = [];
  const lineHashes: Uint32Array[][] = [];
  const server = which === 'server';
  for (let i = 0; i < n; i++) {
    const proxied = i % 2 === 1;
    const client = {
      ipVersion: 4 as const,
      addr: [0, 0, 0, server && proxied ? 0x0a000001 : 0x0a000002],
      port: server && proxied ? 20000 + (i % 40000) : 30000 + (i % 30000),
    };
    const srv = { ipVersion: 4 as const, addr: [0, 0, 0, 0x0a000003], port: 80 };
    const s = new Session(i, client, srv, 0, 64);
    // Proxied: the server-side handshake follows the client-side SYN-ACK (at 40 us), as a proxy's does.
    const t = i * 50_000 + offsetNs + (server ? (proxied ? 45_000 : 20_000) : 0);
    const isn = server && proxied ? (i * 7919 + 13) >>> 0 : (i * 2654435761) >>> 0;
    const rIsn = server && proxied ? (i * 104729 + 5) >>> 0 : (i * 40503 + 1) >>> 0;
    const tsval = server && proxied ? 900_000_000 + i : 100_000_000 + i;
    s.syn = handshake(1, t, isn, 0, tsval);
    s.synAck = handshake(2, t + (server ? 10_000 : 40_000), rIsn, isn + 1, tsval + 1);
    s.handshakeAck = handshake(3, t + 50_000, isn + 1, rIsn + 1, tsval + 2);
    s.dirs[0].isn = isn;
    s.dirs[0].isnKnown = true;
    s.dirs[1].isn = rIsn;
    s.dirs[1].isnKnown = true;
    s.startRelNs = t;
    s.endRelNs = t + 1_000_000;
    // Messages at fixed times from the client-side SYN: requests 30 us later on the server side,
    // responses 30 us earlier.
    const t0 = i * 50_000 + offsetNs;
    const d = server ? 30_000 : 0;
    s.messages.push(message(0, t0 + 100_000 + d, 0, i * 31 + 1, i * 131 + 7));
    s.messages.push(message(1, t0 + 300_000 - d, 0, i * 37 + 3, i * 137 + 11));
    sessions.push(s);
    lineHashes.push([new Uint32Array(0), new Uint32Array(0)]);
  }
  return {
    side: which,
    path: `${which}.pcap`,
    info: {
      path: `${which}.pcap`,
      format: 'pcap',
      compression: 'none',
      byteOrder: 'little',
      precisionDigits: 9,
      version: '2.4',
      snaplen: 262144,
      interfaces: [],
      sections: [],
    },
    anomalies: new AnomalyLog(),
    error: null,
    packets: n * 10,
    tcpPackets: n * 10,
    baseSec: 1_700_000_000,
    shiftNs: 0,
    firstRelNs: offsetNs,
    lastRelNs: n * 50_000 + offsetNs + 1_000_000,
    resolutionNs: 1,
    sessions,
    lineHashes,
  };
}

describe(`pairing ${N} sessions per side`, () => {
  test('every connection is paired with its counterpart, by handshake or by content', () => {
    const client = side('client', N, 0);
    const server = side('server', N, 0);
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const r = pairSessions(client, server);
    const used = process.cpuUsage(cpu);
    const ms = Number(process.hrtime.bigint() - wall) / 1e6;
    process.stdout.write(
      `pairSessions, ${N} sessions per side: ${ms.toFixed(0)} ms wall, ${((used.user + used.system) / 1e3).toFixed(0)} ms CPU\n`,
    );
    expect(r.pairs).toHaveLength(N);
    const wrong = r.pairs.filter(
      (p) =>
        p.server.length !== 1 ||
        p.server[0] !== p.client ||
        p.kind !== (p.client % 2 === 1 ? 'terminated' : 'same'),
    );
    expect(wrong).toEqual([]);
    expect(r.unpaired).toEqual([]);
    expect(Math.abs(r.alignment.offsetNs)).toBeLessThanOrEqual(r.alignment.boundNs);
  });
});

describe('a clock hours off, found from the SYNs alone', () => {
  test('hundreds of agreeing SYN matches give the coarse offset; the content of the rest still pairs', () => {
    // 300 pass-through connections give 600 SYN points (ISN and TSval): past the handshake consensus, so
    // the content indexes are built only for the 300 terminated ones.
    const hours = 3 * 3600e9 + 17 * 60e9;
    const client = side('client', 600, 0);
    const server = side('server', 600, hours);
    const r = pairSessions(client, server);
    expect(r.coarse.found).toBe(true);
    expect(Math.abs(r.coarse.offsetNs + hours)).toBeLessThan(1e6);
    expect(r.pairs).toHaveLength(600);
    expect(r.pairs.every((p) => p.server.length === 1 && p.server[0] === p.client)).toBe(true);
    expect(Math.abs(r.alignment.offsetNs + hours)).toBeLessThanOrEqual(r.alignment.boundNs + 50_000);
  });
});
