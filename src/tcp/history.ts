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

/** Codes kept per packed word: 5 bits each, so a word stays a small integer. */
const CODES_PER_WORD = 5;
const WORDS = 4;
/** Code of the direction-flip marker; letter codes are 1 + letter (initiator) and 12 + letter (responder). */
const FLIP_CODE = 23;

// Int32 words of a history's row. The letters as 5-bit codes, five to a word, in order: sessions number in
// the 100,000s and a string grown letter by letter is a chain of heap objects, so the text is made only
// when asked for. Past 20 letters (only t, w and g repeat, so rare) the rest go to the host's `overflow`.
const W0 = 0;
const LENGTH = 4;
/** Bit i set when letter i was recorded for direction 0 (initiator) at SEEN0, 1 (responder) at SEEN0 + 1. */
const SEEN0 = 5;
/**
 * Word offset of direction 0's "seen" bits in a history row (direction 1's follows): a letter recorded
 * once per direction is recorded already when its bit is set there, so a caller may skip `addHistory`.
 */
export const HISTORY_SEEN = SEEN0;
/** Counts of t, w, g per direction: [dir * 3 + k]. */
const COUNTS = 7;
/** Int32 words per history row. */
export const HISTORY_WORDS = 13;

/** Where history rows live: a word array (rows at any offset) and the rare letters past the packed words. */
export interface HistoryHost {
  readonly ints: Int32Array;
  /** Letters past the packed words, by the row's word offset. */
  readonly overflow: Map<number, string>;
}

/** Record event `letter` (one of the H_ constants) sent by `dir` (0 = initiator) in the row at `o`. */
export function addHistory(host: HistoryHost, o: number, dir: 0 | 1, letter: number): void {
  const ints = host.ints;
  const bit = 1 << letter;
  if (REPEATED & bit) {
    const k = o + COUNTS + dir * 3 + (letter - H_RETRANSMIT);
    const n = ints[k]! + 1;
    ints[k] = n;
    // Record at 1, 10, 100, ...: n is a power of ten.
    let p = 1;
    while (p < n) p *= 10;
    if (p === n) appendCode(host, o, 1 + letter + dir * 11);
    return;
  }
  const seen = o + SEEN0 + dir;
  if (ints[seen]! & bit) return;
  ints[seen] = ints[seen]! | bit;
  appendCode(host, o, 1 + letter + dir * 11);
}

/** Mark that the initiator was inferred from a SYN+ACK (in the row at `o`). */
export function flipHistory(host: HistoryHost, o: number): void {
  appendCode(host, o, FLIP_CODE);
}

/** The history string of the row at `o` (upper case = initiator). */
export function historyText(host: HistoryHost, o: number): string {
  const ints = host.ints;
  let out = '';
  const kept = Math.min(ints[o + LENGTH]!, WORDS * CODES_PER_WORD);
  for (let i = 0; i < kept; i++) {
    const w = ints[o + W0 + ((i / CODES_PER_WORD) | 0)]!;
    out += codeText((w >>> ((i % CODES_PER_WORD) * 5)) & 31);
  }
  return out + (host.overflow.get(o) ?? '');
}

function appendCode(host: HistoryHost, o: number, code: number): void {
  const ints = host.ints;
  const i = ints[o + LENGTH]!;
  ints[o + LENGTH] = i + 1;
  if (i >= WORDS * CODES_PER_WORD) {
    host.overflow.set(o, (host.overflow.get(o) ?? '') + codeText(code));
    return;
  }
  const word = o + W0 + ((i / CODES_PER_WORD) | 0);
  ints[word] = ints[word]! | (code << ((i % CODES_PER_WORD) * 5));
}

/**
 * A history read from (and written to) its row: a session's is a row of its table's store, made into this
 * view only when asked for; one made with `new History()` has a row of its own.
 */
export class History {
  private readonly host: HistoryHost;
  private readonly o: number;

  constructor(host: HistoryHost | null = null, offset = 0) {
    this.host = host ?? { ints: new Int32Array(HISTORY_WORDS), overflow: new Map() };
    this.o = host === null ? 0 : offset;
  }

  /** The history string (upper case = initiator). */
  get text(): string {
    return historyText(this.host, this.o);
  }

  /** Record event `letter` (one of the H_ constants) sent by `dir` (0 = initiator). */
  add(dir: 0 | 1, letter: number): void {
    addHistory(this.host, this.o, dir, letter);
  }

  /** Prepend-free marker that the initiator was inferred from a SYN+ACK. */
  flipped(): void {
    flipHistory(this.host, this.o);
  }
}

function codeText(code: number): string {
  if (code === FLIP_CODE) return '^';
  return code <= 11 ? LETTERS[code - 1]!.toUpperCase() : LETTERS[code - 12]!;
}
