import { describe, expect, test } from '@jest/globals';
import type { Message } from '../tcp/index.js';
import { SIZE_ONLY, similarity } from './pair-similarity.js';

function msg(bytes: number, head: number, chunks: Array<[number, number]>, size = bytes): Message {
  return {
    dir: 0,
    firstPacket: 1,
    lastPacket: 1,
    firstRelNs: 0,
    lastRelNs: 0,
    start: 0,
    end: size,
    packets: 1,
    fingerprint: { headHash: head, hashes: chunks.map((c) => c[0]), lengths: chunks.map((c) => c[1]), bytes },
  };
}

const none = new Uint32Array(0);

describe('message similarity', () => {
  test('same chunks: 1 by bytes', () => {
    const a = msg(300, 7, [
      [1, 100],
      [2, 200],
    ]);
    const s = similarity(a, none, a, none);
    expect([s.score, s.by, s.headEqual, s.chunksMatched]).toEqual([1, 'bytes', true, 2]);
  });

  test('an edited chunk: Dice over chunk bytes; lines can do better, and the differing lines are listed', () => {
    const a = msg(300, 7, [
      [1, 100],
      [2, 200],
    ]);
    const b = msg(330, 8, [
      [9, 130],
      [2, 200],
    ]);
    const bytes = similarity(a, none, b, none);
    expect(bytes.score).toBeCloseTo((2 * 200) / (300 + 330), 10);
    const la = Uint32Array.of(10, 11, 12, 13);
    const lb = Uint32Array.of(13, 10, 99, 11, 12);
    const lines = similarity(a, la, b, lb);
    expect(lines.by).toBe('lines');
    expect(lines.score).toBeCloseTo((2 * 4) / 9, 10);
    expect([lines.clientOnly, lines.serverOnly, lines.linesCommon]).toEqual([[], [99], 4]);
  });

  test('short messages with the same head are the same message', () => {
    const a = msg(40, 5, [[3, 40]]);
    const b = msg(40, 5, [[4, 40]]);
    expect(similarity(a, none, b, none).score).toBe(1);
  });

  test('no payload captured: only equal sizes count, weakly', () => {
    expect(similarity(msg(0, 0, [], 120), none, msg(0, 0, [], 120), none)).toMatchObject({
      score: SIZE_ONLY,
      by: 'sizes',
    });
    expect(similarity(msg(0, 0, [], 120), none, msg(0, 0, [], 121), none).score).toBe(0);
    expect(similarity(msg(0, 0, [], 120), none, msg(120, 1, [[1, 120]]), none).score).toBe(0);
  });
});
