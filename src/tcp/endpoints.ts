/**
 * Endpoints shared between sessions. A capture's sessions mostly go to a few servers from a few clients,
 * so most of their address words and many of their endpoints repeat; one frozen copy each, found by a
 * numeric hash, replaces two objects and two arrays per session. The tables are bounded: when one fills
 * up it starts again empty (sessions keep what they were given).
 */
import type { Endpoint } from './session.js';

/** Entries kept per table before it starts again. */
export const MAX_SHARED = 1 << 16;

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
  private readonly addrs = new Map<number, readonly number[]>();
  private readonly endpoints = new Map<number, Endpoint>();

  /** The endpoint of `words` (an address as the decoder's four words) and `port`, shared when seen before. */
  get(ipVersion: 4 | 6, words: Uint32Array, port: number): Endpoint {
    const addrHash = wordsHash(ipVersion, words[0]!, words[1]!, words[2]!, words[3]!);
    const key = Math.imul(addrHash ^ port, 0x2c1b3c6d) | 0;
    const known = this.endpoints.get(key);
    if (
      known !== undefined &&
      known.port === port &&
      known.ipVersion === ipVersion &&
      sameWords(known.addr, words)
    ) {
      return known;
    }
    const endpoint: Endpoint = Object.freeze({ ipVersion, addr: this.addr(addrHash, words), port });
    if (this.endpoints.size >= MAX_SHARED) this.endpoints.clear();
    this.endpoints.set(key, endpoint);
    return endpoint;
  }

  private addr(hash: number, words: Uint32Array): readonly number[] {
    const known = this.addrs.get(hash);
    if (known !== undefined && sameWords(known, words)) return known;
    const addr = Object.freeze([words[0]!, words[1]!, words[2]!, words[3]!]);
    if (this.addrs.size >= MAX_SHARED) this.addrs.clear();
    this.addrs.set(hash, addr);
    return addr;
  }
}
