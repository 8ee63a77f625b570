/**
 * Prefix-preserving address pseudonyms (Crypto-PAn, Xu, Fan, Ammar and Moon, 2002), for IPv4 and IPv6.
 *
 * RULE: output bit i = input bit i XOR the first bit of AES_k(first i input bits, followed by the pad's
 * bits from i on). Two addresses that share exactly their first k bits therefore map to pseudonyms that
 * share exactly their first k bits: subnets stay subnets, and nothing else about the address survives
 * without the key. The pad is AES_k of the second half of the secret, as in the original.
 *
 * All 32 (IPv4) or 128 (IPv6) AES inputs of one address are independent of each other, so they go through
 * the cipher in one call. Results are kept in direct-mapped caches (bounded, overwritten on collision):
 * a capture has few addresses and sees them over and over.
 */
import { createCipheriv } from 'node:crypto';

const CACHE_SLOTS = 1 << 14;

export class PrefixPreserving {
  private readonly aes: ReturnType<typeof createCipheriv>;
  /** The pad: 128 bits as 16 bytes. */
  private readonly pad: Uint8Array;
  private readonly blocks4 = new Uint8Array(32 * 16);
  private readonly blocks6 = new Uint8Array(128 * 16);
  private readonly v4Key = new Uint32Array(CACHE_SLOTS);
  private readonly v4Value = new Uint32Array(CACHE_SLOTS);
  private readonly v4Set = new Uint8Array(CACHE_SLOTS);
  private readonly v6Key = new Uint32Array(CACHE_SLOTS * 4);
  private readonly v6Value = new Uint32Array(CACHE_SLOTS * 4);
  private readonly v6Set = new Uint8Array(CACHE_SLOTS);
  private readonly addr = new Uint8Array(16);

  /** `aesKey` and `padSecret`: 16 bytes each. */
  constructor(aesKey: Uint8Array, padSecret: Uint8Array) {
    this.aes = createCipheriv('aes-128-ecb', aesKey, null);
    this.aes.setAutoPadding(false);
    this.pad = new Uint8Array(this.encrypt(padSecret).subarray(0, 16));
  }

  /** Pseudonym of an IPv4 address given as a 32-bit big-endian word. */
  ipv4(word: number): number {
    word >>>= 0;
    const slot = Math.imul(word ^ (word >>> 16), 0x45d9f3b) >>> 18;
    if (this.v4Set[slot] === 1 && this.v4Key[slot] === word) return this.v4Value[slot]!;
    const a = this.addr;
    a[0] = word >>> 24;
    a[1] = (word >>> 16) & 0xff;
    a[2] = (word >>> 8) & 0xff;
    a[3] = word & 0xff;
    const otp = this.oneTimePad(a, 32, this.blocks4);
    const out = (word ^ ((otp[0]! << 24) | (otp[1]! << 16) | (otp[2]! << 8) | otp[3]!)) >>> 0;
    this.v4Set[slot] = 1;
    this.v4Key[slot] = word;
    this.v4Value[slot] = out;
    return out;
  }

  /** Pseudonym of an IPv6 address given as four big-endian 32-bit words; written to `out` (may be `words`). */
  ipv6(words: ArrayLike<number>, out: Uint32Array): Uint32Array {
    const w0 = words[0]! >>> 0;
    const w1 = words[1]! >>> 0;
    const w2 = words[2]! >>> 0;
    const w3 = words[3]! >>> 0;
    let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b) ^ w1;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ w2;
    h = Math.imul(h ^ (h >>> 16), 0x27d4eb2f) ^ w3;
    const slot = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 18;
    const k = slot * 4;
    const c = this.v6Key;
    if (this.v6Set[slot] === 1 && c[k] === w0 && c[k + 1] === w1 && c[k + 2] === w2 && c[k + 3] === w3) {
      out[0] = this.v6Value[k]!;
      out[1] = this.v6Value[k + 1]!;
      out[2] = this.v6Value[k + 2]!;
      out[3] = this.v6Value[k + 3]!;
      return out;
    }
    const a = this.addr;
    const src = [w0, w1, w2, w3];
    for (let i = 0; i < 4; i++) {
      const w = src[i]!;
      a[i * 4] = w >>> 24;
      a[i * 4 + 1] = (w >>> 16) & 0xff;
      a[i * 4 + 2] = (w >>> 8) & 0xff;
      a[i * 4 + 3] = w & 0xff;
    }
    const otp = this.oneTimePad(a, 128, this.blocks6);
    for (let i = 0; i < 4; i++) {
      const p = (otp[i * 4]! << 24) | (otp[i * 4 + 1]! << 16) | (otp[i * 4 + 2]! << 8) | otp[i * 4 + 3]!;
      out[i] = (src[i]! ^ p) >>> 0;
      c[k + i] = src[i]!;
      this.v6Value[k + i] = out[i]!;
    }
    this.v6Set[slot] = 1;
    return out;
  }

  /** The bits to XOR onto the first `bits` bits of `addr`, most significant first, as bytes. */
  private oneTimePad(addr: Uint8Array, bits: number, blocks: Uint8Array): Uint8Array {
    for (let i = 0; i < bits; i++) {
      const b = blocks.subarray(i * 16, i * 16 + 16);
      b.set(this.pad);
      // First i bits from the address, the rest from the pad.
      const whole = i >>> 3;
      for (let j = 0; j < whole; j++) b[j] = addr[j]!;
      const rest = i & 7;
      if (rest > 0) {
        const mask = (0xff << (8 - rest)) & 0xff;
        b[whole] = (addr[whole]! & mask) | (this.pad[whole]! & ~mask & 0xff);
      }
    }
    const enc = this.encrypt(blocks);
    const otp = new Uint8Array(bits >>> 3);
    for (let i = 0; i < bits; i++) {
      if ((enc[i * 16]! & 0x80) !== 0) otp[i >>> 3]! |= 0x80 >>> (i & 7);
    }
    return otp;
  }

  private encrypt(blocks: Uint8Array): Uint8Array {
    return this.aes.update(blocks);
  }
}
