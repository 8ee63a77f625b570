/**
 * Pairing on small synthetic captures, one device behaviour each: the same connection written twice
 * (client side and server side) with what the device would change, timed as it would be seen.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import {
  type ConversationPacket,
  type ConversationSpec,
  type RecordSpec,
  TcpConversation,
  writePcap,
} from '../../test/helpers/packets.js';
import { scratchDir } from '../../test/helpers/scratch.js';
import { pairSessions } from './pair.js';
import { loadSide } from './side.js';
import type { Side, SideData } from './types.js';

const dir = scratchDir('pair-');
let files = 0;

function sideOf(records: RecordSpec[], side: Side, snaplen?: number): SideData {
  const path = join(dir, `${side}-${files++}.pcap`);
  const sorted = records.slice().sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
  const cut =
    snaplen === undefined
      ? sorted
      : sorted.map((r) => ({ ...r, data: r.data.slice(0, snaplen), origLen: r.data.length }));
  writeFileSync(path, writePcap(cut, { precision: 'ns' }));
  return loadSide(path, side);
}

const BASE = 1_700_000_000;
const MS = 1_000_000;

/** Packets of a conversation placed at the given times (ms from BASE, one per packet). */
function at(packets: ConversationPacket[], timesMs: number[]): RecordSpec[] {
  expect(packets).toHaveLength(timesMs.length);
  return packets.map((p, i) => {
    const ns = Math.round(timesMs[i]! * MS);
    return { data: p.data, tsSec: BASE + Math.floor(ns / 1e9), tsNsec: ns % 1e9 };
  });
}

const REQUEST =
  'GET /item/42 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t/1\r\nX-Request-Id: r-42\r\n\r\n';
const RESPONSE = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 600\r\n\r\n${'line of the body 42\n'.repeat(30)}`;

function conversation(
  spec: Partial<ConversationSpec>,
  request = REQUEST,
  response = RESPONSE,
): ConversationPacket[] {
  const c = new TcpConversation({
    client: '10.0.0.1',
    server: '10.0.1.1',
    clientPort: 40000,
    serverPort: 80,
    ...spec,
  });
  return c.handshake().exchange(request, response).close().packets;
}

/** Client side at `t`, the device passing each packet on after `d` ms (forward) or before it (reverse). */
function passedThrough(packets: ConversationPacket[], t: number[], d: number): number[] {
  return packets.map((p, i) => (p.from === 'client' ? t[i]! + d : t[i]! - d));
}

// handshake (3), request, response, ack, close (3)
const T = [0, 0.2, 0.4, 0.6, 1.0, 1.2, 2.0, 2.2, 2.4];

describe('pass-through kinds', () => {
  test('same tuple and ISNs: same', () => {
    const c = conversation({});
    const s = conversation({});
    const r = pairSessions(sideOf(at(c, T), 'client'), sideOf(at(s, passedThrough(s, T, 0.05)), 'server'));
    expect(r.pairs).toHaveLength(1);
    const p = r.pairs[0]!;
    expect(p.kind).toBe('same');
    expect(p.mapping).toBe('one-to-one');
    expect(p.seqOffsets).toEqual({ c2s: 0, s2c: 0 });
    expect(p.evidence.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['isn', 'tsval', 'tuple', 'timing']),
    );
    expect(r.unpaired).toEqual([]);
  });

  test('addresses and ports rewritten, ISNs kept: translated', () => {
    const c = conversation({ server: '192.0.2.10' });
    const s = conversation({ client: '10.0.1.254', clientPort: 61234, serverPort: 8080 });
    const r = pairSessions(sideOf(at(c, T), 'client'), sideOf(at(s, passedThrough(s, T, 0.05)), 'server'));
    expect(r.pairs.map((p) => p.kind)).toEqual(['translated']);
    expect(r.pairs[0]!.serverTuples).toEqual([
      { srcIp: '10.0.1.254', srcPort: 61234, dstIp: '10.0.1.1', dstPort: 8080 },
    ]);
  });

  test('ISNs replaced, TSval and options kept: seq-shifted with the offsets per direction', () => {
    const c = conversation({ clientIsn: 1000, serverIsn: 5000 });
    const s = conversation({ clientIsn: 0xfffffff0, serverIsn: 77 });
    const r = pairSessions(sideOf(at(c, T), 'client'), sideOf(at(s, passedThrough(s, T, 0.05)), 'server'));
    expect(r.pairs).toHaveLength(1);
    expect(r.pairs[0]!.kind).toBe('seq-shifted');
    expect(r.pairs[0]!.seqOffsets).toEqual({ c2s: (0xfffffff0 - 1000) >>> 0, s2c: (77 - 5000) >>> 0 });
  });

  test('SYN answered by the device, server SYN after the client ACK: spliced', () => {
    const cookie = 0x51c0c0de;
    const c = conversation({ clientIsn: 1000, serverIsn: cookie });
    const s = conversation({ clientIsn: 1000, serverIsn: 9000 });
    // Client side: SYN, the device's SYN-ACK, ACK at 3 ms; the server-side handshake only then.
    const tc = [0, 0.1, 3.0, 4.0, 5.3, 5.5, 6.0, 6.3, 6.5];
    const ts = [3.05, 3.2, 3.25, 4.05, 5.25, 5.55, 6.05, 6.25, 6.55];
    const r = pairSessions(sideOf(at(c, tc), 'client'), sideOf(at(s, ts), 'server'));
    expect(r.pairs).toHaveLength(1);
    const p = r.pairs[0]!;
    expect(p.kind).toBe('spliced');
    expect(p.seqOffsets).toEqual({ c2s: 0, s2c: (9000 - cookie) >>> 0 });
    expect(p.evidence.some((e) => e.kind === 'timing' && e.detail.includes('answered the SYN'))).toBe(true);
  });
});

/**
 * A proxy: own handshake on each side, the server-side one after the client-side SYN-ACK, with its own
 * clock (no TSval shared with the client: the conversation builder's TSvals follow its packet times).
 */
const PROXY = { client: '10.0.1.254', clientPort: 50000, clientIsn: 333, serverIsn: 444, timestamps: false };
const TC = [0, 0.1, 0.2, 0.3, 1.2, 1.3, 2.0, 2.1, 2.2];
const TS = [0.4, 0.5, 0.6, 0.7, 1.0, 1.1, 2.05, 2.15, 2.25];

describe('connections whose handshake was not captured', () => {
  test('same bytes at the same sequence numbers: passed through (same), not terminated', () => {
    const c = conversation({});
    const s = conversation({});
    // Both captures begin after the handshake.
    const r = pairSessions(
      sideOf(at(c, T).slice(3), 'client'),
      sideOf(at(s, passedThrough(s, T, 0.05)).slice(3), 'server'),
    );
    expect(r.pairs.map((p) => [p.kind, p.seqOffsets])).toEqual([['same', { c2s: 0, s2c: 0 }]]);
  });

  test('same bytes at other sequence numbers: terminated', () => {
    const c = conversation({ clientIsn: 111, serverIsn: 222 });
    const s = conversation(PROXY);
    const r = pairSessions(sideOf(at(c, TC).slice(3), 'client'), sideOf(at(s, TS).slice(3), 'server'));
    expect(r.pairs.map((p) => p.kind)).toEqual(['terminated']);
  });
});

describe('terminating devices', () => {
  test('same bytes over an independent connection: terminated, with message links', () => {
    const c = conversation({ clientIsn: 111, serverIsn: 222, server: '192.0.2.10' });
    const s = conversation(PROXY);
    const r = pairSessions(sideOf(at(c, TC), 'client'), sideOf(at(s, TS), 'server'));
    expect(r.pairs).toHaveLength(1);
    const p = r.pairs[0]!;
    expect(p.kind).toBe('terminated');
    expect(p.mapping).toBe('one-to-one');
    expect(p.seqOffsets).toBeNull();
    expect(p.messages.map((m) => [m.clientMessage, m.serverMessage, m.similarity])).toEqual([
      [0, 0, 1],
      [1, 1, 1],
    ]);
    expect(p.messages[0]!.latencyNs).toBeGreaterThan(0);
    expect(p.evidence.map((e) => e.kind)).toEqual(
      expect.arrayContaining(['head-hash', 'chunks', 'lines', 'timing']),
    );
  });

  test('a header inserted on the way still pairs, and the edit is counted without payload text', () => {
    const edited = REQUEST.replace('\r\n\r\n', '\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n');
    const c = conversation({ clientIsn: 111, serverIsn: 222 });
    const s = conversation(PROXY, edited);
    const r = pairSessions(sideOf(at(c, TC), 'client'), sideOf(at(s, TS), 'server'));
    expect(r.pairs).toHaveLength(1);
    const p = r.pairs[0]!;
    expect(p.messages[0]!.similarity).toBeGreaterThan(0.8);
    expect(p.messages[0]!.similarity).toBeLessThan(1);
    const lines = p.evidence.find((e) => e.kind === 'lines')!;
    expect(lines.detail).toContain('0 line(s) only on the client side, 1 only on the server side');
    expect(lines.detail).not.toContain('Forwarded');
  });

  test('no payload captured: paired by message sizes and timing, with a lower score and saying so', () => {
    const c = conversation({ clientIsn: 111, serverIsn: 222 });
    const s = conversation(PROXY);
    // Headers only: 14 Ethernet + 20 IP + 32 TCP with timestamps on the client side, 20 TCP on the proxy's.
    const r = pairSessions(sideOf(at(c, TC), 'client', 66), sideOf(at(s, TS), 'server', 54));
    expect(r.pairs).toHaveLength(1);
    const p = r.pairs[0]!;
    expect(p.kind).toBe('terminated');
    expect(p.score).toBeLessThan(0.5);
    expect(p.evidence.some((e) => e.kind === 'sizes' && e.detail.includes('without captured payload'))).toBe(
      true,
    );
  });

  test('two client connections over one pooled server connection: many-to-one, per message', () => {
    const req2 = REQUEST.replace(/42/g, '43');
    const resp2 = RESPONSE.replace(/42/g, '43');
    const c1 = conversation({ clientIsn: 111 });
    const c2 = conversation({ clientIsn: 555, clientPort: 40001 }, req2, resp2);
    const pool = new TcpConversation({ ...PROXY, server: '10.0.1.1' });
    const sp = pool.handshake().exchange(REQUEST, RESPONSE).exchange(req2, resp2).close().packets;
    const t1 = [0, 0.1, 0.2, 0.3, 1.2, 1.3, 1.4, 1.5, 1.6];
    const t2 = [2, 2.1, 2.2, 2.3, 3.2, 3.3, 3.4, 3.5, 3.6];
    // pool: handshake, req1, resp1, ack, req2, resp2, ack, close (3)
    const tp = [0.4, 0.5, 0.6, 0.7, 1.0, 1.1, 2.4, 3.0, 3.1, 5, 5.1, 5.2];
    const client = sideOf([...at(c1, t1), ...at(c2, t2)], 'client');
    const r = pairSessions(client, sideOf(at(sp, tp), 'server'));
    expect(r.pairs).toHaveLength(2);
    for (const p of r.pairs) {
      expect(p.kind).toBe('terminated');
      expect(p.mapping).toBe('many-to-one');
      expect(p.server).toEqual([0]);
    }
    expect(r.pairs[0]!.messages.map((m) => m.serverMessage)).toEqual([0, 1]);
    expect(r.pairs[1]!.messages.map((m) => m.serverMessage)).toEqual([2, 3]);
  });
});

/** A fixed pseudo-random 0..max ms for connection i (murmur3's finaliser: no arithmetic pattern). */
function jitterMs(i: number, max: number): number {
  let h = Math.imul(i + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (((h ^ (h >>> 16)) >>> 0) / 2 ** 32) * max;
}

describe('identical content on many connections', () => {
  test('the same request on 30 connections through a proxy: the offset from combinations, time decides', () => {
    const client: RecordSpec[] = [];
    const server: RecordSpec[] = [];
    for (let i = 0; i < 30; i++) {
      const c = conversation({ clientPort: 40000 + i, clientIsn: 1000 + i });
      const s = conversation({ ...PROXY, clientPort: 50000 + i, clientIsn: 90000 + i });
      // Starts 6 ms apart plus a pseudo-random 0-4 ms: with any rhythm a shift by one period would fit as
      // well, and starts much closer than the consensus window (2 ms) would leave the offset ambiguous.
      const start = 6 * i + jitterMs(i, 4);
      client.push(
        ...at(
          c,
          TC.map((t) => t + start),
        ),
      );
      server.push(
        ...at(
          s,
          TS.map((t) => t + start),
        ),
      );
    }
    const r = pairSessions(sideOf(client, 'client'), sideOf(server, 'server'));
    expect(r.pairs.map((p) => [p.client, p.server])).toEqual(Array.from({ length: 30 }, (_, i) => [i, [i]]));
    expect(r.pairs.every((p) => p.kind === 'terminated')).toBe(true);
    expect(r.pairs[0]!.evidence.some((e) => e.detail.includes('the nearest in time was taken'))).toBe(true);
  });
});

describe('unrelated traffic of the same application', () => {
  /**
   * Ten requests through a proxy, on the client side or on the server side, timed as the proxy would
   * forward them; `id` names each request. Every request carries the same Host and User-Agent lines, every
   * response the same headers; the only upload also the same Content-Type and Expect lines on both sides:
   * held once per side, yet not distinctive.
   */
  function exchanges(side: Side, id: (i: number) => string): RecordSpec[] {
    const out: RecordSpec[] = [];
    for (let i = 0; i < 10; i++) {
      const upload = i === 3 ? 'Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n' : '';
      const request = `GET /item/${id(i)} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t/1\r\n${upload}X-Request-Id: ${id(i)}\r\n\r\n`;
      const response = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 600\r\n\r\n${`line of ${id(i)}\n`.repeat(30)}`;
      const start = 50 * i + jitterMs(i, 20);
      const spec =
        side === 'client'
          ? { clientPort: 40000 + i, clientIsn: 1000 + i }
          : { ...PROXY, clientPort: 50000 + i, clientIsn: 90000 + i };
      const times = (side === 'client' ? TC : TS).map((t) => t + start);
      out.push(...at(conversation(spec, request, response), times));
    }
    return out;
  }

  test('shared headers with other request ids: no pairs and no clock, even when told the offset', () => {
    const client = sideOf(
      exchanges('client', (i) => `a-${i}`),
      'client',
    );
    const server = sideOf(
      exchanges('server', (i) => `b-${i}`),
      'server',
    );
    for (const opts of [{}, { offsetNs: 0 }]) {
      const r = pairSessions(client, server, opts);
      expect(r.pairs.map((p) => [p.client, p.server])).toEqual([]);
      expect(r.warnings.map((w) => w.id)).toContain('pair.no_shared_traffic');
    }
  });

  test('the same requests (same ids): every connection pairs', () => {
    const client = sideOf(
      exchanges('client', (i) => `a-${i}`),
      'client',
    );
    const server = sideOf(
      exchanges('server', (i) => `a-${i}`),
      'server',
    );
    const r = pairSessions(client, server);
    expect(r.pairs.map((p) => [p.client, p.server])).toEqual(Array.from({ length: 10 }, (_, i) => [i, [i]]));
  });
});

describe('unpaired connections and their reasons', () => {
  test('a client SYN the device never passed on, a connection the device opened alone, another host', () => {
    // Without timestamps: the builder gives every conversation the same TSval clock and IP IDs, which would
    // make this SYN look like the forwarded copy of any server-side SYN of the same millisecond.
    const lonely = new TcpConversation({
      client: '10.0.0.1',
      server: '10.0.1.1',
      clientPort: 41000,
      clientIsn: 7,
      timestamps: false,
    });
    lonely.handshake();
    const failed = at(lonely.packets.slice(0, 1), [0.5]);
    const health = ['GET /health HTTP/1.1\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n'] as const;
    // A NAT: the paired connection and the device's own check both come from its address 10.0.1.254.
    const check = conversation({ client: '10.0.1.254', clientPort: 50001, clientIsn: 4242 }, ...health);
    const stranger = conversation({ client: '10.0.1.77', clientPort: 50002, clientIsn: 777 }, ...health);
    const c = conversation({});
    const s = conversation({ client: '10.0.1.254', clientPort: 61000 });
    const client = sideOf([...at(c, T), ...failed], 'client');
    const server = sideOf(
      [
        ...at(s, passedThrough(s, T, 0.05)),
        ...at(
          check,
          T.map((t) => t + 0.3),
        ),
        ...at(
          stranger,
          T.map((t) => t + 0.6),
        ),
      ],
      'server',
    );
    const r = pairSessions(client, server);
    expect(r.pairs.map((p) => p.kind)).toEqual(['translated']);
    expect(r.unpaired.map((u) => [u.side, u.reason])).toEqual([
      ['client', 'never-forwarded'],
      ['server', 'device-generated'],
      ['server', 'no-match'],
    ]);
    expect(r.unpaired[0]!.isn).toBe(7);
    expect(r.unpaired[2]!.detail).toBe(
      "opened from 10.0.1.77, which no paired connection uses: probably not the device's",
    );
  });

  test('a connection long after the other capture ended is outside it', () => {
    const c = conversation({});
    const s = conversation({});
    const late = conversation({ clientPort: 45000, clientIsn: 99 });
    const client = sideOf(
      [
        ...at(c, T),
        ...at(
          late,
          T.map((t) => t + 60_000),
        ),
      ],
      'client',
    );
    const r = pairSessions(client, sideOf(at(s, passedThrough(s, T, 0.05)), 'server'));
    expect(r.unpaired.map((u) => u.reason)).toEqual(['outside-other-capture']);
    expect(r.unpaired[0]!.detail).toContain('after the last packet of the server-side capture');
  });
});

describe('hints', () => {
  test('a client connection not to the VIP is no match, not a failure of the device; a bad hint is named', () => {
    const other = new TcpConversation({
      client: '10.0.0.1',
      server: '10.0.9.9',
      clientPort: 41000,
      clientIsn: 7,
    });
    other.handshake();
    const c = conversation({});
    const s = conversation({});
    const client = sideOf([...at(c, T), ...at(other.packets.slice(0, 1), [0.5])], 'client');
    const server = sideOf(at(s, passedThrough(s, T, 0.05)), 'server');
    const r = pairSessions(client, server, { vip: '10.0.1.1', deviceIp: 'nonsense' });
    expect(r.unpaired.map((u) => [u.reason, u.detail])).toEqual([
      ['no-match', 'addressed to 10.0.9.9, not to the VIP: not expected to cross the device'],
    ]);
    expect(r.warnings.map((w) => w.id)).toEqual(['pair.bad_hint']);
  });
});

describe('clock options', () => {
  test('a user offset skips estimation and is measured against the pairs', () => {
    const c = conversation({});
    const s = conversation({});
    const shifted = passedThrough(s, T, 0.05).map((t) => t - 7_200_000); // server clock 2 h behind
    const r = pairSessions(sideOf(at(c, T), 'client'), sideOf(at(s, shifted), 'server'), {
      offsetNs: 7_200_000 * MS,
    });
    expect(r.pairs).toHaveLength(1);
    expect(r.alignment.method).toBe('user');
    expect(r.alignment.offsetNs).toBe(7_200_000 * MS);
    expect(r.coarse.support).toBe(0);
  });

  test('an offset of days is found from content, not assumed small', () => {
    const c = conversation({ clientIsn: 111, serverIsn: 222 });
    const s = conversation(PROXY);
    const days = 3 * 86_400_000;
    const r = pairSessions(
      sideOf(at(c, TC), 'client'),
      sideOf(
        at(
          s,
          TS.map((t) => t + days),
        ),
        'server',
      ),
    );
    expect(r.pairs).toHaveLength(1);
    expect(Math.abs(r.alignment.offsetNs + days * MS)).toBeLessThan(MS);
  });
});
