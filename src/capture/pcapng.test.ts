import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { formatTs } from '../common/time.js';
import { i64Value, PcapngBuilder, textOption, u8Option, u32Value } from './build.js';
import { openCapture, readAll } from './index.js';
import type { PacketRecord } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-pcapng-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array): string {
  const path = join(dir, `f${n++}.pcapng`);
  writeFileSync(path, bytes);
  return path;
}

interface Copy {
  index: number;
  time: string | null;
  caplen: number;
  len: number;
  iface: number;
  linktype: number;
  data: number[];
  comments: string[];
  flags: number | null;
}
const copy = (r: PacketRecord): Copy => ({
  index: r.index,
  time: r.hasTs ? formatTs(r.tsSec, r.tsNsec) : null,
  caplen: r.caplen,
  len: r.len,
  iface: r.interfaceId,
  linktype: r.linktype,
  data: [...r.buf.subarray(r.offset, r.offset + r.caplen)],
  comments: [...r.comments],
  flags: r.flags,
});
function read(bytes: Uint8Array, chunkSize?: number) {
  const out: Copy[] = [];
  const res = readAll(file(bytes), (r) => out.push(copy(r)), chunkSize === undefined ? {} : { chunkSize });
  return { ...res, out };
}

const data = (len: number, seed = 0) => Uint8Array.from({ length: len }, (_, i) => (i * 13 + seed) & 0xff);
const US = 1_000_000n;

/** Three sections: big-endian with two interfaces, little-endian with one, big-endian again. */
function mixedSections(): Uint8Array {
  return new PcapngBuilder()
    .section(false)
    .idb(1, 96, [textOption(2, 'eth0')])
    .idb(0, 0, [textOption(2, 'null1'), u8Option(9, 9)])
    .epb(0, 1_340_954_905n * US + 298_858n, data(96), { len: 314 })
    .block(0x00000bad, data(12)) // custom block: skipped
    .epb(1, 1_340_954_905_301_858_123n, data(7))
    .section(true)
    .idb(1, 128, [textOption(2, 'second')])
    .spb(314, data(128))
    .epb(0, 5n * US, data(10), {
      options: [
        textOption(1, 'first'),
        textOption(1, 'second'),
        { code: 2, value: u32Value(0x48000000, true) },
      ],
    })
    .block(0x40000bad, data(4))
    .section(false)
    .idb(1, 0)
    .idb(101, 0)
    .epb(1, 7n * US, data(20))
    .bytes();
}

describe('pcapng', () => {
  test('several sections of mixed byte order, global interface ids, custom blocks skipped', () => {
    const res = read(mixedSections());
    expect(res.error).toBeNull();
    expect(res.anomalies.total).toBe(0);
    expect(res.out.map((r) => [r.index, r.time, r.caplen, r.len, r.iface, r.linktype])).toEqual([
      [1, '1340954905.298858000', 96, 314, 0, 1],
      [2, '1340954905.301858123', 7, 7, 1, 0],
      [3, null, 128, 314, 2, 1],
      [4, '5.000000000', 10, 10, 2, 1],
      [5, '7.000000000', 20, 20, 4, 101],
    ]);
    expect(res.out[3]).toMatchObject({ comments: ['first', 'second'], flags: 0x48000000 });
    expect(res.out[0]).toMatchObject({ comments: [], flags: null });
    expect(res.out[2]!.data).toEqual([...data(128)]);
    const { info } = res;
    expect(info.sections.map((s) => [s.index, s.byteOrder, s.version])).toEqual([
      [0, 'big', '1.0'],
      [1, 'little', '1.0'],
      [2, 'big', '1.0'],
    ]);
    expect(info.byteOrder).toBe('big');
    expect(info.precisionDigits).toBe(9);
    expect(info.interfaces.map((f) => [f.id, f.section, f.linktype, f.snaplen, f.name, f.packets])).toEqual([
      [0, 0, 1, 96, 'eth0', 1],
      [1, 0, 0, 0, 'null1', 1],
      [2, 1, 1, 128, 'second', 2],
      [3, 2, 1, 0, null, 0],
      [4, 2, 101, 0, null, 1],
    ]);
  });

  test('the same file read through chunks of 1, 7 and 13 bytes', () => {
    const bytes = mixedSections();
    const whole = read(bytes).out;
    for (const chunkSize of [1, 7, 13]) expect(read(bytes, chunkSize).out).toEqual(whole);
  });

  test('interfaces are known at open, before the first packet', () => {
    const r = openCapture(file(mixedSections()));
    expect(r.info.interfaces).toHaveLength(2);
    r.close();
  });

  test('if_tsresol as a power of 2 and if_tsoffset', () => {
    const bytes = new PcapngBuilder()
      .section(true)
      .idb(1, 0, [u8Option(9, 0x80 | 20), { code: 14, value: i64Value(1_000_000_000n, true) }])
      .epb(0, (3n << 20n) + (1n << 19n), data(4)) // 3.5 s at 2^-20
      .epb(0, (1n << 20n) - 1n, data(4)) // 1 - 2^-20 s: 999999046.75 ns, truncated
      .bytes();
    const res = read(bytes);
    expect(res.info.interfaces[0]).toMatchObject({ tsresol: { base: 2, exponent: 20 }, tsoffset: 1e9 });
    expect(res.info.precisionDigits).toBe(7);
    expect(res.out.map((r) => r.time)).toEqual(['1000000003.500000000', '1000000000.999999046']);
  });

  test('64-bit tick counts beyond 2^53 are exact', () => {
    const bytes = new PcapngBuilder()
      .section(true)
      .idb(1, 0) // microseconds
      .idb(1, 0, [u8Option(9, 9)])
      .epb(0, 0xffffffff_fffffff0n, data(1))
      .epb(1, 1_700_000_000_123_456_789n, data(1))
      .epb(0, 4_294_967_296n * US, data(1)) // 2106 overflow
      .bytes();
    expect(read(bytes).out.map((r) => r.time)).toEqual([
      '18446744073709.551600000',
      '1700000000.123456789',
      '4294967296.000000000',
    ]);
  });

  test('obsolete Packet Block, with comments and flags', () => {
    const bytes = new PcapngBuilder()
      .section(true)
      .idb(1, 0)
      .pb(0, 2n * US + 5n, data(9), [textOption(1, 'old'), { code: 2, value: u32Value(1, true) }])
      .bytes();
    const res = read(bytes);
    expect(res.out).toEqual([
      expect.objectContaining({ time: '2.000005000', caplen: 9, iface: 0, comments: ['old'], flags: 1 }),
    ]);
  });

  test('SPB length is the original length bounded by the snaplen', () => {
    const bytes = new PcapngBuilder().section(false).idb(1, 50).spb(40, data(40)).spb(80, data(50)).bytes();
    expect(read(bytes).out.map((r) => [r.caplen, r.len, r.time])).toEqual([
      [40, 40, null],
      [50, 80, null],
    ]);
  });

  test('a comment ends at its first NUL, as Wireshark reads it', () => {
    const value = Uint8Array.from([...new TextEncoder().encode('Packet #1'), 0, 0x78, 0x4d]);
    const bytes = new PcapngBuilder()
      .section(true)
      .idb(1, 0)
      .epb(0, 1n, data(2), { options: [{ code: 1, value }] })
      .bytes();
    expect(read(bytes).out[0]!.comments).toEqual(['Packet #1']);
  });

  test('unknown blocks are skipped with a note; undefined interfaces skip the packet', () => {
    const bytes = new PcapngBuilder()
      .section(true)
      .idb(1, 0)
      .block(0x7777, data(8))
      .epb(3, 1n, data(4))
      .epb(0, 2n, data(4))
      .bytes();
    const res = read(bytes);
    expect(res.out.map((r) => r.index)).toEqual([1]);
    expect(res.anomalies.count('capture.unknown_block')).toBe(1);
    expect(res.anomalies.count('capture.undefined_interface')).toBe(1);
    expect(res.error).toBeNull();
  });

  test('an option running past its block is a warning; the packet is kept', () => {
    const b = new PcapngBuilder().section(true).idb(1, 0);
    // EPB whose options area holds a comment claiming 200 bytes.
    const body = new DataView(new ArrayBuffer(20 + 4 + 8));
    body.setUint32(12, 4, true);
    body.setUint32(16, 4, true);
    body.setUint16(24, 1, true);
    body.setUint16(26, 200, true);
    b.block(6, new Uint8Array(body.buffer));
    const res = read(b.bytes());
    expect(res.packets).toBe(1);
    expect(res.anomalies.count('capture.bad_option')).toBe(1);
  });

  const header = () => new PcapngBuilder().section(true).idb(1, 0).epb(0, 1n, data(4));
  const broken: [string, (b: PcapngBuilder) => PcapngBuilder, string][] = [
    [
      'a block length not a multiple of 4',
      (b) => b.block(6, data(24), { lead: 38, trail: 38 }),
      'capture.bad_block_length',
    ],
    ['a block claiming 4 GB', (b) => b.block(6, data(24), { lead: 0xfffffffc }), 'capture.bad_block_length'],
    ['a block shorter than its type allows', (b) => b.block(6, data(4)), 'capture.bad_block_length'],
    ['a trailing length mismatch', (b) => b.block(6, data(24), { trail: 40 }), 'capture.bad_block_trailer'],
    [
      'a captured length beyond its block',
      (b) => b.epb(0, 1n, data(4), { caplen: 100 }),
      'capture.bad_record_length',
    ],
    [
      'a section header with a bad byte-order magic',
      (b) => b.block(0x0a0d0d0a, Uint8Array.of(1, 2, 3, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      'capture.bad_section_header',
    ],
    ['a section of pcapng 2.0', (b) => b.section(true, { major: 2 }), 'capture.unsupported_version'],
  ];
  for (const [what, add, id] of broken) {
    test(`${what} stops reading after the good packets`, () => {
      const good = header().bytes();
      const res = read(add(header()).epb(0, 2n, data(4)).bytes());
      expect(res.packets).toBe(1);
      expect(res.error).toMatchObject({ id, packet: 2 });
      expect(res.error!.offset).toBeGreaterThanOrEqual(good.length);
      expect(res.anomalies.count(id)).toBe(1);
    });
  }

  test('a file cut inside a block keeps the complete packets and warns', () => {
    const bytes = header().epb(0, 2n, data(100)).bytes();
    const res = read(bytes.subarray(0, bytes.length - 30), 7);
    expect(res.packets).toBe(1);
    expect(res.error).toBeNull();
    expect(res.anomalies.count('capture.truncated_record')).toBe(1);
  });

  test('the first section header cut short, or with a bad magic, fails at open', () => {
    const bytes = header().bytes();
    expect(() => openCapture(file(bytes.subarray(0, 20)))).toThrow(
      expect.objectContaining({ id: 'capture.truncated_header' }),
    );
    const bad = bytes.slice();
    bad[8] = 0;
    expect(() => openCapture(file(bad))).toThrow(
      expect.objectContaining({ id: 'capture.bad_section_header' }),
    );
  });

  test('a minor version other than 1.0/1.2 is read with a note', () => {
    const res = read(new PcapngBuilder().section(true, { minor: 1 }).idb(1, 0).epb(0, 1n, data(1)).bytes());
    expect(res.packets).toBe(1);
    expect(res.anomalies.count('capture.odd_version')).toBe(1);
  });
});
