/**
 * pcapng options: a list of (code u16, length u16, value padded to 4 bytes), ended by code 0 or the end of
 * the block. Readers here stop at the first option that runs past its region and say so; they never read
 * outside it.
 */

/** Visits each option in `[start, end)`; returns false if an option overran the region. */
export function forEachOption(
  view: DataView,
  start: number,
  end: number,
  little: boolean,
  visit: (code: number, valueStart: number, valueLength: number) => void,
): boolean {
  let p = start;
  while (p + 4 <= end) {
    const code = view.getUint16(p, little);
    const length = view.getUint16(p + 2, little);
    if (code === 0) return true;
    const valueStart = p + 4;
    if (valueStart + length > end) return false;
    visit(code, valueStart, length);
    p = valueStart + ((length + 3) & ~3);
  }
  return true;
}

const utf8 = new TextDecoder('utf-8');

/**
 * Option strings are UTF-8 and not NUL-terminated, yet some writers add a NUL and then leftover bytes
 * (PcapPlusPlus pads comments with stale memory): the value ends at the first NUL, as Wireshark reads it.
 */
export function optionString(bytes: Uint8Array, start: number, length: number): string {
  const nul = bytes.subarray(start, start + length).indexOf(0);
  return utf8.decode(bytes.subarray(start, nul < 0 ? start + length : start + nul));
}

/** A signed 64-bit option value (if_tsoffset) as a number; exact within +-2^53, which any real offset is. */
export function readInt64(view: DataView, at: number, little: boolean): number {
  const hi = view.getInt32(little ? at + 4 : at, little);
  const lo = view.getUint32(little ? at : at + 4, little);
  return hi * 4294967296 + lo;
}
