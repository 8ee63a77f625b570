/**
 * Zeek's connection history string: one letter per event, upper case when the initiator sent the packet,
 * lower case for the responder. Letters (Zeek's meanings):
 *   s SYN without ACK, h SYN+ACK, a pure ACK, d payload, f FIN, r RST,
 *   t retransmitted payload, w zero window, g gap in the byte stream (content missing from the capture),
 *   q multi-flag packet (SYN with FIN or RST), i inconsistent packet (FIN with RST),
 *   ^ the initiator was guessed from a SYN+ACK seen first (direction flipped).
 * Each letter is recorded at most once per direction, except t, w and g, which are recorded again each
 * time their count reaches 10, 100, 1000, ... (Zeek's exponential thresholds).
 */

const LETTERS = 'shadfrtwgqi';

/** Index of a history letter in the per-direction "seen" bitmask and counters. */
export const H_SYN = 0;
export const H_SYNACK = 1;
export const H_ACK = 2;
export const H_DATA = 3;
export const H_FIN = 4;
export const H_RST = 5;
export const H_RETRANSMIT = 6;
export const H_ZERO_WINDOW = 7;
export const H_GAP = 8;
export const H_MULTI_FLAG = 9;
export const H_INCONSISTENT = 10;

const REPEATED = (1 << H_RETRANSMIT) | (1 << H_ZERO_WINDOW) | (1 << H_GAP);

/** Codes kept per packed word: 5 bits each, so a word stays a small integer (no heap number). */
const CODES_PER_WORD = 5;
const WORDS = 4;
/** Code of the direction-flip marker; letter codes are 1 + letter (initiator) and 12 + letter (responder). */
const FLIP_CODE = 23;

export class History {
  /**
   * The letters as 5-bit codes, five to a word, in order: sessions number in the 100,000s and a string
   * grown letter by letter is a chain of heap objects, so the text is made only when asked for. Past
   * 20 letters (only t, w and g repeat, so rare) the rest go to `overflow`.
   */
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;
  private length = 0;
  private overflow = '';
  /** Bit i set when letter i was recorded for direction 0 (initiator) / 1 (responder). */
  private seen0 = 0;
  private seen1 = 0;
  /** Counts and next thresholds of t, w, g per direction: [dir * 3 + k]. */
  private counts: Uint32Array | null = null;

  /** The history string (upper case = initiator). */
  get text(): string {
    let out = '';
    const kept = Math.min(this.length, WORDS * CODES_PER_WORD);
    for (let i = 0; i < kept; i++) out += codeText(this.codeAt(i));
    return out + this.overflow;
  }

  /** Record event `letter` (one of the H_ constants) sent by `dir` (0 = initiator). */
  add(dir: 0 | 1, letter: number): void {
    const bit = 1 << letter;
    if (REPEATED & bit) {
      this.addRepeated(dir, letter);
      return;
    }
    if (dir === 0) {
      if (this.seen0 & bit) return;
      this.seen0 |= bit;
    } else {
      if (this.seen1 & bit) return;
      this.seen1 |= bit;
    }
    this.append(1 + letter + dir * 11);
  }

  /** Prepend-free marker that the initiator was inferred from a SYN+ACK. */
  flipped(): void {
    this.append(FLIP_CODE);
  }

  private addRepeated(dir: 0 | 1, letter: number): void {
    if (this.counts === null) this.counts = new Uint32Array(6);
    const k = dir * 3 + (letter - H_RETRANSMIT);
    const n = ++this.counts[k]!;
    // Record at 1, 10, 100, ...: n is a power of ten.
    let p = 1;
    while (p < n) p *= 10;
    if (p === n) this.append(1 + letter + dir * 11);
  }

  private codeAt(i: number): number {
    const word = (i / CODES_PER_WORD) | 0;
    const w = word === 0 ? this.w0 : word === 1 ? this.w1 : word === 2 ? this.w2 : this.w3;
    return (w >>> ((i % CODES_PER_WORD) * 5)) & 31;
  }

  private append(code: number): void {
    const i = this.length++;
    if (i >= WORDS * CODES_PER_WORD) {
      this.overflow += codeText(code);
      return;
    }
    const shifted = code << ((i % CODES_PER_WORD) * 5);
    const word = (i / CODES_PER_WORD) | 0;
    if (word === 0) this.w0 |= shifted;
    else if (word === 1) this.w1 |= shifted;
    else if (word === 2) this.w2 |= shifted;
    else this.w3 |= shifted;
  }
}

function codeText(code: number): string {
  if (code === FLIP_CODE) return '^';
  return code <= 11 ? LETTERS[code - 1]!.toUpperCase() : LETTERS[code - 12]!;
}
