/**
 * Internet checksums updated in place when bytes they cover are rewritten (RFC 1624, equation 3:
 * HC' = ~(~HC + ~m + m')). An incremental update keeps a checksum exactly as right or as wrong as it was:
 * a valid checksum stays valid for the rewritten addresses, and a bad one (checksum offload, corruption)
 * stays visibly bad, which is worth seeing.
 */

/**
 * Sum of ~old + new over the 16-bit big-endian words of a rewrite of `buf[at .. at + n)` (n even) into
 * `next`: add it to a checksum's delta, then call `applyDelta`.
 */
export function rewriteDelta(buf: Uint8Array, at: number, next: Uint8Array, n: number): number {
  let d = 0;
  for (let i = 0; i < n; i += 2) {
    const old = (buf[at + i]! << 8) | buf[at + i + 1]!;
    const now = (next[i]! << 8) | next[i + 1]!;
    d += (0xffff ^ old) + now;
  }
  return d;
}

/** The delta of replacing the 32-bit word `old` by `now`. */
export function wordDelta(old: number, now: number): number {
  return (0xffff ^ (old >>> 16)) + (0xffff ^ (old & 0xffff)) + (now >>> 16) + (now & 0xffff);
}

/** Apply a delta to the checksum stored big-endian at `at`. */
export function applyDelta(buf: Uint8Array, at: number, delta: number): void {
  if (delta === 0) return;
  let sum = (0xffff ^ ((buf[at]! << 8) | buf[at + 1]!)) + delta;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  const cs = 0xffff ^ sum;
  buf[at] = cs >>> 8;
  buf[at + 1] = cs & 0xff;
}

/** The Internet checksum of `buf[from .. to)` plus a starting sum (for tests and full recomputation). */
export function internetSum(buf: Uint8Array, from: number, to: number, start = 0): number {
  let sum = start;
  let i = from;
  for (; i + 1 < to; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < to) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}
