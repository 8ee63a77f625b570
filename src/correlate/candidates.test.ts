import { describe, expect, test } from '@jest/globals';
import { handshakePacket, sideData } from '../../test/helpers/side-data.js';
import { type HandshakePacket, type Message, Session } from '../tcp/index.js';
import { coarsePoints, commonPoints, indexHandshakes, MessageIndex, messageKeys } from './candidates.js';
import type { Side, SideData } from './types.js';

function syn(relNs: number, seq: number, tsval: number): HandshakePacket {
  return handshakePacket(relNs, seq, { hasTimestamps: tsval !== 0, tsval });
}

function msg(relNs: number, head: number, chunk: number): Message {
  return {
    dir: 0,
    firstPacket: 1,
    lastPacket: 1,
    firstRelNs: relNs,
    lastRelNs: relNs,
    start: 0,
    end: 100,
    packets: 1,
    fingerprint: { headHash: head, hashes: [chunk], lengths: [100], bytes: 100 },
  };
}

function sideOf(
  which: Side,
  specs: Array<{ t: number; isn?: number; tsval?: number; head?: number; chunk?: number }>,
): SideData {
  const ep = { ipVersion: 4 as const, addr: [0, 0, 0, 1], port: 1 };
  const sessions = specs.map((x, i) => {
    const s = new Session(i, ep, ep, 0, 64);
    if (x.isn !== undefined) s.syn = syn(x.t, x.isn, x.tsval ?? 0);
    if (x.head !== undefined) s.messages.push(msg(x.t + 10, x.head, x.chunk ?? x.head * 3));
    return s;
  });
  return sideData(which, sessions, { shiftNs: which === 'server' ? 5_000 : 0 });
}

describe('coarse points', () => {
  test('only keys unique on both sides give points, on the shared base', () => {
    const client = sideOf('client', [
      { t: 100, isn: 1, head: 50 },
      { t: 200, isn: 2, head: 60 },
      { t: 300, isn: 2 }, // ISN 2 twice on the client side: no point from it
    ]);
    const server = sideOf('server', [
      { t: 110, isn: 1, head: 50 },
      { t: 210, isn: 2, head: 60 },
      { t: 400, head: 60 }, // head 60 twice on the server side: no point from it
    ]);
    const pts = coarsePoints(
      client,
      server,
      indexHandshakes(client),
      indexHandshakes(server),
      new MessageIndex(client),
      new MessageIndex(server),
    );
    expect(pts.clientNs.map((c, i) => [c, pts.serverNs[i], pts.weak[i]])).toEqual([
      [100, 5_110, 0],
      [110, 5_120, 0],
    ]);
  });

  test('common content gives every combination, when few enough', () => {
    const client = sideOf('client', [
      { t: 0, head: 7 },
      { t: 1000, head: 7 },
    ]);
    const server = sideOf('server', [
      { t: 10, head: 7 },
      { t: 1010, head: 7 },
    ]);
    const pts = commonPoints(client, server, new MessageIndex(client), new MessageIndex(server));
    // Two byte keys (head, chunk), each 2 x 2 combinations.
    expect(pts.clientNs).toHaveLength(8);
    const diffs = new Set(pts.clientNs.map((c, i) => c - pts.serverNs[i]!));
    expect(diffs).toEqual(new Set([-5_010, -6_010, -4_010]));
  });

  test('a key unique on both sides gives no point when the rest of the two messages differs', () => {
    // Same head, other chunk: half of what is rare in the two messages is shared, not enough.
    const client = sideOf('client', [
      { t: 100, head: 50, chunk: 1 },
      { t: 200, head: 60, chunk: 2 },
    ]);
    const server = sideOf('server', [
      { t: 110, head: 50, chunk: 3 },
      { t: 210, head: 60, chunk: 2 },
    ]);
    const pts = coarsePoints(
      client,
      server,
      indexHandshakes(client),
      indexHandshakes(server),
      new MessageIndex(client),
      new MessageIndex(server),
    );
    expect(pts.clientNs.map((c, i) => [c, pts.serverNs[i]])).toEqual([[210, 5_220]]);
  });

  test('common content gives no combination of messages that differ beyond it', () => {
    const client = sideOf('client', [
      { t: 0, head: 7, chunk: 1 },
      { t: 1000, head: 7, chunk: 2 },
    ]);
    const server = sideOf('server', [
      { t: 10, head: 7, chunk: 3 },
      { t: 1010, head: 7, chunk: 4 },
    ]);
    expect(commonPoints(client, server, new MessageIndex(client), new MessageIndex(server)).clientNs).toEqual(
      [],
    );
  });

  test('message keys: byte keys first; a message without payload has only its size', () => {
    const side = sideOf('client', [{ t: 0, head: 9 }]);
    const keys: number[] = [];
    expect(messageKeys(side, side.sessions[0]!, 0, keys)).toBe(2);
    expect(keys).toHaveLength(2);
    side.sessions[0]!.messages[0]!.fingerprint.bytes = 0;
    expect(messageKeys(side, side.sessions[0]!, 0, keys)).toBe(0);
    expect(keys).toHaveLength(1);
  });
});
