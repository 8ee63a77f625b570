/**
 * How alike two messages are, from their fingerprints only (no payload is kept): 1 for the same bytes,
 * less when a device edited them. Two measures, the better one counts:
 *
 * - chunks: bytes in content-defined chunks found on both sides, Dice-style over both sides' chunk bytes
 *   (an inserted line only changes the chunk it falls in);
 * - lines: Dice over the multisets of line hashes (an inserted or rewritten header line changes one line).
 *
 * Messages whose payload was not captured have no fingerprint: only their sizes can be compared, which
 * is weak evidence (SIZE_ONLY).
 */
import type { Message } from '../tcp/index.js';

/** Similarity given to two payload-less messages of equal size. */
export const SIZE_ONLY = 0.3;

export interface Similarity {
  score: number;
  /** 'bytes' (chunks or head), 'lines', 'sizes', or 'timing' (no shared bytes: pair-timing.ts). */
  by: 'bytes' | 'lines' | 'sizes' | 'timing' | 'none';
  headEqual: boolean;
  chunksMatched: number;
  chunks: number;
  linesCommon: number;
  /** Line hashes only on the client side / only on the server side (the edit), first few. */
  clientOnly: number[];
  serverOnly: number[];
  clientLines: number;
  serverLines: number;
}

const SHOWN_LINES = 4;

export function similarity(a: Message, la: Uint32Array, b: Message, lb: Uint32Array): Similarity {
  const fa = a.fingerprint;
  const fb = b.fingerprint;
  const out: Similarity = {
    score: 0,
    by: 'none',
    headEqual: false,
    chunksMatched: 0,
    chunks: fa.hashes.length,
    linesCommon: 0,
    clientOnly: [],
    serverOnly: [],
    clientLines: la.length,
    serverLines: lb.length,
  };
  if (fa.bytes === 0 || fb.bytes === 0) {
    if (fa.bytes === 0 && fb.bytes === 0 && a.end - a.start === b.end - b.start && a.end > a.start) {
      out.score = SIZE_ONLY;
      out.by = 'sizes';
    }
    return out;
  }
  out.headEqual = fa.headHash === fb.headHash && Math.min(fa.bytes, 64) === Math.min(fb.bytes, 64);
  let matchedBytes = 0;
  let bytesA = 0;
  let bytesB = 0;
  for (let i = 0; i < fb.lengths.length; i++) bytesB += fb.lengths[i]!;
  for (let i = 0; i < fa.hashes.length; i++) {
    bytesA += fa.lengths[i]!;
    const h = fa.hashes[i]!;
    for (let j = 0; j < fb.hashes.length; j++) {
      if (fb.hashes[j] === h && fb.lengths[j] === fa.lengths[i]) {
        matchedBytes += fa.lengths[i]!;
        out.chunksMatched++;
        break;
      }
    }
  }
  let byBytes = bytesA + bytesB > 0 ? (2 * matchedBytes) / (bytesA + bytesB) : 0;
  // A message shorter than the head that hashes the same is the same message.
  if (out.headEqual && fa.bytes <= 64 && fb.bytes === fa.bytes) byBytes = 1;
  const lines = compareLines(la, lb, out);
  if (byBytes >= lines) {
    out.score = byBytes;
    out.by = byBytes > 0 ? 'bytes' : 'none';
  } else {
    out.score = lines;
    out.by = 'lines';
  }
  return out;
}

/** Dice over line-hash multisets; records the differing lines. */
function compareLines(la: Uint32Array, lb: Uint32Array, out: Similarity): number {
  if (la.length === 0 || lb.length === 0) return 0;
  const a = la.slice().sort();
  const b = lb.slice().sort();
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      common++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) {
      if (out.clientOnly.length < SHOWN_LINES) out.clientOnly.push(a[i]!);
      i++;
    } else {
      if (out.serverOnly.length < SHOWN_LINES) out.serverOnly.push(b[j]!);
      j++;
    }
  }
  for (; i < a.length && out.clientOnly.length < SHOWN_LINES; i++) out.clientOnly.push(a[i]!);
  for (; j < b.length && out.serverOnly.length < SHOWN_LINES; j++) out.serverOnly.push(b[j]!);
  out.linesCommon = common;
  return (2 * common) / (a.length + b.length);
}
