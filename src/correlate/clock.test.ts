import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import {
  type AlignSegment,
  alignClocks,
  type ClockAlignment,
  ClockConstraints,
  toClientNs,
  toServerNs,
} from './clock.js';

/** Deterministic PRNG (mulberry32), so every synthetic capture is the same on every run. */
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

interface Truth {
  offsetNs: number;
  skewPpm: number;
  referenceNs: number;
  /** Optional clock step of the client clock at this server-side time. */
  stepAtNs?: number;
  stepNs?: number;
}

/** Client-side clock reading at server-side (true) time t. */
function clientClock(t: Truth, serverNs: number): number {
  const step = t.stepAtNs !== undefined && serverNs >= t.stepAtNs ? (t.stepNs ?? 0) : 0;
  return serverNs + t.offsetNs + t.skewPpm * 1e-6 * (serverNs - t.referenceNs) + step;
}

interface Scenario {
  truth: Truth;
  startNs: number;
  spanNs: number;
  forward: number;
  reverse: number;
  fwdMinNs: number;
  revMinNs: number;
  /** Mean of the exponential queueing delay; one in ten delays is ten times longer (heavy tail). */
  jitterNs: number;
  resolutionNs: number;
  /** Fraction of constraints replaced by false pairs (client side time off by up to +-falseSpreadNs/2). */
  falseFraction?: number;
  falseSpreadNs?: number;
  /** Mean of an exponential lateness added to every time stamp (host stamping after the stack saw it). */
  stampJitterNs?: number;
  seed: number;
}

/** Constraints as two taps would record them, time stamps truncated to the resolution. */
function synthesise(sc: Scenario): { c: ClockConstraints; falsePairs: number } {
  const rand = rng(sc.seed);
  const q = (ns: number) => Math.floor(ns / sc.resolutionNs) * sc.resolutionNs;
  const delay = (min: number) => {
    const e = -Math.log(1 - rand()) * sc.jitterNs;
    return Math.round(min + (rand() < 0.1 ? 10 * e : e));
  };
  const late = () => (sc.stampJitterNs ? -Math.log(1 - rand()) * sc.stampJitterNs : 0);
  const c = new ClockConstraints();
  let falsePairs = 0;
  const total = sc.forward + sc.reverse;
  for (let k = 0; k < total; k++) {
    const forward = k < sc.forward;
    const t = sc.startNs + Math.floor(rand() * sc.spanNs);
    let clientNs: number;
    let serverNs: number;
    if (forward) {
      clientNs = clientClock(sc.truth, t);
      serverNs = t + delay(sc.fwdMinNs);
    } else {
      serverNs = t;
      clientNs = clientClock(sc.truth, t + delay(sc.revMinNs));
    }
    if (sc.falseFraction !== undefined && rand() < sc.falseFraction) {
      clientNs += Math.round((rand() - 0.5) * (sc.falseSpreadNs ?? 1e9));
      falsePairs++;
    }
    clientNs += late();
    serverNs += late();
    if (forward) c.addForward(q(clientNs), q(serverNs));
    else c.addReverse(q(clientNs), q(serverNs));
  }
  return { c, falsePairs };
}

/**
 * Largest |fitted - true| (client - server difference) over a segment's ends and reference. With a step,
 * the times are kept on the segment's own side of it: a loose constraint (a false pair that breaks no
 * rule, or a genuinely slow packet) can stretch a segment into the data gap around the step, where the
 * captures cannot tell which clock was in force.
 */
function errorOver(seg: AlignSegment, truth: Truth): number {
  let worst = 0;
  let times = [seg.fromNs, seg.referenceNs, seg.toNs];
  const step = truth.stepAtNs;
  if (step !== undefined) {
    const before = seg.referenceNs < step;
    times = times.map((t) => (before ? Math.min(t, step - 1) : Math.max(t, step)));
  }
  for (const s of times) {
    const fitted = s + seg.offsetNs + seg.skewPpm * 1e-6 * (s - seg.referenceNs);
    worst = Math.max(worst, Math.abs(fitted - clientClock(truth, s)));
  }
  return worst;
}

/** Signed error at the reference time. */
function errorAtRef(a: ClockAlignment, truth: Truth): number {
  return a.referenceNs + a.offsetNs - clientClock(truth, a.referenceNs);
}

const HOUR = 3600e9;
const base: Scenario = {
  truth: { offsetNs: 3 * HOUR + 17 * 60e9, skewPpm: 80, referenceNs: 0 },
  startNs: 1000e9,
  spanNs: 60e9,
  forward: 3000,
  reverse: 3000,
  fwdMinNs: 120_000,
  revMinNs: 120_000,
  jitterNs: 150_000,
  resolutionNs: 1000,
  seed: 1,
};

describe('alignClocks: two-sided envelope', () => {
  test.each([
    ['+3 h 17 min, +80 ppm', 80, 1],
    ['+3 h 17 min, -50 ppm', -50, 2],
  ])('recovers offset and skew (%s)', (_name, skewPpm, seed) => {
    const truth = { ...base.truth, skewPpm, referenceNs: 1030e9 };
    const { c } = synthesise({ ...base, truth, seed });
    const a = alignClocks(c);
    expect(a.method).toBe('two-sided-envelope');
    expect(a.segments).toHaveLength(1);
    expect(a.boundNs).toBeLessThan(1e6);
    expect(errorOver(a.segments[0]!, truth)).toBeLessThanOrEqual(a.boundNs);
    expect(Math.abs(a.skewPpm - skewPpm)).toBeLessThan(3);
    expect(a.segments[0]!.skewRangePpm[0]).toBeLessThanOrEqual(skewPpm);
    expect(a.segments[0]!.skewRangePpm[1]).toBeGreaterThanOrEqual(skewPpm);
    expect(a.constraints).toMatchObject({ forward: 3000, reverse: 3000, rejected: 0, used: 6000 });
    // Minimum delays after mapping come out near the true minima (within the bound).
    expect(Math.abs(a.minForwardDelayNs - 120_000)).toBeLessThanOrEqual(a.boundNs);
    expect(Math.abs(a.minReverseDelayNs - 120_000)).toBeLessThanOrEqual(a.boundNs);
  });

  test('the bound is about half the minimum round trip plus resolution', () => {
    const { c } = synthesise(base);
    const a = alignClocks(c);
    const halfRoundTrip = (a.minForwardDelayNs + a.minReverseDelayNs) / 2;
    expect(a.boundNs).toBeGreaterThanOrEqual(halfRoundTrip + 2000);
    expect(a.boundNs).toBeLessThan(1.5 * (halfRoundTrip + 2000));
  });

  test('asymmetric minimum delays bias the offset by half the asymmetry, within the bound', () => {
    const truth = { ...base.truth, referenceNs: 1030e9 };
    const { c } = synthesise({ ...base, truth, fwdMinNs: 200_000, revMinNs: 20_000, seed: 3 });
    const a = alignClocks(c);
    // Forward hull sits 200 us below the line, reverse 20 us above: the midway line is 90 us low.
    const err = errorAtRef(a, truth);
    expect(Math.abs(err - -90_000)).toBeLessThan(10_000);
    expect(Math.abs(err)).toBeLessThanOrEqual(a.boundNs);
    expect(errorOver(a.segments[0]!, truth)).toBeLessThanOrEqual(a.boundNs);
  });

  test('5% false pairs: still within the bound, rejections reported', () => {
    const truth = { ...base.truth, referenceNs: 1030e9 };
    const { c, falsePairs } = synthesise({ ...base, truth, falseFraction: 0.05, seed: 4 });
    expect(falsePairs).toBeGreaterThan(200);
    const a = alignClocks(c);
    expect(a.segments).toHaveLength(1);
    expect(errorOver(a.segments[0]!, truth)).toBeLessThanOrEqual(a.boundNs);
    expect(a.boundNs).toBeLessThan(1e6);
    expect(Math.abs(a.skewPpm - 80)).toBeLessThan(3);
    // About half the false pairs land on the impossible side of the band; only those can be seen.
    expect(a.constraints.rejected).toBeGreaterThan(0.3 * falsePairs);
    expect(a.constraints.rejected).toBeLessThanOrEqual(falsePairs);
    expect(a.rejectedIds).toHaveLength(a.constraints.rejected);
    expect(a.warnings.map((w) => w.id)).toContain('clock.outliers_rejected');
  });

  test('false pairs close to the truth (within +-5 ms, like a retransmission matched to the wrong copy)', () => {
    // Some land inside the band, where they conflict with nothing but would squeeze and tilt it.
    fc.assert(
      fc.property(
        fc.record({
          skewPpm: fc.double({ min: -200, max: 200, noNaN: true }),
          count: fc.integer({ min: 200, max: 2000 }),
          fwdMinNs: fc.integer({ min: 0, max: 300_000 }),
          revMinNs: fc.integer({ min: 0, max: 300_000 }),
          jitterNs: fc.integer({ min: 1000, max: 300_000 }),
          falseFraction: fc.double({ min: 0, max: 0.1, noNaN: true }),
          seed: fc.integer(),
        }),
        (r) => {
          const truth = { offsetNs: 1e12, skewPpm: r.skewPpm, referenceNs: 5000e9 };
          const sc: Scenario = {
            ...r,
            truth,
            forward: r.count,
            reverse: r.count,
            startNs: 4970e9,
            spanNs: 60e9,
            resolutionNs: 1000,
            falseSpreadNs: 10e6,
          };
          const a = alignClocks(synthesise(sc).c);
          expect(a.segments).toHaveLength(1);
          expect(errorOver(a.segments[0]!, truth)).toBeLessThanOrEqual(a.boundNs);
        },
      ),
      { numRuns: 40, seed: 21 },
    );
  });

  test('late host stamps beyond the device latency: the stamping allowance keeps the truth in the bound', () => {
    const truth = { ...base.truth, referenceNs: 1030e9 };
    const sc = {
      ...base,
      truth,
      fwdMinNs: 5000,
      revMinNs: 5000,
      jitterNs: 50_000,
      stampJitterNs: 5000,
      seed: 15,
    };
    const { c } = synthesise(sc);
    const honest = alignClocks(c);
    // Apparent negative delays: read as false matches, the band is tighter than the stamps allow.
    expect(honest.constraints.rejected).toBeGreaterThan(0);
    const allowed = alignClocks(c, { toleranceNs: 25_000 });
    expect(errorOver(allowed.segments[0]!, truth)).toBeLessThanOrEqual(allowed.boundNs);
    expect(allowed.boundNs).toBeGreaterThan(25_000);
    expect(allowed.constraints.rejected).toBeLessThan(honest.constraints.rejected);
  });

  test('a +250 ms clock step splits the fit into two correct segments', () => {
    const truth = { ...base.truth, referenceNs: 1030e9, stepAtNs: 1030e9, stepNs: 250e6 };
    const { c } = synthesise({ ...base, truth, seed: 5 });
    const a = alignClocks(c);
    expect(a.segments).toHaveLength(2);
    const [left, right] = a.segments as [AlignSegment, AlignSegment];
    expect(left.toNs).toBeLessThan(1030e9);
    expect(right.fromNs).toBeGreaterThanOrEqual(1030e9);
    for (const seg of a.segments) {
      expect(errorOver(seg, truth)).toBeLessThanOrEqual(seg.boundNs);
      expect(seg.boundNs).toBeLessThan(1e6);
      expect(seg.constraints.rejected).toBe(0);
    }
    expect(a.warnings.map((w) => w.id)).toContain('clock.step');
    // Mapping picks the segment by server-side time.
    expect(Math.abs(toClientNs(a, 1010e9) - clientClock(truth, 1010e9))).toBeLessThanOrEqual(left.boundNs);
    expect(Math.abs(toClientNs(a, 1050e9) - clientClock(truth, 1050e9))).toBeLessThanOrEqual(right.boundNs);
  });

  test('a step of the server-side clock (gap in server time) is found too', () => {
    // Server clock jumps forward 2 s: as seen from the server side, the client clock jumps back.
    const rand = rng(6);
    const c = new ClockConstraints();
    for (let k = 0; k < 4000; k++) {
      const t = 1000e9 + Math.floor(rand() * 60e9);
      const late = t >= 1030e9 ? 2e9 : 0;
      const d = 100_000 + Math.floor(rand() * 100_000);
      if (k % 2 === 0) c.addForward(clientClock(base.truth, t), t + d + late);
      else c.addReverse(clientClock(base.truth, t + d), t + late);
    }
    const a = alignClocks(c);
    expect(a.segments).toHaveLength(2);
    expect(a.segments[1]!.fromNs).toBeGreaterThanOrEqual(1032e9);
    expect(errorOver(a.segments[0]!, base.truth)).toBeLessThanOrEqual(a.segments[0]!.boundNs);
    // After the step a server-side reading s means true time s - 2 s.
    const after = { ...base.truth, offsetNs: base.truth.offsetNs - 2e9 - 80e-6 * 2e9 };
    expect(errorOver(a.segments[1]!, after)).toBeLessThanOrEqual(a.segments[1]!.boundNs);
  });

  test('a backward step of the client clock (-250 ms) with 5% false pairs', () => {
    const truth = { ...base.truth, referenceNs: 1030e9, stepAtNs: 1030e9, stepNs: -250e6 };
    const { c } = synthesise({ ...base, truth, falseFraction: 0.05, seed: 7 });
    const a = alignClocks(c);
    expect(a.segments).toHaveLength(2);
    for (const seg of a.segments) expect(errorOver(seg, truth)).toBeLessThanOrEqual(seg.boundNs);
  });

  test('a backward step of the server clock: its times overlap, the fit still splits there', () => {
    // Server clock steps back 250 ms at true time 1030 s: readings 1029.75..1030 s occur twice.
    const rand = rng(8);
    const c = new ClockConstraints();
    const server = (t: number) => (t >= 1030e9 ? t - 250e6 : t);
    for (let k = 0; k < 6000; k++) {
      const t = 1000e9 + Math.floor(rand() * 60e9);
      const d = 100_000 + Math.floor(-Math.log(1 - rand()) * 100_000);
      if (k % 2 === 0) c.addForward(clientClock(base.truth, t), server(t + d));
      else c.addReverse(clientClock(base.truth, t + d), server(t));
    }
    const a = alignClocks(c);
    expect(a.segments).toHaveLength(2);
    expect(errorOver(a.segments[0]!, base.truth)).toBeLessThanOrEqual(a.segments[0]!.boundNs);
    const after = { ...base.truth, offsetNs: base.truth.offsetNs + 250e6 + 80e-6 * 250e6 };
    expect(errorOver(a.segments[1]!, after)).toBeLessThanOrEqual(a.segments[1]!.boundNs);
    // Constraints from the doubled quarter second on the wrong side of the cut are rejected, not fitted.
    expect(a.constraints.rejected).toBeLessThan(60);
  });

  test('a queue that builds up and drains (delays jump, clocks do not) is not a clock step', () => {
    const rand = rng(16);
    const c = new ClockConstraints();
    for (let k = 0; k < 6000; k++) {
      const t = 1000e9 + Math.floor(rand() * 60e9);
      // Forward packets queue for up to 50 ms, growing over each 20 s and draining at once.
      const queue = 50e6 * (((t - 1000e9) % 20e9) / 20e9) * rand();
      const d = 100_000 + Math.floor(-Math.log(1 - rand()) * 50_000);
      if (k % 2 === 0) c.addForward(clientClock(base.truth, t), t + d + Math.round(queue));
      else c.addReverse(clientClock(base.truth, t + d), t);
    }
    const a = alignClocks(c);
    expect(a.segments).toHaveLength(1);
    expect(a.constraints.rejected).toBe(0);
    expect(errorOver(a.segments[0]!, base.truth)).toBeLessThanOrEqual(a.boundNs);
  });

  test('a step smaller than the round trip is absorbed into a wider band', () => {
    const truth = { ...base.truth, referenceNs: 1030e9, stepAtNs: 1030e9, stepNs: 50_000 };
    const { c } = synthesise({ ...base, truth, seed: 10 });
    const a = alignClocks(c);
    expect(a.segments).toHaveLength(1);
    expect(errorOver(a.segments[0]!, truth)).toBeLessThanOrEqual(a.boundNs);
  });

  test('the order constraints are given in does not matter', () => {
    const { c } = synthesise({ ...base, falseFraction: 0.05, seed: 11 });
    const order = Array.from({ length: c.size }, (_, i) => i).sort(
      (p, q) => c.serverNs[p]! - c.serverNs[q]! || p - q,
    );
    const sorted = new ClockConstraints();
    for (const i of order) {
      if (c.forward[i] === 1) sorted.addForward(c.clientNs[i]!, c.serverNs[i]!, 1, i);
      else sorted.addReverse(c.clientNs[i]!, c.serverNs[i]!, 1, i);
    }
    const a = alignClocks(c);
    const b = alignClocks(sorted);
    expect(b.offsetNs).toBe(a.offsetNs);
    expect(b.skewPpm).toBe(a.skewPpm);
    expect(Array.from(b.rejectedIds).sort((p, q) => p - q)).toEqual(
      Array.from(a.rejectedIds).sort((p, q) => p - q),
    );
  });

  test('toServerNs inverts toClientNs', () => {
    const { c } = synthesise(base);
    const a = alignClocks(c);
    for (const s of [1000e9, 1030e9, 1060e9])
      expect(Math.abs(toServerNs(a, toClientNs(a, s)) - s)).toBeLessThan(1);
  });
});

describe('alignClocks: limits and fallbacks', () => {
  test('one direction only: flagged one-sided, no finite bound, skew still estimated', () => {
    const { c } = synthesise({ ...base, reverse: 0 });
    const a = alignClocks(c);
    expect(a.oneSided).toBe(true);
    expect(a.method).toBe('one-sided-forward');
    expect(a.boundNs).toBe(Infinity);
    expect(a.warnings.map((w) => w.id)).toContain('clock.one_sided');
    expect(Math.abs(a.skewPpm - 80)).toBeLessThan(5);
    // With no minimum delay assumed, the line touches the envelope: it is a limit, below the truth by the
    // true minimum delay (and never above it).
    const err = errorAtRef(a, { ...base.truth });
    expect(err).toBeLessThanOrEqual(0);
    expect(err).toBeGreaterThan(-200_000);
  });

  test('a short span falls back to offset only, with a warning, and stays within the bound', () => {
    const truth = { ...base.truth, referenceNs: 1000.25e9 };
    const { c } = synthesise({ ...base, truth, spanNs: 0.5e9, forward: 300, reverse: 300 });
    const a = alignClocks(c);
    expect(a.method).toBe('two-sided-offset-only');
    expect(a.skewPpm).toBe(0);
    expect(a.warnings.map((w) => w.id)).toContain('clock.skew_not_estimated');
    expect(errorOver(a.segments[0]!, truth)).toBeLessThanOrEqual(a.boundNs);
  });

  test('directions that never interleave in time do not pin the skew', () => {
    const c = new ClockConstraints();
    for (let k = 0; k < 100; k++) c.addForward(1000e9 + k * 1e8, 1000e9 + k * 1e8 + 50_000);
    for (let k = 0; k < 100; k++) c.addReverse(1020e9 + k * 1e8 + 50_000, 1020e9 + k * 1e8);
    const a = alignClocks(c);
    expect(a.skewEstimated).toBe(false);
    // Tilting down (forward side first, reverse later) only widens the room: the range runs into the prior.
    const [lo, hi] = a.segments[0]!.skewRangePpm;
    expect(lo).toBe(-500);
    expect(hi).toBeGreaterThan(3);
    expect(hi).toBeLessThan(4);
    expect(a.boundNs).toBeGreaterThan(1e6);
  });

  test('user skew is kept; user offset is only measured', () => {
    const truth = { ...base.truth, referenceNs: 1030e9 };
    const { c } = synthesise({ ...base, truth });
    const fixed = alignClocks(c, { skewPpm: 80 });
    expect(fixed.skewPpm).toBe(80);
    expect(errorOver(fixed.segments[0]!, truth)).toBeLessThanOrEqual(fixed.boundNs);
    const user = alignClocks(c, { offsetNs: truth.offsetNs + 1e6, skewPpm: 80, referenceNs: 1030e9 });
    expect(user.method).toBe('user');
    expect(user.offsetNs).toBe(truth.offsetNs + 1e6);
    expect(user.constraints.rejected).toBeGreaterThan(2000);
    expect(user.warnings.map((w) => w.id)).toContain('clock.user_mapping_violated');
    // The constraints still bound how far off the given mapping can be: at least the 1 ms it is off.
    expect(user.boundNs).toBeGreaterThanOrEqual(1e6);
    expect(user.boundNs).toBeLessThan(1.5e6);
    const right = alignClocks(c, { offsetNs: truth.offsetNs, skewPpm: 80, referenceNs: 1030e9 });
    expect(right.constraints.rejected).toBe(0);
    expect(right.boundNs).toBeLessThan(1e6);
    expect(errorOver(right.segments[0]!, truth)).toBeLessThanOrEqual(right.boundNs);
  });

  test('no constraints and invalid numbers are reported, not thrown', () => {
    const empty = alignClocks(new ClockConstraints());
    expect(empty.method).toBe('none');
    expect(empty.boundNs).toBe(Infinity);
    const c = new ClockConstraints();
    c.addForward(Number.NaN, 1);
    c.addReverse(5, Infinity);
    c.addForward(1, 2, 0);
    const bad = alignClocks(c);
    expect(bad.constraints.invalid).toBe(3);
    expect(bad.warnings.map((w) => w.id)).toEqual(['clock.invalid_constraint', 'clock.no_constraints']);
  });

  test('hostile numbers (huge, equal, extreme times) never throw', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.boolean(),
            fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, 1e300, -1e300, 2 ** 53)),
            fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, 1e300, -1e300, 2 ** 53)),
            fc.oneof(fc.constant(1), fc.double()),
          ),
          { maxLength: 80 },
        ),
        (rows) => {
          const c = new ClockConstraints();
          for (const [f, a, b, w] of rows) {
            if (f) c.addForward(a, b, w);
            else c.addReverse(a, b, w);
          }
          const r = alignClocks(c);
          expect(r.constraints.forward + r.constraints.reverse + r.constraints.invalid).toBe(rows.length);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
    const same = new ClockConstraints();
    for (let k = 0; k < 100; k++) {
      same.addForward(5e9, 5e9 + 1000);
      same.addReverse(5e9 + 3000, 5e9);
    }
    const r = alignClocks(same);
    expect(r.method).toBe('two-sided-offset-only');
    expect(r.offsetNs).toBe(1000);
  });

  test('deterministic: the same input gives the same answer', () => {
    const { c } = synthesise({ ...base, falseFraction: 0.05, seed: 9 });
    const a = alignClocks(c);
    const b = alignClocks(c);
    expect(b.offsetNs).toBe(a.offsetNs);
    expect(b.skewPpm).toBe(a.skewPpm);
    expect(Array.from(b.rejectedIds)).toEqual(Array.from(a.rejectedIds));
  });
});

describe('alignClocks: properties', () => {
  test('for random true lines and feasible constraints the truth is within the bound', () => {
    fc.assert(
      fc.property(
        fc.record({
          offsetNs: fc.integer({ min: -1e6, max: 1e6 }).map((v) => v * 1e7),
          skewPpm: fc.double({ min: -300, max: 300, noNaN: true }),
          spanNs: fc.integer({ min: 1, max: 7200 }).map((v) => v * 1e8),
          forward: fc.integer({ min: 1, max: 300 }),
          reverse: fc.integer({ min: 1, max: 300 }),
          fwdMinNs: fc.integer({ min: 0, max: 2_000_000 }),
          revMinNs: fc.integer({ min: 0, max: 2_000_000 }),
          jitterNs: fc.integer({ min: 1, max: 5_000_000 }),
          resolutionNs: fc.constantFrom(1, 1000),
          seed: fc.integer(),
        }),
        (r) => {
          const truth = { offsetNs: r.offsetNs, skewPpm: r.skewPpm, referenceNs: 5000e9 };
          const sc: Scenario = { ...r, truth, startNs: 5000e9 - r.spanNs / 2 };
          const { c } = synthesise(sc);
          const opts = { clientResolutionNs: r.resolutionNs, serverResolutionNs: r.resolutionNs };
          const a = alignClocks(c, opts);
          for (const seg of a.segments) {
            expect(errorOver(seg, truth)).toBeLessThanOrEqual(seg.boundNs + 1);
          }
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  test('with a clock step far beyond the round trip, every segment holds the truth within its bound', () => {
    fc.assert(
      fc.property(
        fc.record({
          skewPpm: fc.double({ min: -300, max: 300, noNaN: true }),
          stepNs: fc.oneof(fc.integer({ min: 20, max: 2000 }), fc.integer({ min: -2000, max: -20 })),
          stepAt: fc.double({ min: 0.2, max: 0.8, noNaN: true }),
          count: fc.integer({ min: 200, max: 1500 }),
          minNs: fc.integer({ min: 10_000, max: 300_000 }),
          jitterNs: fc.integer({ min: 1000, max: 300_000 }),
          seed: fc.integer(),
        }),
        (r) => {
          const spanNs = 60e9;
          const truth: Truth = {
            offsetNs: 1e12,
            skewPpm: r.skewPpm,
            referenceNs: 5000e9,
            stepAtNs: 4970e9 + Math.round(r.stepAt * spanNs),
            stepNs: r.stepNs * 1e6,
          };
          const sc: Scenario = {
            truth,
            startNs: 4970e9,
            spanNs,
            forward: r.count,
            reverse: r.count,
            fwdMinNs: r.minNs,
            revMinNs: r.minNs,
            jitterNs: r.jitterNs,
            resolutionNs: 1000,
            seed: r.seed,
          };
          const a = alignClocks(synthesise(sc).c);
          expect(a.segments.length).toBe(2);
          for (const seg of a.segments) expect(errorOver(seg, truth)).toBeLessThanOrEqual(seg.boundNs + 1);
        },
      ),
      { numRuns: 40, seed: 5 },
    );
  });
});
