/**
 * The annotated merged pcapng on lab scenarios, read back by our reader and by tshark:
 * - drop: every packet of both inputs, once, in aligned time order, on interfaces client-side and
 *   server-side, each with a comment; the packets whose comment says "dropped by device" are exactly
 *   truth.json's drops (per direction, on the side where the device dropped them);
 * - routed with --anonymize: no original address (4 bytes, IPv4-mapped 16 bytes, text), no MAC, no request
 *   id or HTTP line anywhere in the file; tshark reads it and finds no bad checksum.
 * - every capture of the conformance corpus, merged with itself as both sides and anonymized (odd link
 *   types, pcapng sections and interfaces, damaged files): never an exception, every packet written once
 *   and read back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { openCapture, readAll } from '../../src/capture/index.js';
import { type Correlation, correlate } from '../../src/correlate/index.js';
import { Decoder, formatAddress } from '../../src/decode/index.js';
import { Anonymizer } from '../../src/report/anonymize.js';
import { writeMergedPcapng } from '../../src/report/merge.js';
import { FLAG_IDS } from '../../src/tcp/index.js';
import { announceSkip, corpusCaptures, corpusDir } from '../helpers/corpus.js';
import { loadTruth } from '../helpers/truth.js';

const samples = resolve(process.cwd(), 'samples');
const dir = mkdtempSync(join(tmpdir(), 'dualcap-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
if (!tshark)
  process.stdout.write('\n[skip] merged pcapng vs tshark: tshark not installed; tshark checks skipped.\n');
const withTshark = tshark ? test : test.skip;

function tsharkRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // tshark warns when run as root; that line is about the environment, not the file.
  const stderr = r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/Running as user "root"/.test(l))
    .join('\n');
  return { status: r.status, stdout: r.stdout, stderr };
}

function scenario(name: string) {
  const folder = join(samples, name);
  if (!existsSync(join(folder, 'truth.json'))) return null;
  const truth = loadTruth(folder);
  return {
    truth,
    client: join(folder, truth.captures.client),
    server: join(folder, truth.captures.server),
  };
}

interface MergedPacket {
  ifname: string;
  index: number;
  sec: number;
  nsec: number;
  comment: string;
  /** tuple|seq|ack|flags|len|ipId, as the lab's truth lists drops. */
  key: string;
}

function readMerged(path: string) {
  const decoder = new Decoder();
  const packets: MergedPacket[] = [];
  const r = readAll(path, (rec) => {
    const v = decoder.decode(rec);
    const key = v.isTcp
      ? [
          formatAddress(v.ipVersion, v.src),
          v.srcPort,
          formatAddress(v.ipVersion, v.dst),
          v.dstPort,
          v.seq,
          v.ack,
          v.flags,
          v.payloadLength,
          v.ipId,
        ].join('|')
      : '';
    packets.push({
      ifname: '',
      index: rec.index,
      sec: rec.tsSec,
      nsec: rec.tsNsec,
      comment: rec.comments.join(' / '),
      key,
    });
    packets[packets.length - 1]!.ifname = String(rec.interfaceId);
  });
  for (const p of packets) p.ifname = r.info.interfaces[Number(p.ifname)]!.name ?? '';
  return { ...r, packets };
}

function timesOf(path: string): string[] {
  const out: string[] = [];
  readAll(path, (rec) => out.push(`${rec.tsSec}.${String(rec.tsNsec).padStart(9, '0')}`));
  return out;
}

const drop = scenario('drop');
if (drop === null) process.stdout.write('\n[skip] merged pcapng: samples/drop not found; skipped.\n');

describe('merged pcapng of the drop scenario', () => {
  let cached: { c: Correlation; path: string; merged: ReturnType<typeof readMerged> } | null = null;
  const get = () => {
    if (cached === null) {
      const c = correlate(drop!.client, drop!.server);
      const path = join(dir, 'drop.pcapng');
      const result = writeMergedPcapng(c, path, { version: '0.1.0' });
      expect(result.packets).toEqual([c.client.packets, c.server.packets]);
      expect(result.forced).toBe(0);
      cached = { c, path, merged: readMerged(path) };
    }
    return cached;
  };

  (drop ? test : test.skip)('every packet of both inputs once, in time order, each with a comment', () => {
    const { c, merged } = get();
    expect(merged.error).toBeNull();
    expect(merged.anomalies.total).toBe(0);
    expect(merged.info.interfaces.map((i) => [i.name, i.tsresol.exponent])).toEqual([
      ['client-side', 9],
      ['server-side', 9],
    ]);
    const bySide = (name: string) => merged.packets.filter((p) => p.ifname === name);
    expect(bySide('client-side').length).toBe(c.client.packets);
    expect(bySide('server-side').length).toBe(c.server.packets);
    for (let i = 1; i < merged.packets.length; i++) {
      const a = merged.packets[i - 1]!;
      const b = merged.packets[i]!;
      expect(a.sec < b.sec || (a.sec === b.sec && a.nsec <= b.nsec)).toBe(true);
    }
    // Client-side times are the input's, exactly; the lab's sides share one clock, so server-side too
    // (the alignment maps them within its bound, a few microseconds).
    const clientIn = timesOf(drop!.client);
    const clientOut = bySide('client-side').map((p) => `${p.sec}.${String(p.nsec).padStart(9, '0')}`);
    expect(clientOut.sort()).toEqual(clientIn.sort());
    expect(merged.packets.every((p) => /^dualcap: (client|server)-side #\d+: /.test(p.comment))).toBe(true);
    // Each side's packets carry their own input numbers, in order: 1, 2, 3...
    for (const name of ['client-side', 'server-side']) {
      const numbers = bySide(name).map((p) => Number(/#(\d+)/.exec(p.comment)![1]));
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    }
    const matched = merged.packets.filter((p) => /matches (client|server)-side #\d+/.test(p.comment));
    expect(matched.length).toBeGreaterThan(merged.packets.length * 0.9);
    expect(merged.info.interfaces[0]!.description).toContain('client-side.pcap.gz');
  });

  (drop ? test : test.skip)(
    "each side's own TCP analysis is named on its packets, as pass 1 counted it",
    () => {
      const { c, merged } = get();
      let checked = 0;
      for (const [side, name] of [
        [c.client, 'client-side'],
        [c.server, 'server-side'],
      ] as const) {
        const counted = new Array<number>(32).fill(0);
        for (const s of side.sessions) {
          s.flagCounts?.forEach((n, bit) => {
            counted[bit]! += n;
          });
        }
        FLAG_IDS.forEach((id, bit) => {
          if (id === '' || !id.startsWith('tcp.analysis.')) return;
          const named = merged.packets.filter(
            (p) => p.ifname === name && (p.comment.includes(`${id},`) || p.comment.endsWith(id)),
          );
          expect({ side: name, id, n: named.length }).toEqual({ side: name, id, n: counted[bit] });
          checked += named.length;
        });
      }
      expect(checked).toBeGreaterThan(100);
    },
  );

  (drop ? test : test.skip)("packets commented 'dropped by device' are exactly the truth's drops", () => {
    const { merged } = get();
    const dropped = merged.packets.filter((p) => p.comment.includes('dropped by device'));
    const want = (dir: 'c2s' | 's2c') =>
      drop!.truth.drops[dir].map((d) => [...d.tuple, d.seq, d.ack, d.flags, d.len, d.ipId].join('|')).sort();
    const got = (dir: 'c2s' | 's2c') =>
      dropped
        .filter((p) => p.comment.includes(dir === 'c2s' ? 'client-to-server' : 'server-to-client'))
        .map((p) => {
          expect(p.ifname).toBe(dir === 'c2s' ? 'client-side' : 'server-side');
          return p.key;
        })
        .sort();
    expect(got('c2s')).toEqual(want('c2s'));
    expect(got('s2c')).toEqual(want('s2c'));
    expect(dropped.length).toBe(drop!.truth.drops.c2s.length + drop!.truth.drops.s2c.length);
  });

  withTshark('tshark reads it without warnings, sees both interfaces and filters the drops', () => {
    if (drop === null) return;
    const { path, merged } = get();
    const all = tsharkRun(['-r', path, '-T', 'fields', '-e', 'frame.interface_name']);
    expect(all.status).toBe(0);
    expect(all.stderr).toBe('');
    const names = all.stdout.trim().split('\n');
    expect(names.length).toBe(merged.packets.length);
    expect([...new Set(names)].sort()).toEqual(['client-side', 'server-side']);
    const fields = [
      'ip.src',
      'tcp.srcport',
      'ip.dst',
      'tcp.dstport',
      'tcp.seq_raw',
      'tcp.ack_raw',
      'tcp.flags',
      'tcp.len',
      'ip.id',
    ];
    const dropped = tsharkRun([
      '-r',
      path,
      '-Y',
      'frame.comment contains "dropped"',
      '-T',
      'fields',
      '-E',
      'separator=|',
      ...fields.flatMap((f) => ['-e', f]),
    ]);
    expect(dropped.status).toBe(0);
    const got = dropped.stdout
      .trim()
      .split('\n')
      .map((line) =>
        line
          .split('|')
          .map((v) => (v.startsWith('0x') ? String(Number.parseInt(v, 16)) : v))
          .join('|'),
      )
      .sort();
    const want = [...drop.truth.drops.c2s, ...drop.truth.drops.s2c]
      .map((d) => [...d.tuple, d.seq, d.ack, d.flags, d.len, d.ipId].join('|'))
      .sort();
    expect(got).toEqual(want);
  });
});

const routed = scenario('routed');
if (routed === null)
  process.stdout.write('\n[skip] anonymized merged pcapng: samples/routed not found; skipped.\n');

describe('anonymized merged pcapng of the routed scenario', () => {
  let cached: { path: string; bytes: Buffer; c: Correlation } | null = null;
  const get = () => {
    if (cached === null) {
      const c = correlate(routed!.client, routed!.server);
      const path = join(dir, 'routed-anon.pcapng');
      writeMergedPcapng(c, path, { anonymizer: new Anonymizer() });
      cached = { path, bytes: readFileSync(path), c };
    }
    return cached;
  };

  (routed ? test : test.skip)('no original address, MAC, request id or HTTP line survives anywhere', () => {
    const { bytes, c } = get();
    const t = routed!.truth;
    const addresses = [
      t.addresses.client,
      t.addresses.server,
      t.addresses.mboxClientSide,
      t.addresses.mboxServerSide,
      ...(t.addresses.vip ? [t.addresses.vip] : []),
    ];
    const leaks: string[] = [];
    for (const a of addresses) {
      const four = Buffer.from(a.split('.').map(Number));
      const mapped = Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), four]);
      if (bytes.includes(four)) leaks.push(`${a} as 4 bytes`);
      if (bytes.includes(mapped)) leaks.push(`${a} as 16 bytes`);
      if (bytes.includes(Buffer.from(a))) leaks.push(`${a} as text`);
    }
    const requests = t.connections.flatMap((conn) => conn.requests);
    expect(requests.length).toBeGreaterThan(10);
    for (const id of requests) if (bytes.includes(Buffer.from(id))) leaks.push(`request id ${id}`);
    for (const s of ['GET /', 'HTTP/1.1', 'X-Request-Id', routed!.truth.captures.client, 'client-side.pcap'])
      if (bytes.includes(Buffer.from(s))) leaks.push(s);
    // MACs of the inputs' Ethernet headers.
    const macs = new Set<string>();
    for (const path of [routed!.client, routed!.server]) {
      const reader = openCapture(path);
      for (let rec = reader.next(), n = 0; rec !== null && n < 50; rec = reader.next(), n++) {
        macs.add(Buffer.from(rec.buf.subarray(rec.offset, rec.offset + 6)).toString('hex'));
        macs.add(Buffer.from(rec.buf.subarray(rec.offset + 6, rec.offset + 12)).toString('hex'));
      }
      reader.close();
    }
    for (const m of macs)
      if (m !== 'ffffffffffff' && bytes.includes(Buffer.from(m, 'hex'))) leaks.push(`MAC ${m}`);
    expect(leaks).toEqual([]);
    // Still the whole analysis' worth of packets.
    const back = readAll(join(dir, 'routed-anon.pcapng'), () => {});
    expect(back.packets).toBe(c.client.packets + c.server.packets);
    expect(back.info.interfaces.map((i) => i.description)).toEqual([null, null]);
  });

  withTshark(
    'tshark reads it; IP and TCP checksums are never bad, and verify where the segment is whole',
    () => {
      if (routed === null) return;
      const { path } = get();
      const r = tsharkRun([
        '-r',
        path,
        '-o',
        'ip.check_checksum:TRUE',
        '-o',
        'tcp.check_checksum:TRUE',
        '-T',
        'fields',
        '-e',
        'ip.checksum.status',
        '-e',
        'tcp.checksum.status',
        '-e',
        'tcp.len',
        '-e',
        'frame.comment',
      ]);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      const rows = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t'));
      // Status values: 0 bad, 1 good, 2 unverified.
      expect(rows.filter((f) => f[0] === '0' || f[1] === '0')).toEqual([]);
      expect(rows.filter((f) => f[0] === '1').length).toBe(rows.filter((f) => f[0] !== '').length);
      // A segment without payload is whole: its TCP checksum verifies.
      const whole = rows.filter((f) => f[2] === '0');
      expect(whole.length).toBeGreaterThan(rows.length / 3);
      expect(whole.filter((f) => f[1] !== '1')).toEqual([]);
      expect(rows.every((f) => (f[3] ?? '').startsWith('dualcap: '))).toBe(true);
    },
  );
});

const corpus = corpusDir();
if (corpus === null) announceSkip('merged pcapng of every corpus capture');

describe('merged pcapng of every corpus capture (each with itself as the other side)', () => {
  (corpus ? test : test.skip)('never throws; every packet written once and read back, anonymized', () => {
    const anon = new Anonymizer();
    const problems: string[] = [];
    let merged = 0;
    for (const rel of corpusCaptures(corpus!)) {
      const path = join(corpus!, rel);
      let c: Correlation;
      try {
        c = correlate(path, path);
      } catch {
        continue; // not a capture at all (the reader's tests cover these)
      }
      const out = join(dir, 'corpus.pcapng');
      const r = writeMergedPcapng(c, out, { anonymizer: anon });
      const back = readAll(out, () => {});
      const want = c.client.packets + c.server.packets;
      if (back.error !== null || back.packets !== want || r.packets[0] + r.packets[1] !== want)
        problems.push(`${rel}: ${back.packets} of ${want} ${back.error ?? ''}`);
      merged++;
    }
    expect(problems).toEqual([]);
    expect(merged).toBeGreaterThan(100);
  });
});
