/**
 * DISTINCTIVENESS of shared content (IDF-style): unrelated traffic of the same application shares much of
 * its content (the Host and User-Agent lines of every request, the status line and headers of every
 * response, the framing of a body), and some of it happens to occur once in each capture (the only upload's
 * Content-Type, the only JSON response's head). Being held once on each side does not make a key
 * distinctive; a message pair is distinctively alike only when most of what is rare in the two messages
 * is shared. Keys are weighted by 1 / (messages holding them on the side where they are most common), and
 * two messages are compared by weighted Dice over their content keys: a line every request carries counts
 * next to nothing, a line carrying a request id counts fully, and identical messages stay at 1 whatever
 * their weights (the same request sent by every client is alike, only not distinctive).
 */
import type { MessageIndex } from './candidates.js';

/**
 * Weighted Dice at or above which two messages' rare content agrees, and at or above which a message pair
 * alone can carry a connection (measured in docs/correlation.md §9: true links of the lab's eight scenarios
 * 0.666 and up, the best of every connection 0.993 and up; messages of two different scenarios sharing a key
 * 0.340 at most).
 */
export const DISTINCT_ALIKE = 0.5;
export const DISTINCT_LINK = 0.8;

/** Keys compared per message at most (a message's key list is bounded by its chunk and line caps). */
const MAX_KEYS = 256;

export class Rarity {
  /** Each key's weight, parallel to the indexes' `keyList`s: computed once, read per comparison. */
  private readonly weightC: Float64Array;
  private readonly weightS: Float64Array;
  /** Scratch for the server message's keys: already matched (no per-comparison allocation). */
  private readonly used = new Uint8Array(MAX_KEYS);

  constructor(
    private readonly mc: MessageIndex,
    private readonly ms: MessageIndex,
  ) {
    this.weightC = Float64Array.from(mc.keyList, (k) => this.weight(k));
    this.weightS = Float64Array.from(ms.keyList, (k) => this.weight(k));
  }

  /** Weight of a tagged content key: 1 / the most messages holding it on either side. */
  weight(key: number): number {
    const n = Math.max(this.mc.keys.count(key), this.ms.keys.count(key));
    return n > 1 ? 1 / n : 1;
  }

  /**
   * Weighted Dice of client message `g` and server message `h` (global numbers of their MessageIndex),
   * the better of their byte keys (head hash, chunks) and their line keys, as `similarity` does.
   */
  alike(g: number, h: number): number {
    const mc = this.mc;
    const ms = this.ms;
    const gStart = mc.keyStart[g]!;
    const gSplit = gStart + mc.byteKeys[g]!;
    const gEnd = mc.keyStart[g + 1]!;
    const hStart = ms.keyStart[h]!;
    const hSplit = hStart + ms.byteKeys[h]!;
    const hEnd = ms.keyStart[h + 1]!;
    const bytes = this.dice(gStart, gSplit, hStart, hSplit);
    const lines = this.dice(gSplit, gEnd, hSplit, hEnd);
    return Math.max(bytes, lines);
  }

  /** Weighted Dice over the multisets mc.keyList[a0..a1) and ms.keyList[b0..b1). */
  private dice(a0: number, a1: number, b0: number, b1: number): number {
    if (a1 <= a0 || b1 <= b0) return 0;
    const listA = this.mc.keyList;
    const listB = this.ms.keyList;
    const weightA = this.weightC;
    const weightB = this.weightS;
    const nb = Math.min(b1 - b0, MAX_KEYS);
    const used = this.used;
    used.fill(0, 0, nb);
    let totalB = 0;
    for (let j = 0; j < nb; j++) totalB += weightB[b0 + j]!;
    let totalA = 0;
    let shared = 0;
    const na = Math.min(a1 - a0, MAX_KEYS);
    for (let i = 0; i < na; i++) {
      const k = listA[a0 + i]!;
      const w = weightA[a0 + i]!;
      totalA += w;
      for (let j = 0; j < nb; j++) {
        if (used[j] === 0 && listB[b0 + j] === k) {
          used[j] = 1;
          shared += w;
          break;
        }
      }
    }
    return (2 * shared) / (totalA + totalB);
  }
}
