import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { PrefixPreserving } from './anon-cryptopan.js';
import {
  Anonymizer,
  anonymizerFor,
  formatIpv4,
  formatIpv6,
  parseIpv4,
  parseIpv6,
  secretFromKeyText,
} from './anonymize.js';

const KEY_A = '00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210';
const KEY_B = 'ffeeddccbbaa99887766554433221100fedcba98765432100123456789abcdef';

function commonPrefix32(a: number, b: number): number {
  return Math.clz32((a ^ b) >>> 0);
}

function commonPrefix128(a: ArrayLike<number>, b: ArrayLike<number>): number {
  for (let i = 0; i < 4; i++) {
    const x = (a[i]! ^ b[i]!) >>> 0;
    if (x !== 0) return i * 32 + Math.clz32(x);
  }
  return 128;
}

/** `a` with bit k (0 = most significant) flipped and the bits after it replaced by `low`. */
function sharingExactly(a: number, k: number, low: number): number {
  if (k >= 32) return a >>> 0;
  const keep = k === 0 ? 0 : (0xffffffff << (32 - k)) >>> 0;
  const flip = (0x80000000 >>> k) >>> 0;
  const rest = k === 31 ? 0 : (0xffffffff >>> (k + 1)) >>> 0;
  return ((a & keep) | (~a & flip) | (low & rest)) >>> 0;
}

describe('Crypto-PAn', () => {
  test('the published sample trace of the original implementation', () => {
    // Key and address pairs from Crypto-PAn 1.0's sample_trace_raw.txt / sample_trace_sanitized.txt.
    const key = Uint8Array.from([
      21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121, 121, 101,
      39, 98, 87, 76, 45, 42, 132, 34, 2,
    ]);
    const p = new PrefixPreserving(key.subarray(0, 16), key.subarray(16, 32));
    const samples: [string, string][] = [
      ['128.11.68.132', '135.242.180.132'],
      ['129.118.74.4', '134.136.186.123'],
      ['130.132.252.244', '133.68.164.234'],
      ['141.223.7.43', '141.167.8.160'],
      ['141.233.145.108', '141.129.237.235'],
      ['152.163.225.39', '151.140.114.167'],
      ['156.29.3.236', '147.225.12.42'],
      ['165.247.96.84', '162.9.99.234'],
      ['166.107.77.190', '160.132.178.185'],
      ['192.102.249.13', '252.138.62.131'],
    ];
    for (const [raw, sanitized] of samples) expect(formatIpv4(p.ipv4(parseIpv4(raw)!))).toBe(sanitized);
  });

  test('IPv4: two addresses sharing exactly k leading bits map to pseudonyms sharing exactly k bits', () => {
    const anon = new Anonymizer({ key: KEY_A });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (a, k, low) => {
          const b = sharingExactly(a, k, low);
          expect(commonPrefix32(a, b)).toBe(k);
          expect(commonPrefix32(anon.ipv4(a), anon.ipv4(b))).toBe(k);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('IPv6: the same property over 128 bits', () => {
    const anon = new Anonymizer({ key: KEY_A });
    const word = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(fc.tuple(word, word, word, word), fc.integer({ min: 0, max: 128 }), word, (a, k, low) => {
        const b = a.slice();
        const w = Math.min(3, k >>> 5);
        if (k < 128) {
          b[w] = sharingExactly(a[w]!, k - w * 32, low);
          for (let i = w + 1; i < 4; i++) b[i] = (low * (i + 7)) >>> 0;
        }
        expect(commonPrefix128(a, b)).toBe(k);
        expect(commonPrefix128(anon.ipv6(a), anon.ipv6(b))).toBe(k);
      }),
      { numRuns: 200 },
    );
  });

  test('pseudonyms are a bijection on a /16 (no two addresses share one)', () => {
    const anon = new Anonymizer({ key: KEY_B });
    const seen = new Set<number>();
    const base = parseIpv4('10.99.0.0')!;
    for (let i = 0; i < 65536; i++) seen.add(anon.ipv4(base + i));
    expect(seen.size).toBe(65536);
  });
});

describe('Anonymizer', () => {
  test('deterministic with a given key, different with another key, random without one', () => {
    const a1 = new Anonymizer({ key: KEY_A });
    const a2 = new Anonymizer({ key: KEY_A });
    const b = new Anonymizer({ key: KEY_B });
    const r1 = new Anonymizer();
    const r2 = new Anonymizer();
    const addrs = ['10.99.1.2', '10.99.2.2', '192.168.0.1', '2001:db8::1', 'fe80::1:2'];
    for (const s of addrs) {
      expect(a1.addressString(s)).toBe(a2.addressString(s));
      expect(a1.addressString(s)).not.toBe(s);
    }
    const differ = (x: Anonymizer, y: Anonymizer) =>
      addrs.filter((s) => x.addressString(s) !== y.addressString(s));
    expect(differ(a1, b).length).toBe(addrs.length);
    expect(differ(r1, r2).length).toBe(addrs.length);
    expect(r1.randomKey).toBe(true);
    expect(a1.randomKey).toBe(false);
    expect(a1.hash(Uint8Array.of(1, 2, 3))).toBe(a2.hash(Uint8Array.of(1, 2, 3)));
    expect(a1.hash(Uint8Array.of(1, 2, 3))).not.toBe(b.hash(Uint8Array.of(1, 2, 3)));
    expect(a1.hash(Uint8Array.of(1, 2, 3))).toMatch(/^[0-9a-f]{16}$/);
    expect(a1.text('GET /routed-0012-1 HTTP/1.1')).toBe(a2.text('GET /routed-0012-1 HTTP/1.1'));
    expect(a1.text('GET /routed-0012-1 HTTP/1.1')).toMatch(/^anon:[0-9a-f]{16}$/);
  });

  test('a passphrase gives the same key every time; 64 hex digits are the key itself', () => {
    expect(secretFromKeyText('correct horse battery staple')).toEqual(
      secretFromKeyText('correct horse battery staple'),
    );
    expect(secretFromKeyText('correct horse')).not.toEqual(secretFromKeyText('correct horse battery staple'));
    expect(Buffer.from(secretFromKeyText(KEY_A)).toString('hex')).toBe(KEY_A);
    expect(() => secretFromKeyText('')).toThrow(/empty/);
    const p1 = new Anonymizer({ key: 'my passphrase' });
    const p2 = new Anonymizer({ key: 'my passphrase' });
    expect(p1.addressString('10.0.0.1')).toBe(p2.addressString('10.0.0.1'));
  });

  test('the key never shows in a serialisation', () => {
    const a = new Anonymizer({ key: KEY_A });
    const json = JSON.stringify({ a });
    expect(json).toBe('{"a":{"anonymized":true}}');
    expect(JSON.stringify(Object.entries(a))).not.toContain('0011');
    expect(Object.keys(a)).toEqual(['randomKey']);
  });

  test('addressString: IPv4 and IPv6 text in, pseudonym text out; other text becomes a placeholder', () => {
    const a = new Anonymizer({ key: KEY_A });
    const v4 = a.addressString('10.99.1.2');
    expect(parseIpv4(v4)).toBe(a.ipv4(parseIpv4('10.99.1.2')!));
    // Same address in another spelling, same pseudonym.
    expect(a.addressString('2001:DB8:0:0:0:0:0:1')).toBe(a.addressString('2001:db8::1'));
    expect(a.addressString('[2001:db8::1]')).toBe(a.addressString('2001:db8::1'));
    expect(parseIpv6(a.addressString('::ffff:10.99.1.2'))).not.toBeNull();
    expect(a.addressString('not-an-address')).toMatch(/^anon:/);
    expect(a.addressString('10.99.1.256')).toMatch(/^anon:/);
  });

  test('IPv6 text parsing and RFC 5952 formatting', () => {
    const cases: [string, string][] = [
      ['2001:db8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['::ffff:10.1.2.3', '::ffff:a01:203'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ];
    for (const [text, canonical] of cases) expect(formatIpv6(parseIpv6(text)!)).toBe(canonical);
    for (const bad of ['1:2:3', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', '10.0.0.1'])
      expect(parseIpv6(bad)).toBeNull();
  });

  test('MACs: keyed, consistent, group bit kept, locally administered; broadcast kept', () => {
    const a = new Anonymizer({ key: KEY_A });
    const mac = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/:/g, ''), 'hex'));
    const m1 = mac('00:1b:21:3c:4d:5e');
    const m2 = mac('00:1b:21:3c:4d:5e');
    a.macAt(m1, 0);
    a.macAt(m2, 0);
    expect(m1).toEqual(m2);
    expect(m1).not.toEqual(mac('00:1b:21:3c:4d:5e'));
    expect(m1[0]! & 0x03).toBe(0x02);
    const multicast = mac('01:00:5e:00:00:fb');
    a.macAt(multicast, 0);
    expect(multicast[0]! & 0x03).toBe(0x03);
    const broadcast = mac('ff:ff:ff:ff:ff:ff');
    a.macAt(broadcast, 0);
    expect(broadcast).toEqual(mac('ff:ff:ff:ff:ff:ff'));
  });

  test('anonymizerFor: the command-line options', () => {
    expect(anonymizerFor({})).toBeNull();
    expect(anonymizerFor({ anonymize: false, anonymizeKey: null })).toBeNull();
    expect(anonymizerFor({ anonymize: true })?.randomKey).toBe(true);
    const keyed = anonymizerFor({ anonymizeKey: KEY_A });
    expect(keyed?.randomKey).toBe(false);
    expect(keyed?.addressString('10.0.0.1')).toBe(new Anonymizer({ key: KEY_A }).addressString('10.0.0.1'));
  });

  test('redactText: addresses inside sentences become their pseudonyms, the rest stays', () => {
    const a = new Anonymizer({ key: KEY_A });
    const text =
      'NAT: 10.99.1.2:47820 -> 10.99.2.1:61234 (to [2001:db8::2]:443, ::ffff:10.99.1.2), ' +
      'gateway 00:1b:21:3c:4d:5e, at 10:30:45, version 1.2.3, seq 0x3f2a0011, 999.1.1.1';
    const out = a.redactText(text);
    expect(out).toBe(
      `NAT: ${a.addressString('10.99.1.2')}:47820 -> ${a.addressString('10.99.2.1')}:61234 ` +
        `(to [${a.addressString('2001:db8::2')}]:443, ${a.addressString('::ffff:10.99.1.2')}), ` +
        `gateway ${macOf(a, '00:1b:21:3c:4d:5e')}, at 10:30:45, version 1.2.3, seq 0x3f2a0011, 999.1.1.1`,
    );
    for (const leak of ['10.99.1.2', '10.99.2.1', '2001:db8::2', '00:1b:21']) expect(out).not.toContain(leak);
  });
});

function macOf(a: Anonymizer, text: string): string {
  const b = Uint8Array.from(text.split(':'), (h) => Number.parseInt(h, 16));
  a.macAt(b, 0);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}
