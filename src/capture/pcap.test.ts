import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { buildPcap, type PcapRecordSpec } from './build.js';
import { CaptureError, linktypeName, openCapture, readAll } from './index.js';
import type { PacketRecord } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array): string {
  const path = join(dir, `f${n++}.pcap`);
  writeFileSync(path, bytes);
  return path;
}

interface Copy {
  index: number;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  len: number;
  data: number[];
  fileOffset: number;
}
const copy = (r: PacketRecord): Copy => ({
  index: r.index,
  tsSec: r.tsSec,
  tsNsec: r.tsNsec,
  caplen: r.caplen,
  len: r.len,
  data: [...r.buf.subarray(r.offset, r.offset + r.caplen)],
  fileOffset: r.fileOffset,
});
function readCopies(path: string, chunkSize?: number) {
  const out: Copy[] = [];
  const res = readAll(path, (r) => out.push(copy(r)), chunkSize === undefined ? {} : { chunkSize });
  return { ...res, out };
}

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const three: PcapRecordSpec[] = [
  { sec: 1000, frac: 1, data: bytes(60, 1) },
  { sec: 1001, frac: 999999, data: bytes(61, 2), len: 1514 },
  { sec: 4294967295, frac: 0, data: bytes(1, 3) },
];

describe('classic pcap', () => {
  for (const little of [true, false]) {
    for (const nano of [false, true]) {
      test(`${little ? 'little' : 'big'}-endian, ${nano ? 'nanosecond' : 'microsecond'} magic`, () => {
        const path = file(buildPcap({ little, nano, snaplen: 65535 }, three));
        const { out, info, error, anomalies, packets } = readCopies(path);
        expect(error).toBeNull();
        expect(anomalies.total).toBe(0);
        expect(packets).toBe(3);
        expect(info).toMatchObject({
          format: 'pcap',
          compression: 'none',
          byteOrder: little ? 'little' : 'big',
          precisionDigits: nano ? 9 : 6,
          version: '2.4',
          snaplen: 65535,
        });
        expect(info.interfaces[0]).toMatchObject({ id: 0, linktype: 1, packets: 3, fcsLen: null });
        const scale = nano ? 1 : 1000;
        expect(out.map((r) => [r.index, r.tsSec, r.tsNsec, r.caplen, r.len])).toEqual([
          [1, 1000, 1 * scale, 60, 60],
          [2, 1001, 999999 * scale, 61, 1514],
          [3, 4294967295, 0, 1, 1],
        ]);
        expect(out[1]!.data).toEqual([...bytes(61, 2)]);
        expect(out.map((r) => r.fileOffset)).toEqual([24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 61]);
      });
    }
  }

  test('records straddling tiny chunks read the same as one big chunk', () => {
    const records = Array.from({ length: 40 }, (_, i) => ({ sec: i, frac: i, data: bytes(i * 3, i) }));
    const path = file(buildPcap({}, records));
    const whole = readCopies(path).out;
    expect(whole).toHaveLength(40);
    for (const chunkSize of [1, 7, 13, 64]) expect(readCopies(path, chunkSize).out).toEqual(whole);
  });

  test('FCS bits and reserved bits of the link-type field', () => {
    // Bit 26: FCS length present; bits 28-31: its length in 16-bit words (2 = 4 bytes).
    const fcs = readAll(file(buildPcap({ linktypeField: 0x24000001 }, three)), () => {});
    expect(fcs.info.interfaces[0]).toMatchObject({ linktype: 1, fcsLen: 4 });
    expect(fcs.anomalies.total).toBe(0);
    const reserved = readAll(file(buildPcap({ linktypeField: 0x00010071 }, three)), () => {});
    expect(reserved.info.interfaces[0]!.linktype).toBe(113);
    expect(reserved.anomalies.count('capture.linktype_reserved_bits')).toBe(1);
  });

  test('odd 2.x versions are read with a note; other majors are refused', () => {
    const odd = readAll(file(buildPcap({ minor: 3 }, three)), () => {});
    expect(odd.packets).toBe(3);
    expect(odd.info.version).toBe('2.3');
    expect(odd.anomalies.count('capture.odd_version')).toBe(1);
    expect(() => openCapture(file(buildPcap({ major: 3 }, three)))).toThrow(/pcap version 3.4/);
  });

  test('invalid fractions are counted and carried into the seconds', () => {
    const us = readCopies(
      file(
        buildPcap({}, [
          { sec: 10, frac: 1000000, data: bytes(4, 0) },
          { sec: 10, frac: 2147483648, data: bytes(4, 0) },
        ]),
      ),
    );
    expect(us.out.map((r) => [r.tsSec, r.tsNsec])).toEqual([
      [11, 0],
      [10 + 2147, 483648000],
    ]);
    expect(us.anomalies.count('capture.invalid_timestamp_fraction')).toBe(2);
    const ns = readCopies(
      file(buildPcap({ nano: true }, [{ sec: 10, frac: 4294967295, data: bytes(4, 0) }])),
    );
    expect(ns.out.map((r) => [r.tsSec, r.tsNsec])).toEqual([[14, 294967295]]);
  });

  test('caplen beyond snaplen or beyond len is kept and counted', () => {
    const res = readCopies(
      file(
        buildPcap({ snaplen: 64 }, [
          { sec: 1, frac: 0, data: bytes(100, 0) },
          { sec: 2, frac: 0, data: bytes(10, 0), len: 5 },
        ]),
      ),
    );
    expect(res.packets).toBe(2);
    expect(res.anomalies.count('capture.caplen_exceeds_snaplen')).toBe(1);
    expect(res.anomalies.count('capture.caplen_exceeds_len')).toBe(1);
  });

  test('a record claiming 4 GB stops reading with a named error after the good packets', () => {
    const good = buildPcap({}, three);
    const bad = buildPcap({}, [{ sec: 1, frac: 0, data: bytes(8, 0), caplen: 0xffffffff }]).subarray(24);
    const path = file(Uint8Array.from([...good, ...bad]));
    const res = readCopies(path);
    expect(res.packets).toBe(3);
    expect(res.error).toBeInstanceOf(CaptureError);
    expect(res.error).toMatchObject({
      id: 'capture.bad_record_length',
      offset: good.length,
      packet: 4,
      path,
    });
    expect(res.error!.message).toContain('4294967295');
    expect(res.anomalies.count('capture.bad_record_length')).toBe(1);
  });

  test('a larger limit applies to link types with big frames (D-Bus)', () => {
    const res = readCopies(
      file(buildPcap({ linktypeField: 231 }, [{ sec: 1, frac: 0, data: bytes(300000, 0) }])),
    );
    expect(res.error).toBeNull();
    expect(res.out[0]!.caplen).toBe(300000);
    const eth = readCopies(file(buildPcap({}, [{ sec: 1, frac: 0, data: bytes(300000, 0) }])));
    expect(eth.error?.id).toBe('capture.bad_record_length');
  });

  test('a file cut inside a record keeps the complete records and warns', () => {
    const whole = buildPcap({}, three);
    for (const cut of [24 + 16 + 60 + 5, 24 + 16 + 60 + 16 + 30]) {
      const res = readCopies(file(whole.subarray(0, cut)), 13);
      expect(res.packets).toBe(1);
      expect(res.error).toBeNull();
      const t = res.anomalies.list().find((a) => a.id === 'capture.truncated_record');
      expect(t?.count).toBe(1);
      expect(t?.examples[0]).toMatchObject({ packet: 2, offset: 24 + 16 + 60 });
    }
  });

  test('header problems throw a CaptureError at open', () => {
    const cases: [Uint8Array, string, RegExp][] = [
      [new Uint8Array(0), 'capture.empty_file', /empty file/],
      [Uint8Array.of(1, 2), 'capture.not_a_capture', /only 2 bytes/],
      [Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0), 'capture.not_a_capture', /starts with 0x504b0304/],
      [buildPcap({}, []).subarray(0, 20), 'capture.truncated_header', /20 of 24/],
    ];
    for (const [b, id, message] of cases) {
      const path = file(b);
      let err: unknown;
      try {
        openCapture(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CaptureError);
      expect(err).toMatchObject({ id, path, offset: expect.any(Number) });
      expect((err as Error).message).toMatch(message);
    }
    expect(() => openCapture(join(dir, 'missing.pcap'))).toThrow(CaptureError);
  });

  test('a header-only file has no packets and no anomalies', () => {
    const res = readAll(file(buildPcap({}, [])), () => {});
    expect(res.packets).toBe(0);
    expect(res.anomalies.total).toBe(0);
    expect(res.error).toBeNull();
  });

  test('next() after the end keeps returning null; progress counters', () => {
    const path = file(buildPcap({}, three));
    const r = openCapture(path);
    let k = 0;
    while (r.next()) k++;
    expect(k).toBe(3);
    expect(r.next()).toBeNull();
    expect(r.fileSize).toBe(24 + 3 * 16 + 60 + 61 + 1);
    expect(r.bytesRead).toBe(r.fileSize);
    r.close();
  });

  test('link type names', () => {
    expect(linktypeName(1)).toBe('ETHERNET');
    expect(linktypeName(113)).toBe('LINUX_SLL');
    expect(linktypeName(276)).toBe('LINUX_SLL2');
    expect(linktypeName(65000)).toBe('LINKTYPE_65000');
  });
});
