/**
 * Packet matching (pass 2) on the lab's pass-through scenarios, against their truth.json, three ways:
 * - pairs built from the truth (tuples and ISNs, seq offsets), clocks aligned with offset 0 and no skew
 *   (the lab's two captures share one clock): matching alone is tested;
 * - the same with the server side retimed by +3 h 17 min and +80 ppm and the exact alignment for it;
 * - pairs and alignment from pairSessions, end to end.
 * Each time:
 * - drops per direction are exactly truth.json's `drops` (the same packets), and none elsewhere;
 * - transit delays are positive and small;
 * - injected packets only where the device makes them (SYNPROXY's handshake packets and window update);
 * - field changes: TTL - 1 everywhere, addresses and ports for NAT, seq and timestamps for SYNPROXY s2c.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { readAll } from '../../src/capture/index.js';
import type { ClockAlignment } from '../../src/correlate/clock.js';
import { type MatchEvent, matchPackets } from '../../src/correlate/match.js';
import { pairSessions } from '../../src/correlate/pair.js';
import { loadSide } from '../../src/correlate/side.js';
import type { PairKind, PairMatch, SessionPair, SideData } from '../../src/correlate/types.js';
import { Decoder, formatAddress, TCP_ACK, TCP_SYN } from '../../src/decode/index.js';
import { randomisedCopy } from '../helpers/reseq.js';
import { retimeCapture } from '../helpers/retime.js';
import { SAME_CLOCK } from '../helpers/side-data.js';

type TruthTuple = [string, number, string, number];

interface TruthDrop {
  tuple: TruthTuple;
  seq: number;
  ack: number;
  flags: number;
  len: number;
  ipId: number;
}

interface Truth {
  scenario: string;
  device: { kind: string };
  captures: { client: string; server: string };
  connections: {
    client: { tuple: TruthTuple; isn: number };
    server: { tuple: TruthTuple; isn: number; seqOffset?: { c2s: number; s2c: number } }[];
  }[];
  drops: Record<'c2s' | 's2c', TruthDrop[]>;
}

const samplesDir = resolve(process.cwd(), 'samples');
const PASS_THROUGH = ['routed', 'nat', 'synproxy', 'drop', 'seed-synack-retransmit'];

const KIND_OF_DEVICE: Record<string, PairKind> = {
  transparent: 'same',
  nat: 'translated',
  'sequence-rewriter': 'seq-shifted',
  'syn-proxy': 'spliced',
};

function tupleOf(side: SideData, index: number): string {
  const s = side.sessions[index]!;
  const c = s.client;
  const v = s.server;
  return `${formatAddress(c.ipVersion, Uint32Array.from(c.addr))}|${c.port}|${formatAddress(v.ipVersion, Uint32Array.from(v.addr))}|${v.port}`;
}

/** Session index by "tuple#isn" (the initiator's ISN), for every session with a SYN. */
function sessionsByKey(side: SideData): Map<string, number> {
  const out = new Map<string, number>();
  side.sessions.forEach((s, i) => {
    if (s.clientIsn !== null) out.set(`${tupleOf(side, i)}#${s.clientIsn}`, i);
  });
  return out;
}

/** SessionPairs from the truth: tuples + ISNs locate the sessions; offsets are the truth's, negated. */
function truthPairs(
  truth: Truth,
  client: SideData,
  server: SideData,
  serverIsnShift: (clientPort: number) => number = () => 0,
): SessionPair[] {
  const clientKeys = sessionsByKey(client);
  const serverKeys = sessionsByKey(server);
  const kind = KIND_OF_DEVICE[truth.device.kind] ?? 'same';
  const pairs: SessionPair[] = [];
  for (const conn of truth.connections) {
    const sc = conn.server[0];
    if (sc === undefined) continue;
    const ci = clientKeys.get(`${conn.client.tuple.join('|')}#${conn.client.isn}`);
    const si = serverKeys.get(
      `${sc.tuple.join('|')}#${(sc.isn + serverIsnShift(conn.client.tuple[1])) >>> 0}`,
    );
    if (ci === undefined || si === undefined)
      throw new Error(`no sessions for ${conn.client.tuple.join('|')}`);
    const [c, d, e, f] = conn.client.tuple;
    const [g, h, i, j] = sc.tuple;
    // truth.json: client-side minus server-side; the contract: server side = client side + offset.
    const off = sc.seqOffset ?? { c2s: 0, s2c: 0 };
    pairs.push({
      id: pairs.length,
      client: ci,
      server: [si],
      mapping: 'one-to-one',
      kind,
      score: 1,
      evidence: [],
      clientTuple: { srcIp: c, srcPort: d, dstIp: e, dstPort: f },
      serverTuples: [{ srcIp: g, srcPort: h, dstIp: i, dstPort: j }],
      seqOffsets: { c2s: -off.c2s >>> 0, s2c: -off.s2c >>> 0 },
      messages: [],
    });
  }
  return pairs;
}

type Variant = 'one clock' | 'server retimed' | 'pairing';
const VARIANTS: Variant[] = ['one clock', 'server retimed', 'pairing'];

/** +3 h 17 min, and 80 ppm fast. */
const SHIFT_NS = (3n * 3600n + 17n * 60n) * 1_000_000_000n;
const SKEW_PPM = 80;

interface Run {
  truth: Truth;
  client: SideData;
  server: SideData;
  pairs: SessionPair[];
  alignment: ClockAlignment;
  matches: PairMatch[];
  /** "side#packet" -> event, for every reported packet. */
  events: Map<string, MatchEvent>;
}

/**
 * The exact alignment for a server side retimed as server' = s + O + k (s - t0) (epoch ns, t0 on the
 * original clock): client = server' - O - k / (1 + k) (server' - (t0 + O)), in ns from `baseSec`.
 */
function retimedAlignment(t0Ns: bigint, baseSec: number): ClockAlignment {
  const k = SKEW_PPM * 1e-6;
  const ref = Number(t0Ns + SHIFT_NS - BigInt(baseSec) * 1_000_000_000n);
  return { ...SAME_CLOCK, offsetNs: -Number(SHIFT_NS), skewPpm: (-k / (1 + k)) * 1e6, referenceNs: ref };
}

/**
 * Pass 1 once per file for the whole suite: matching does not change SideData, and every user sets the
 * same shifts (both sides on the earlier base second).
 */
const sideCache = new Map<string, SideData>();
function loaded(path: string, side: 'client' | 'server'): SideData {
  const key = `${side}:${path}`;
  let data = sideCache.get(key);
  if (data === undefined) {
    data = loadSide(path, side);
    sideCache.set(key, data);
  }
  return data;
}

function run(scenario: string, variant: Variant): Run {
  const dir = join(samplesDir, scenario);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
  const client = loaded(join(dir, truth.captures.client), 'client');
  let serverPath = join(dir, truth.captures.server);
  let t0Ns = 0n;
  if (variant === 'server retimed') {
    const retimed = retimeCapture(serverPath, { offsetNs: SHIFT_NS, skewPpm: SKEW_PPM });
    serverPath = retimed.path;
    t0Ns = retimed.t0Ns;
  }
  const server = loaded(serverPath, 'server');
  let pairs: SessionPair[];
  let alignment: ClockAlignment;
  if (variant === 'pairing') {
    const paired = pairSessions(client, server);
    pairs = paired.pairs;
    alignment = paired.alignment;
  } else {
    const base = Math.min(client.baseSec, server.baseSec);
    client.shiftNs = (client.baseSec - base) * 1e9;
    server.shiftNs = (server.baseSec - base) * 1e9;
    pairs = truthPairs(truth, client, server);
    alignment = variant === 'server retimed' ? retimedAlignment(t0Ns, base) : SAME_CLOCK;
  }
  const events = new Map<string, MatchEvent>();
  const matches = matchPackets(client.path, server.path, client, server, pairs, alignment, {
    onPacket: (e) => events.set(`${e.side}#${e.packet}`, { ...e }),
  });
  return { truth, client, server, pairs, alignment, matches, events };
}

/** The truth's connection of a pair, by the client session's ISN and port. */
function truthOf(r: Run, m: PairMatch) {
  const pair = r.pairs.find((p) => p.id === m.pair)!;
  const s = r.client.sessions[pair.client]!;
  return r.truth.connections.find((c) => c.client.isn === s.clientIsn && c.client.tuple[1] === s.client.port);
}

function sum(matches: PairMatch[], pick: (m: PairMatch) => [number, number]): [number, number] {
  const out: [number, number] = [0, 0];
  for (const m of matches) {
    out[0] += pick(m)[0];
    out[1] += pick(m)[1];
  }
  return out;
}

const present = PASS_THROUGH.filter((s) => existsSync(join(samplesDir, s, 'truth.json')));

describe('packet matching on the lab scenarios', () => {
  if (present.length === 0) {
    test.skip('no samples/ with truth.json (regenerate with npm run lab)', () => {});
    return;
  }
  describe.each(present.flatMap((s) => VARIANTS.map((v) => [s, v] as const)))(
    '%s, %s',
    (scenario, variant) => {
      let cached: Run | null = null;
      const get = (): Run => {
        cached ??= run(scenario, variant);
        return cached;
      };

      test("drops per direction are exactly the truth's drops", () => {
        const r = get();
        const dropped = { c2s: [] as MatchEvent[], s2c: [] as MatchEvent[] };
        for (const e of r.events.values())
          if (e.event === 'dropped') dropped[e.dir === 0 ? 'c2s' : 's2c'].push(e);
        for (const dir of ['c2s', 's2c'] as const) {
          const side = dir === 'c2s' ? r.client : r.server;
          const keys = packetKeys(side.path, new Set(dropped[dir].map((e) => e.packet)));
          const got = dropped[dir].map((e) => keys.get(e.packet)!).sort();
          const want = r.truth.drops[dir]
            .map((d) => [...d.tuple, d.seq, d.ack, d.flags, d.len, d.ipId].join('|'))
            .sort();
          expect({ dir, dropped: got }).toEqual({ dir, dropped: want });
        }
        const counted = sum(r.matches, (m) => m.dropped);
        expect(counted).toEqual([r.truth.drops.c2s.length, r.truth.drops.s2c.length]);
        expect(sum(r.matches, (m) => m.outside)).toEqual([0, 0]);
      });

      test('every packet of a paired session gets a verdict; transit delays are positive and small', () => {
        const r = get();
        // On an estimated alignment a delay is only known within the alignment's bound.
        const lowest = variant === 'pairing' ? -r.alignment.boundNs : 0;
        const bad = r.matches.filter((m) =>
          m.delay.some((d) => d.count > 0 && (d.minNs <= lowest || d.maxNs >= 10e6 || d.p50Ns > d.p99Ns)),
        );
        expect(bad.map((m) => ({ pair: m.pair, delay: m.delay }))).toEqual([]);
        const matchedPackets = sum(r.matches, (m) => m.matched);
        expect(matchedPackets[0]).toBeGreaterThan(0);
        expect(matchedPackets[1]).toBeGreaterThan(0);
        // Both copies of a matched packet name each other.
        for (const e of r.events.values()) {
          if (e.event !== 'matched') continue;
          const other = r.events.get(`${e.side === 'client' ? 'server' : 'client'}#${e.otherPacket}`);
          expect(other?.otherPacket).toBe(e.packet);
        }
        expect([...r.events.values()].filter((e) => e.event === 'unpaired' || e.event === 'outside')).toEqual(
          [],
        );
      });

      test('injected packets only where the device makes them', () => {
        const r = get();
        if (scenario !== 'synproxy') {
          expect(sum(r.matches, (m) => m.injected)).toEqual([0, 0]);
          expect(sum(r.matches, (m) => m.answered)).toEqual([0, 0]);
          return;
        }
        // SYNPROXY per connection: its SYN and ACK to the server, its cookie SYN-ACK and window update to the
        // client; it answers the client's SYN and handshake ACK and the server's SYN-ACK itself.
        for (const m of r.matches) {
          expect({ pair: m.pair, injected: m.injected, answered: m.answered }).toEqual({
            pair: m.pair,
            injected: [2, 2],
            answered: [2, 1],
          });
        }
        const injected = [...r.events.values()].filter((e) => e.event === 'injected');
        const flags = packetFlags(r, injected);
        for (const e of injected) {
          const f = flags.get(`${e.side}#${e.packet}`);
          const allowed = e.side === 'server' ? ['S', 'A'] : ['SA', 'A'];
          expect({ packet: `${e.side}#${e.packet}`, dir: e.dir, ok: allowed.includes(f ?? '') }).toEqual({
            packet: `${e.side}#${e.packet}`,
            dir: e.side === 'server' ? 0 : 1,
            ok: true,
          });
        }
      });

      test('field changes: TTL - 1 everywhere, and only what the device rewrites', () => {
        const r = get();
        const expected = EXPECTED_CHANGES[scenario] ?? [];
        for (const m of r.matches) {
          for (const dir of [0, 1] as const) {
            if (m.matched[dir] === 0) continue;
            const changes = m.changes.filter((c) => c.dir === dir);
            const ttl = changes.find((c) => c.field === 'ttl');
            expect({ pair: m.pair, dir, ttl: ttl?.count, delta: ttl?.delta }).toEqual({
              pair: m.pair,
              dir,
              ttl: m.matched[dir],
              delta: -1,
            });
            const fields = changes.map((c) => c.field).filter((f) => f !== 'ttl');
            const allowed = expected.filter((x) => x.dir === dir).map((x) => x.field);
            expect({ pair: m.pair, dir, unexpected: fields.filter((f) => !allowed.includes(f)) }).toEqual({
              pair: m.pair,
              dir,
              unexpected: [],
            });
            for (const x of expected.filter((x) => x.dir === dir && x.everyPacket)) {
              const c = changes.find((c) => c.field === x.field);
              expect({ pair: m.pair, dir, field: x.field, count: c?.count }).toEqual({
                pair: m.pair,
                dir,
                field: x.field,
                count: m.matched[dir],
              });
            }
          }
        }
        if (scenario === 'nat') {
          // --random-fully: practically every connection's source port changes.
          const ports = r.matches.filter((m) => m.changes.some((c) => c.field === 'src-port' && c.dir === 0));
          expect(ports.length).toBeGreaterThan(r.matches.length / 2);
        }
        if (scenario === 'synproxy') {
          // The s2c seq change is the truth's offset (client side minus server side) on every pair.
          for (const m of r.matches) {
            const seq = m.changes.find((c) => c.field === 'seq' && c.dir === 1);
            expect(seq?.delta).toBe(truthOf(r, m)?.server[0]?.seqOffset?.s2c);
          }
        }
      });

      if (scenario === 'synproxy') {
        test('a SYN-ACK re-sent by the origin after the handshake is forwarded, translated, and matched', () => {
          const r = get();
          const anomalies = readTruthAnomalies(scenario);
          const client = anomalies.find((a) => a.side === 'client')!;
          const server = anomalies.find((a) => a.side === 'server')!;
          const e = r.events.get(`server#${server.frames[0]}`);
          expect(e).toMatchObject({ event: 'matched', dir: 1, otherPacket: client.frames[0] });
        });
      }
    },
  );
});

describe('sequence randomiser made from the drop sample (losses, so SACK blocks both ways)', () => {
  const ok = existsSync(join(samplesDir, 'drop', 'truth.json'));
  test.each([false, true])('SACK blocks left untranslated: %s', (sackBug) => {
    if (!ok) return;
    const dir = join(samplesDir, 'drop');
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
    const delta = (port: number): [number, number] => [
      Math.imul(port, 0x9e3779b1) >>> 0,
      Math.imul(port + 7, 0x85ebca6b) >>> 0,
    ];
    const client = loaded(join(dir, truth.captures.client), 'client');
    const serverPort = truth.connections[0]!.server[0]!.tuple[3];
    const copy = randomisedCopy(join(dir, truth.captures.server), serverPort, delta, sackBug);
    const server = loadSide(copy.path, 'server');
    const base = Math.min(client.baseSec, server.baseSec);
    client.shiftNs = (client.baseSec - base) * 1e9;
    server.shiftNs = (server.baseSec - base) * 1e9;
    const pairs = truthPairs(truth, client, server, (port) => delta(port)[0]).map((p) => {
      const [c2s, s2c] = delta(p.clientTuple.srcPort);
      return { ...p, kind: 'seq-shifted' as const, seqOffsets: { c2s, s2c } };
    });
    // Server-side packets with SACK blocks that were matched, per direction.
    const matchedSack = [0, 0];
    const matches = matchPackets(client.path, server.path, client, server, pairs, SAME_CLOCK, {
      onPacket: (e) => {
        if (e.side === 'server' && e.event === 'matched' && copy.sackPackets[e.dir].has(e.packet))
          matchedSack[e.dir]!++;
      },
    });
    expect(sum(matches, (m) => m.dropped)).toEqual([truth.drops.c2s.length, truth.drops.s2c.length]);
    expect(sum(matches, (m) => m.injected)).toEqual([0, 0]);
    for (const m of matches) {
      const [c2s, s2c] = delta(pairs[m.pair]!.clientTuple.srcPort);
      const change = (field: string, d: 0 | 1) => m.changes.find((c) => c.field === field && c.dir === d);
      expect(change('seq', 0)?.delta).toBe(c2s);
      // Deltas are downstream minus upstream: client side minus server side for server-to-client packets.
      expect(change('seq', 1)?.delta).toBe(-s2c >>> 0);
    }
    // Every matched packet with SACK blocks shows the bug, and only then.
    const sackChanges = [0, 1].map((d) =>
      matches.reduce(
        (n, m) => n + (m.changes.find((c) => c.field === 'sack-blocks' && c.dir === d)?.count ?? 0),
        0,
      ),
    );
    if (!sackBug) expect(sackChanges).toEqual([0, 0]);
    else {
      expect(sackChanges[0]).toBeGreaterThan(0);
      expect(sackChanges[1]).toBeGreaterThan(0);
      expect(sackChanges).toEqual(matchedSack);
      const example = matches.flatMap((m) => m.changes).find((c) => c.field === 'sack-blocks');
      expect(example?.delta).toBe(0);
    }
  });
});

const TERMINATING = ['haproxy-tcp', 'nginx-pool'].filter((s) =>
  existsSync(join(samplesDir, s, 'truth.json')),
);

describe('terminating devices: handshake and message timing', () => {
  if (TERMINATING.length === 0) {
    test.skip('no samples/ with truth.json (regenerate with npm run lab)', () => {});
    return;
  }
  test.each(TERMINATING)('%s', (scenario) => {
    const dir = join(samplesDir, scenario);
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
    const client = loaded(join(dir, truth.captures.client), 'client');
    const server = loaded(join(dir, truth.captures.server), 'server');
    const paired = pairSessions(client, server);
    const kinds = new Map<string, number>();
    const matches = matchPackets(client.path, server.path, client, server, paired.pairs, paired.alignment, {
      onPacket: (e) => kinds.set(e.event, (kinds.get(e.event) ?? 0) + 1),
    });
    // No packet is forwarded one to one: the two sides are different connections.
    expect([...kinds.keys()].filter((k) => k !== 'terminated' && k !== 'unpaired')).toEqual([]);
    expect(sum(matches, (m) => m.matched)).toEqual([0, 0]);
    // Every message link has its latency: the same first-byte latency pairing measured, and a last-byte one.
    const bound = paired.alignment.boundNs;
    let links = 0;
    matches.forEach((m, i) => {
      const pair = paired.pairs[i]!;
      expect(m.timing.links).toHaveLength(pair.messages.length);
      m.timing.links.forEach((l, j) => {
        links++;
        expect(l.firstByteNs).toBeCloseTo(pair.messages[j]!.latencyNs!, 0);
        expect(l.firstByteNs).toBeGreaterThan(-bound);
        expect(l.lastByteNs).toBeGreaterThan(-bound);
        expect(l.firstByteNs).toBeLessThan(1e9);
      });
    });
    expect(links).toBeGreaterThan(0);
    // When the device connects: HAProxy after the client's handshake, nginx once it has a request or on a
    // pooled connection opened before.
    const after = new Set(matches.flatMap((m) => m.timing.handshake.server.map((h) => h.connectsAfter)));
    if (scenario === 'haproxy-tcp')
      expect([...after].filter((a) => a !== 'handshake' && a !== 'data')).toEqual([]);
    else expect(after.has('data') && after.has('before')).toBe(true);
  });
});

/** Fields each device changes besides the TTL; `everyPacket` when every matched packet must show it. */
const EXPECTED_CHANGES: Record<string, { field: string; dir: 0 | 1; everyPacket: boolean }[]> = {
  nat: [
    { field: 'src-address', dir: 0, everyPacket: true },
    { field: 'dst-address', dir: 0, everyPacket: true },
    { field: 'src-port', dir: 0, everyPacket: false },
    { field: 'dst-port', dir: 0, everyPacket: true },
    { field: 'src-address', dir: 1, everyPacket: true },
    { field: 'dst-address', dir: 1, everyPacket: true },
    { field: 'src-port', dir: 1, everyPacket: true },
    { field: 'dst-port', dir: 1, everyPacket: false },
  ],
  synproxy: [
    // Server-to-client numbers shift; the client's acks and timestamp echoes are translated back.
    { field: 'seq', dir: 1, everyPacket: true },
    { field: 'timestamps', dir: 1, everyPacket: true },
    { field: 'ack', dir: 0, everyPacket: true },
    { field: 'timestamps', dir: 0, everyPacket: true },
    // SACK blocks of the client's acks, translated with the offset, are not a change of their own.
  ],
};

/** "src|sport|dst|dport|seq|ack|flags|len|ipId" of the given packet numbers of a capture. */
function packetKeys(path: string, wanted: Set<number>): Map<number, string> {
  const decoder = new Decoder();
  const out = new Map<number, string>();
  readAll(path, (rec) => {
    if (!wanted.has(rec.index)) return;
    const v = decoder.decode(rec);
    const src = formatAddress(v.ipVersion, v.src);
    const dst = formatAddress(v.ipVersion, v.dst);
    out.set(
      rec.index,
      [src, v.srcPort, dst, v.dstPort, v.seq, v.ack, v.flags, v.payloadLength, v.ipId].join('|'),
    );
  });
  return out;
}

/** Flags ('S', 'SA', 'A', ...) of reported packets, by "side#packet". */
function packetFlags(r: Run, events: MatchEvent[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const side of ['client', 'server'] as const) {
    const wanted = new Set(events.filter((e) => e.side === side).map((e) => e.packet));
    const decoder = new Decoder();
    readAll(r[side].path, (rec) => {
      if (!wanted.has(rec.index)) return;
      const v = decoder.decode(rec);
      const letters = (v.flags & TCP_SYN ? 'S' : '') + (v.flags & TCP_ACK ? 'A' : '');
      out.set(`${side}#${rec.index}`, letters + (v.payloadLength > 0 ? '+data' : ''));
    });
  }
  return out;
}

function readTruthAnomalies(scenario: string): { side: string; frames: number[] }[] {
  const truth = JSON.parse(readFileSync(join(samplesDir, scenario, 'truth.json'), 'utf8')) as {
    anomalies: { side: string; frames: number[] }[];
  };
  return truth.anomalies;
}
