/**
 * Timing constraints for clock alignment: compact storage as they are collected, validation, ordering by
 * server-side time, and conversion to fit coordinates. docs/alignment.md §1 defines them.
 */
import type { FitPoints } from './clock-fit.js';
import {
  F_FWD_W,
  F_FWD_X,
  F_FWD_Y,
  F_REV_W,
  F_REV_X,
  F_REV_Y,
  I_VALID,
  scratchFloats,
  scratchInts,
} from './clock-scratch.js';
import { stableOrder } from './sorted.js';

/**
 * Timing constraints. Forward: a packet (or a causal event) seen on the client side at clientNs, then on
 * the server side at serverNs. Reverse: seen on the server side first, then on the client side.
 * Grows like a vector of typed arrays, so millions of constraints cost 33 bytes each.
 */
export class ClockConstraints {
  clientNs: Float64Array;
  serverNs: Float64Array;
  weight: Float64Array;
  id: Float64Array;
  /** 1 = forward (client side first), 0 = reverse. */
  forward: Uint8Array;
  size = 0;

  /** Room for `capacity` constraints before the arrays grow (a caller that knows how many sets it). */
  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.clientNs = new Float64Array(n);
    this.serverNs = new Float64Array(n);
    this.weight = new Float64Array(n);
    this.id = new Float64Array(n);
    this.forward = new Uint8Array(n);
  }

  /** Client side saw it first. Returns the constraint's id (its position unless `id` is given). */
  addForward(clientNs: number, serverNs: number, weight = 1, id?: number): number {
    return this.add(1, clientNs, serverNs, weight, id);
  }

  /** Server side saw it first. */
  addReverse(clientNs: number, serverNs: number, weight = 1, id?: number): number {
    return this.add(0, clientNs, serverNs, weight, id);
  }

  private add(forward: number, clientNs: number, serverNs: number, weight: number, id?: number): number {
    if (this.size === this.clientNs.length) this.grow();
    const k = this.size++;
    this.clientNs[k] = clientNs;
    this.serverNs[k] = serverNs;
    this.weight[k] = weight;
    this.forward[k] = forward;
    this.id[k] = id ?? k;
    return this.id[k]!;
  }

  private grow(): void {
    const cap = this.clientNs.length * 2;
    const widen = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.clientNs = widen(this.clientNs, (n) => new Float64Array(n));
    this.serverNs = widen(this.serverNs, (n) => new Float64Array(n));
    this.weight = widen(this.weight, (n) => new Float64Array(n));
    this.id = widen(this.id, (n) => new Float64Array(n));
    this.forward = widen(this.forward, (n) => new Uint8Array(n));
  }
}

/** Positions of the constraints with finite times and a positive weight (valid until the next call). */
export function validIndices(c: ClockConstraints): Int32Array {
  const out = scratchInts(I_VALID, c.size);
  let n = 0;
  for (let i = 0; i < c.size; i++) {
    const w = c.weight[i]!;
    if (Number.isFinite(c.clientNs[i]!) && Number.isFinite(c.serverNs[i]!) && Number.isFinite(w) && w > 0) {
      out[n++] = i;
    }
  }
  return out.subarray(0, n);
}

/**
 * Valid positions ordered by server-side time, ties by position. Matching code usually emits constraints
 * nearly in time order, so an ordered input is detected in one pass; otherwise integer times (the normal
 * case) take a radix sort (sorted.ts).
 */
export function byServerTime(c: ClockConstraints, valid: Int32Array): Int32Array {
  return stableOrder(c.serverNs, valid);
}

/**
 * The constraints at positions order[from..to) in fit coordinates: x = server - ref, y = client - server
 * - d0, split by direction (each stays sorted by x). Times and weights are valid until the next call (they
 * are working arrays, clock-scratch.ts); the positions are the caller's to keep.
 */
export function pointsOf(
  c: ClockConstraints,
  order: Int32Array,
  d0: number,
  ref: number,
  from: number,
  to: number,
): FitPoints {
  const nF = countForward(c.forward, order, from, to);
  const nR = to - from - nF;
  const pts: FitPoints = {
    fwd: {
      x: scratchFloats(F_FWD_X, nF),
      y: scratchFloats(F_FWD_Y, nF),
      w: scratchFloats(F_FWD_W, nF),
      idx: new Int32Array(nF),
    },
    rev: {
      x: scratchFloats(F_REV_X, nR),
      y: scratchFloats(F_REV_Y, nR),
      w: scratchFloats(F_REV_W, nR),
      idx: new Int32Array(nR),
    },
  };
  splitByDirection(c, order, d0, ref, from, to, pts);
  return pts;
}

// The passes over every constraint are functions of their own, so that the engine compiles each whole
// once its loop is hot (see sorted.ts).

function countForward(forward: Uint8Array, order: Int32Array, from: number, to: number): number {
  let n = 0;
  for (let k = from; k < to; k++) n += forward[order[k]!]!;
  return n;
}

function splitByDirection(
  c: ClockConstraints,
  order: Int32Array,
  d0: number,
  ref: number,
  from: number,
  to: number,
  pts: FitPoints,
): void {
  const { fwd, rev } = pts;
  const { clientNs, serverNs, weight, forward } = c;
  let f = 0;
  let r = 0;
  for (let k = from; k < to; k++) {
    const i = order[k]!;
    const x = serverNs[i]! - ref;
    const y = clientNs[i]! - serverNs[i]! - d0;
    if (forward[i] === 1) {
      fwd.x[f] = x;
      fwd.y[f] = y;
      fwd.w[f] = weight[i]!;
      fwd.idx[f++] = i;
    } else {
      rev.x[r] = x;
      rev.y[r] = y;
      rev.w[r] = weight[i]!;
      rev.idx[r++] = i;
    }
  }
}
