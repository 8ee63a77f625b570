/**
 * Endpoints shared between sessions. A capture's sessions mostly go to a few servers from a few clients,
 * so most of their address words and many of their endpoints repeat; one frozen copy each replaces two
 * objects and two arrays per session. Each table is direct-mapped (a numeric hash picks one slot, a
 * newcomer replaces what was there): bounded, no Map to grow and rehash, and the endpoints that keep
 * coming back (servers) are the ones that stay.
 */
import type { Endpoint } from './session.js';

/** Slots per table (a power of two). */
export const SHARED_SLOTS = 1 << 12;
const SLOT_MASK = SHARED_SLOTS - 1;

function wordsHash(ipVersion: number, w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(ipVersion ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w0, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ w1;
  h = Math.imul((h << 13) | (h >>> 19), 0xe6546b64) ^ w2;
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ w3;
  h ^= h >>> 16;
  return Math.imul(h, 0x85ebca6b) | 0;
}

function sameWords(addr: readonly number[], words: Uint32Array): boolean {
  return addr[0] === words[0] && addr[1] === words[1] && addr[2] === words[2] && addr[3] === words[3];
}

export class EndpointCache {
  private readonly addrs: (readonly number[] | undefined)[] = new Array(SHARED_SLOTS).fill(undefined);
  private readonly endpoints: (Endpoint | undefined)[] = new Array(SHARED_SLOTS).fill(undefined);

  /** The endpoint of `words` (an address as the decoder's four words) and `port`, shared when seen before. */
  get(ipVersion: 4 | 6, words: Uint32Array, port: number): Endpoint {
    const addrHash = wordsHash(ipVersion, words[0]!, words[1]!, words[2]!, words[3]!);
    const slot = (Math.imul(addrHash ^ port, 0x2c1b3c6d) >>> 20) & SLOT_MASK;
    const known = this.endpoints[slot];
    if (
      known !== undefined &&
      known.port === port &&
      known.ipVersion === ipVersion &&
      sameWords(known.addr, words)
    ) {
      return known;
    }
    const endpoint: Endpoint = Object.freeze({ ipVersion, addr: this.addr(addrHash, words), port });
    this.endpoints[slot] = endpoint;
    return endpoint;
  }

  private addr(hash: number, words: Uint32Array): readonly number[] {
    const slot = (hash >>> 20) & SLOT_MASK;
    const known = this.addrs[slot];
    if (known !== undefined && sameWords(known, words)) return known;
    const addr = Object.freeze([words[0]!, words[1]!, words[2]!, words[3]!]);
    this.addrs[slot] = addr;
    return addr;
  }
}
