/**
 * End-to-end: `dualcap inspect --packets --format jsonl` on every corpus capture agrees with tshark's
 * expected fields (decoded headers, TCP stream index and analysis flags), and the per-packet key set is
 * exactly the documented one.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { main } from '../../src/cli/program.js';
import { announceSkip, corpusCaptures, corpusDir } from '../helpers/corpus.js';

const KEYS = [
  'frame',
  'ts',
  'caplen',
  'len',
  'interface',
  'linktype',
  'ipVersion',
  'src',
  'dst',
  'proto',
  'ipId',
  'ttl',
  'communityId',
  'tcp',
  'analysis',
  'stream',
];
const TCP_KEYS = [
  'srcport',
  'dstport',
  'seq',
  'ack',
  'flags',
  'len',
  'window',
  'mss',
  'wscale',
  'sackPerm',
  'tsval',
  'tsecr',
  'sack',
];

// Files whose packets the reader refuses or where tshark's view differs for reasons tested elsewhere
// (test/conformance/*.test.ts list and justify each difference).
const SKIP = new Set([
  'pcapplusplus/pcapng-example.pcapng.zst', // zstd: refused on Node 20 (tested in reader conformance)
  'tcpdump/timestamp_invalid_micro.pcap', // tshark prints unnormalised fractions (reader conformance)
  'tcpdump/timestamp_invalid_nano.pcap',
  'tcpdump/bigtcp-ipv6.pcap', // tshark does not decode this TCP header; we do (decode conformance)
  'pcapplusplus/tcp-malformed.pcap', // bad data offset: tshark shows partial fields (decode conformance)
  'wireshark/nfs.pcap', // FDDI: not decoded, tshark computes a Community ID (decode conformance)
  'wireshark/tftp.pcap', // Token Ring: likewise
]);

/**
 * Stream and analysis differences from tshark, mirrored from the TCP conformance test
 * (test/conformance/tcp-analysis.test.ts, KNOWN_DIFFERENCES), which states the reason for each.
 */
const TCP_KNOWN_DIFFERENCES: { file: string; frames: number[] }[] = [
  // Bad TCP data offset: tshark opens a stream, our decoder reports no TCP header, so no stream.
  { file: 'pcapplusplus/tcp-malformed.pcap', frames: [1, 2] },
];
function tcpKnown(file: string, frame: number): boolean {
  return TCP_KNOWN_DIFFERENCES.some((k) => k.file === file && k.frames.includes(frame));
}

type Row = Record<string, unknown>;
function rows(table: { columns: string[]; rows: unknown[][] }): Row[] {
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]])));
}

const dir = corpusDir();
const tmp = mkdtempSync(join(tmpdir(), 'dualcap-inspect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('inspect --packets --format jsonl', () => {
  if (!dir) {
    announceSkip('inspect CLI conformance');
    test.skip('corpus absent', () => {});
    return;
  }
  const files = corpusCaptures(dir).filter((f) => !SKIP.has(f));

  test.each(files)('%s', async (rel) => {
    const expected = JSON.parse(readFileSync(join(dir, `${rel}.expected.json`), 'utf8'));
    const out = join(tmp, `${rel.replace(/\//g, '_')}.jsonl`);
    const code = await main(['inspect', join(dir, rel), '--packets', '--format', 'jsonl', '-o', out]);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    const packets = lines.map((l) => JSON.parse(l) as Row);
    expect(packets.length).toBe(expected.packet_count);
    // A truncated file is a warning (exit 0); a file cut inside its header is unreadable (exit 2).
    expect(code).toBe(expected.packet_count === 0 && expected.tshark.exit_code !== 0 ? 2 : 0);

    const frames = rows(expected.frames).filter((f) => f.record_type !== 'custom_block');
    const tcpByFrame = new Map(rows(expected.tcp).map((t) => [t.frame as number, t]));
    packets.forEach((p, i) => {
      expect(Object.keys(p)).toEqual(KEYS);
      const f = frames[i]!;
      expect(p.frame).toBe(i + 1);
      expect(p.ts).toBe(f.time_epoch ?? null);
      expect(p.caplen).toBe(f.cap_len);
      expect(p.len).toBe(f.len);
      expect(p.communityId).toBe(f.communityid ?? null);
      const t = tcpByFrame.get(f.number as number);
      if (!tcpKnown(rel, f.number as number)) {
        // tshark names flags without their prefix and knows only tcp.analysis.*; tcp.handshake.* are ours.
        const want = ((t?.analysis as string[] | null) ?? []).map((n) => `tcp.analysis.${n}`).sort();
        const got = (p.analysis as string[]).filter((n) => n.startsWith('tcp.analysis.')).sort();
        expect({ frame: p.frame, analysis: got }).toEqual({ frame: p.frame, analysis: want });
        expect({ frame: p.frame, stream: p.stream }).toEqual({ frame: p.frame, stream: t?.stream ?? null });
      }
      const tcp = p.tcp as Row | null;
      if (!t || t.tcp_header_count !== null) return; // no TCP, or TCP inside tunnels/ICMP: decode tests cover it
      expect(tcp).not.toBeNull();
      expect(Object.keys(tcp!)).toEqual(TCP_KEYS);
      expect([p.src, p.dst]).toEqual([t.src, t.dst]);
      expect([tcp!.srcport, tcp!.dstport]).toEqual([t.srcport, t.dstport]);
      expect(tcp!.seq).toBe(t.seq_raw);
      expect(tcp!.ack).toBe(t.ack_raw);
      expect(tcp!.flags).toBe(Number.parseInt(t.flags as string, 16));
      expect(tcp!.len).toBe(t.len);
      expect(tcp!.window).toBe(t.window_size_value);
      expect(tcp!.mss).toBe(t.mss_val ?? null);
      expect(tcp!.wscale).toBe(t.wscale_shift ?? null);
      expect(tcp!.sackPerm).toBe(Boolean(t.sack_perm));
      expect(tcp!.tsval).toBe(t.tsval ?? null);
      expect(tcp!.tsecr).toBe(t.tsecr ?? null);
      const le = (t.sack_le as number[] | null) ?? [];
      expect((tcp!.sack as unknown[]).length).toBe(le.length);
    });
  });
});

describe('inspect exit codes', () => {
  test('a missing file is bad input: exit 2', async () => {
    expect(await main(['inspect', join(tmp, 'nope.pcap')])).toBe(2);
  });
  test('an unknown option is bad usage: exit 2', async () => {
    expect(await main(['inspect', '--bogus', 'x'])).toBe(2);
  });
  test('--packets with a text format is refused', async () => {
    expect(await main(['inspect', 'x.pcap', '--packets', '--format', 'text'])).toBe(2);
  });
});
