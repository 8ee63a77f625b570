import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { CaptureError } from '../../src/capture/index.js';
import { type PairingResult, pairSessions } from '../../src/correlate/pair.js';
import { loadSide } from '../../src/correlate/side.js';
import type { PairKind, SessionPair, SideData, Tuple } from '../../src/correlate/types.js';
import { type Message, type Session, TLS_APPLICATION_DATA, tlsContentType } from '../../src/tcp/index.js';
import { TLS_CHANGE_CIPHER_SPEC } from '../../src/tcp/tls.js';
import { announceSkip, corpusCaptures, corpusDir } from '../helpers/corpus.js';
import { randomisedCopy } from '../helpers/reseq.js';
import { retimeCapture } from '../helpers/retime.js';
import { loadTruth, samplesDir, scenarios, type Truth, type TruthTuple } from '../helpers/truth.js';

const KIND_OF_DEVICE: Record<Truth['device']['kind'], PairKind> = {
  transparent: 'same',
  nat: 'translated',
  'sequence-rewriter': 'seq-shifted',
  'syn-proxy': 'spliced',
  'l4-proxy': 'terminated',
  'l7-proxy': 'terminated',
};

/** +3 h 17 min, and 80 ppm fast. */
const SHIFT_NS = (3n * 3600n + 17n * 60n) * 1_000_000_000n;
const SKEW_PPM = 80;

const sameTuple = (t: Tuple, u: TruthTuple) =>
  t.srcIp === u[0] && t.srcPort === u[1] && t.dstIp === u[2] && t.dstPort === u[3];

interface Loaded {
  truth: Truth;
  client: SideData;
  server: SideData;
  result: PairingResult;
}

function load(scenario: string, retimed: boolean): Loaded {
  const dir = join(samplesDir(), scenario);
  const truth = loadTruth(dir);
  const client = loadSide(join(dir, truth.captures.client), 'client');
  let serverPath = join(dir, truth.captures.server);
  if (retimed) serverPath = retimeCapture(serverPath, { offsetNs: SHIFT_NS, skewPpm: SKEW_PPM }).path;
  const server = loadSide(serverPath, 'server');
  return { truth, client, server, result: pairSessions(client, server) };
}

function clientSessionOf(client: SideData, tuple: TruthTuple, isn: number): Session {
  const found = client.sessions.filter((s) => s.clientIsn === isn && s.client.port === tuple[1]);
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** How many client connections (or requests, for pools) are mapped exactly as the truth says. */
function checkMapping(l: Loaded): { agree: number; total: number; problems: string[] } {
  const { truth, client, server, result } = l;
  const problems: string[] = [];
  let agree = 0;
  let total = 0;
  // Per request where the device pools: a client connection spread over several server connections, or
  // a server connection carrying several client connections. An L7 proxy that keeps one server connection
  // per client connection (haproxy-tls) is checked per connection.
  const legs = truth.connections.flatMap((c) => c.server.map((s) => `${s.tuple.join(' ')}#${s.isn}`));
  const pool = truth.connections.some((c) => c.server.length > 1) || new Set(legs).size < legs.length;
  for (const conn of truth.connections) {
    const cs = clientSessionOf(client, conn.client.tuple, conn.client.isn);
    const pair = result.pairs.find((p) => p.client === cs.index);
    const label = `${conn.client.tuple.join(' ')} isn ${conn.client.isn}`;
    if (conn.server.length === 0) {
      total++;
      const u = result.unpaired.find((x) => x.side === 'client' && x.session === cs.index);
      if (pair === undefined && u?.reason === 'never-forwarded') agree++;
      else problems.push(`${label}: expected unpaired never-forwarded, got ${pair ? 'a pair' : u?.reason}`);
      continue;
    }
    if (!pool) {
      total++;
      const leg = conn.server[0]!;
      const ok =
        pair !== undefined &&
        pair.server.length === 1 &&
        sameTuple(pair.serverTuples[0]!, leg.tuple) &&
        server.sessions[pair.server[0]!]!.clientIsn === leg.isn;
      if (ok) agree++;
      else
        problems.push(`${label}: expected ${leg.tuple.join(' ')}, got ${JSON.stringify(pair?.serverTuples)}`);
      continue;
    }
    // Per request: the k-th client request message is request k of the connection (behind TLS, the
    // k-th that starts with application data: the hello and the Finished flight come first).
    const requestMessages = cs.messages.map((m, i) => (isRequest(m) ? i : -1)).filter((i) => i >= 0);
    conn.requests.forEach((id, k) => {
      total++;
      const leg = conn.server.find((s) => s.requests.includes(id));
      const link = pair?.messages.find((m) => m.clientMessage === requestMessages[k]);
      const got = link && pair ? server.sessions[pair.server[link.serverSession]!]! : undefined;
      if (
        leg &&
        got &&
        pair &&
        sameTuple(pair.serverTuples[link!.serverSession]!, leg.tuple) &&
        got.clientIsn === leg.isn
      ) {
        agree++;
      } else
        problems.push(
          `${label} request ${id}: expected ${leg?.tuple.join(' ')}, got ${got ? got.index : 'none'}`,
        );
    });
  }
  return { agree, total, problems };
}

/**
 * A message from the client that can be a request: any, or behind TLS one starting with application data,
 * or with the client's last handshake flight (ChangeCipherSpec and Finished: 64 to 80 bytes from the lab's
 * TLS 1.3 client) followed by more.
 */
function isRequest(m: Message): boolean {
  if (m.dir !== 0) return false;
  const type = tlsContentType(m.tls ?? 0);
  return (
    type === 0 ||
    type === TLS_APPLICATION_DATA ||
    (type === TLS_CHANGE_CIPHER_SPEC && m.end - m.start > TLS13_CLIENT_FLIGHT_MAX)
  );
}
const TLS13_CLIENT_FLIGHT_MAX = 128;

const all = scenarios();

describe.each(all)('pairing %s', (scenario) => {
  let l: Loaded;
  beforeAll(() => {
    l = load(scenario, false);
  });

  test('every client connection (every request through a pool) maps as the truth says', () => {
    const m = checkMapping(l);
    expect(m.problems).toEqual([]);
    expect(m.agree).toBe(m.total);
  });

  test('pair kinds fit the device; SYN-proxy offsets equal the truth', () => {
    const want = KIND_OF_DEVICE[l.truth.device.kind];
    for (const p of l.result.pairs) expect(p.kind).toBe(want);
    if (l.truth.device.kind === 'syn-proxy') {
      for (const conn of l.truth.connections) {
        const cs = clientSessionOf(l.client, conn.client.tuple, conn.client.isn);
        const p = l.result.pairs.find((x) => x.client === cs.index)!;
        const truthOffset = conn.server[0]!.seqOffset!;
        // The truth gives client-side minus server-side; a pair gives server-side minus client-side.
        expect(p.seqOffsets).toEqual({ c2s: -truthOffset.c2s >>> 0, s2c: -truthOffset.s2c >>> 0 });
      }
    }
  });

  test('nothing else is unpaired; every pair has evidence and a score', () => {
    const failed = l.truth.connections.filter((c) => c.server.length === 0).length;
    expect(l.result.unpaired.filter((u) => u.side === 'client')).toHaveLength(failed);
    expect(l.result.unpaired.filter((u) => u.side === 'server')).toEqual([]);
    for (const p of l.result.pairs) {
      expect(p.score).toBeGreaterThan(0);
      expect(p.score).toBeLessThanOrEqual(1);
      expect(p.evidence.length).toBeGreaterThan(0);
    }
    expect(l.result.swapped).toBe(false);
    expect(l.result.warnings).toEqual([]);
  });

  test('clocks: one shared clock is found within the bound, bound under 1 ms', () => {
    const a = l.result.alignment;
    expect(a.boundNs).toBeLessThan(1e6);
    expect(Math.abs(a.offsetNs)).toBeLessThanOrEqual(a.boundNs);
  });

  describe('server side retimed by +3 h 17 min and +80 ppm', () => {
    let r: Loaded;
    let t0Rel = 0;
    beforeAll(() => {
      r = load(scenario, true);
      // The retiming's t0 is the server file's first packet, on the shared base of the result.
      t0Rel = r.server.firstRelNs + r.server.shiftNs;
    });

    test('same mapping', () => {
      const m = checkMapping(r);
      expect(m.problems).toEqual([]);
      expect(m.agree).toBe(m.total);
      expect(pairsKey(r.result.pairs, r)).toEqual(pairsKey(l.result.pairs, l));
    });

    test('recovered offset within the reported bound of the truth, bound under 1 ms', () => {
      const a = r.result.alignment;
      const k = SKEW_PPM * 1e-6;
      // server' = s + O + k (s - t0); at server' = ref the true client time s satisfies
      // s - t0 = (ref - O - t0) / (1 + k) with t0 on the retimed clock equal to t0 + O.
      const d = a.referenceNs - t0Rel;
      const truth = -Number(SHIFT_NS) - (d * k) / (1 + k);
      expect(a.boundNs).toBeLessThan(1e6);
      expect(Math.abs(a.offsetNs - truth)).toBeLessThanOrEqual(a.boundNs);
    });
  });
});

function pairsKey(pairs: SessionPair[], l: Loaded): string[] {
  return pairs.map(
    (p) => `${p.client}>${p.server.map((s) => l.server.sessions[s]!.clientIsn).join(',')}:${p.kind}`,
  );
}

describe('files given the wrong way round', () => {
  test.each(all.filter((s) => ['routed', 'haproxy-tcp', 'haproxy-tls', 'haproxy-tls-pool'].includes(s)))(
    '%s: swapped is detected',
    (scenario) => {
      const dir = join(samplesDir(), scenario);
      const truth = loadTruth(dir);
      const asClient = loadSide(join(dir, truth.captures.server), 'client');
      const asServer = loadSide(join(dir, truth.captures.client), 'server');
      const r = pairSessions(asClient, asServer);
      expect(r.swapped).toBe(true);
      expect(r.warnings.map((w) => w.id)).toContain('pair.swapped');
    },
  );
});

describe('captures without shared traffic', () => {
  const ok = all.includes('routed') && all.includes('nat');
  (ok ? test : test.skip)('no pairs, a warning for no shared traffic and one for no overlap', () => {
    const routed = loadTruth(join(samplesDir(), 'routed'));
    const nat = loadTruth(join(samplesDir(), 'nat'));
    const client = loadSide(join(samplesDir(), 'routed', routed.captures.client), 'client');
    const server = loadSide(join(samplesDir(), 'nat', nat.captures.server), 'server');
    const r = pairSessions(client, server);
    expect(r.pairs).toEqual([]);
    const ids = r.warnings.map((w) => w.id);
    expect(ids).toContain('pair.no_shared_traffic');
    expect(ids).toContain('pair.no_overlap');
    expect(r.unpaired).toHaveLength(client.sessions.length + server.sessions.length);
    expect(new Set(r.unpaired.map((u) => u.reason))).toEqual(new Set(['no-match']));
  });
});

describe('every corpus capture paired with itself', () => {
  const corpus = corpusDir();
  if (corpus === null) announceSkip('pairing: corpus self-pairing');
  (corpus ? test : test.skip)(
    'never throws; every connection with a SYN pairs with itself as `same`, nothing else',
    () => {
      const problems: string[] = [];
      let paired = 0;
      for (const rel of corpusCaptures(corpus!)) {
        let a: SideData;
        let b: SideData;
        try {
          a = loadSide(join(corpus!, rel), 'client');
          b = loadSide(join(corpus!, rel), 'server');
        } catch (e) {
          // Files that cannot be read at all are the reader's business (a named CaptureError).
          if (e instanceof CaptureError) continue;
          throw e;
        }
        const r = pairSessions(a, b);
        const withSyn = a.sessions.filter((s) => s.syn !== null).map((s) => s.index);
        const identity = new Set(
          r.pairs.filter((p) => p.kind === 'same' && p.server[0] === p.client).map((p) => p.client),
        );
        const other = r.pairs.filter((p) => !identity.has(p.client));
        if (withSyn.some((i) => !identity.has(i)) || other.length > 0) {
          problems.push(
            `${rel}: ${withSyn.length} with SYN, ${identity.size} paired with themselves, ${other.length} other`,
          );
        }
        paired += identity.size;
      }
      expect(problems).toEqual([]);
      expect(paired).toBeGreaterThan(0);
    },
  );
});

describe('sequence randomiser (the routed sample with rewritten server-side numbers)', () => {
  const ok = all.includes('routed');
  (ok ? test : test.skip)(
    'every connection pairs as seq-shifted with its offsets, through TSval and SYN fields',
    () => {
      const dir = join(samplesDir(), 'routed');
      const truth = loadTruth(dir);
      const delta = (port: number): [number, number] => [
        Math.imul(port, 0x9e3779b1) >>> 0,
        Math.imul(port + 7, 0x85ebca6b) >>> 0,
      ];
      const client = loadSide(join(dir, truth.captures.client), 'client');
      const server = loadSide(
        randomisedCopy(join(dir, truth.captures.server), truth.connections[0]!.server[0]!.tuple[3], delta)
          .path,
        'server',
      );
      const r = pairSessions(client, server);
      const problems: string[] = [];
      for (const conn of truth.connections) {
        const cs = clientSessionOf(client, conn.client.tuple, conn.client.isn);
        const p = r.pairs.find((x) => x.client === cs.index);
        const [dc, ds] = delta(conn.client.tuple[1]);
        const want = `seq-shifted ${conn.server[0]!.tuple.join(' ')} ${dc}/${ds}`;
        const got = p
          ? `${p.kind} ${[p.serverTuples[0]!.srcIp, p.serverTuples[0]!.srcPort, p.serverTuples[0]!.dstIp, p.serverTuples[0]!.dstPort].join(' ')} ${p.seqOffsets?.c2s}/${p.seqOffsets?.s2c}`
          : 'unpaired';
        if (got !== want) problems.push(`${want} != ${got}`);
      }
      expect(problems).toEqual([]);
      expect(r.unpaired).toEqual([]);
      expect(Math.abs(r.alignment.offsetNs)).toBeLessThanOrEqual(r.alignment.boundNs);
    },
  );
});
