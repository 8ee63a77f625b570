// Bulk content for long transfers: compressible text (so samples/ stays small once gzipped) in which every
// line is unique (request id + counter), so any chunk of a transfer can be found on both sides.
export function bodyLine(id, direction, n) {
  return `${id} ${direction} line ${String(n).padStart(7, '0')} the quick brown fox jumps over the lazy dog\n`;
}

export function bulkBody(id, direction, bytes) {
  const lines = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const line = bodyLine(id, direction, n);
    lines.push(line);
    size += line.length;
  }
  return lines.join('').slice(0, bytes);
}
