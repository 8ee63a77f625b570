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
  GEAR,
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

/**
 * The fingerprint as the module comment defines it, one byte at a time: the chunker's blocked and unrolled
 * loops must give exactly this (both sides of a device must compute the same function).
 */
function referenceFingerprint(data: Uint8Array, maxChunks: number) {
  let head = FNV_OFFSET | 0;
  for (let i = 0; i < Math.min(data.length, HEAD_BYTES); i++) head = Math.imul(head ^ data[i]!, 0x01000193);
  const hashes: number[] = [];
  const lengths: number[] = [];
  let gear = 0;
  let h = FNV_OFFSET | 0;
  let len = 0;
  const emit = () => {
    let x = Math.imul(h ^ gear, MIX);
    x = Math.imul(x ^ len, 0x01000193);
    hashes.push((x ^ (x >>> 15)) >>> 0);
    lengths.push(len);
    gear = 0;
    h = FNV_OFFSET | 0;
    len = 0;
  };
  for (let i = 0; i < Math.min(data.length, MAX_FINGERPRINT_BYTES) && hashes.length < maxChunks; i++) {
    gear = ((gear << 1) + GEAR[data[i]!]!) | 0;
    len++;
    if (len % 16 === 0) h = Math.imul(h ^ gear, MIX);
    if (((gear & CHUNK_MASK) === 0 && len >= CHUNK_MIN) || len >= CHUNK_MAX) emit();
  }
  if (len > 0 && hashes.length < maxChunks) emit();
  return { headHash: head >>> 0, hashes, lengths, bytes: data.length };
}

describe('content fingerprints', () => {
  test('equal to the byte-at-a-time definition, whatever the segmentation and the buffer', () => {
    let x = 7;
    const next = (n: number) => {
      x = (Math.imul(x, 1664525) + 1013904223) | 0;
      return (x >>> 8) % n;
    };
    let cuts = 0;
    for (let k = 0; k < 400; k++) {
      // Binary-like bytes, many zeros among them, so cuts fall both early and late in blocks.
      const n = next(1400);
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = next(3) === 0 ? next(2) : next(256);
      // The bytes sit at an odd offset of a larger buffer, and every other segment comes from a copy.
      const lead = 1 + next(7);
      const big = new Uint8Array(n + lead);
      big.set(data, lead);
      const copy = big.slice();
      const maxChunks = 1 + next(20);
      const fp = emptyFingerprint();
      const chunker = new Chunker();
      chunker.begin(fp, maxChunks);
      for (let at = 0, turn = 0; at < n; turn++) {
        const end = Math.min(n, at + 1 + next(next(2) === 0 ? 40 : 700));
        chunker.feed(turn % 2 === 0 ? big : copy, lead + at, lead + end);
        at = end;
      }
      chunker.end();
      const want = referenceFingerprint(data, maxChunks);
      expect({ headHash: fp.headHash, hashes: fp.hashes, lengths: fp.lengths, bytes: fp.bytes }).toEqual(
        want,
      );
      cuts += want.hashes.length;
    }
    expect(cuts).toBeGreaterThan(1000);
  });

  test('equal to the definition for every length up to 70 bytes, at every alignment, whole or in two parts', () => {
    let x = 99;
    const next = (n: number) => {
      x = (Math.imul(x, 1664525) + 1013904223) | 0;
      return (x >>> 8) % n;
    };
    for (let n = 0; n <= 70; n++) {
      for (let lead = 0; lead < 4; lead++) {
        for (let trial = 0; trial < 8; trial++) {
          const data = new Uint8Array(n);
          for (let i = 0; i < n; i++) data[i] = next(256);
          const big = new Uint8Array(n + lead + next(5));
          big.set(data, lead);
          const split = trial % 2 === 0 ? n : next(n + 1);
          const fp = emptyFingerprint();
          const chunker = new Chunker();
          chunker.begin(fp, 100);
          chunker.feed(big, lead, lead + split);
          chunker.feed(big, lead + split, lead + n);
          chunker.end();
          expect({ headHash: fp.headHash, hashes: fp.hashes, lengths: fp.lengths, bytes: fp.bytes }).toEqual(
            referenceFingerprint(data, 100),
          );
        }
      }
    }
  });

  test('a cut found at each byte of the unrolled blocks gives the definition', () => {
    // Fed whole, a message's bytes from CHUNK_MIN on go in turns of 64 bytes; a chunk of length L cut there
    // ended at byte (L - CHUNK_MIN) % 64 of a turn. Every one of the 64 exits is taken.
    let x = 5;
    const next = (n: number) => {
      x = (Math.imul(x, 1664525) + 1013904223) | 0;
      return (x >>> 8) % n;
    };
    const exits = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const data = new Uint8Array(MAX_FINGERPRINT_BYTES);
      for (let i = 0; i < data.length; i++) data[i] = next(256);
      const lead = next(4);
      const big = new Uint8Array(data.length + lead);
      big.set(data, lead);
      const fp = emptyFingerprint();
      const chunker = new Chunker();
      chunker.begin(fp, 64);
      chunker.feed(big, lead, big.length);
      chunker.end();
      const want = referenceFingerprint(data, 64);
      expect({ headHash: fp.headHash, hashes: fp.hashes, lengths: fp.lengths, bytes: fp.bytes }).toEqual(
        want,
      );
      for (const len of want.lengths.slice(0, -1)) if (len < CHUNK_MAX) exits.add((len - CHUNK_MIN) % 64);
    }
    expect(exits.size).toBe(64);
  });

  test('FNV-1a equals the byte-at-a-time definition for every length and alignment', () => {
    const data = bytes(90, 17);
    for (let start = 0; start < 4; start++) {
      for (let end = start; end <= start + 70; end++) {
        let want = FNV_OFFSET | 0;
        for (let i = start; i < end; i++) want = Math.imul(want ^ data[i]!, 0x01000193);
        expect(fnv1a(data, start, end)).toBe(want >>> 0);
        expect(fnv1a(data, start, end, 12345)).toBe(fnv1a(data, end, end, fnv1a(data, start, end, 12345)));
      }
    }
    // A range past the end of the buffer does not throw: the missing bytes count as zeros.
    const short = data.subarray(0, 10);
    const padded = new Uint8Array(20);
    padded.set(short);
    expect(fnv1a(short, 0, 20)).toBe(fnv1a(padded, 0, 20));
  });

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

  test('the head hash does not depend on the chunk budget or on where the chunks ran out', () => {
    const data = bytes(MAX_FINGERPRINT_BYTES, 11);
    const head = fnv1a(data, 0, HEAD_BYTES);
    // No chunk left for this message (the session's budget is spent): still its head hash.
    expect(fingerprint(data, [], 0).headHash).toBe(head);
    expect(fingerprint(data, [10, 40], 0).headHash).toBe(head);
    // The budget runs out inside the first HEAD_BYTES (one chunk of at least CHUNK_MIN bytes, then a
    // segment boundary before byte 64): the rest of the head is still hashed.
    expect(fingerprint(data, [CHUNK_MIN + 1, CHUNK_MIN + 2], 1).headHash).toBe(head);
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

describe('two buffers read in turn', () => {
  test('each keeps its own view: the hashes are those of each buffer', () => {
    const a = bytes(300, 21);
    const b = bytes(300, 22);
    const ha = fnv1a(a, 0, 300);
    const hb = fnv1a(b, 0, 300);
    for (let i = 0; i < 4; i++) {
      expect(fnv1a(a, 0, 300)).toBe(ha);
      expect(fnv1a(b, 0, 300)).toBe(hb);
    }
    const c = bytes(300, 23);
    expect(fnv1a(c, 0, 300)).toBe(fnv1a(c.slice(), 0, 300));
    expect(fnv1a(a, 0, 300)).toBe(ha);
    expect(fingerprint(a).hashes).toEqual(referenceFingerprint(a, 1000).hashes);
    expect(fingerprint(b).hashes).toEqual(referenceFingerprint(b, 1000).hashes);
  });
});
