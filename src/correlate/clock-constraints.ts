/**
 * Timing constraints for clock alignment: compact storage as they are collected, validation, ordering by
 * server-side time, and conversion to fit coordinates. docs/alignment.md §1 defines them.
 */
import type { FitPoints } from './clock-fit.js';
import { stableOrder } from './sorted.js';

/**
 * Timing constraints. Forward: a packet (or a causal event) seen on the client side at clientNs, then on
 * the server side at serverNs. Reverse: seen on the server side first, then on the client side.
 * Grows like a vector of typed arrays, so millions of constraints cost 33 bytes each.
 */
export class ClockConstraints {
  clientNs = new Float64Array(1024);
  serverNs = new Float64Array(1024);
  weight = new Float64Array(1024);
  id = new Float64Array(1024);
  /** 1 = forward (client side first), 0 = reverse. */
  forward = new Uint8Array(1024);
  size = 0;

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

export function validIndices(c: ClockConstraints): Int32Array {
  const out = new Int32Array(c.size);
  let n = 0;
  for (let i = 0; i < c.size; i++) {
    const w = c.weight[i]!;
    if (Number.isFinite(c.clientNs[i]!) && Number.isFinite(c.serverNs[i]!) && Number.isFinite(w) && w > 0) {
      out[n++] = i;
    }
  }
  return n === c.size ? out : out.slice(0, n);
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
 * - d0, split by direction (each stays sorted by x).
 */
export function pointsOf(
  c: ClockConstraints,
  order: Int32Array,
  d0: number,
  ref: number,
  from: number,
  to: number,
) {
  let nF = 0;
  for (let k = from; k < to; k++) nF += c.forward[order[k]!]!;
  const nR = to - from - nF;
  const side = (m: number) => ({
    x: new Float64Array(m),
    y: new Float64Array(m),
    w: new Float64Array(m),
    idx: new Int32Array(m),
  });
  const pts: FitPoints = { fwd: side(nF), rev: side(nR) };
  let f = 0;
  let r = 0;
  for (let k = from; k < to; k++) {
    const i = order[k]!;
    const s = c.forward[i] === 1 ? pts.fwd : pts.rev;
    const j = c.forward[i] === 1 ? f++ : r++;
    s.x[j] = c.serverNs[i]! - ref;
    s.y[j] = c.clientNs[i]! - c.serverNs[i]! - d0;
    s.w[j] = c.weight[i]!;
    s.idx[j] = i;
  }
  return pts;
}
