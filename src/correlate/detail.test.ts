/**
 * Per-packet detail against the lab's truth: a packet the device dropped (NFLOG, truth.json) is collected
 * on the client side with the verdict "dropped"; forwarded packets carry their copy's packet number; the
 * failed handshake of the seed is collected without a pair; the bound holds.
 */
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadTruth, samplesDir } from '../../test/helpers/truth.js';
import { collectDetails, pairTarget } from './detail.js';
import { correlate } from './index.js';

function correlated(scenario: string) {
  const dir = join(samplesDir(), scenario);
  const truth = loadTruth(dir);
  return { truth, c: correlate(join(dir, truth.captures.client), join(dir, truth.captures.server)) };
}

describe('detail of a pass-through pair (drop)', () => {
  const { truth, c } = correlated('drop');
  const drop = truth.drops.c2s[0]!;
  const pair = c.pairs.find(
    (p) =>
      p.clientTuple.srcIp === drop.tuple[0] &&
      p.clientTuple.srcPort === drop.tuple[1] &&
      p.clientTuple.dstIp === drop.tuple[2] &&
      p.clientTuple.dstPort === drop.tuple[3],
  )!;

  test('the dropped packet is there, marked dropped, and matched packets point at their copies', () => {
    expect(pair).toBeDefined();
    const [d] = collectDetails(c, [pairTarget(c, pair.id)!]);
    const dropped = d!.client.filter((p) => p.event === 'dropped');
    expect(dropped.some((p) => p.rawSeq === drop.seq && p.rawAck === drop.ack && p.len === drop.len)).toBe(
      true,
    );
    const server = new Map(d!.server.map((p) => [p.packet, p]));
    const matched = d!.client.filter((p) => p.event === 'matched');
    expect(matched.length).toBeGreaterThan(0);
    for (const p of matched) {
      const copy = server.get(p.otherPacket);
      expect(copy).toBeDefined();
      expect([copy!.rawSeq, copy!.flags, copy!.len]).toEqual([p.rawSeq, p.flags, p.len]);
      expect(p.delayNs).not.toBeNull();
    }
    // The client's SYN is relative sequence number 0 on both sides.
    expect(d!.client[0]!.seq).toBe(0);
    expect(d!.server[0]!.seq).toBe(0);
  });

  test('at most maxPackets per side; the rest is counted', () => {
    const [d] = collectDetails(c, [pairTarget(c, pair.id)!], { maxPackets: 3 });
    const s = c.client.sessions[pair.client]!;
    expect(d!.client).toHaveLength(3);
    expect(d!.omitted[0]).toBe(s.packets - 3);
  });
});

describe('detail of a connection without a pair (seed-wrong-synack)', () => {
  test('the failed attempt: every SYN and every odd ACK, none on the server side', () => {
    const { truth, c } = correlated('seed-wrong-synack');
    const failed = truth.connections.find((x) => x.server.length === 0)!;
    const u = c.unpaired.find((x) => x.side === 'client' && x.isn === failed.client.isn)!;
    const [d] = collectDetails(c, [{ pair: null, clientSessions: [u.session], serverSessions: [] }]);
    const syns = d!.client.filter((p) => p.flags === 0x002);
    expect(syns.map((p) => p.rawSeq)).toEqual(failed.client.synTimes.map(() => failed.client.isn));
    const anomaly = truth.anomalies.find((a) => a.side === 'client' && a.isn === failed.client.isn)!;
    const odd = d!.client
      .filter((p) => p.findings.includes('tcp.handshake.synack_bad_ack'))
      .map((p) => p.packet);
    expect(odd.length).toBeGreaterThan(0);
    for (const n of odd) expect((anomaly as { frames?: number[] }).frames).toContain(n);
    expect(d!.server).toEqual([]);
    expect(new Set(d!.client.map((p) => p.event))).toEqual(new Set(['unpaired']));
  });
});
