/**
 * Wrap-safe 32-bit TCP sequence arithmetic (RFC 1982 serial numbers, as Wireshark's GT_SEQ/LT_SEQ and
 * gopacket's `Sequence.Difference`). Inputs are unsigned 32-bit values held in doubles; two numbers compare
 * by the sign of their 32-bit difference, so 0x00000010 is "after" 0xfffffff0.
 */

/** Signed distance from `b` to `a` in sequence space: positive when `a` is after `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a + n, wrapped to an unsigned 32-bit value. */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
