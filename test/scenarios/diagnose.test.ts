/**
 * Diagnosis of every lab scenario against its truth.json: correlate() then diagnose() must give exactly
 * the truth's behaviour set and device kind, each behaviour with 1-3 evidence items whose packet numbers
 * exist in the files; the seed scenarios must answer their threads' questions (the hex ACK values, the
 * absence of a server-side SYN, the failure timing; who sent the ignored ACK and the re-send pattern).
 * Everything again with the server side retimed by +3 h 17 min and +80 ppm: the verdicts must not change.
 */
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { type Correlation, correlate } from '../../src/correlate/index.js';
import { type Diagnosis, diagnose, type Problem } from '../../src/diagnose/index.js';
import { retimeCapture } from '../helpers/retime.js';
import { loadTruth, samplesDir, scenarios, type Truth } from '../helpers/truth.js';

const SHIFT_NS = (3n * 3600n + 17n * 60n) * 1_000_000_000n;
const SKEW_PPM = 80;

interface Run {
  truth: Truth;
  c: Correlation;
  d: Diagnosis;
}

const cache = new Map<string, Run>();

function run(scenario: string, retimed: boolean): Run {
  const key = `${scenario}/${retimed}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = join(samplesDir(), scenario);
  const truth = loadTruth(dir);
  let serverPath = join(dir, truth.captures.server);
  if (retimed) serverPath = retimeCapture(serverPath, { offsetNs: SHIFT_NS, skewPpm: SKEW_PPM }).path;
  const c = correlate(join(dir, truth.captures.client), serverPath);
  const r = { truth, c, d: diagnose(c) };
  cache.set(key, r);
  return r;
}

/** Epoch-second strings to ns, exactly enough for differences of seconds. */
const epochNs = (t: string) => {
  const [s, f = ''] = t.split('.');
  return Number(s) * 1e9 + Number(f.padEnd(9, '0').slice(0, 9));
};

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

interface TruthAnomaly {
  id: string;
  side: 'client' | 'server';
  isn: number;
  frames: number[];
  times: string[];
  detail: string;
}

const anomaliesOf = (truth: Truth) => (truth as unknown as { anomalies: TruthAnomaly[] }).anomalies;

describe.each(scenarios())('diagnose %s', (scenario) => {
  test('behaviours and device kind are exactly the truth', () => {
    const { truth, d } = run(scenario, false);
    expect(d.device.behaviours.map((b) => b.id).sort()).toEqual([...truth.behaviours].sort());
    expect(d.device.kind).toBe(truth.device.kind);
    expect(d.device.kindReason.length).toBeGreaterThan(10);
    expect(d.device.summary.length).toBeGreaterThan(50);
  });

  test('every behaviour has 1-3 evidence items with packet numbers that exist in the files', () => {
    const { c, d } = run(scenario, false);
    for (const b of d.device.behaviours) {
      expect(b.evidence.length).toBeGreaterThanOrEqual(1);
      expect(b.evidence.length).toBeLessThanOrEqual(3);
      expect(b.confidence).toBeGreaterThan(0);
      expect(b.confidence).toBeLessThanOrEqual(1);
      expect(b.count).toBeGreaterThan(0);
      const numbers = b.evidence.flatMap((e) => [...e.clientPackets, ...e.serverPackets]);
      expect(numbers.length).toBeGreaterThan(0);
      for (const e of b.evidence) {
        for (const p of e.clientPackets) expect(p >= 1 && p <= c.client.packets).toBe(true);
        for (const p of e.serverPackets) expect(p >= 1 && p <= c.server.packets).toBe(true);
        if (e.pair !== null) expect(c.pairs.some((p) => p.id === e.pair)).toBe(true);
      }
    }
    for (const p of d.problems) {
      for (const e of p.evidence) {
        for (const n of e.clientPackets) expect(n >= 1 && n <= c.client.packets).toBe(true);
        for (const n of e.serverPackets) expect(n >= 1 && n <= c.server.packets).toBe(true);
      }
    }
  });

  test('server side retimed by +3 h 17 min and +80 ppm: same verdicts', () => {
    const plain = run(scenario, false).d;
    const retimed = run(scenario, true).d;
    expect(retimed.device.kind).toBe(plain.device.kind);
    expect(retimed.device.behaviours.map((b) => [b.id, b.count])).toEqual(
      plain.device.behaviours.map((b) => [b.id, b.count]),
    );
    expect(retimed.problems.map((p) => [p.id, p.severity, p.clientSession])).toEqual(
      plain.problems.map((p) => [p.id, p.severity, p.clientSession]),
    );
    cache.delete(`${scenario}/true`);
  });
});

describe('seed-wrong-synack: the answers of the first thread', () => {
  const bogus = (d: Diagnosis) => d.problems.filter((p) => p.id === 'handshake.bogus_ack');

  test.each([false, true])('the failed attempt (retimed: %s)', (retimed) => {
    const { truth, c, d } = run('seed-wrong-synack', retimed);
    const anomaly = anomaliesOf(truth).find(
      (a) => a.id === 'tcp.handshake.synack_bad_ack' && a.frames.length > 1,
    )!;
    const conn = truth.connections.find((x) => x.client.isn === anomaly.isn)!;
    const oddAck = hex(Number(/ack (\d+)/.exec(anomaly.detail)![1]));
    const failed = bogus(d).find((p) => c.client.sessions[p.clientSession!]!.clientIsn === anomaly.isn)!;
    expect(failed.severity).toBe('error');
    // Absolute values in hex: the odd ACK and the expected ISN + 1.
    expect(failed.text).toContain(oddAck);
    expect(failed.text).toContain(hex(anomaly.isn + 1));
    // Not on the server side: no server-side SYN for it (the truth has no server leg).
    expect(conn.server).toEqual([]);
    expect(failed.text).toContain('no server-side SYN');
    expect(failed.text).toContain('the device sent it');
    // The 4-tuple was used before, by a connection that never closed in the capture.
    expect(failed.text).toContain('never closed in the capture');
    expect(failed.text).toContain('challenge ACK');
    // Timing: every SYN and every odd ACK, and the span of the attempt.
    const ev = failed.evidence[0]!;
    expect(ev.values.synCount).toBe(conn.client.synTimes.length);
    expect(ev.values.oddAcks).toBe(anomaly.frames.length);
    expect(ev.clientPackets).toEqual(expect.arrayContaining(anomaly.frames));
    const spanNs = epochNs(conn.client.synTimes.at(-1)!) - epochNs(conn.client.synTimes[0]!);
    expect(Math.abs(Number(ev.values.failedAfterNs) - spanNs)).toBeLessThan(1e6);
    expect(failed.text).toContain(`${conn.client.synTimes.length} SYNs`);
    // When the client gave up (its log's ETIMEDOUT), read from the SYN timer: within half a second.
    const gaveUpNs = conn.log.end! * 1e9 - epochNs(conn.client.synTimes[0]!);
    expect(conn.log.error).toBe('ETIMEDOUT');
    expect(Math.abs(Number(ev.values.gaveUpAfterNs) - gaveUpNs)).toBeLessThan(0.5e9);
  });

  test('the attempt that recovered is a warning with the RST that cleared the stale connection', () => {
    const { truth, c, d } = run('seed-wrong-synack', false);
    const anomaly = anomaliesOf(truth).find(
      (a) => a.id === 'tcp.handshake.synack_bad_ack' && a.frames.length === 1,
    )!;
    const p = bogus(d).find((x) => c.client.sessions[x.clientSession!]!.clientIsn === anomaly.isn)!;
    expect(p.severity).toBe('warning');
    expect(p.text).toContain('then completed');
    expect(p.text).toContain('RST');
    expect(p.evidence[0]!.clientPackets).toEqual(expect.arrayContaining(anomaly.frames));
  });
});

describe('seed-synack-retransmit: the answers of the second thread', () => {
  test.each([false, true])(
    'who sent the ACK, the re-send pattern, TCP_DEFER_ACCEPT (retimed: %s)',
    (retimed) => {
      const { truth, c, d } = run('seed-synack-retransmit', retimed);
      const serverAnomalies = anomaliesOf(truth).filter((a) => a.side === 'server');
      const problems = d.problems.filter((p) => p.id === 'handshake.synack_after_ack');
      expect(problems).toHaveLength(serverAnomalies.length);
      for (const a of serverAnomalies) {
        const p: Problem = problems.find((x) => c.server.sessions[x.serverSession!]!.clientIsn === a.isn)!;
        const ev = p.evidence[0]!;
        expect(ev.serverPackets).toEqual(expect.arrayContaining(a.frames));
        expect(ev.values.ackSentByClient).toBe(true);
        expect(ev.clientPackets).toHaveLength(1);
        expect(ev.values.deferAcceptLikely).toBe(true);
        expect(p.text).toContain('TCP_DEFER_ACCEPT');
        // Re-send time after the SYN, against the truth's capture times (server clock: only differences).
        const conn = truth.connections.find((x) => x.client.isn === a.isn)!;
        const expectSec = (epochNs(a.times[0]!) - epochNs(conn.client.synTimes[0]!)) / 1e9;
        expect(Math.abs(Number(String(ev.values.resentAfterSynSec).split(',')[0]) - expectSec)).toBeLessThan(
          0.01,
        );
      }
    },
  );

  test("synproxy: the ACK the server ignored was the device's own", () => {
    const { d } = run('synproxy', false);
    const problems = d.problems.filter((p) => p.id === 'handshake.synack_after_ack');
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p.evidence[0]!.values.ackSentByClient).toBe(false);
  });
});

describe('drop: the drops problem names the dropped packets', () => {
  test('counts equal the truth; examples are on their near side only', () => {
    const { truth, d } = run('drop', false);
    const drops = d.device.behaviours.find((b) => b.id === 'drops-packets')!;
    expect(drops.count).toBe(truth.drops.c2s.length + truth.drops.s2c.length);
    for (const e of drops.evidence) expect(e.clientPackets.length + e.serverPackets.length).toBe(1);
    expect(d.problems.map((p) => p.id)).toContain('device.dropped_packets');
  });
});
