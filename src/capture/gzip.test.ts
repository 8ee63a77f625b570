import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from '@jest/globals';
import { buildPcap, concat, PcapngBuilder } from './build.js';
import { openCapture, readAll } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-gz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array, name = 'capture'): string {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, bytes);
  return path;
}

/** Packet payloads of a pseudo-random, poorly compressible kind so compressed files span many slices. */
function payload(len: number, seed: number): Uint8Array {
  let x = seed * 2654435761 + 1;
  return Uint8Array.from({ length: len }, () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x >>> 24;
  });
}
const records = Array.from({ length: 300 }, (_, i) => ({
  sec: 1_600_000_000 + i,
  frac: i,
  data: payload(400 + i, i),
}));
const pcap = buildPcap({}, records);

function summary(path: string, chunkSize?: number) {
  const seen: string[] = [];
  const res = readAll(
    path,
    (r) => {
      const d = r.buf.subarray(r.offset, r.offset + r.caplen);
      seen.push(`${r.index}:${r.tsSec}.${r.tsNsec}:${r.caplen}:${d[0]}:${d[r.caplen - 1]}`);
    },
    chunkSize === undefined ? {} : { chunkSize },
  );
  return { ...res, seen };
}

describe('gzip-compressed captures', () => {
  const plain = summary(file(pcap));

  test('detected by magic, not by name; same packets as the plain file', () => {
    const res = summary(file(gzipSync(pcap), 'named-like-plain.pcap'));
    expect(res.info.compression).toBe('gzip');
    expect(res.error).toBeNull();
    expect(res.anomalies.total).toBe(0);
    expect(res.seen).toEqual(plain.seen);
  });

  test('pcapng inside gzip, tiny chunks', () => {
    const b = new PcapngBuilder().section(true).idb(1, 0);
    for (let i = 0; i < 50; i++) b.epb(0, BigInt(i) * 1_000_000n, payload(100 + i, i));
    const bytes = b.bytes();
    const ref = summary(file(bytes));
    const res = summary(file(gzipSync(bytes)), 7);
    expect(res.info.format).toBe('pcapng');
    expect(res.seen).toEqual(ref.seen);
    expect(res.seen).toHaveLength(50);
  });

  test('multi-member files (concatenated gzip streams) read as one', () => {
    const cut = 10_000;
    const res = summary(file(concat([gzipSync(pcap.subarray(0, cut)), gzipSync(pcap.subarray(cut))])), 4096);
    expect(res.error).toBeNull();
    expect(res.seen).toEqual(plain.seen);
  });

  test('trailing zero padding after the last member is ignored', () => {
    const res = summary(file(concat([gzipSync(pcap), new Uint8Array(1000)])));
    expect(res.error).toBeNull();
    expect(res.seen).toEqual(plain.seen);
  });

  test('a cut compressed file gives the complete packets and two warnings', () => {
    const gz = gzipSync(pcap);
    const res = summary(file(gz.subarray(0, Math.floor(gz.length / 2))));
    expect(res.error).toBeNull();
    expect(res.seen.length).toBeGreaterThan(50);
    expect(res.seen.length).toBeLessThan(300);
    expect(res.seen).toEqual(plain.seen.slice(0, res.seen.length));
    expect(res.anomalies.count('capture.truncated_compressed')).toBe(1);
    expect(res.anomalies.count('capture.truncated_record')).toBe(1);
  });

  test('a bad checksum is a named error, after the packets before the failing slice', () => {
    const gz = gzipSync(pcap).slice();
    gz[gz.length - 8]! ^= 0xff; // CRC-32 of the member
    const res = summary(file(gz));
    expect(res.error).toMatchObject({ id: 'capture.bad_compressed_data' });
    expect(res.error!.message).toMatch(/incorrect data check/);
    // zlib does not say how much the failing call produced: at most one 64 KiB output slice is lost.
    const perSlice = Math.ceil(65536 / 416);
    expect(res.seen.length).toBeGreaterThanOrEqual(300 - perSlice - 1);
    expect(res.seen).toEqual(plain.seen.slice(0, res.seen.length));
  });

  test('corrupt deflate data stops reading with an error; what came before is intact', () => {
    const gz = gzipSync(pcap).slice();
    for (let i = Math.floor(gz.length / 2); i < gz.length / 2 + 64; i++) gz[i] = 0xff;
    const res = summary(file(gz));
    // Garbage may come out of the inflater before zlib notices: either error is right.
    expect(['capture.bad_compressed_data', 'capture.bad_record_length']).toContain(res.error?.id);
    expect(res.seen.length).toBeLessThan(300);
    const k = Math.max(0, res.seen.length - 3);
    expect(res.seen.slice(0, k)).toEqual(plain.seen.slice(0, k));
  });

  test('a gzip file holding no capture, or nothing', () => {
    expect(() => openCapture(file(gzipSync(new TextEncoder().encode('hello, world'))))).toThrow(
      expect.objectContaining({ id: 'capture.not_a_capture' }),
    );
    expect(() => openCapture(file(gzipSync(new Uint8Array(0))))).toThrow(
      expect.objectContaining({ id: 'capture.empty_file' }),
    );
  });

  test('progress counts compressed bytes against the size on disk', () => {
    const gz = gzipSync(pcap);
    const r = openCapture(file(gz));
    while (r.next()) {}
    expect(r.fileSize).toBe(gz.length);
    expect(r.bytesRead).toBe(gz.length);
    r.close();
  });
});

describe('zstd-compressed captures', () => {
  test('refused with a clear error when this Node.js has no zstd', () => {
    const zstdFrame = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0);
    const path = file(zstdFrame);
    const zlib = require('node:zlib') as Record<string, unknown>;
    if (typeof zlib.createZstdDecompress === 'function') {
      expect(() => openCapture(path)).toThrow(expect.objectContaining({ id: 'capture.bad_compressed_data' }));
      return;
    }
    expect(() => openCapture(path)).toThrow(
      expect.objectContaining({
        id: 'capture.unsupported_compression',
        message: expect.stringContaining('zstd -d'),
      }),
    );
  });
});
