import { describe, expect, test } from '@jest/globals';
import { handshakePacket, sideData } from '../../test/helpers/side-data.js';
import { type HandshakePacket, Session } from '../tcp/index.js';
import { coarseClock } from './pair-clock.js';
import { synAgreement, synAgreementAt } from './pair-handshake.js';
import { passThroughKind, passThroughKindAt } from './pair-kind.js';
import { H_HANDSHAKE_ACK, H_SYN, H_SYN_ACK, H_SYN_SACK_PERM, H_SYN_TS, HandshakeTable } from './pair-syns.js';

/** Session number `index` (its position in its side) from client port `port`. */
function session(
  index: number,
  port: number,
  syn: HandshakePacket | null,
  synAck: HandshakePacket | null = null,
  ack: HandshakePacket | null = null,
): Session {
  const client = { ipVersion: 4 as const, addr: [10, 0, 0, 1], port };
  const server = { ipVersion: 4 as const, addr: [10, 0, 0, 2], port: 80 };
  const s = new Session(index, client, server, 0, 64);
  s.syn = syn;
  s.synAck = synAck;
  s.handshakeAck = ack;
  return s;
}

/** SYNs that differ in every field the agreement weighs, and combinations of them. */
const variants: HandshakePacket[] = [
  handshakePacket(100, 0x10),
  handshakePacket(100, 0x10, { hasTimestamps: true, tsval: 777 }),
  handshakePacket(100, 0x10, { hasTimestamps: true, tsval: 778 }),
  handshakePacket(100, 0x10, { mss: 1400 }),
  handshakePacket(100, 0x10, { wscale: 8 }),
  handshakePacket(100, 0x10, { sackPerm: false }),
  handshakePacket(100, 0x10, { ipId: 0x2222 }),
  handshakePacket(100, 0x10, { ipId: -1 }),
  handshakePacket(100, 0x10, { optionKinds: [2, 4, 8, 1, 3] }),
  handshakePacket(100, 0x10, { optionKinds: [2, 1, 3], mss: 1200, hasTimestamps: true, tsval: 1 }),
];

describe('handshake table', () => {
  test("each session's handshake fields, times shifted to the shared base", () => {
    const syn = handshakePacket(1_000, 0xfffffff0, {
      hasTimestamps: true,
      tsval: 0x80000001,
      ack: 0x12345678,
      mss: 1380,
      wscale: 9,
      ipId: 4242,
    });
    const synAck = handshakePacket(2_000, 0x80000000, { window: 0 });
    const ack = handshakePacket(3_000, 0xfffffff1);
    const side = sideData('server', [session(0, 40000, syn, synAck, ack), session(1, 40001, null)], {
      shiftNs: 5e9,
    });
    const t = new HandshakeTable(side);
    expect(t.size).toBe(2);
    expect(t.has[0]).toBe(H_SYN | H_SYN_TS | H_SYN_SACK_PERM | H_SYN_ACK | H_HANDSHAKE_ACK);
    expect([
      t.synSeq[0],
      t.synAckNumber[0],
      t.synTsval[0],
      t.synMss[0],
      t.synWscale[0],
      t.synIpId[0],
    ]).toEqual([0xfffffff0, 0x12345678, 0x80000001, 1380, 9, 4242]);
    expect([t.synNs[0], t.synAckNs[0], t.handshakeAckNs[0]]).toEqual([5e9 + 1_000, 5e9 + 2_000, 5e9 + 3_000]);
    expect([t.synAckSeq[0], t.synAckWindow[0], t.clientPort[0]]).toEqual([0x80000000, 0, 40000]);
    expect(t.synKinds[0]).toEqual(syn.optionKinds);
    expect(t.has[1]).toBe(0);
    expect(t.synKinds[1]).toEqual([]);
  });

  test('SYN agreement from the table equals the one from the packets, for every combination', () => {
    const side = sideData(
      'client',
      variants.map((v, i) => session(i, 1000 + i, v)),
    );
    const t = new HandshakeTable(side);
    for (let a = 0; a < variants.length; a++) {
      for (let b = 0; b < variants.length; b++) {
        expect([a, b, synAgreementAt(t, a, t, b)]).toEqual([a, b, synAgreement(variants[a]!, variants[b]!)]);
      }
    }
  });

  test('pair kind from the tables equals the one from the sessions', () => {
    const clock = coarseClock({
      found: true,
      offsetNs: 0,
      referenceNs: 0,
      skewPpm: 0,
      windowNs: 1_000,
      support: 10,
      total: 10,
      runnerUp: 0,
      ambiguous: false,
    });
    const c = [
      session(0, 5000, handshakePacket(0, 1), handshakePacket(20_000, 2), handshakePacket(30_000, 2)),
      session(1, 5001, handshakePacket(0, 1), handshakePacket(20_000, 2)),
      session(2, 5002, handshakePacket(0, 1), handshakePacket(20_000, 2, { window: 0 })),
      session(3, 5003, handshakePacket(0, 1), handshakePacket(5_000, 2)),
      session(4, 5004, handshakePacket(0, 1)),
    ];
    const s = [
      // same tuple and numbers; translated port; responder ISN changed after the client-side SYN-ACK (the
      // device answered first: spliced); changed within the clock window (SYN-ACK window 0 decides);
      // changed long before (seq-shifted); another client ISN (seq-shifted)
      session(0, 5000, handshakePacket(10_000, 1), handshakePacket(15_000, 2)),
      session(1, 6001, handshakePacket(10_000, 1), handshakePacket(15_000, 2)),
      session(2, 5001, handshakePacket(40_000, 1), handshakePacket(45_000, 9)),
      session(3, 5002, handshakePacket(20_500, 1), handshakePacket(25_000, 9)),
      session(4, 5003, handshakePacket(1_000, 1), handshakePacket(2_000, 9)),
      session(5, 5004, handshakePacket(10_000, 7)),
    ];
    const cs = sideData('client', c);
    const ss = sideData('server', s);
    const tc = new HandshakeTable(cs);
    const ts = new HandshakeTable(ss);
    const kinds: string[] = [];
    for (const [i, j] of [
      [0, 0],
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
    ] as const) {
      const a = c[i]!;
      const b = s[j]!;
      const kind = passThroughKindAt(tc, ts, a, b, clock);
      expect(kind).toBe(passThroughKind(cs, ss, a, b, clock));
      kinds.push(kind);
    }
    expect(kinds).toEqual(['same', 'translated', 'spliced', 'spliced', 'seq-shifted', 'seq-shifted']);
  });
});
