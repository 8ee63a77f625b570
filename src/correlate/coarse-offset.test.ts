import { describe, expect, test } from '@jest/globals';
import { ClockConstraints } from './clock.js';
import { findCoarseOffset, scoreOrientation, timeOverlap } from './coarse-offset.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400e9;

/** Content matches: `good` true pairs (offset, skew, delays up to 5 ms) and `bad` random ones. */
function candidates(offsetNs: number, skewPpm: number, good: number, bad: number, seed: number) {
  const rand = rng(seed);
  const client: number[] = [];
  const server: number[] = [];
  for (let k = 0; k < good; k++) {
    const s = 1000e9 + rand() * 600e9;
    server.push(Math.round(s));
    client.push(Math.round(s + offsetNs + skewPpm * 1e-6 * (s - 1300e9) + (rand() - 0.5) * 10e6));
  }
  for (let k = 0; k < bad; k++) {
    server.push(Math.round(1000e9 + rand() * 600e9));
    client.push(Math.round(1000e9 + offsetNs + (rand() - 0.5) * 4 * DAY));
  }
  return { client, server };
}

describe('findCoarseOffset', () => {
  test('finds a 2 day 5 h offset among 60% wrong candidates, with drift and a matching window', () => {
    const offset = 2 * DAY + 5 * 3600e9;
    const { client, server } = candidates(offset, 120, 400, 600, 1);
    const r = findCoarseOffset(client, server);
    expect(r.found).toBe(true);
    expect(r.ambiguous).toBe(false);
    // At the reference the true difference is offset + drift since 1300 s.
    const truth = offset + 120e-6 * (r.referenceNs - 1300e9);
    expect(Math.abs(r.offsetNs - truth)).toBeLessThan(2e6);
    expect(Math.abs(r.skewPpm - 120)).toBeLessThan(20);
    expect(r.windowNs).toBeGreaterThanOrEqual(5e6);
    expect(r.windowNs).toBeLessThan(50e6);
    expect(r.support).toBeGreaterThanOrEqual(400);
    expect(r.total).toBe(1000);
  });

  test('a negative offset of hours (time zone) and no drift', () => {
    const { client, server } = candidates(-5 * 3600e9, 0, 50, 20, 2);
    const r = findCoarseOffset(client, server);
    expect(r.found).toBe(true);
    expect(Math.abs(r.offsetNs - -5 * 3600e9)).toBeLessThan(10e6);
  });

  test('two equally supported offsets are flagged ambiguous', () => {
    const a = candidates(3600e9, 0, 50, 0, 3);
    const b = candidates(-3600e9, 0, 45, 0, 4);
    const r = findCoarseOffset([...a.client, ...b.client], [...a.server, ...b.server]);
    expect(r.ambiguous).toBe(true);
    expect(r.runnerUp).toBe(45);
  });

  test('too few or no valid candidates: not found', () => {
    expect(findCoarseOffset([], []).found).toBe(false);
    expect(findCoarseOffset([1, Number.NaN], [0, 0]).found).toBe(false);
    const r = findCoarseOffset([0, 10e9, 20e9], [0, 0, 0]);
    expect(r.found).toBe(false);
    expect(r.support).toBe(1);
  });
});

describe('timeOverlap', () => {
  test('overlap and gap, with and without the offset', () => {
    expect(timeOverlap(0, 100e9, 50e9, 200e9)).toEqual({ overlapNs: 50e9, overlaps: true });
    expect(timeOverlap(0, 100e9, 50e9, 200e9, 60e9).overlaps).toBe(false);
    expect(timeOverlap(0, 100e9, 50e9, 200e9, 60e9).overlapNs).toBe(-10e9);
    expect(timeOverlap(DAY, DAY + 60e9, 0, 60e9, DAY).overlapNs).toBe(60e9);
  });
});

describe('scoreOrientation', () => {
  function twoWay(seed: number, swap: boolean): ClockConstraints {
    const rand = rng(seed);
    const c = new ClockConstraints();
    for (let k = 0; k < 2000; k++) {
      const t = 1000e9 + rand() * 30e9;
      const d = 50_000 + Math.round(-Math.log(1 - rand()) * 80_000);
      // Client side ahead by 7 s. As-given: forward seen on the client side first.
      const forward = k % 2 === 0;
      const first = forward ? t + 7e9 : t;
      const clientNs = forward ? first : t + d + 7e9;
      const serverNs = forward ? t + d : t;
      if (forward !== swap) c.addForward(Math.round(clientNs), Math.round(serverNs));
      else c.addReverse(Math.round(clientNs), Math.round(serverNs));
    }
    return c;
  }

  test('consistent as given', () => {
    const s = scoreOrientation(twoWay(1, false));
    expect(s.verdict).toBe('as-given');
    expect(s.asGivenRejected).toBe(0);
    expect(s.swappedRejected).toBeGreaterThan(0.3);
  });

  test('files given the wrong way round are detected', () => {
    const s = scoreOrientation(twoWay(2, true));
    expect(s.verdict).toBe('swapped');
    expect(s.swappedRejected).toBe(0);
  });

  test('one direction only cannot tell', () => {
    const c = new ClockConstraints();
    for (let k = 0; k < 100; k++) c.addForward(k * 1e6, k * 1e6 + 40_000);
    expect(scoreOrientation(c).verdict).toBe('undecided');
  });
});
