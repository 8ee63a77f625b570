/**
 * The benchmark generator (scripts/synth.mjs) at 1/1000 scale: deterministic, within its promised shape,
 * and, when tshark is installed, read by Wireshark as clean TCP with correct checksums on both sides of the
 * NAT, each side in causal order.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';

const script = join(process.cwd(), 'scripts', 'synth.mjs');
const dirs: string[] = [];

function generate(seed = 20261122): string {
  const dir = mkdtempSync(join(tmpdir(), 'dualcap-synth-'));
  dirs.push(dir);
  execFileSync(process.execPath, [script, '--scale', '1000', '--out', dir, '--seed', String(seed)], {
    stdio: 'pipe',
  });
  return dir;
}

let dir = '';
interface SetSummary {
  packets: number;
  connections: number;
  min: number;
  max: number;
  ipv6: number;
  packetsPerSide: number[];
}
let manifest = {} as { main: SetSummary; one: SetSummary; nat: SetSummary };
const file = (name: string) => join(dir, `scale1000-${name}`);

beforeAll(() => {
  dir = generate();
  manifest = JSON.parse(readFileSync(file('synth.json'), 'utf8'));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('synthetic captures', () => {
  test('have the promised shape', () => {
    const main = manifest.main;
    expect(main.packets).toBeGreaterThanOrEqual(2000);
    expect(main.connections).toBeGreaterThanOrEqual(100);
    expect(main.min).toBeGreaterThanOrEqual(54);
    expect(main.max).toBeLessThanOrEqual(1514);
    expect(main.ipv6).toBeGreaterThan(0);
    expect(main.ipv6).toBeLessThan(main.packets / 2);
    expect(manifest.one.connections).toBe(1);
    expect(manifest.one.packets).toBeGreaterThanOrEqual(2000);
    expect(manifest.nat.packetsPerSide).toEqual([manifest.nat.packets, manifest.nat.packets]);
  });

  test('are the same bytes for the same seed, and differ for another', () => {
    const again = generate();
    const other = generate(7);
    const bytes = (d: string, name: string) => readFileSync(join(d, `scale1000-${name}`));
    for (const name of [
      'synth.pcap',
      'synth.pcapng',
      'synth-s128.pcap',
      'nat-outside.pcap',
      'nat-truth.tsv',
    ]) {
      expect(bytes(again, name).equals(bytes(dir, name))).toBe(true);
    }
    expect(bytes(other, 'synth.pcap').equals(bytes(dir, 'synth.pcap'))).toBe(false);
  });

  test('NAT truth lists every connection once with its outside port', () => {
    const rows = readFileSync(file('nat-truth.tsv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(manifest.nat.connections);
    const natPorts = new Set(rows.map((r) => r.split('\t')[5]));
    expect(natPorts.size).toBe(rows.length);
  });
});

const haveTshark = (() => {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!haveTshark)
  process.stdout.write('\n[skip] synthetic captures vs tshark: tshark not installed; skipped.\n');

function tshark(path: string, args: string[]): string {
  return execFileSync('tshark', ['-r', path, '-n', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function fieldRows(path: string, fields: string[]): string[][] {
  const args = [
    '-T',
    'fields',
    '-E',
    'separator=|',
    '-o',
    'tcp.check_checksum:TRUE',
    '-o',
    'ip.check_checksum:TRUE',
  ];
  for (const f of fields) args.push('-e', f);
  return tshark(path, args)
    .split('\n')
    .filter((l) => l)
    .map((l) => l.split('|'));
}

/** Expert-info summaries (notes and above) of the TCP analysis, e.g. "This frame is a (suspected) retransmission". */
function tcpExperts(path: string): Set<string> {
  const out = tshark(path, ['-q', '-z', 'expert,note']);
  return new Set(
    out
      .split('\n')
      .filter((l) => /\s(Sequence|Malformed)\s+TCP\s/.test(l))
      .map((l) => l.replace(/^\s*\d+\s+\S+\s+TCP\s+/, '').trim()),
  );
}

(haveTshark ? describe : describe.skip)('synthetic captures vs tshark', () => {
  test('every checksum is good and pcap, pcapng and -s 128 hold the same packets', () => {
    const main = manifest.main;
    const rows = fieldRows(file('synth.pcap'), ['tcp.checksum.status', 'ip.checksum.status', 'tcp.stream']);
    expect(rows).toHaveLength(main.packets);
    expect(rows.every((r) => r[0] === '1' && (r[1] === '1' || r[1] === ''))).toBe(true);
    expect(new Set(rows.map((r) => r[2])).size).toBe(main.connections);
    const ng = fieldRows(file('synth.pcapng'), ['tcp.seq_raw', 'frame.len']);
    const cut = fieldRows(file('synth-s128.pcap'), ['tcp.seq_raw', 'frame.len', 'frame.cap_len']);
    const classic = fieldRows(file('synth.pcap'), ['tcp.seq_raw', 'frame.len']);
    expect(ng).toEqual(classic);
    expect(cut.map((r) => r.slice(0, 2))).toEqual(classic);
    expect(cut.every((r) => Number(r[2]) === Math.min(128, Number(r[1])))).toBe(true);
  });

  test('Wireshark sees only the irregularities made on purpose', () => {
    const allowed = new Set([
      'This frame initiates the connection closing',
      'This frame undergoes the connection closing',
      'Connection reset (RST)',
      'This frame is a (suspected) retransmission',
      'This frame is a (suspected) spurious retransmission',
      'This frame is a (suspected) out-of-order segment',
      'Previous segment(s) not captured (common at capture start)',
      // Wireshark's reassembly of an application message says this of a retransmitted segment inside it.
      'New fragment overlaps old data (retransmission?)',
    ]);
    for (const name of ['synth.pcap', 'synth-1conn.pcap', 'nat-inside.pcap', 'nat-outside.pcap']) {
      const unexpected = [...tcpExperts(file(name))].filter((e) => !allowed.has(e));
      // Above all no "ACKed segment that wasn't captured": each side of the NAT is in causal order.
      expect({ name, unexpected }).toEqual({ name, unexpected: [] });
    }
  });

  test('the outside shows the NAT address, one less TTL, and the offset clock', () => {
    const fields = ['frame.time_epoch', 'ip.src', 'ip.ttl', 'tcp.srcport', 'tcp.flags.syn', 'tcp.flags.ack'];
    const inside = fieldRows(file('nat-inside.pcap'), fields);
    const outside = fieldRows(file('nat-outside.pcap'), fields);
    const truth = JSON.parse(readFileSync(file('nat-truth.json'), 'utf8'));
    // The first SYN of IPv4 on each side is the same packet.
    const firstSyn = (rows: string[][]) =>
      rows.find((r) => r[1] !== '' && r[4] === '1' && r[5] === '0') as string[];
    const a = firstSyn(inside);
    const b = firstSyn(outside);
    expect(b[1]).toBe('203.0.113.1');
    expect(a[1]).toMatch(/^10\./);
    expect(Number(b[2])).toBe(Number(a[2]) - 1);
    const delta = Number(b[0]) - Number(a[0]);
    const [minLatency, maxLatency] = truth.deviceLatencyNs.map((ns: number) => ns / 1e9);
    expect(delta).toBeGreaterThanOrEqual(truth.clock.offsetNs / 1e9 + minLatency - 1e-6);
    expect(delta).toBeLessThanOrEqual(truth.clock.offsetNs / 1e9 + maxLatency + 0.01);
  });
});
