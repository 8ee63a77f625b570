/**
 * Working arrays of clock alignment, kept between alignments and grown as needed. One alignment of 400,000
 * constraints allocated about 60 MB of typed arrays that nothing returned refers to. Typed arrays live
 * outside the JS heap, but their volume counts towards the engine's decision to collect the whole heap,
 * which after pass 1 holds every session. Each slot is one array in use by one function at a time; what a
 * result keeps (kept masks, positions) is never taken from here.
 */

const floats: Float64Array[] = [];
const ints: Int32Array[] = [];
const bytes: Uint8Array[] = [];

/** Float64 slots. */
export const F_DIFF = 0;
export const F_X = 1;
export const F_Y = 2;
export const F_STEPS = 3;
export const F_FWD_X = 4;
export const F_FWD_Y = 5;
export const F_FWD_W = 6;
export const F_REV_X = 7;
export const F_REV_Y = 8;
export const F_REV_W = 9;
/** Int32 slots. */
export const I_VALID = 0;
/** Uint8 slots. */
export const B_FORWARD = 0;

function grown<T extends Float64Array | Int32Array | Uint8Array>(
  list: T[],
  slot: number,
  n: number,
  make: (size: number) => T,
): T {
  let a = list[slot];
  if (a === undefined || a.length < n) {
    a = make(Math.max(n, 1024, a === undefined ? 0 : a.length * 2));
    list[slot] = a;
  }
  return a.subarray(0, n) as T;
}

/** `n` values of Float64 slot `slot` (contents left from earlier use). */
export function scratchFloats(slot: number, n: number): Float64Array {
  return grown(floats, slot, n, (size) => new Float64Array(size));
}

export function scratchInts(slot: number, n: number): Int32Array {
  return grown(ints, slot, n, (size) => new Int32Array(size));
}

export function scratchBytes(slot: number, n: number): Uint8Array {
  return grown(bytes, slot, n, (size) => new Uint8Array(size));
}
