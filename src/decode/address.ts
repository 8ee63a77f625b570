/**
 * Printing addresses from the view's numeric form. IPv6 follows RFC 5952 as tshark (through inet_ntop)
 * prints it: lower case, leading zeros dropped, the longest run of two or more zero groups (the first on a
 * tie) shortened to "::", and IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses with a
 * dotted tail.
 */

function dotted(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/** `words`: IPv4 in word [3]; IPv6 as four big-endian 32-bit words (see PacketView.src). */
export function formatAddress(ipVersion: number, words: Uint32Array): string {
  if (ipVersion === 4) return dotted(words[3]! >>> 0);
  if (ipVersion !== 6) return '';
  const groups: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w = words[i]! >>> 0;
    groups.push(w >>> 16, w & 0xffff);
  }
  // Longest run of zero groups.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  // inet_ntop's embedded-IPv4 forms: ::a.b.c.d (6 leading zero groups) and ::ffff:a.b.c.d.
  const embedsIpv4 = bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff));
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += i === 0 ? '::' : ':';
      i += bestLength - 1;
      continue;
    }
    if (embedsIpv4 && i === 6) {
      out += dotted(words[3]! >>> 0);
      break;
    }
    out += groups[i]!.toString(16);
    if (i < 7) out += ':';
  }
  return out;
}
