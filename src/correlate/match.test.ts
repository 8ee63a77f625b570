/**
 * Packet matching on synthetic pairs: a scripted device forwards, delays, drops, duplicates, reorders and
 * rewrites packets between two capture files, and every verdict is checked against the script.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { type RecordSpec, type TcpOption, tcpPacket, writePcap } from '../../test/helpers/packets.js';
import { scratchDir } from '../../test/helpers/scratch.js';
import { SAME_CLOCK } from '../../test/helpers/side-data.js';
import { fnv1a } from '../tcp/index.js';
import type { ClockAlignment } from './clock.js';
import { FIELD_NAMES, type MatchEvent, type MatchOptions, type MatchStats, matchPackets } from './match.js';
import { loadSide } from './side.js';
import type { PairKind, PairMatch, SessionPair } from './types.js';

type From = 'client' | 'server';

/** A TCP packet as its sender put it on the wire, numbers in the client side's numbering. */
interface Pkt {
  from: From;
  seq: number;
  ack?: number;
  flags: string;
  len?: number;
  ipId?: number;
  tsval?: number;
  sack?: [number, number][];
  /** Payload bytes (instead of `len` counted bytes). */
  bytes?: Uint8Array;
}

interface Fate {
  /** Downstream copy this much later (ns); default 50 us. */
  delayNs?: number;
  drop?: boolean;
  /** Extra downstream copies, at these delays. */
  copies?: number[];
}

const START_SEC = 1_700_000_000;
const CLIENT_ISN = 1000;
const SERVER_ISN = 5000;

/**
 * A scripted device between two capture points: `send` puts a packet on its upstream side and, unless
 * dropped, its copy on the downstream side (TTL - 1, numbers shifted by the offsets, SACK blocks shifted
 * unless `sackBug`). `inject` puts a packet on one side only.
 */
class Device {
  readonly client: RecordSpec[] = [];
  readonly server: RecordSpec[] = [];
  /** server side = client side + offset, per direction. */
  offsets: [number, number] = [0, 0];
  sackBug = false;
  /** IP ID rewritten downstream (a device that does not preserve it). */
  newIpId: ((id: number) => number) | null = null;
  /** Payload bytes rewritten downstream (an application-level gateway). */
  editPayload: ((bytes: Uint8Array) => Uint8Array) | null = null;

  send(atNs: number, p: Pkt, fate: Fate = {}): this {
    const upstream: From = p.from;
    this.put(upstream, atNs, p, false);
    if (fate.drop) return this;
    this.put(upstream === 'client' ? 'server' : 'client', atNs + (fate.delayNs ?? 50_000), p, true);
    for (const d of fate.copies ?? [])
      this.put(upstream === 'client' ? 'server' : 'client', atNs + d, p, true);
    return this;
  }

  inject(side: From, atNs: number, p: Pkt): this {
    this.put(side, atNs, p, side !== p.from);
    return this;
  }

  handshake(atNs: number): this {
    this.send(atNs, { from: 'client', seq: CLIENT_ISN, flags: 'S', ipId: 1, tsval: 100 });
    this.send(atNs + 200_000, {
      from: 'server',
      seq: SERVER_ISN,
      ack: CLIENT_ISN + 1,
      flags: 'SA',
      ipId: 0,
      tsval: 900,
    });
    return this.send(atNs + 400_000, {
      from: 'client',
      seq: CLIENT_ISN + 1,
      ack: SERVER_ISN + 1,
      flags: 'A',
      ipId: 2,
      tsval: 101,
    });
  }

  private put(side: From, atNs: number, p: Pkt, downstream: boolean): void {
    const dir = p.from === 'client' ? 0 : 1;
    // Numbers are in client-side numbering; the server side's copies (up- or downstream) are shifted.
    const onServer = side === 'server';
    const seq = onServer ? (p.seq + this.offsets[dir]!) >>> 0 : p.seq;
    const ack = onServer ? ((p.ack ?? 0) + this.offsets[1 - dir]!) >>> 0 : (p.ack ?? 0);
    const sackShift = onServer && !(downstream && this.sackBug) ? this.offsets[1 - dir]! : 0;
    const options: TcpOption[] = [];
    if (p.tsval !== undefined)
      options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: p.tsval, tsecr: 0 });
    if (p.sack) {
      options.push({ kind: 'nop' }, { kind: 'nop' });
      options.push({
        kind: 'sack',
        blocks: p.sack.map(([l, r]) => [(l + sackShift) >>> 0, (r + sackShift) >>> 0] as const),
      });
    }
    let ipId = p.ipId ?? 0x1234;
    if (downstream && this.newIpId) ipId = this.newIpId(ipId);
    const frame = tcpPacket({
      src: p.from === 'client' ? '10.0.0.1' : '10.0.0.2',
      dst: p.from === 'client' ? '10.0.0.2' : '10.0.0.1',
      srcPort: p.from === 'client' ? 40000 : 80,
      dstPort: p.from === 'client' ? 80 : 40000,
      seq,
      ack,
      flags: p.flags,
      options,
      payload: p.bytes
        ? downstream && this.editPayload
          ? this.editPayload(p.bytes)
          : p.bytes
        : (p.len ?? 0),
      ip: { ttl: downstream ? 63 : 64, id: ipId },
    });
    const t = BigInt(START_SEC) * 1_000_000_000n + BigInt(atNs);
    (side === 'client' ? this.client : this.server).push({
      tsSec: Number(t / 1_000_000_000n),
      tsNsec: Number(t % 1_000_000_000n),
      data: frame,
    });
  }
}

interface Outcome {
  match: PairMatch;
  events: MatchEvent[];
  /** Event of a packet: "client#3" -> event. */
  of: (side: From, packet: number) => MatchEvent | undefined;
}

/** Writes both files, runs pass 1 on each, pairs their first sessions, and matches. */
function run(
  dev: Device,
  kind: PairKind | 'no pair' = 'same',
  opts: MatchOptions = {},
  sorted = true,
): Outcome {
  const dir = scratchDir('match-');
  const byTime = (a: RecordSpec, b: RecordSpec) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec;
  const clientPath = join(dir, 'client.pcap');
  const serverPath = join(dir, 'server.pcap');
  const order = (records: RecordSpec[]) => (sorted ? [...records].sort(byTime) : records);
  writeFileSync(clientPath, writePcap(order(dev.client), { precision: 'ns' }));
  writeFileSync(serverPath, writePcap(order(dev.server), { precision: 'ns' }));
  const client = loadSide(clientPath, 'client');
  const server = loadSide(serverPath, 'server');
  const base = Math.min(client.baseSec, server.baseSec);
  client.shiftNs = (client.baseSec - base) * 1e9;
  server.shiftNs = (server.baseSec - base) * 1e9;
  const tuple = { srcIp: '10.0.0.1', srcPort: 40000, dstIp: '10.0.0.2', dstPort: 80 };
  const pair: SessionPair = {
    id: 7,
    client: 0,
    server: [0],
    mapping: 'one-to-one',
    kind: kind === 'no pair' ? 'same' : kind,
    score: 1,
    evidence: [],
    clientTuple: tuple,
    serverTuples: [tuple],
    seqOffsets: { c2s: dev.offsets[0], s2c: dev.offsets[1] },
    messages: [],
  };
  const events: MatchEvent[] = [];
  const pairs = kind === 'no pair' ? [] : [pair];
  const matches = matchPackets(clientPath, serverPath, client, server, pairs, SAME_CLOCK, {
    ...opts,
    onPacket: (e) => events.push({ ...e }),
  });
  rmSync(dir, { recursive: true, force: true });
  return {
    match: matches[0]!,
    events,
    of: (side, packet) => events.find((e) => e.side === side && e.packet === packet),
  };
}

const MS = 1_000_000;

function data(seq: number, len: number, ipId: number, tsval?: number): Pkt {
  return {
    from: 'client',
    seq,
    ack: SERVER_ISN + 1,
    flags: 'PA',
    len,
    ipId,
    ...(tsval !== undefined ? { tsval } : {}),
  };
}

describe('matchPackets on synthetic pairs', () => {
  test('a plain forwarded connection: every packet matched, delay exact, TTL - 1 on each', () => {
    const dev = new Device().handshake(0);
    dev.send(1 * MS, data(CLIENT_ISN + 1, 100, 3), { delayNs: 70_000 });
    dev.send(2 * MS, { from: 'server', seq: SERVER_ISN + 1, ack: CLIENT_ISN + 101, flags: 'A', ipId: 1 });
    const { match, events } = run(dev);
    expect(match.pair).toBe(7);
    expect(match.matched).toEqual([3, 2]);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.injected).toEqual([0, 0]);
    // Exact count, minimum and maximum; quantiles within the histogram's 1/32.
    expect(match.delay[0]).toMatchObject({ count: 3, minNs: 50_000, p99Ns: 70_000, maxNs: 70_000 });
    expect(Math.abs(match.delay[0].p50Ns - 50_000)).toBeLessThanOrEqual(50_000 / 32);
    expect(match.changes.map((c) => [c.field, c.dir, c.count, c.delta])).toEqual([
      ['ttl', 0, 3, -1],
      ['ttl', 1, 2, -1],
    ]);
    expect(events).toHaveLength(10);
    const ttlBit = 1 << FIELD_NAMES.indexOf('ttl');
    expect(events.every((e) => e.event === 'matched' && e.changes === ttlBit && e.pair === 7)).toBe(true);
  });

  test('payload rewritten: a change in the first 48 or last 16 bytes counts, one elsewhere does not', () => {
    const dev = new Device().handshake(0);
    const at = [10, 90, 60, 19];
    const lengths = [100, 100, 100, 20];
    dev.editPayload = (b) => {
      const out = b.slice();
      const i = at[lengths.indexOf(b.length) === 3 ? 3 : b[0]!]!;
      out[i] = out[i]! ^ 0xff;
      return out;
    };
    let seq = CLIENT_ISN + 1;
    const sent: Uint8Array[] = [];
    for (let k = 0; k < 4; k++) {
      const bytes = new Uint8Array(lengths[k]!).map((_, i) => (i === 0 ? k : (i * 7 + k) & 0xff));
      sent.push(bytes);
      dev.send((k + 1) * MS, { ...data(seq, bytes.length, 10 + k), bytes });
      seq += bytes.length;
    }
    const { match, events } = run(dev);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.injected).toEqual([0, 0]);
    const payload = match.changes.find((c) => c.field === 'payload');
    expect(payload?.count).toBe(3);
    // The example shows both copies' sample hashes: FNV-1a of the first 48 bytes, then of the last 16.
    const sampleHash = (b: Uint8Array) =>
      fnv1a(b, Math.max(48, b.length - 16), b.length, fnv1a(b, 0, 48)) >>> 0;
    const edited = sent[0]!.slice();
    edited[10] = edited[10]! ^ 0xff;
    const hex = (b: Uint8Array) => `0x${sampleHash(b).toString(16)}`;
    expect(payload?.detail).toBe(
      `payload 100 bytes hash ${hex(sent[0]!)} (client side #4) -> 100 bytes hash ${hex(edited)} (server side #4)`,
    );
    const payloadBit = 1 << FIELD_NAMES.indexOf('payload');
    const changed = events
      .filter((e) => e.side === 'client' && (e.changes & payloadBit) !== 0)
      .map((e) => e.packet);
    expect(changed).toEqual([4, 5, 7]);
  });

  test('a retransmission whose original was dropped matches the downstream copy, the original is the drop', () => {
    const dev = new Device().handshake(0);
    // Same IP ID on both transmissions: only the delay can tell them apart.
    dev.send(1 * MS, data(CLIENT_ISN + 1, 100, 3), { drop: true });
    dev.send(201 * MS, data(CLIENT_ISN + 1, 100, 3));
    const { match, of } = run(dev);
    expect(match.matched[0]).toBe(3);
    expect(match.dropped).toEqual([1, 0]);
    expect(of('client', 4)).toMatchObject({ event: 'dropped', otherPacket: -1, delayNs: null });
    expect(of('client', 5)).toMatchObject({ event: 'matched', otherPacket: 4, delayNs: 50_000 });
    expect(match.examples).toEqual([
      expect.objectContaining({ event: 'dropped', dir: 0, side: 'client', packet: 4 }),
    ]);
  });

  test('a spurious retransmission: the preserved IP ID pairs each copy with its own original', () => {
    const dev = new Device().handshake(0);
    for (let i = 0; i < 4; i++) dev.send((1 + i) * MS, data(CLIENT_ISN + 1 + i * 10, 10, 10 + i));
    // Both transmissions forwarded; the first copy arrives after the retransmission was sent.
    dev.send(10 * MS, data(CLIENT_ISN + 41, 10, 20), { delayNs: 100_000 });
    dev.send(10 * MS + 20_000, data(CLIENT_ISN + 41, 10, 21), { delayNs: 100_000 });
    const { match, of } = run(dev);
    expect(match.dropped).toEqual([0, 0]);
    expect(of('client', 8)).toMatchObject({ event: 'matched', otherPacket: 8, delayNs: 100_000 });
    expect(of('client', 9)).toMatchObject({ event: 'matched', otherPacket: 9, delayNs: 100_000 });
  });

  test('without a preserved IP ID, the smallest plausible delay decides', () => {
    const dev = new Device();
    dev.newIpId = (id) => (id * 7 + 1) & 0xffff;
    dev.handshake(0);
    for (let i = 0; i < 4; i++) dev.send((1 + i) * MS, data(CLIENT_ISN + 1 + i * 10, 10, 10 + i));
    dev.send(10 * MS, data(CLIENT_ISN + 41, 10, 20), { delayNs: 100_000 });
    dev.send(10 * MS + 20_000, data(CLIENT_ISN + 41, 10, 21), { delayNs: 100_000 });
    const { match, of } = run(dev);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.matched[0]).toBe(2 + 4 + 2);
    // The first copy goes to the latest candidate (80 us), the second to the one left (120 us).
    expect(of('client', 9)).toMatchObject({ event: 'matched', otherPacket: 8, delayNs: 80_000 });
    expect(of('client', 8)).toMatchObject({ event: 'matched', otherPacket: 9, delayNs: 120_000 });
    expect(match.changes.find((c) => c.field === 'ip-id' && c.dir === 0)?.count).toBe(match.matched[0]);
  });

  test('reordering by the device: both segments matched with their own delays', () => {
    const dev = new Device().handshake(0);
    dev.send(1 * MS, data(CLIENT_ISN + 1, 100, 3), { delayNs: 90_000 });
    dev.send(1 * MS + 10_000, data(CLIENT_ISN + 101, 100, 4), { delayNs: 30_000 });
    const { match, of } = run(dev);
    expect(match.matched[0]).toBe(4);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.injected).toEqual([0, 0]);
    // Server side: the second segment (packet 4) arrives before the first (packet 5).
    expect(of('server', 4)).toMatchObject({ event: 'matched', otherPacket: 5, delayNs: 30_000 });
    expect(of('server', 5)).toMatchObject({ event: 'matched', otherPacket: 4, delayNs: 90_000 });
  });

  test('duplicates: a copy made by the device is injected; duplicates sent upstream are each matched', () => {
    const dev = new Device().handshake(0);
    dev.send(1 * MS, data(CLIENT_ISN + 1, 100, 3), { copies: [60_000] });
    dev.send(2 * MS, data(CLIENT_ISN + 101, 100, 4));
    dev.send(2 * MS + 5_000, data(CLIENT_ISN + 101, 100, 4));
    const { match, events } = run(dev);
    expect(match.matched[0]).toBe(3 + 2);
    expect(match.injected).toEqual([1, 0]);
    expect(match.dropped).toEqual([0, 0]);
    const injected = events.filter((e) => e.event === 'injected');
    expect(injected).toEqual([expect.objectContaining({ side: 'server', packet: 5, dir: 0 })]);
  });

  test('SACK blocks left untranslated by a sequence randomiser are reported; translated ones are not', () => {
    const build = (sackBug: boolean) => {
      const dev = new Device();
      dev.offsets = [0x10000000, 0x20000000];
      dev.sackBug = sackBug;
      dev.handshake(0);
      dev.send(1 * MS, {
        from: 'server',
        seq: SERVER_ISN + 1,
        ack: CLIENT_ISN + 1,
        flags: 'PA',
        len: 100,
        ipId: 5,
      });
      dev.send(2 * MS, {
        from: 'client',
        seq: CLIENT_ISN + 1,
        ack: SERVER_ISN + 1,
        flags: 'A',
        ipId: 3,
        sack: [[SERVER_ISN + 201, SERVER_ISN + 301]],
      });
      return run(dev, 'seq-shifted');
    };
    const buggy = build(true).match;
    const sack = buggy.changes.find((c) => c.field === 'sack-blocks');
    expect(sack).toMatchObject({ dir: 0, count: 1, delta: 0, clientPacket: 5, serverPacket: 5 });
    expect(buggy.changes.find((c) => c.field === 'seq' && c.dir === 0)?.delta).toBe(0x10000000);
    expect(buggy.changes.find((c) => c.field === 'ack' && c.dir === 0)?.delta).toBe(0x20000000);
    const good = build(false).match;
    expect(good.changes.some((c) => c.field === 'sack-blocks')).toBe(false);
    expect(good.matched).toEqual(buggy.matched);
  });

  test('window aging: a copy later than the window is a drop upstream and an injection downstream', () => {
    const dev = new Device().handshake(0);
    dev.send(1 * MS, data(CLIENT_ISN + 1, 100, 3), { delayNs: 5 * MS });
    const ack = (ipId: number, tsval: number): Pkt => ({
      from: 'server',
      seq: SERVER_ISN + 1,
      ack: CLIENT_ISN + 1,
      flags: 'A',
      ipId,
      tsval,
    });
    dev.send(8 * MS, ack(8, 800)).send(9 * MS, ack(9, 900));
    // Five identical pure ACKs 10 us apart, each copy 50 us later: told apart by IP ID and timestamps.
    for (let i = 0; i < 5; i++) dev.send(10 * MS + i * 10_000, ack(10 + i, 1000 + i));
    const { match, events } = run(dev, 'same', { maxDelayNs: 2 * MS });
    expect(match.dropped).toEqual([1, 0]);
    expect(match.injected).toEqual([1, 0]);
    expect(match.matched).toEqual([2, 1 + 2 + 5]);
    // Reported in merged time order: the drop (client packet at 1 ms) before the late copy (6 ms).
    const drop = events.findIndex((e) => e.event === 'dropped');
    const inject = events.findIndex((e) => e.event === 'injected');
    expect(events[drop]).toMatchObject({ side: 'client', packet: 4 });
    expect(events[inject]).toMatchObject({ side: 'server', packet: 4 });
    expect(drop).toBeLessThan(inject);
    const acks = events.filter((e) => e.side === 'server' && e.dir === 1 && e.event === 'matched');
    expect(acks.map((e) => [e.packet, e.otherPacket, e.delayNs])).toEqual([
      [2, 2, 50_000],
      [5, 5, 50_000],
      [6, 6, 50_000],
      [7, 7, 50_000],
      [8, 8, 50_000],
      [9, 9, 50_000],
      [10, 10, 50_000],
      [11, 11, 50_000],
    ]);
  });

  test('clock error: copies that look earlier than their originals, within the slack, still match', () => {
    const dev = new Device();
    const early = { delayNs: -20_000 };
    dev.send(0, { from: 'client', seq: CLIENT_ISN, flags: 'S', ipId: 1 }, early);
    dev.send(1 * MS, { from: 'server', seq: SERVER_ISN, ack: CLIENT_ISN + 1, flags: 'SA', ipId: 0 }, early);
    dev.send(2 * MS, data(CLIENT_ISN + 1, 100, 2), early);
    const { match, events } = run(dev, 'same', { slackNs: 50_000 });
    expect(match.matched).toEqual([2, 1]);
    expect(match.injected).toEqual([0, 0]);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.delay[0]).toMatchObject({ minNs: -20_000, maxNs: -20_000 });
    expect(events.every((e) => e.event === 'matched')).toBe(true);
  });

  test("a device's own packet just before the copy of an identical one stays the injection", () => {
    const dev = new Device().handshake(0);
    const ack: Pkt = { from: 'server', seq: SERVER_ISN + 1, ack: CLIENT_ISN + 1, flags: 'A', ipId: 7 };
    // A window update from the device, then the server's identical ACK 10 us later, forwarded in 5 us.
    dev.inject('client', 1 * MS, { ...ack, ipId: 0 });
    dev.send(1 * MS + 10_000, ack, { delayNs: 5_000 });
    const { match, of } = run(dev, 'same', { slackNs: 50_000 });
    expect(match.injected).toEqual([0, 1]);
    expect(of('client', 4)).toMatchObject({ event: 'injected' });
    expect(of('client', 5)).toMatchObject({ event: 'matched', otherPacket: 4, delayNs: 5_000 });
  });

  test('timestamps running backwards cannot grow the window past its bound', () => {
    const dev = new Device().handshake(0);
    for (let i = 0; i < 60; i++) dev.send((1 + i) * MS, data(CLIENT_ISN + 1 + i * 10, 10, 10 + i));
    const byTime = (a: RecordSpec, b: RecordSpec) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec;
    dev.client.sort(byTime);
    dev.server.sort(byTime);
    // A first client-side packet stamped an hour late: every later packet looks older than it.
    const late = { ...dev.client[0]!, tsSec: dev.client[0]!.tsSec + 3600 };
    dev.client.unshift(late);
    const stats: MatchStats = { packets: [0, 0], peakWindow: 0, forced: 0 };
    const { events } = run(dev, 'same', { maxWindowPackets: 16, stats }, false);
    expect(stats.peakWindow).toBeLessThanOrEqual(16 + 2);
    expect(stats.forced).toBeGreaterThan(0);
    expect(stats.packets).toEqual([dev.client.length, dev.server.length]);
    // Every packet still gets exactly one verdict.
    expect(events).toHaveLength(dev.client.length + dev.server.length);
    expect(new Set(events.map((e) => `${e.side}#${e.packet}`)).size).toBe(events.length);
  });

  test('nonsense pairs, alignment and options are survived', () => {
    const dev = new Device().handshake(0);
    dev.send(1 * MS, data(CLIENT_ISN + 1, 100, 3));
    const dir = scratchDir('match-');
    try {
      const clientPath = join(dir, 'client.pcap');
      const serverPath = join(dir, 'server.pcap');
      writeFileSync(clientPath, writePcap(dev.client, { precision: 'ns' }));
      writeFileSync(serverPath, writePcap(dev.server, { precision: 'ns' }));
      const client = loadSide(clientPath, 'client');
      const server = loadSide(serverPath, 'server');
      const tuple = { srcIp: '10.0.0.1', srcPort: 40000, dstIp: '10.0.0.2', dstPort: 80 };
      const base: SessionPair = {
        id: 1,
        client: 0,
        server: [0],
        mapping: 'one-to-one',
        kind: 'same',
        score: 1,
        evidence: [],
        clientTuple: tuple,
        serverTuples: [tuple],
        seqOffsets: null,
        messages: [{ clientMessage: 99, serverSession: 5, serverMessage: 7, similarity: 1, latencyNs: null }],
      };
      const pairs: SessionPair[] = [
        base,
        { ...base, id: 2, client: 12345, server: [-1, 2.5] },
        { ...base, id: 3, client: Number.NaN, server: [] },
      ];
      const weird: ClockAlignment = {
        ...SAME_CLOCK,
        boundNs: Number.NaN,
        offsetNs: Number.NaN,
        skewPpm: Number.POSITIVE_INFINITY,
      };
      const events: MatchEvent[] = [];
      const out = matchPackets(clientPath, serverPath, client, server, pairs, weird, {
        maxDelayNs: -5,
        slackNs: Number.NaN,
        maxWindowPackets: Number.NaN,
        maxExamples: -1,
        onPacket: (e) => events.push({ ...e }),
      });
      expect(out.map((m) => m.pair)).toEqual([1, 2, 3]);
      expect(out[0]!.matched).toEqual([3, 1]);
      expect(events).toHaveLength(dev.client.length + dev.server.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a device that cuts segments (TSO, GSO): each piece matched by byte range, no drop, no injection', () => {
    const dev = new Device().handshake(0);
    const big = data(CLIENT_ISN + 1, 3000, 3);
    dev.inject('client', 1 * MS, big);
    for (let i = 0; i < 3; i++)
      dev.inject('server', 1 * MS + (i + 1) * 30_000, data(CLIENT_ISN + 1 + i * 1000, 1000, 40 + i));
    dev.send(2 * MS, { from: 'server', seq: SERVER_ISN + 1, ack: CLIENT_ISN + 3001, flags: 'A', ipId: 9 });
    const { match, events, of } = run(dev);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.injected).toEqual([0, 0]);
    expect(match.matched).toEqual([2 + 3, 2]);
    for (const packet of [4, 5, 6])
      expect(of('server', packet)).toMatchObject({ event: 'matched', otherPacket: 4 });
    expect(of('client', 4)).toMatchObject({ event: 'matched', otherPacket: 4, delayNs: 30_000 });
    const segments = match.changes.find((c) => c.field === 'segments');
    expect(segments).toMatchObject({ dir: 0, count: 3, clientPacket: 4, serverPacket: 4 });
    expect(segments?.detail).toBe('segments 3000 bytes (client side #4) -> 1000 bytes (server side #4)');
    // Pieces differ in numbers and bytes by nature: no seq, payload or ip-id change is claimed.
    expect(match.changes.filter((c) => c.dir === 0).map((c) => c.field)).toEqual(['ttl', 'segments']);
    expect(events.filter((e) => e.event !== 'matched')).toEqual([]);
  });

  test('a device that merges segments (GRO, LRO): the merged packet matches every segment it holds', () => {
    const dev = new Device().handshake(0);
    for (let i = 0; i < 3; i++)
      dev.inject('client', 1 * MS + i * 10_000, data(CLIENT_ISN + 1 + i * 500, 500, 3 + i));
    dev.inject('server', 1 * MS + 80_000, data(CLIENT_ISN + 1, 1500, 3));
    const { match, of } = run(dev);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.injected).toEqual([0, 0]);
    expect(match.matched[0]).toBe(2 + 3);
    expect([4, 5, 6].map((p) => of('client', p)?.otherPacket)).toEqual([4, 4, 4]);
    expect([4, 5, 6].map((p) => of('client', p)?.delayNs)).toEqual([80_000, 70_000, 60_000]);
    expect(of('server', 4)).toMatchObject({ event: 'matched' });
    expect(match.changes.find((c) => c.field === 'segments')?.count).toBe(3);
  });

  test('a piece whose segment was dropped is not matched to another', () => {
    const dev = new Device().handshake(0);
    dev.send(1 * MS, data(CLIENT_ISN + 1, 1000, 3), { drop: true });
    // Injected downstream data that no upstream segment holds stays an injection.
    dev.inject('server', 2 * MS, data(CLIENT_ISN + 2001, 1000, 4));
    dev.send(3 * MS, { from: 'client', seq: CLIENT_ISN + 1, ack: SERVER_ISN + 1, flags: 'A', ipId: 5 });
    const { match } = run(dev);
    expect(match.dropped).toEqual([1, 0]);
    expect(match.injected).toEqual([1, 0]);
  });

  test('packets beyond the end of the other capture are outside it, not drops', () => {
    const dev = new Device().handshake(0);
    dev.send(1 * MS, data(CLIENT_ISN + 1, 100, 3));
    // The server-side capture stops here; the client keeps sending.
    dev.inject('client', 50 * MS, data(CLIENT_ISN + 101, 100, 4));
    const { match, events } = run(dev);
    expect(match.dropped).toEqual([0, 0]);
    expect(match.outside).toEqual([1, 0]);
    expect(events.at(-1)).toMatchObject({ event: 'outside', side: 'client', packet: 5 });
  });

  test('packets of sessions without a pair are unpaired; those of terminated pairs are not matched', () => {
    const lone = run(new Device().handshake(0), 'no pair');
    expect(lone.events).toHaveLength(6);
    expect(lone.events.every((e) => e.event === 'unpaired' && e.pair === -1 && e.otherPacket === -1)).toBe(
      true,
    );
    const terminated = run(new Device().handshake(0), 'terminated');
    expect(terminated.events.every((e) => e.event === 'terminated' && e.pair === 7)).toBe(true);
    expect(terminated.match.matched).toEqual([0, 0]);
    // The server-side SYN (50 us after the client's) left before the client's handshake ACK (400 us).
    expect(terminated.match.timing.handshake.server[0]).toMatchObject({
      synAfterClientSynNs: 50_000,
      synAfterClientAckNs: -350_000,
      connectsAfter: 'syn',
    });
  });
});
