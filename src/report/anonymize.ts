/**
 * Anonymization for every output (text, JSON, HTML, merged pcapng), so that a user may post the result
 * publicly. One secret per run drives everything, so the same address or the same bytes get the same
 * pseudonym in every output and on both sides:
 * - addresses: prefix-preserving pseudonyms (anon-cryptopan.ts), IPv4 and IPv6;
 * - bytes and free text from a capture: a keyed hash (HMAC-SHA256, first 64 bits in hex), never the bytes;
 * - MAC addresses: keyed pseudonyms that keep the group (multicast) bit, marked locally administered;
 * - packets: see anon-packet.ts.
 * The secret is random per run unless given (a 64-digit hex key, or a passphrase), and is never written
 * anywhere: it lives in a private field no serialisation reaches. docs/anonymize.md is the user's guide.
 */
import { createHmac, randomBytes, scryptSync } from 'node:crypto';
import { PrefixPreserving } from './anon-cryptopan.js';
import { type AddressMapping, PacketAnonymizer } from './anon-packet.js';

/** A key given as text: exactly 64 hex digits is a raw 256-bit key, anything else is a passphrase. */
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
/** Addresses inside free text; candidates are confirmed by the parsers (a time like 10:30:45 is no IPv6). */
const IPV4_IN_TEXT = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g;
const IPV6_IN_TEXT =
  /(?<![\w:.])(?:[0-9a-fA-F]{0,4}:){2,7}(?:[0-9a-fA-F]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:.])/g;
const MAC_IN_TEXT = /(?<![\w:-])[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}(?![\w:-])/g;
/** Fixed salt: a passphrase must give the same key on every run (that is its point). */
const PASSPHRASE_SALT = 'dualcap.anonymize.v1';
/** Direct-mapped MAC cache; a prime count spreads vendor-prefixed addresses over the slots. */
const MAC_SLOTS = 1021;

export interface AnonymizerOptions {
  /** 64 hex digits, or a passphrase (any other non-empty text). Absent: a random key for this run only. */
  key?: string | null;
}

/** The 32-byte secret from `--anonymize-key`: raw hex, or derived from a passphrase with scrypt. */
export function secretFromKeyText(text: string): Uint8Array {
  if (HEX_KEY.test(text)) return Uint8Array.from(Buffer.from(text, 'hex'));
  if (text.length === 0) throw new Error('anonymize key: empty; give 64 hex digits or a passphrase');
  return Uint8Array.from(scryptSync(text, PASSPHRASE_SALT, 32));
}

/**
 * The run's Anonymizer from the command line: `--anonymize`, `--anonymize-key KEY` (a key implies
 * --anonymize), or neither (null: nothing is anonymized).
 */
export function anonymizerFor(opts: {
  anonymize?: boolean;
  anonymizeKey?: string | null;
}): Anonymizer | null {
  const key = opts.anonymizeKey ?? null;
  if (!opts.anonymize && key === null) return null;
  return new Anonymizer({ key });
}

export class Anonymizer implements AddressMapping {
  readonly #secret: Uint8Array;
  readonly #prefix: PrefixPreserving;
  readonly #packets: PacketAnonymizer;
  readonly #macKey: Uint8Array;
  readonly #macFrom = new Float64Array(MAC_SLOTS).fill(-1);
  readonly #macTo = new Uint8Array(MAC_SLOTS * 6);
  readonly #v6 = new Uint32Array(4);
  /** True when the key was random (the pseudonyms cannot be reproduced by another run). */
  readonly randomKey: boolean;

  constructor(opts: AnonymizerOptions = {}) {
    const given = opts.key ?? null;
    this.randomKey = given === null;
    this.#secret = given === null ? Uint8Array.from(randomBytes(32)) : secretFromKeyText(given);
    this.#prefix = new PrefixPreserving(
      this.#derive('prefix-preserving aes key'),
      this.#derive('prefix pad'),
    );
    this.#macKey = this.#derive('mac');
    this.#packets = new PacketAnonymizer(this);
  }

  /** Pseudonym of an IPv4 address (32-bit big-endian word, as the decoder keeps it). */
  ipv4(word: number): number {
    return this.#prefix.ipv4(word);
  }

  /** Pseudonym of an IPv6 address (four big-endian 32-bit words); a new array unless `out` is given. */
  ipv6(words: ArrayLike<number>, out: Uint32Array = new Uint32Array(4)): Uint32Array {
    return this.#prefix.ipv6(words, out);
  }

  /**
   * Pseudonym of an address written as text: dotted IPv4, or IPv6 in any RFC 4291 form (zone ids kept
   * out, "::ffff:a.b.c.d" read as IPv6). Anything that is not an address gets `text(s)`.
   */
  addressString(s: string): string {
    const v4 = parseIpv4(s);
    if (v4 !== null) return formatIpv4(this.ipv4(v4));
    const v6 = parseIpv6(s);
    if (v6 !== null) return formatIpv6(this.ipv6(v6, this.#v6));
    return this.text(s);
  }

  /**
   * Text dualcap wrote itself (details, sentences, tuples in words) with every IPv4, IPv6 and MAC address in
   * it replaced by its pseudonym; the rest is kept. For text that comes from a capture (names, comments,
   * payload) use `text(s)`: it may hold anything.
   */
  redactText(s: string): string {
    return s
      .replace(MAC_IN_TEXT, (m) => {
        const bytes = Uint8Array.from(m.split(/[:-]/), (h) => Number.parseInt(h, 16));
        this.macAt(bytes, 0);
        const sep = m[2]!;
        return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(sep);
      })
      .replace(IPV6_IN_TEXT, (m) => {
        const words = parseIpv6(m);
        return words === null ? m : formatIpv6(this.ipv6(words, this.#v6));
      })
      .replace(IPV4_IN_TEXT, (m) => {
        const word = parseIpv4(m);
        return word === null ? m : formatIpv4(this.ipv4(word));
      });
  }

  /** A keyed hash of bytes: 16 hex digits (64 bits), the same for the same bytes in every output of a run. */
  hash(bytes: Uint8Array): string {
    return createHmac('sha256', this.#secret).update('bytes\0').update(bytes).digest('hex').slice(0, 16);
  }

  /** Any free text from a capture (names, comments, payload strings): a placeholder with its keyed hash. */
  text(s: string): string {
    const digest = createHmac('sha256', this.#secret).update('text\0').update(s, 'utf8').digest('hex');
    return `anon:${digest.slice(0, 16)}`;
  }

  /** Pseudonymise the MAC at `buf[at .. at + 6)` in place; broadcast and all-zero addresses are kept. */
  macAt(buf: Uint8Array, at: number): void {
    let value = 0;
    for (let i = 0; i < 6; i++) value = value * 256 + buf[at + i]!;
    if (value === 0 || value === 0xffffffffffff) return;
    const k = value % MAC_SLOTS;
    if (this.#macFrom[k] !== value) {
      const d = createHmac('sha256', this.#macKey)
        .update(buf.subarray(at, at + 6))
        .digest();
      // Keep the group bit (multicast stays multicast), set the locally administered bit.
      d[0] = (d[0]! & 0xfc) | 0x02 | (buf[at]! & 0x01);
      this.#macTo.set(d.subarray(0, 6), k * 6);
      this.#macFrom[k] = value;
    }
    buf.set(this.#macTo.subarray(k * 6, k * 6 + 6), at);
  }

  /**
   * Anonymize one captured frame in place (see anon-packet.ts for the rules): returns the new captured
   * length; the original length of the frame stays what it was.
   */
  anonymizePacket(buf: Uint8Array, offset: number, caplen: number, linktype: number): number {
    return this.#packets.anonymize(buf, offset, caplen, linktype);
  }

  /** Never the key: an Anonymizer serialised by mistake says only what it is. */
  toJSON(): { anonymized: true } {
    return { anonymized: true };
  }

  #derive(label: string): Uint8Array {
    return Uint8Array.from(createHmac('sha256', this.#secret).update(label).digest().subarray(0, 16));
  }
}

/** Dotted IPv4 text to a 32-bit word, or null. */
export function parseIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let word = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    word = word * 256 + v;
  }
  return word;
}

export function formatIpv4(word: number): string {
  return `${word >>> 24}.${(word >>> 16) & 0xff}.${(word >>> 8) & 0xff}.${word & 0xff}`;
}

/** IPv6 text (with "::", an embedded dotted IPv4 tail, an optional "%zone") to four words, or null. */
export function parseIpv6(s: string): Uint32Array | null {
  const text = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  const zone = text.indexOf('%');
  const addr = zone >= 0 ? text.slice(0, zone) : text;
  if (!addr.includes(':')) return null;
  const halves = addr.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseIpv4(item);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) out.push(Number.parseInt(item, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((all[i * 2]! << 16) | all[i * 2 + 1]!) >>> 0;
  return words;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run (2+) of zero groups as "::". */
export function formatIpv6(words: ArrayLike<number>): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) g.push(words[i]! >>> 16, words[i]! & 0xffff);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}
