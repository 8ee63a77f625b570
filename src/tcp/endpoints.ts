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

/** Words per slot of the key mirrors: ipVersion, port (endpoints only), then the four address words. */
const ENDPOINT_KEY = 6;
const ADDR_KEY = 5;

export class EndpointCache {
  private readonly addrs: (readonly number[] | undefined)[] = new Array(SHARED_SLOTS).fill(undefined);
  private readonly endpoints: (Endpoint | undefined)[] = new Array(SHARED_SLOTS).fill(undefined);
  /**
   * Each slot's key beside the slots, in typed arrays: a lookup compares the key without touching the
   * cached object (a random read per session in a large capture), and a miss never touches it.
   */
  private readonly endpointKeys = new Int32Array(SHARED_SLOTS * ENDPOINT_KEY);
  private readonly addrKeys = new Int32Array(SHARED_SLOTS * ADDR_KEY);

  /** The endpoint of `words` (an address as the decoder's four words) and `port`, shared when seen before. */
  get(ipVersion: 4 | 6, words: Uint32Array, port: number): Endpoint {
    return this.of(ipVersion, words[0]!, words[1]!, words[2]!, words[3]!, port);
  }

  /** The endpoint of the address words `a0..a3` (unsigned) and `port`, shared when seen before. */
  of(ipVersion: 4 | 6, a0: number, a1: number, a2: number, a3: number, port: number): Endpoint {
    const w0 = a0 | 0;
    const w1 = a1 | 0;
    const w2 = a2 | 0;
    const w3 = a3 | 0;
    const addrHash = wordsHash(ipVersion, w0, w1, w2, w3);
    const slot = (Math.imul(addrHash ^ port, 0x2c1b3c6d) >>> 20) & SLOT_MASK;
    const k = this.endpointKeys;
    const o = slot * ENDPOINT_KEY;
    if (
      k[o] === ipVersion &&
      k[o + 1] === port &&
      k[o + 2] === w0 &&
      k[o + 3] === w1 &&
      k[o + 4] === w2 &&
      k[o + 5] === w3
    ) {
      return this.endpoints[slot]!;
    }
    const endpoint: Endpoint = Object.freeze({
      ipVersion,
      addr: this.addr(addrHash, ipVersion, a0 >>> 0, a1 >>> 0, a2 >>> 0, a3 >>> 0),
      port,
    });
    this.endpoints[slot] = endpoint;
    k[o] = ipVersion;
    k[o + 1] = port;
    k[o + 2] = w0;
    k[o + 3] = w1;
    k[o + 4] = w2;
    k[o + 5] = w3;
    return endpoint;
  }

  private addr(
    hash: number,
    ipVersion: number,
    a0: number,
    a1: number,
    a2: number,
    a3: number,
  ): readonly number[] {
    const slot = (hash >>> 20) & SLOT_MASK;
    const k = this.addrKeys;
    const o = slot * ADDR_KEY;
    const w0 = a0 | 0;
    const w1 = a1 | 0;
    const w2 = a2 | 0;
    const w3 = a3 | 0;
    if (k[o] === ipVersion && k[o + 1] === w0 && k[o + 2] === w1 && k[o + 3] === w2 && k[o + 4] === w3) {
      return this.addrs[slot]!;
    }
    const addr = Object.freeze([a0, a1, a2, a3]);
    this.addrs[slot] = addr;
    k[o] = ipVersion;
    k[o + 1] = w0;
    k[o + 2] = w1;
    k[o + 3] = w2;
    k[o + 4] = w3;
    return addr;
  }
}
