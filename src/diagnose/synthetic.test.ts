/**
 * Each rule on small synthetic correlations: the facts a rule reads are set by hand, so every test states
 * exactly which evidence makes a behaviour fire, stay silent, or become undecided.
 */
import { describe, expect, test } from '@jest/globals';
import { handshakePacket } from '../../test/helpers/side-data.js';
import type { ClockAlignment } from '../correlate/clock.js';
import type {
  Correlation,
  MessageLink,
  PacketEvent,
  PairKind,
  PairMatch,
  SessionPair,
  SideData,
  Tuple,
} from '../correlate/types.js';
import { TCP_ACK, TCP_RST, TCP_SYN, tcpFlagsString } from '../decode/index.js';
import { type Finding, type HandshakePacket, type Message, Session } from '../tcp/index.js';
import { buildContext } from './context.js';
import { diagnose } from './index.js';
import { deviceKind } from './kind.js';
import { gaveUpAt } from './problems/wrong-synack.js';
import { applyReadingRules } from './reading.js';
import { bogusSynAck, ignoresHandshakeAck } from './rules/endpoint.js';
import { decrementsTtl, forwardsPackets } from './rules/forwarding.js';
import { answersSyn, delaysServerConnect } from './rules/handshake.js';
import { dropsPackets, injectsPackets } from './rules/loss.js';
import { rewritesOptions, rewritesSequence, rewritesSourcePort } from './rules/rewrites.js';
import { modifiesPayload, poolsConnections, resegments } from './rules/streams.js';
import { terminatesTls } from './rules/tls.js';
import type { Behaviour, BehaviourId } from './types.js';

const MS = 1_000_000;

/** A handshake finding as pass 1 records it (values not given: none, at time 0). */
function finding(id: string, packet: number, detail: string, over: Partial<Finding>): Finding {
  return { id, packet, detail, seq: 0, ack: null, expectedAck: null, relatedPacket: null, relNs: 0, ...over };
}

function hs(packet: number, relNs: number, over: Partial<HandshakePacket> = {}): HandshakePacket {
  return handshakePacket(relNs, 1000, {
    packet,
    nsec: relNs,
    window: 64240,
    optionKinds: [2, 4, 3],
    ...over,
  });
}

function message(dir: 0 | 1, firstPacket: number, relNs: number, bytes: number, packets: number): Message {
  return {
    dir,
    firstPacket,
    lastPacket: firstPacket + packets - 1,
    firstRelNs: relNs,
    lastRelNs: relNs + MS,
    start: 0,
    end: bytes,
    packets,
    fingerprint: { headHash: 1, hashes: [], lengths: [], bytes },
  };
}

let nextPort = 40000;

function session(index: number, startNs: number, firstPacket: number, port = nextPort++): Session {
  const s = new Session(
    index,
    { ipVersion: 4, addr: [0, 0, 0, 0x0a000001], port },
    { ipVersion: 4, addr: [0, 0, 0, 0x0a000002], port: 80 },
    0,
    0,
  );
  s.firstPacket = firstPacket;
  s.lastPacket = firstPacket + 10;
  s.startRelNs = startNs;
  s.endRelNs = startNs + 50 * MS;
  s.syn = hs(firstPacket, startNs);
  s.synAck = hs(firstPacket + 1, startNs + 0.1 * MS, { seq: 5000, ack: 1001 });
  s.handshakeAck = hs(firstPacket + 2, startNs + 0.2 * MS, { seq: 1001, ack: 5001 });
  s.dirs[0].isn = 1000;
  s.dirs[0].isnKnown = true;
  return s;
}

function side(name: 'client' | 'server', sessions: Session[]): SideData {
  return {
    side: name,
    path: `/nonexistent/${name}.pcap`,
    info: {} as SideData['info'],
    anomalies: {} as SideData['anomalies'],
    error: null,
    packets: 10_000,
    tcpPackets: 10_000,
    baseSec: 0,
    shiftNs: 0,
    firstRelNs: 0,
    lastRelNs: 1e12,
    resolutionNs: 1,
    sessions,
    lineHashes: [],
  };
}

const tuple = (srcPort: number, srcIp = '10.0.0.1', dstIp = '10.0.0.2', dstPort = 80): Tuple => ({
  srcIp,
  srcPort,
  dstIp,
  dstPort,
});

function pair(id: number, kind: PairKind, server: number[], over: Partial<SessionPair> = {}): SessionPair {
  return {
    id,
    client: id,
    server,
    mapping: 'one-to-one',
    kind,
    score: 1,
    evidence: [],
    clientTuple: tuple(40000 + id),
    serverTuples: server.map(() => tuple(40000 + id)),
    seqOffsets: kind === 'terminated' ? null : { c2s: 0, s2c: 0 },
    messages: [],
    ...over,
  };
}

function match(p: number, over: Partial<PairMatch> = {}): PairMatch {
  const noDelay = { count: 0, minNs: 0, p50Ns: 0, p99Ns: 0, maxNs: 0 };
  return {
    pair: p,
    matched: [10, 10],
    dropped: [0, 0],
    injected: [0, 0],
    delay: [noDelay, noDelay],
    changes: [],
    examples: [],
    answered: [0, 0],
    outside: [0, 0],
    timing: {
      handshake: {
        clientSynToSynAckNs: 0.1 * MS,
        clientSynToAckNs: 0.2 * MS,
        clientSynToDataNs: 1 * MS,
        server: [
          {
            session: p,
            synAfterClientSynNs: 0.05 * MS,
            synAfterClientAckNs: -0.15 * MS,
            synAfterClientDataNs: -0.95 * MS,
            synToSynAckNs: 0.02 * MS,
            connectsAfter: 'syn',
          },
        ],
      },
      links: [],
    },
    ...over,
  };
}

const IDENTITY = {
  offsetNs: 0,
  skewPpm: 0,
  referenceNs: 0,
  boundNs: 1000,
  segments: [{ fromNs: -1e15, toNs: 1e15, referenceNs: 0, offsetNs: 0, skewPpm: 0 }],
} as unknown as ClockAlignment;

function correlation(
  clients: Session[],
  servers: Session[],
  pairs: SessionPair[],
  matches: PairMatch[] = pairs.map((p) => match(p.id)),
): Correlation {
  return {
    client: side('client', clients),
    server: side('server', servers),
    baseSec: 0,
    alignment: IDENTITY,
    swapped: false,
    pairs,
    unpaired: [],
    matches,
    warnings: [],
  };
}

/** n pass-through pairs of `kind`, one client and one server session each, 1 s apart. */
function passThrough(
  n: number,
  kind: PairKind = 'same',
  over: (i: number) => Partial<SessionPair> = () => ({}),
) {
  const clients = Array.from({ length: n }, (_, i) => session(i, i * 1e9, i * 20 + 1));
  const servers = Array.from({ length: n }, (_, i) => session(i, i * 1e9 + 0.05 * MS, i * 20 + 1));
  const pairs = clients.map((_, i) => pair(i, kind, [i], over(i)));
  return { clients, servers, pairs };
}

const ttlChange = (count: number, delta: number) => ({
  field: 'ttl',
  dir: 0 as const,
  count,
  clientPacket: 1,
  serverPacket: 1,
  detail: `ttl 64 (client side #1) -> ${64 + delta} (server side #1)`,
  delta,
  upstream: 64,
  downstream: 64 + delta,
});

describe('forwarding and TTL', () => {
  test('forwards-packets needs matched packets; decrements-ttl needs every matched c2s packet lowered', () => {
    const { clients, servers, pairs } = passThrough(4);
    const c = correlation(
      clients,
      servers,
      pairs,
      pairs.map((p) => match(p.id, { changes: [ttlChange(10, -1)] })),
    );
    const ctx = buildContext(c);
    expect(forwardsPackets(ctx)).toMatchObject({ id: 'forwards-packets', count: 4 });
    expect(decrementsTtl(ctx)).toMatchObject({ id: 'decrements-ttl', count: 4 });
  });

  test('TTL lowered on some packets of a pair only: that pair does not count; some pairs only: undecided', () => {
    const { clients, servers, pairs } = passThrough(4);
    const matches = pairs.map((p) =>
      match(p.id, { changes: p.id < 2 ? [ttlChange(10, -1)] : [ttlChange(3, -1)] }),
    );
    expect(decrementsTtl(buildContext(correlation(clients, servers, pairs, matches)))).toEqual({
      id: 'decrements-ttl',
      reason: expect.stringContaining('2 of 4'),
    });
  });

  test('nothing matched: no forwarding', () => {
    const { clients, servers, pairs } = passThrough(2);
    const c = correlation(
      clients,
      servers,
      pairs,
      pairs.map((p) => match(p.id, { matched: [0, 0] })),
    );
    expect(forwardsPackets(buildContext(c))).toBeNull();
  });
});

describe('rewrites', () => {
  test('a changed source port on one pair of three is reported, with both values', () => {
    const { clients, servers, pairs } = passThrough(3, 'translated', (i) =>
      i === 1 ? { serverTuples: [tuple(61000)] } : {},
    );
    const b = rewritesSourcePort(buildContext(correlation(clients, servers, pairs))) as Behaviour;
    expect(b).toMatchObject({ id: 'rewrites-source-port', count: 1 });
    expect(b.evidence[0]!.values).toEqual({ srcPortClient: 40001, srcPortServer: 61000 });
  });

  test('rewrites-sequence: constant offsets, and which direction', () => {
    const { clients, servers, pairs } = passThrough(2, 'seq-shifted', () => ({
      seqOffsets: { c2s: 0x100, s2c: 0 },
    }));
    const b = rewritesSequence(buildContext(correlation(clients, servers, pairs))) as Behaviour;
    expect(b.count).toBe(2);
    expect(b.detail).toContain('client-to-server only');
    expect(b.evidence[0]!.values.c2sOffset).toBe('0x100');
  });

  test('rewrites-options names an MSS clamp', () => {
    const { clients, servers, pairs } = passThrough(1);
    const mss = {
      field: 'mss',
      dir: 0 as const,
      count: 1,
      clientPacket: 1,
      serverPacket: 1,
      detail: 'mss 1460 (client side #1) -> 1380 (server side #1)',
      delta: -80,
      upstream: 1460,
      downstream: 1380,
    };
    const c = correlation(clients, servers, pairs, [match(0, { changes: [mss] })]);
    expect((rewritesOptions(buildContext(c)) as Behaviour).detail).toContain(
      'MSS clamped (e.g. 1460 -> 1380)',
    );
    // The values, not the words: the same without the change's text; an added MSS is no clamp.
    const unworded = correlation(clients, servers, pairs, [match(0, { changes: [{ ...mss, detail: '' }] })]);
    expect((rewritesOptions(buildContext(unworded)) as Behaviour).detail).toContain('(e.g. 1460 -> 1380)');
    const added = correlation(clients, servers, pairs, [match(0, { changes: [{ ...mss, upstream: -1 }] })]);
    expect((rewritesOptions(buildContext(added)) as Behaviour).detail).toContain('MSS changed');
  });
});

describe('handshake answering and connecting', () => {
  const timing = (synAckNs: number, serverSynNs: number, after: 'syn' | 'handshake') => ({
    handshake: {
      clientSynToSynAckNs: synAckNs,
      clientSynToAckNs: synAckNs + 0.01 * MS,
      clientSynToDataNs: 1 * MS,
      server: [
        {
          session: 0,
          synAfterClientSynNs: serverSynNs,
          synAfterClientAckNs: serverSynNs - synAckNs - 0.01 * MS,
          synAfterClientDataNs: serverSynNs - MS,
          synToSynAckNs: 0.02 * MS,
          connectsAfter: after,
        },
      ],
    },
    links: [],
  });

  test('SYN-ACK before the server-side SYN on every pair: answers-syn; SYN after the ACK: delays-server-connect', () => {
    const { clients, servers, pairs } = passThrough(3, 'spliced');
    const c = correlation(
      clients,
      servers,
      pairs,
      pairs.map((p) => match(p.id, { timing: timing(0.03 * MS, 0.1 * MS, 'handshake') })),
    );
    const ctx = buildContext(c);
    expect(answersSyn(ctx)).toMatchObject({ id: 'answers-syn', count: 3 });
    expect(delaysServerConnect(ctx)).toMatchObject({ id: 'delays-server-connect', count: 3 });
  });

  test('a router: the server answers, the SYN is forwarded at once', () => {
    const { clients, servers, pairs } = passThrough(3);
    const ctx = buildContext(correlation(clients, servers, pairs));
    expect(answersSyn(ctx)).toBeNull();
    expect(delaysServerConnect(ctx)).toBeNull();
  });
});

describe('drops and injections', () => {
  // An event as pass 2 makes it, its `detail` in pass 2's words for the same flags and numbers.
  const ev = (
    event: 'dropped' | 'injected',
    side: 'client' | 'server',
    dir: 0 | 1,
    packet: number,
    flags: number,
    at: { seq: number; ack?: number; len?: number },
    relNs: number,
  ): PacketEvent => {
    const ack = flags & TCP_ACK ? (at.ack ?? 0) : 0;
    const len = at.len ?? 0;
    const ackText = flags & TCP_ACK ? ` ack=0x${ack.toString(16)}` : '';
    return {
      event,
      side,
      dir,
      packet,
      relNs,
      detail: `${tcpFlagsString(flags)} seq=0x${at.seq.toString(16)}${ackText} len=${len} ip-id=0`,
      flags,
      len,
      seq: at.seq,
      ack,
    };
  };

  test("a SYN proxy's own handshake packets and window update are not injections; an RST of its own is", () => {
    const { clients, servers, pairs } = passThrough(1, 'spliced');
    clients[0]!.messages.push(message(0, 10, 5 * MS, 100, 1));
    const own = [
      ev('injected', 'client', 1, 2, TCP_SYN | TCP_ACK, { seq: 1, ack: 1001 }, 0.1 * MS),
      ev('injected', 'server', 0, 1, TCP_SYN, { seq: 1000 }, 0.3 * MS),
      ev('injected', 'server', 0, 3, TCP_ACK, { seq: 1001, ack: 2 }, 0.5 * MS),
      ev('injected', 'client', 1, 4, TCP_ACK, { seq: 2, ack: 1001 }, 0.6 * MS),
    ];
    const plain = correlation(clients, servers, pairs, [match(0, { injected: [2, 2], examples: own })]);
    expect(injectsPackets(buildContext(plain))).toBeNull();
    const rst = ev('injected', 'client', 1, 30, TCP_RST, { seq: 2 }, 40 * MS);
    const withRst = correlation(clients, servers, pairs, [
      match(0, { injected: [2, 3], examples: [...own, rst] }),
    ]);
    const b = injectsPackets(buildContext(withRst)) as Behaviour;
    expect(b).toMatchObject({ id: 'injects-packets', count: 1 });
    expect(b.evidence[0]!.clientPackets).toEqual([30]);
  });

  test('dropped packets: counted, shown on their near side only', () => {
    const { clients, servers, pairs } = passThrough(2);
    const drop = ev('dropped', 'client', 0, 7, TCP_ACK, { seq: 1001, ack: 5001, len: 100 }, MS);
    const c = correlation(clients, servers, pairs, [
      match(0, { dropped: [1, 0], examples: [drop] }),
      match(1),
    ]);
    const b = dropsPackets(buildContext(c)) as Behaviour;
    expect(b.count).toBe(1);
    expect(b.evidence[0]).toMatchObject({ clientPackets: [7], serverPackets: [] });
  });

  test('terminated only: drops and injections are undecided', () => {
    const client = session(0, 0, 1);
    const server = session(0, MS, 1);
    const c = correlation([client], [server], [pair(0, 'terminated', [0])]);
    expect(dropsPackets(buildContext(c))).toMatchObject({ id: 'drops-packets', reason: expect.any(String) });
  });
});

describe('terminating devices', () => {
  function proxied(over: {
    sim?: number;
    serverBytes?: number;
    serverPackets?: number;
    shareServer?: boolean;
  }) {
    const clients = [session(0, 0, 1), session(1, 10 * MS, 30)];
    const servers = [session(0, 2 * MS, 1), session(1, 12 * MS, 30)];
    const pairs: SessionPair[] = [];
    clients.forEach((cs, i) => {
      cs.messages.push(message(0, cs.firstPacket + 3, cs.startRelNs + MS, 5000, 4));
      const target = over.shareServer ? 0 : i;
      servers[target]!.messages.push(
        message(
          0,
          servers[target]!.firstPacket + 3 + i * 5,
          cs.startRelNs + 3 * MS,
          over.serverBytes ?? 5000,
          over.serverPackets ?? 4,
        ),
      );
      const link: MessageLink = {
        clientMessage: 0,
        serverSession: 0,
        serverMessage: over.shareServer ? i : 0,
        similarity: over.sim ?? 1,
        latencyNs: MS,
      };
      pairs.push(pair(i, 'terminated', [target], { messages: [link] }));
    });
    return buildContext(correlation(clients, servers, pairs));
  }

  test('pooling: one server-side connection carries two client connections', () => {
    expect(poolsConnections(proxied({ shareServer: true }))).toMatchObject({
      id: 'pools-connections',
      count: 1,
    });
    expect(poolsConnections(proxied({}))).toBeNull();
  });

  test('payload: edited messages fire modifies-payload; identical ones do not', () => {
    expect(modifiesPayload(proxied({ sim: 0.6, serverBytes: 5040 }))).toMatchObject({
      id: 'modifies-payload',
      count: 2,
    });
    expect(modifiesPayload(proxied({}))).toBeNull();
  });

  test('resegmenting: same bytes in other segment counts, beyond retransmissions', () => {
    expect(resegments(proxied({ serverPackets: 6 }))).toMatchObject({ id: 'resegments', count: 2 });
    expect(resegments(proxied({}))).toBeNull();
  });

  test('delayed binding: every server-side SYN after the request it carries', () => {
    // Server SYNs at 2 ms and 12 ms, requests at 1 ms and 11 ms: connect after the request.
    expect(delaysServerConnect(proxied({}))).toMatchObject({ id: 'delays-server-connect', count: 2 });
  });
});

describe('endpoint anomalies', () => {
  test('bogus-syn-ack and ignores-handshake-ack come from the handshake findings of their side', () => {
    const { clients, servers, pairs } = passThrough(2);
    clients[1]!.findings.push(
      finding(
        'tcp.handshake.synack_bad_ack',
        22,
        'reply 22 acks 0x8ab20981, expected 0x000003e9 (SYN 21 seq 0x000003e8)',
        {
          seq: 5000,
          ack: 0x8ab20981,
          expectedAck: 1001,
          relatedPacket: 21,
        },
      ),
    );
    servers[0]!.findings.push(
      finding(
        'tcp.handshake.synack_retransmitted_after_ack',
        9,
        'SYN-ACK 9 (seq 0x00001388) re-sent 1000.000 ms after handshake ACK 3',
        {
          seq: 5000,
          ack: 1001,
          relatedPacket: 3,
        },
      ),
    );
    const ctx = buildContext(correlation(clients, servers, pairs));
    const bogus = bogusSynAck(ctx) as Behaviour;
    expect(bogus).toMatchObject({ id: 'bogus-syn-ack', count: 1 });
    expect(bogus.evidence[0]!.values).toMatchObject({ ack: '0x8ab20981', expected: '0x3e9' });
    expect(bogus.evidence[0]!.text).toBe(clients[1]!.findings[0]!.detail);
    const ignored = ignoresHandshakeAck(ctx) as Behaviour;
    expect(ignored.evidence[0]!.serverPackets).toEqual([2, 3, 9]);
  });
});

describe('problems when the files cannot be read again', () => {
  test('a bogus answer on a never-forwarded attempt still gives its problem, without packet times', () => {
    const { clients, servers, pairs } = passThrough(1);
    const failed = session(1, 5e9, 100, 40000);
    failed.synAck = null;
    failed.handshakeAck = null;
    failed.synCount = 3;
    failed.findings.push(
      finding(
        'tcp.handshake.synack_bad_ack',
        101,
        'reply 101 acks 0x00000010, expected 0x000003e9 (SYN 100 seq 0x000003e8)',
        {
          seq: 7000,
          ack: 0x10,
          expectedAck: 1001,
          relatedPacket: 100,
        },
      ),
    );
    const d = diagnose(correlation([...clients, failed], servers, pairs));
    const p = d.problems.find((x) => x.id === 'handshake.bogus_ack')!;
    expect(p.severity).toBe('error');
    expect(p.text).toContain('an ACK of 0x00000010 instead of 0x3e9');
    expect(p.text).toContain('the device sent it');
    expect(p.clientSession).toBe(1);
  });
});

describe('when a client gave up', () => {
  test('the doubling SYN timer gives the time the next SYN was due; unknown without enough retries or capture', () => {
    expect(gaveUpAt([0, 0.01, 1, 2, 3, 4, 6], 20, 10.9)).toBeCloseTo(10, 5);
    expect(gaveUpAt([0, 1, 3], 20, null)).toBeCloseTo(7, 5);
    expect(gaveUpAt([0, 1], 20, null)).toBeNull();
    expect(gaveUpAt([0, 1, 3], 5, null)).toBeNull();
  });
});

describe('device kind and reading rules', () => {
  const b = (id: BehaviourId): Behaviour => ({ id, confidence: 1, count: 1, detail: id, evidence: [] });
  test.each([
    [['terminates-tcp', 'resegments'], 'l4-proxy'],
    [['terminates-tcp', 'modifies-payload'], 'l7-proxy'],
    [['forwards-packets', 'answers-syn', 'splices-after-handshake', 'rewrites-sequence'], 'syn-proxy'],
    [['forwards-packets', 'rewrites-sequence'], 'sequence-rewriter'],
    [['forwards-packets', 'rewrites-destination-port'], 'nat'],
    [['forwards-packets', 'decrements-ttl'], 'transparent'],
    [[], 'unknown'],
  ] as [BehaviourId[], string][])('%j -> %s', (ids, kind) => {
    expect(deviceKind(ids.map(b)).kind).toBe(kind);
  });

  test('a terminating device rewrites nothing and answers no SYN; an L7 proxy does not resegment', () => {
    const kept = applyReadingRules(
      ['terminates-tcp', 'rewrites-source-port', 'answers-syn', 'modifies-payload', 'resegments'].map((id) =>
        b(id as BehaviourId),
      ),
    );
    expect(kept.map((x) => x.id)).toEqual(['terminates-tcp', 'modifies-payload']);
  });

  test('an empty correlation: unknown device, nothing claimed, no crash', () => {
    const d = diagnose(correlation([], [], []));
    expect(d.device.kind).toBe('unknown');
    expect(d.device.behaviours).toEqual([]);
    expect(d.problems).toEqual([]);
    expect(d.device.summary).toContain('No connection');
  });
});

describe('TLS through the device', () => {
  const CLIENT_HELLO = 22 | (1 << 8);
  const SERVER_HELLO = 22 | (2 << 8);
  const APPLICATION_DATA = 23;
  const tlsMessage = (dir: 0 | 1, packet: number, relNs: number, bytes: number, tls: number): Message => ({
    ...message(dir, packet, relNs, bytes, 1),
    tls,
  });
  /** Client sessions speaking TLS; server sessions plain, or TLS when `serverTls`; links as given. */
  function tlsProxied(over: { serverTls?: boolean; sim?: number; kind?: PairKind }) {
    const clients = [session(0, 0, 1), session(1, 100 * MS, 40)];
    const servers = [session(0, 10 * MS, 1), session(1, 110 * MS, 40)];
    const pairs = clients.map((cs, i) => {
      const t = cs.startRelNs;
      cs.messages.push(
        tlsMessage(0, cs.firstPacket + 3, t + MS, 349, CLIENT_HELLO),
        tlsMessage(1, cs.firstPacket + 4, t + 2 * MS, 778, SERVER_HELLO),
        tlsMessage(0, cs.firstPacket + 6, t + 5 * MS, 847, APPLICATION_DATA),
        tlsMessage(1, cs.firstPacket + 9, t + 20 * MS, 228, APPLICATION_DATA),
      );
      const ss = servers[i]!;
      if (over.serverTls) {
        ss.messages.push(
          tlsMessage(0, ss.firstPacket + 3, t + 6 * MS, 349, CLIENT_HELLO),
          tlsMessage(1, ss.firstPacket + 4, t + 7 * MS, 778, SERVER_HELLO),
          tlsMessage(0, ss.firstPacket + 6, t + 8 * MS, 847, APPLICATION_DATA),
          tlsMessage(1, ss.firstPacket + 8, t + 18 * MS, 228, APPLICATION_DATA),
        );
      } else {
        ss.messages.push(
          message(0, ss.firstPacket + 3, t + 6 * MS, 825, 1),
          message(1, ss.firstPacket + 5, t + 18 * MS, 230, 1),
        );
      }
      const first = over.serverTls ? 2 : 0;
      const messages: MessageLink[] = [
        {
          clientMessage: 2,
          serverSession: 0,
          serverMessage: first,
          similarity: over.sim ?? 0.25,
          latencyNs: MS,
        },
        {
          clientMessage: 3,
          serverSession: 0,
          serverMessage: first + 1,
          similarity: over.sim ?? 0.25,
          latencyNs: MS,
        },
      ];
      return pair(i, over.kind ?? 'terminated', [i], { messages, score: 0.16 });
    });
    return correlation(clients, servers, pairs);
  }

  test('TLS on the client side, plain text on the server side: terminates-tls, with both hellos and the plain request', () => {
    const c = tlsProxied({});
    const tls = terminatesTls(buildContext(c));
    expect(tls).toMatchObject({ id: 'terminates-tls', count: 2 });
    const b = tls as Behaviour;
    expect(b.confidence).toBeGreaterThan(0);
    expect(b.confidence).toBeLessThan(1);
    expect(b.evidence[0]).toMatchObject({ clientPackets: [4, 5], serverPackets: [4] });
    expect(b.evidence[0]!.text).toContain('plain text');
    // The plaintext of an encrypted leg cannot be compared: no claim about edits either way.
    expect(modifiesPayload(buildContext(c))).toEqual({
      id: 'modifies-payload',
      reason: expect.stringContaining('encrypted on one side only'),
    });
    const d = diagnose(c);
    expect(d.device.kind).toBe('l7-proxy');
    expect(d.device.behaviours.map((x) => x.id)).toContain('terminates-tls');
    expect(d.device.summary).toContain('It terminates TLS');
    expect(d.device.summary).toContain('timing and message sizes');
  });

  test('TLS on both sides, linked by timing only: the device re-encrypts, terminates-tls', () => {
    const tls = terminatesTls(buildContext(tlsProxied({ serverTls: true })));
    expect(tls).toMatchObject({ id: 'terminates-tls', count: 2 });
    expect((tls as Behaviour).evidence[0]!.values.serverSideTls).toBe(true);
  });

  test('TLS relayed unchanged by an L4 proxy (the records match by content): not terminates-tls', () => {
    const c = tlsProxied({ serverTls: true, sim: 1 });
    expect(terminatesTls(buildContext(c))).toBeNull();
    expect(modifiesPayload(buildContext(c))).toBeNull();
    expect(diagnose(c).device.kind).toBe('l4-proxy');
  });

  test('TLS forwarded packet by packet (a pass-through pair): not terminates-tls', () => {
    expect(terminatesTls(buildContext(tlsProxied({ serverTls: true, sim: 1, kind: 'same' })))).toBeNull();
  });

  test('TLS client connections that could not be paired: undecided; no TLS at all: silent', () => {
    const c = tlsProxied({});
    const unpaired = correlation(c.client.sessions, c.server.sessions, []);
    expect(terminatesTls(buildContext(unpaired))).toEqual({
      id: 'terminates-tls',
      reason: expect.stringContaining('none could be paired'),
    });
    const { clients, servers, pairs } = passThrough(2);
    expect(terminatesTls(buildContext(correlation(clients, servers, pairs)))).toBeNull();
  });

  test('an L7 proxy that terminates TLS does not resegment', () => {
    const b = (id: BehaviourId): Behaviour => ({ id, confidence: 1, count: 1, detail: id, evidence: [] });
    const kept = applyReadingRules(
      ['terminates-tcp', 'terminates-tls', 'resegments'].map((id) => b(id as BehaviourId)),
    );
    expect(kept.map((x) => x.id)).toEqual(['terminates-tcp', 'terminates-tls']);
    expect(deviceKind(kept).kind).toBe('l7-proxy');
  });
});
