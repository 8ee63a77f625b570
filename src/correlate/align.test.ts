import { describe, expect, test } from '@jest/globals';
import { handshakePacket, sideData } from '../../test/helpers/side-data.js';
import { type HandshakePacket, type Message, Session } from '../tcp/index.js';
import { forEachSameStart, pairConstraints } from './align.js';
import type { Link } from './pair-content.js';
import type { Side, SideData } from './types.js';

function hs(relNs: number, seq: number): HandshakePacket {
  return handshakePacket(relNs, seq);
}

function msg(dir: 0 | 1, relNs: number, start: number, end: number): Message {
  return {
    dir,
    firstPacket: 1,
    lastPacket: 1,
    firstRelNs: relNs,
    lastRelNs: relNs,
    start,
    end,
    packets: 1,
    fingerprint: { headHash: 0, hashes: [], lengths: [], bytes: end - start },
  };
}

/** One session: SYN, SYN-ACK, ACK at the given times, then the messages. */
function session(times: [number, number, number], messages: Message[]): Session {
  const ep = { ipVersion: 4 as const, addr: [0, 0, 0, 1], port: 1 };
  const s = new Session(0, ep, ep, 0, 64);
  s.syn = hs(times[0], 10);
  s.synAck = hs(times[1], 20);
  s.handshakeAck = hs(times[2], 11);
  s.messages.push(...messages);
  return s;
}

function sideOf(which: Side, sessions: Session[], shiftNs = 0): SideData {
  return sideData(which, sessions, { shiftNs });
}

function rows(k: ReturnType<typeof pairConstraints>): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (let i = 0; i < k.size; i++) out.push([k.forward[i] ? 'fwd' : 'rev', k.clientNs[i]!, k.serverNs[i]!]);
  return out;
}

describe('constraints from pairs', () => {
  const c = session([0, 300, 400], [msg(0, 500, 0, 100), msg(1, 900, 0, 50), msg(0, 1500, 100, 120)]);
  const s = session([100, 200, 450], [msg(0, 550, 0, 100), msg(1, 850, 0, 50), msg(0, 1550, 100, 120)]);

  test('pass-through: SYN and ACK forward, SYN-ACK reverse, each message by direction and offset', () => {
    const k = pairConstraints(
      sideOf('client', [c]),
      sideOf('server', [s], 1_000),
      [{ client: 0, server: 0, kind: 'same' }],
      [],
    );
    expect(rows(k)).toEqual([
      ['fwd', 0, 1_100],
      ['rev', 300, 1_200],
      ['fwd', 400, 1_450],
      ['fwd', 500, 1_550],
      ['fwd', 1500, 2_550],
      ['rev', 900, 1_850],
    ]);
  });

  test('spliced: the device made the client-side SYN-ACK, so it is not used; SYN and ACK precede the server SYN', () => {
    const k = pairConstraints(
      sideOf('client', [c]),
      sideOf('server', [s]),
      [{ client: 0, server: 0, kind: 'spliced' }],
      [],
    );
    expect(rows(k).slice(0, 2)).toEqual([
      ['fwd', 0, 100],
      ['fwd', 400, 100],
    ]);
    expect(rows(k).filter(([d]) => d === 'rev')).toEqual([['rev', 900, 850]]);
  });

  test('terminated: a request forward, a response reverse, weighted by similarity', () => {
    const link = (cm: number, sm: number, score: number, structural: boolean): Link =>
      ({ c: 0, cm, s: 0, sm, sim: { score }, latencyNs: 0, structural, ambiguous: false }) as unknown as Link;
    const k = pairConstraints(
      sideOf('client', [c]),
      sideOf('server', [s]),
      [],
      [link(0, 0, 0.9, false), link(1, 1, 1, true)],
    );
    expect(rows(k)).toEqual([
      ['fwd', 500, 550],
      ['rev', 900, 850],
    ]);
    expect(Array.from(k.weight.subarray(0, 2))).toEqual([0.9, 0.5]);
  });

  test('messages at other offsets are not matched', () => {
    const other = session([100, 200, 450], [msg(0, 550, 0, 60), msg(0, 560, 60, 100)]);
    const seen: number[] = [];
    forEachSameStart(c, other, (a) => seen.push(a.start));
    expect(seen).toEqual([0]);
  });
});
