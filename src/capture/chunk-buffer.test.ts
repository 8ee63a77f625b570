import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { buildPcap, PcapngBuilder } from './build.js';
import { FileSource } from './byte-source.js';
import { ChunkBuffer } from './chunk-buffer.js';
import { readAll } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-chunk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array): string {
  const path = join(dir, `c${n++}`);
  writeFileSync(path, bytes);
  return path;
}

function over(bytes: Uint8Array, chunkSize: number, max = 1 << 30): { cb: ChunkBuffer; done: () => void } {
  const fd = openSync(file(bytes), 'r');
  const src = new FileSource(fd, 'test');
  return { cb: new ChunkBuffer(src, chunkSize, max), done: () => closeSync(fd) };
}

describe('ChunkBuffer', () => {
  test('carries a partial record to the front and keeps offsets', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
    const { cb, done } = over(bytes, 16);
    expect(cb.ensure(10)).toBe(true);
    cb.pos = 10;
    expect(cb.ensure(20)).toBe(true); // straddles the first 16-byte read
    expect(cb.offset).toBe(10);
    expect([...cb.buf.subarray(cb.pos, cb.pos + 20)]).toEqual([...bytes.subarray(10, 30)]);
    cb.pos += 20;
    expect(cb.ensure(71)).toBe(false);
    expect(cb.available).toBe(70);
    done();
  });

  test('a claimed size far beyond the data allocates only as data arrives', () => {
    const { cb, done } = over(new Uint8Array(1000), 64);
    expect(cb.ensure(100 * 1024 * 1024)).toBe(false);
    expect(cb.available).toBe(1000);
    expect(cb.capacity).toBeLessThanOrEqual(2048);
    done();
  });

  test('a record bigger than the chunk size grows the buffer, up to the maximum', () => {
    const { cb, done } = over(new Uint8Array(5000), 64, 4096);
    expect(cb.ensure(3000)).toBe(true);
    expect(cb.capacity).toBeGreaterThanOrEqual(3000);
    expect(cb.capacity).toBeLessThanOrEqual(4096);
    done();
  });

  test('readers given 100 MB claims in small files end with a truncation, not an allocation', () => {
    // D-Bus allows 128 MiB records: the claim passes the sanity bound, and only the data bounds memory.
    const pcap = buildPcap({ linktypeField: 231 }, [
      { sec: 1, frac: 0, data: new Uint8Array(100), caplen: 100_000_000 },
    ]);
    const a = readAll(file(pcap), () => {}, { chunkSize: 4096 });
    expect(a.packets).toBe(0);
    expect(a.anomalies.count('capture.truncated_record')).toBe(1);
    const ng = new PcapngBuilder()
      .section(true)
      .idb(231, 0)
      .block(6, new Uint8Array(64), { lead: 100_000_000 })
      .bytes();
    const b = readAll(file(ng), () => {}, { chunkSize: 4096 });
    expect(b.packets).toBe(0);
    expect(b.anomalies.count('capture.truncated_record')).toBe(1);
  });
});
