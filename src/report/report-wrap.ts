/** Word wrapping for the text report: reports are read in 120-column terminals. */

export const TEXT_WIDTH = 110;

/** Greedy word wrap; `indent` starts every line. A single word longer than the width stays whole. */
export function wrap(text: string, indent: string, width = TEXT_WIDTH): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  let line = indent;
  for (const w of words) {
    if (line.length > indent.length && line.length + 1 + w.length > width) {
      out.push(line);
      line = indent;
    }
    line += line.length > indent.length ? ` ${w}` : w;
  }
  if (line.length > indent.length) out.push(line);
  return out;
}
