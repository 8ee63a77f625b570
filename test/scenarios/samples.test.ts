/**
 * The lab's samples read by dualcap's own reader and decoder must show the facts their truth.json records
 * (the truth itself comes from tshark and the lab's logs, see samples/README.md): packet and SYN counts per
 * side, every connection's tuple with its ISN on its side, dropped packets absent on the far side, and for
 * the routed scenario a TTL one lower after the router.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { readAll } from '../../src/capture/index.js';
import { Decoder, formatAddress, TCP_ACK, TCP_SYN } from '../../src/decode/index.js';
import type { PacketView } from '../../src/decode/types.js';

type Tuple = [string, number, string, number];

interface Truth {
  schema: string;
  scenario: string;
  captures: { client: string; server: string };
  connections: {
    client: { tuple: Tuple; isn: number };
    server: { tuple: Tuple; isn: number }[];
  }[];
  drops: Record<
    'c2s' | 's2c',
    { tuple: Tuple; seq: number; ack: number; flags: number; len: number; ipId: number; tsval: number }[]
  >;
  counts: Record<'client' | 'server', { packets: number; syns: number }>;
}

/** What the test needs from one capture, gathered in a single pass. */
interface SideFacts {
  packets: number;
  syns: number;
  /** "src|sport|dst|dport#isn" of every SYN (without ACK). */
  synKeys: Set<string>;
  /** Exact identity of every TCP packet (as in lab/lib/tshark.mjs packetKey) -> its TTL. */
  ttlByPacket: Map<string, number>;
  /** Exact identity -> how many times it occurs (a SYN-ACK can be sent twice in the same millisecond). */
  copies: Map<string, number>;
}

const samplesDir = resolve(process.cwd(), 'samples');
const scenarios = existsSync(samplesDir)
  ? readdirSync(samplesDir)
      .filter((d) => existsSync(join(samplesDir, d, 'truth.json')))
      .sort()
  : [];

function packetKey(src: string, sport: number, dst: string, dport: number, v: PacketView): string {
  const tsval = v.hasTimestamps ? v.tsval : -1;
  return [src, sport, dst, dport, v.seq, v.ack, v.flags, v.payloadLength, v.ipId, tsval].join('|');
}

function readSide(path: string): SideFacts {
  const decoder = new Decoder();
  const facts: SideFacts = {
    packets: 0,
    syns: 0,
    synKeys: new Set(),
    ttlByPacket: new Map(),
    copies: new Map(),
  };
  const result = readAll(path, (rec) => {
    facts.packets++;
    const v = decoder.decode(rec);
    if (!v.isTcp) return;
    // IPv6 addresses in the same compressed form as tshark's (RFC 5952).
    const src = formatAddress(v.ipVersion, v.src);
    const dst = formatAddress(v.ipVersion, v.dst);
    const key = packetKey(src, v.srcPort, dst, v.dstPort, v);
    facts.ttlByPacket.set(key, v.ttl);
    facts.copies.set(key, (facts.copies.get(key) ?? 0) + 1);
    if ((v.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      facts.syns++;
      facts.synKeys.add(`${src}|${v.srcPort}|${dst}|${v.dstPort}#${v.seq}`);
    }
  });
  expect(result.error).toBeNull();
  return facts;
}

describe('lab samples', () => {
  if (scenarios.length === 0) {
    test.skip('no samples/ with truth.json (regenerate with npm run lab)', () => {});
    return;
  }

  describe.each(scenarios)('%s', (scenario) => {
    const dir = join(samplesDir, scenario);
    const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
    let sides: Record<'client' | 'server', SideFacts> | null = null;
    const facts = (): Record<'client' | 'server', SideFacts> => {
      sides ??= {
        client: readSide(join(dir, truth.captures.client)),
        server: readSide(join(dir, truth.captures.server)),
      };
      return sides;
    };

    test('is a dualcap.truth/1 file about this folder', () => {
      expect(truth.schema).toBe('dualcap.truth/1');
      expect(truth.scenario).toBe(scenario);
    });

    test('both captures open; packet and SYN counts equal the truth', () => {
      const f = facts();
      for (const side of ['client', 'server'] as const) {
        expect({ side, packets: f[side].packets, syns: f[side].syns }).toEqual({
          side,
          packets: truth.counts[side].packets,
          syns: truth.counts[side].syns,
        });
      }
    });

    test('every connection tuple is on its side with its ISN', () => {
      const f = facts();
      const missing: string[] = [];
      for (const c of truth.connections) {
        const k = `${c.client.tuple.join('|')}#${c.client.isn}`;
        if (!f.client.synKeys.has(k)) missing.push(`client ${k}`);
        for (const s of c.server) {
          const ks = `${s.tuple.join('|')}#${s.isn}`;
          if (!f.server.synKeys.has(ks)) missing.push(`server ${ks}`);
        }
      }
      expect(missing).toEqual([]);
    });

    test('dropped packets are on the near side and absent on the far side', () => {
      const f = facts();
      const wrong: string[] = [];
      for (const [dir, near, far] of [
        ['c2s', 'client', 'server'],
        ['s2c', 'server', 'client'],
      ] as const) {
        const dropped = new Map<string, number>();
        for (const d of truth.drops[dir]) {
          const k = [...d.tuple, d.seq, d.ack, d.flags, d.len, d.ipId, d.tsval].join('|');
          dropped.set(k, (dropped.get(k) ?? 0) + 1);
        }
        for (const [k, n] of dropped) {
          const onNear = f[near].copies.get(k) ?? 0;
          const onFar = f[far].copies.get(k) ?? 0;
          if (onNear < n) wrong.push(`${dir} not on ${near}: ${k}`);
          else if (onFar > onNear - n) wrong.push(`${dir} on ${far}: ${k}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    if (scenario === 'routed' || scenario === 'routed6') {
      test('the router lowers the TTL (IPv6: hop limit) by one in both directions', () => {
        const f = facts();
        let matched = 0;
        const wrong: string[] = [];
        for (const [k, serverTtl] of f.server.ttlByPacket) {
          const clientTtl = f.client.ttlByPacket.get(k);
          if (clientTtl === undefined) continue;
          matched++;
          const fromClient = k.startsWith(`${truth.connections[0]?.client.tuple[0]}|`);
          const expected = fromClient ? clientTtl - 1 : clientTtl + 1;
          if (serverTtl !== expected) wrong.push(`${k}: client ${clientTtl}, server ${serverTtl}`);
        }
        expect(wrong).toEqual([]);
        expect(matched).toBe(f.client.ttlByPacket.size);
      });
    }
  });
});
