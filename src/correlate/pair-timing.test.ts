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

describe('timingLinks: most server sessions unexplained', () => {
  test('pairs that account for under half of the server sessions looked at are not kept', () => {
    const { client, server } = proxy(busy);
    // Twelve more server sessions of other clients: the eight true pairs are now a minority.
    const others = Array.from({ length: 12 }, (_, i) => [
      msg(0, (7 + i * 13) * MS, 150 + ((i * 331) % 700)),
      msg(1, (9 + i * 13) * MS, 230),
    ]);
    const crowded = sideOf('server', [...server.sessions.map((s) => s.messages), ...others]);
    expect(link(client, crowded)).toEqual([]);
    expect(mapping(link(client, server)).size).toBe(8);
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

/**
 * A TLS-terminating proxy with a pool of `poolSize` server connections: each client connection sends two
 * requests; each request goes out on the server connection that has been idle longest, after the device's
 * delay. Every third client sends its Finished flight (80 bytes) in the same message as its first request.
 * Returns the sides and, per client request message, the server session and message that carried it.
 */
function pooled(clients: number, poolSize: number, serverShiftNs = 0) {
  type Job = { t: number; c: number; cm: number; bytes: number; delay: number };
  const jobs: Job[] = [];
  const clientMessages: Message[][] = [];
  // Connection starts 2 to 10 ms apart at random (a fixed seed): a strictly regular schedule would make
  // chance coincidences as regular as the true ones.
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let t0 = 0;
  for (let c = 0; c < clients; c++) {
    t0 += (2 + 8 * random()) * MS;
    const merged = c % 3 === 0;
    const list = [msg(0, t0, 349, CLIENT_HELLO), msg(1, t0 + 0.5 * MS, 778, SERVER_HELLO)];
    if (!merged) list.push(msg(0, t0 + 1 * MS, 80, 20), msg(1, t0 + 1.2 * MS, 510, APPLICATION_DATA));
    for (let k = 0; k < 2; k++) {
      const t = t0 + 2 * MS + k * 17 * MS;
      const bytes = 150 + Math.floor(900 * random());
      const first = merged && k === 0;
      jobs.push({ t, c, cm: list.length, bytes, delay: (0.3 + random()) * MS });
      list.push(msg(0, t, bytes + 22 + (first ? 80 : 0), first ? 20 : APPLICATION_DATA));
      list.push(msg(1, t + 6 * MS, 236, APPLICATION_DATA));
    }
    clientMessages.push(list);
  }
  jobs.sort((a, b) => a.t + a.delay - (b.t + b.delay));
  const serverMessages: Message[][] = Array.from({ length: poolSize }, () => []);
  const idleSince = new Array<number>(poolSize).fill(Number.NEGATIVE_INFINITY);
  const carried = new Map<string, [number, number]>();
  for (const j of jobs) {
    const at = j.t + j.delay;
    let s = 0;
    for (let i = 1; i < poolSize; i++) if (idleSince[i]! < idleSince[s]!) s = i;
    const list = serverMessages[s]!;
    carried.set(`${j.c}/${j.cm}`, [s, list.length]);
    list.push(msg(0, at + serverShiftNs, j.bytes), msg(1, at + 2 * MS + serverShiftNs, 238));
    idleSince[s] = at + 2.5 * MS;
  }
  return { client: sideOf('client', clientMessages), server: sideOf('server', serverMessages), carried };
}

describe('timingLinks behind a connection pool', () => {
  test('each server-side request goes to the client request it carries, across client connections', () => {
    const { client, server, carried } = pooled(24, 3);
    const links = link(client, server);
    const requests = links.filter((l) => client.sessions[l.c]!.messages[l.cm]!.dir === 0);
    expect(requests).toHaveLength(carried.size);
    for (const l of requests) expect([l.s, l.sm]).toEqual(carried.get(`${l.c}/${l.cm}`));
    // Server connections carry the requests of several client connections.
    for (let s = 0; s < 3; s++)
      expect(new Set(links.filter((l) => l.s === s).map((l) => l.c)).size).toBeGreaterThan(1);
    // Each response goes with its request, and the Finished flights alone are never linked.
    for (const l of links) {
      const m = client.sessions[l.c]!.messages[l.cm]!;
      expect(m.end - m.start).not.toBe(80);
      if (m.dir === 1) {
        const request = links.find((r) => r.c === l.c && r.cm === l.cm - 1);
        expect(request?.s).toBe(l.s);
        expect(request?.sm).toBe(l.sm - 1);
      }
    }
    expect(links.every(isTimingLink)).toBe(true);
  });

  test('the coarse offset from every server-side request, hours off, then the same links', () => {
    const shift = 3 * 3600e9 + 17 * 60e9;
    const { client, server, carried } = pooled(24, 3, shift);
    const coarse = coarseByTiming(client, server);
    expect(coarse).not.toBeNull();
    expect(Math.abs(coarse!.offsetNs + shift)).toBeLessThan(2 * MS);
    const links = link(client, server, coarseClock(coarse!));
    const requests = links.filter((l) => client.sessions[l.c]!.messages[l.cm]!.dir === 0);
    expect(requests).toHaveLength(carried.size);
    for (const l of requests) expect([l.s, l.sm]).toEqual(carried.get(`${l.c}/${l.cm}`));
  });

  test('unrelated pooled server side: no links', () => {
    const { client } = pooled(24, 3);
    const { server } = pooled(24, 3, 3.7 * MS);
    for (const s of server.sessions)
      for (const m of s.messages) if (m.dir === 0) m.end = ((m.end * 7) % 1000) + 100;
    expect(link(client, server)).toEqual([]);
  });
});

describe('timingLinks behind a pool: most server requests unexplained', () => {
  test("a server side whose requests are mostly not these clients': no links, however consistent the few", () => {
    const { client, server } = pooled(24, 3);
    // Three more server connections with 60 requests of other clients (sizes and times of their own).
    let seed = 777;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const others = Array.from({ length: 3 }, () =>
      Array.from({ length: 20 }, (_, k) => {
        const t = (5 + k * 9 + 4 * random()) * MS;
        return [msg(0, t, 150 + Math.floor(900 * random())), msg(1, t + 2 * MS, 238)];
      }).flat(),
    );
    const busy = sideOf('server', [...server.sessions.map((s) => s.messages), ...others]);
    expect(link(client, busy)).toEqual([]);
    // The pool's own requests alone are linked (the test is not vacuous).
    expect(link(client, server).length).toBeGreaterThan(0);
  });
});
