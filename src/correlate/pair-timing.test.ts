/**
 * Pairing by sizes and timing on small synthetic captures: TLS client sessions (ClientHello, ServerHello,
 * encrypted request and response) against plain server sessions, with the sizes and delays a
 * TLS-terminating proxy gives (22 bytes of record overhead per request, a header the proxy drops from
 * each response, a connect before forwarding).
 */
import { describe, expect, test } from '@jest/globals';
import { sideData } from '../../test/helpers/side-data.js';
import { type Message, Session } from '../tcp/index.js';
import { coarseClock, type PairClock } from './pair-clock.js';
import {
  coarseByTiming,
  isTimingLink,
  modeShare,
  sizesFit,
  startsWithClientHello,
  TIMING_SIMILARITY,
  timingLinks,
} from './pair-timing.js';
import type { Side, SideData } from './types.js';

const MS = 1_000_000;
const CLIENT_HELLO = 22 | (1 << 8);
const SERVER_HELLO = 22 | (2 << 8);
const APPLICATION_DATA = 23;

function msg(dir: 0 | 1, relNs: number, bytes: number, tls = 0, packet = 1): Message {
  return {
    dir,
    firstPacket: packet,
    lastPacket: packet,
    firstRelNs: relNs,
    lastRelNs: relNs,
    start: 0,
    end: bytes,
    packets: 1,
    fingerprint: { headHash: 0, hashes: [], lengths: [], bytes },
    tls,
  };
}

function sideOf(which: Side, messages: Message[][]): SideData {
  const ep = { ipVersion: 4 as const, addr: [0, 0, 0, 1], port: 1 };
  const sessions = messages.map((list, i) => {
    const s = new Session(i, ep, ep, 0, 64);
    s.messages.push(...list);
    return s;
  });
  return sideData(which, sessions);
}

interface Exchange {
  /** Client connection start (ns), request plaintext bytes, delay to the server side (ns). */
  start: number;
  request: number;
  delay: number;
}

/**
 * A TLS-terminating proxy: per exchange a client TLS session and a plain server session; the server
 * sessions are listed in the order of their requests (not the clients'), `serverShiftNs` added to their
 * times (another clock).
 */
function proxy(exchanges: Exchange[], serverShiftNs = 0) {
  const clients = exchanges.map((x) => [
    msg(0, x.start, 349, CLIENT_HELLO),
    msg(1, x.start + 0.5 * MS, 778, SERVER_HELLO),
    msg(0, x.start + 1 * MS, 80, 20),
    msg(1, x.start + 1.2 * MS, 510, APPLICATION_DATA),
    msg(0, x.start + 2 * MS, x.request + 22, APPLICATION_DATA),
    msg(1, x.start + 2 * MS + 2 * x.delay + 3 * MS, 228, APPLICATION_DATA),
  ]);
  const order = exchanges.map((_, i) => i).sort((a, b) => exchanges[a]!.start - exchanges[b]!.start);
  const servers = order.map((i) => {
    const x = exchanges[i]!;
    const t = x.start + 2 * MS + x.delay + serverShiftNs;
    return [msg(0, t, x.request), msg(1, t + 3 * MS, 230)];
  });
  return { client: sideOf('client', clients), server: sideOf('server', servers), order };
}

const identity: PairClock = {
  toClient: (s) => s,
  toServer: (t) => t,
  windowNs: 1e6,
  source: 'aligned',
};

function link(client: SideData, server: SideData, clock = identity) {
  const all = (side: SideData) => new Uint8Array(side.sessions.length).fill(1);
  return timingLinks(client, server, all(client), all(server), [], clock, 30e9);
}

/** Client session of each server session, from the links. */
function mapping(links: ReturnType<typeof link>): Map<number, number> {
  const m = new Map<number, number>();
  for (const l of links) m.set(l.s, l.c);
  return m;
}

/**
 * Eight connections, two at a time starting 0.3 ms apart; the second of each two has a request 100 bytes
 * larger (within the size tolerance) and reaches the server side later: by request latency alone, the first
 * server-side request would go to the second client.
 */
const busy: Exchange[] = Array.from({ length: 8 }, (_, i) => ({
  start: Math.floor(i / 2) * 40 * MS + (i % 2) * 0.3 * MS,
  request: 300 + (i % 2) * 100 + Math.floor(i / 2) * 250,
  delay: (0.4 + (i % 3) * 0.3) * MS,
}));

describe('sizes', () => {
  test('ciphertext is plaintext plus record overhead, within what a proxy edits', () => {
    expect(sizesFit(847, 825)).toBe(true);
    expect(sizesFit(228, 230)).toBe(true);
    expect(sizesFit(60244, 60180)).toBe(true);
    expect(sizesFit(847, 300)).toBe(false);
    expect(sizesFit(24, 825)).toBe(false);
  });

  test('session tickets in front of the first data are allowed only there', () => {
    expect(sizesFit(738, 230)).toBe(false);
    expect(sizesFit(738, 230, true)).toBe(true);
  });

  test('mode share: the largest part of the values within one window', () => {
    expect(modeShare([22, 22, 22, 88, 102], 16)).toBeCloseTo(0.6);
    expect(modeShare([-88, -32, 116, 527], 16)).toBeCloseTo(0.25);
    expect(modeShare([], 16)).toBe(0);
  });
});

describe('timingLinks', () => {
  test('every server session goes to the client session whose request it carries, concurrent ones too', () => {
    const { client, server, order } = proxy(busy);
    const links = link(client, server);
    const m = mapping(links);
    expect(m.size).toBe(8);
    for (const [serverIndex, clientIndex] of order.entries()) expect(m.get(serverIndex)).toBe(clientIndex);
    // Request and response of each, never a hello; weak similarity, marked as timing links.
    for (const l of links) {
      expect([4, 5]).toContain(l.cm);
      expect(l.sim.score).toBe(TIMING_SIMILARITY);
      expect(isTimingLink(l)).toBe(true);
    }
    expect(links).toHaveLength(16);
  });

  test('a server session already paired by content is left alone', () => {
    const { client, server } = proxy(busy);
    const eligibleS = new Uint8Array(server.sessions.length).fill(1);
    eligibleS[0] = 0;
    const links = timingLinks(
      client,
      server,
      new Uint8Array(client.sessions.length).fill(1),
      eligibleS,
      [],
      identity,
      30e9,
    );
    expect(links.some((l) => l.s === 0)).toBe(false);
    expect(mapping(links).size).toBe(7);
  });

  test('no TLS on the client side: nothing to do', () => {
    const { client, server } = proxy(busy);
    for (const s of client.sessions) for (const m of s.messages) m.tls = 0;
    expect(startsWithClientHello(client.sessions[0]!)).toBe(false);
    expect(link(client, server)).toEqual([]);
  });

  test('unrelated traffic on the server side (sizes that differ by no common amount): no links', () => {
    const { client } = proxy(busy);
    const sizes = [1200, 130, 700, 460, 990, 210, 1150, 80];
    const server = sideOf(
      'server',
      busy.map((x, i) => [msg(0, x.start + 2.5 * MS, sizes[i]!), msg(1, x.start + 6 * MS, 230)]),
    );
    expect(link(client, server)).toEqual([]);
  });
});

describe('coarseByTiming', () => {
  const spread: Exchange[] = Array.from({ length: 12 }, (_, i) => ({
    start: i * 37 * MS + (i % 3) * 5 * MS,
    request: 200 + ((i * 7919) % 900),
    delay: 0.5 * MS,
  }));

  test('finds a server clock hours off from request timing and sizes, then pairs on it', () => {
    const shift = 3 * 3600e9 + 17 * 60e9;
    const { client, server, order } = proxy(spread, shift);
    const coarse = coarseByTiming(client, server);
    expect(coarse).not.toBeNull();
    // client = server + offset; the requests' delay (0.5 ms) is within the window.
    expect(Math.abs(coarse!.offsetNs + shift)).toBeLessThan(2 * MS);
    const m = mapping(link(client, server, coarseClock(coarse!)));
    for (const [serverIndex, clientIndex] of order.entries()) expect(m.get(serverIndex)).toBe(clientIndex);
  });

  test('no consensus between unrelated captures: null', () => {
    const { client } = proxy(spread);
    const server = sideOf(
      'server',
      spread.map((x, i) => [
        msg(0, x.start * 1.7 + i * 11 * MS, 200 + ((i * 4517) % 900)),
        msg(1, x.start, 230),
      ]),
    );
    expect(coarseByTiming(client, server)).toBeNull();
  });
});
