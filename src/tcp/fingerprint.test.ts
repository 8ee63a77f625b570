import { describe, expect, test } from '@jest/globals';
import {
  CHUNK_MASK,
  CHUNK_MAX,
  CHUNK_MIN,
  Chunker,
  ChunkPool,
  emptyFingerprint,
  type Fingerprint,
  FNV_OFFSET,
  fnv1a,
  HEAD_BYTES,
  MAX_FINGERPRINT_BYTES,
  MIX,
  PooledFingerprint,
} from './fingerprint.js';

/** Deterministic text-like bytes (a PRNG over a small alphabet), so chunk boundaries vary with content. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = 32 + ((x >>> 24) % 90);
  }
  return out;
}

function fingerprint(data: Uint8Array, splits: number[] = [], maxChunks = 1000): Fingerprint {
  const fp = emptyFingerprint();
  const chunker = new Chunker();
  chunker.begin(fp, maxChunks);
  let at = 0;
  for (const s of [...splits, data.length]) {
    chunker.feed(data, at, s);
    at = s;
  }
  chunker.end();
  return fp;
}

describe('content fingerprints', () => {
  test('the literals in the hot loop agree with the named constants', () => {
    expect(CHUNK_MASK).toBe(-33554432);
    expect(MIX).toBe(-1640531535);
    expect(CHUNK_MIN).toBe(32);
    expect(CHUNK_MAX).toBe(1024);
  });

  test('FNV-1a matches the published test vector', () => {
    expect(fnv1a(new TextEncoder().encode('a'), 0, 1)).toBe(0xe40c292c);
    expect(fnv1a(new Uint8Array(0), 0, 0)).toBe(FNV_OFFSET);
  });

  test('segmentation does not change the fingerprint', () => {
    const data = bytes(MAX_FINGERPRINT_BYTES, 7);
    const whole = fingerprint(data);
    const split = fingerprint(data, [1, 17, 300, 301, 800]);
    expect(split.hashes).toEqual(whole.hashes);
    expect(split.lengths).toEqual(whole.lengths);
    expect(split.headHash).toBe(whole.headHash);
    expect(whole.headHash).toBe(fnv1a(data, 0, HEAD_BYTES));
  });

  test('chunk sizes stay within bounds and cover the bytes read', () => {
    const fp = fingerprint(bytes(MAX_FINGERPRINT_BYTES, 3));
    expect(fp.hashes.length).toBeGreaterThan(3);
    expect(fp.lengths.reduce((a, b) => a + b, 0)).toBe(MAX_FINGERPRINT_BYTES);
    for (const len of fp.lengths.slice(0, -1)) {
      expect(len).toBeGreaterThanOrEqual(CHUNK_MIN);
      expect(len).toBeLessThanOrEqual(CHUNK_MAX);
    }
  });

  test('an inserted line changes only the chunks around it', () => {
    const base = bytes(900, 11);
    const line = new TextEncoder().encode('X-Forwarded-For: 198.51.100.7\r\n');
    const edited = new Uint8Array(base.length + line.length);
    edited.set(base.subarray(0, 40));
    edited.set(line, 40);
    edited.set(base.subarray(40), 40 + line.length);
    const a = fingerprint(base).hashes;
    const b = new Set(fingerprint(edited).hashes);
    const shared = a.filter((h) => b.has(h)).length;
    expect(shared).toBeGreaterThanOrEqual(a.length - 2);
  });

  test('work is bounded by the chunk cap and the byte cap', () => {
    const capped = fingerprint(bytes(MAX_FINGERPRINT_BYTES, 5), [], 2);
    expect(capped.hashes.length).toBe(2);
    const long = fingerprint(bytes(MAX_FINGERPRINT_BYTES * 4, 5));
    expect(long.bytes).toBe(MAX_FINGERPRINT_BYTES * 4);
    expect(long.lengths.reduce((a, b) => a + b, 0)).toBe(MAX_FINGERPRINT_BYTES);
  });

  test('a cut ends the chunk so none spans missing bytes', () => {
    const data = bytes(200, 9);
    const fp = emptyFingerprint();
    const chunker = new Chunker();
    chunker.begin(fp, 100);
    chunker.feed(data, 0, 10);
    chunker.cut();
    chunker.feed(data, 10, 200);
    expect(chunker.end()).toBe(fp.hashes.length);
    expect(fp.lengths[0]).toBe(10);
  });

  test('begin closes the previous fingerprint', () => {
    const a = emptyFingerprint();
    const b = emptyFingerprint();
    const chunker = new Chunker();
    chunker.begin(a, 4);
    chunker.feed(bytes(10, 1), 0, 10);
    expect(chunker.unused).toBe(4);
    chunker.begin(b, 4);
    expect(a.lengths).toEqual([10]);
    expect(chunker.current).toBe(b);
  });

  test('pooled fingerprints hold the same chunks as plain ones, in one pool', () => {
    const pool = new ChunkPool();
    const chunker = new Chunker();
    const pooled: PooledFingerprint[] = [];
    // Enough fingerprints to grow the pool past its first capacity.
    for (let k = 0; k < 300; k++) {
      const data = bytes(200 + ((k * 37) % 800), k);
      const fp = new PooledFingerprint(pool);
      chunker.begin(fp, 16);
      chunker.feed(data, 0, 100);
      chunker.feed(data, 100, data.length);
      chunker.end();
      const plain = fingerprint(data, [100], 16);
      expect(fp.chunkCount).toBe(plain.hashes.length);
      for (let i = 0; i < fp.chunkCount; i++) {
        expect(fp.chunkHash(i)).toBe(plain.hashes[i]);
        expect(fp.chunkLength(i)).toBe(plain.lengths[i]);
      }
      pooled.push(fp);
      if (k % 3 === 0) {
        expect(fp.hashes).toEqual(plain.hashes);
        expect(fp.lengths).toEqual(plain.lengths);
      }
    }
    pool.trim();
    expect(pool.hashes.length).toBe(pool.size);
    expect(pool.size).toBeGreaterThan(1024);
    const again = fingerprint(bytes(200 + ((299 * 37) % 800), 299), [100], 16);
    expect(pooled[299]!.hashes).toEqual(again.hashes);
    expect(pooled[299]!.headHash).toBe(again.headHash);
    expect(pooled[299]!.bytes).toBe(again.bytes);
  });

  test('arrays assigned to a pooled fingerprint replace its pooled chunks', () => {
    const fp = new PooledFingerprint(new ChunkPool());
    const chunker = new Chunker();
    chunker.begin(fp, 16);
    chunker.feed(bytes(500, 3), 0, 500);
    chunker.end();
    expect(fp.chunkCount).toBeGreaterThan(0);
    fp.hashes = [7, 0xffffffff];
    fp.lengths = [32, 40];
    expect(fp.chunkCount).toBe(2);
    expect(fp.chunkHash(1)).toBe(0xffffffff);
    expect(fp.chunkLength(0)).toBe(32);
    expect(fp.hashes).toEqual([7, 0xffffffff]);
  });
});
