import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { type PacketRecord, readAll } from '../capture/index.js';
import { PcapngWriter, writeTicks } from './pcapng-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-pcapng-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every packet of a file, copied out of the reader's reused record. */
function readBack(path: string) {
  const packets: (Omit<PacketRecord, 'buf' | 'offset' | 'comments'> & {
    data: Uint8Array;
    comments: string[];
  })[] = [];
  const r = readAll(path, (rec) => {
    const { buf, offset, comments, ...rest } = rec;
    packets.push({ ...rest, data: buf.slice(offset, offset + rec.caplen), comments: [...comments] });
  });
  return { ...r, packets };
}

function ticksOf(sec: number, nsec: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  writeTicks(view, 0, sec, nsec);
  return (BigInt(view.getUint32(0, true)) << 32n) | BigInt(view.getUint32(4, true));
}

describe('writeTicks', () => {
  test('sec * 1e9 + nsec exactly, across the whole range a capture can hold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 33 }), fc.integer({ min: 0, max: 999_999_999 }), (s, n) => {
        expect(ticksOf(s, n)).toBe(BigInt(s) * 1_000_000_000n + BigInt(n));
      }),
    );
    expect(ticksOf(1_795_336_637, 224_650_123)).toBe(1_795_336_637_224_650_123n);
  });
});

describe('PcapngWriter', () => {
  test('round trip through our reader: interfaces, times, lengths, bytes, comments, flags', () => {
    const path = join(dir, 'round.pcapng');
    const w = new PcapngWriter(path, { chunkBytes: 4096 });
    w.writeSection({ comments: ['section comment é'], userappl: 'dualcap test' });
    expect(w.addInterface({ linktype: 1, snaplen: 262144, name: 'client-side', description: 'a.pcap' })).toBe(
      0,
    );
    expect(w.addInterface({ linktype: 101, snaplen: 0, name: 'server-side', fcsLen: 4 })).toBe(1);
    const packets: { ifc: number; sec: number; nsec: number; data: Uint8Array; len: number; c: string[] }[] =
      [];
    // Enough packets of odd sizes to cross several chunk flushes and every padding length.
    for (let i = 0; i < 300; i++) {
      const data = Uint8Array.from({ length: (i * 37) % 1501 }, (_, k) => (k * 7 + i) & 0xff);
      const c = i % 3 === 0 ? [] : [`packet ${i}: dropped by device`, ...(i % 5 === 0 ? ['second ✓'] : [])];
      packets.push({
        ifc: i % 2,
        sec: 1_700_000_000 + i,
        nsec: (i * 999_983) % 1e9,
        data,
        len: data.length + i,
        c,
      });
    }
    const big = new Uint8Array(10_000).fill(0xab);
    packets.push({ ifc: 0, sec: 1_800_000_000, nsec: 999_999_999, data: big, len: big.length, c: ['big'] });
    for (const p of packets) {
      w.writePacket({
        interfaceId: p.ifc,
        tsSec: p.sec,
        tsNsec: p.nsec,
        buf: p.data,
        offset: 0,
        caplen: p.data.length,
        len: p.len,
        comments: p.c,
        flags: p.ifc === 1 ? 1 : null,
      });
    }
    w.close();
    const bytes = readFileSync(path);
    expect(bytes.length % 4).toBe(0);
    expect(w.bytesWritten).toBe(bytes.length);

    const r = readBack(path);
    expect(r.error).toBeNull();
    expect(r.anomalies.total).toBe(0);
    expect(r.info.format).toBe('pcapng');
    expect(
      r.info.interfaces.map((i) => [i.linktype, i.snaplen, i.name, i.description, i.tsresol, i.fcsLen]),
    ).toEqual([
      [1, 262144, 'client-side', 'a.pcap', { base: 10, exponent: 9 }, null],
      [101, 0, 'server-side', null, { base: 10, exponent: 9 }, 4],
    ]);
    expect(r.packets.length).toBe(packets.length);
    r.packets.forEach((got, i) => {
      const want = packets[i]!;
      expect([got.interfaceId, got.tsSec, got.tsNsec, got.caplen, got.len]).toEqual([
        want.ifc,
        want.sec,
        want.nsec,
        want.data.length,
        want.len,
      ]);
      expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
      expect(got.comments).toEqual(want.c);
      expect(got.flags).toBe(want.ifc === 1 ? 1 : null);
    });
  });

  test('a packet on an interface that was not written is refused', () => {
    const w = new PcapngWriter(join(dir, 'bad.pcapng'));
    w.writeSection();
    expect(() =>
      w.writePacket({
        interfaceId: 0,
        tsSec: 0,
        tsNsec: 0,
        buf: new Uint8Array(4),
        offset: 0,
        caplen: 4,
        len: 4,
        comments: [],
        flags: null,
      }),
    ).toThrow(RangeError);
    w.close();
  });

  const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!tshark) process.stdout.write('\n[skip] pcapng writer vs tshark: tshark not installed; skipped.\n');
  (tshark ? test : test.skip)('tshark reads the file without warnings and sees names and comments', () => {
    const path = join(dir, 'tshark.pcapng');
    const w = new PcapngWriter(path);
    w.writeSection({ comments: ['made by the test'], userappl: 'dualcap' });
    w.addInterface({ linktype: 1, snaplen: 65535, name: 'client-side' });
    w.addInterface({ linktype: 1, snaplen: 65535, name: 'server-side' });
    const frame = new Uint8Array(60);
    frame[12] = 0x88; // an EtherType nothing decodes further
    frame[13] = 0xb5;
    for (let i = 0; i < 4; i++) {
      w.writePacket({
        interfaceId: i % 2,
        tsSec: 1_700_000_000,
        tsNsec: i * 1000 + 7,
        buf: frame,
        offset: 0,
        caplen: 60 - i,
        len: 60,
        comments: [`n=${i} ${i === 2 ? 'dropped by device' : 'matches'}`],
        flags: null,
      });
    }
    w.close();
    const out = spawnSync(
      'tshark',
      [
        '-r',
        path,
        '-T',
        'fields',
        '-e',
        'frame.interface_name',
        '-e',
        'frame.time_epoch',
        '-e',
        'frame.comment',
      ],
      { encoding: 'utf8' },
    );
    expect(out.status).toBe(0);
    expect(out.stderr.replace(/^.*Running as user "root".*\n?/m, '').trim()).toBe('');
    const rows = out.stdout.trim().split('\n');
    expect(rows.map((r) => r.split('\t')[0])).toEqual([
      'client-side',
      'server-side',
      'client-side',
      'server-side',
    ]);
    expect(rows[3]!.split('\t')[1]).toBe('1700000000.000003007');
    const dropped = spawnSync('tshark', ['-r', path, '-Y', 'frame.comment contains "dropped"'], {
      encoding: 'utf8',
    });
    expect(dropped.stdout.trim().split('\n').length).toBe(1);
  });
});
