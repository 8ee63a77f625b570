/**
 * Optional hints about the device (--vip, --device-ip, --server-net). Pairing never needs them; they only
 * sharpen the reasons given for connections left unpaired: a client connection that was not addressed to
 * the device's VIP was never meant to cross it, and a server-side connection opened from somewhere else
 * than the device is not the device's.
 */
import type { Endpoint } from '../tcp/index.js';

/** An address prefix in the Endpoint word layout (IPv4 in word 3). */
export interface Prefix {
  ipVersion: 4 | 6;
  words: number[];
  bits: number;
}

export interface PairHints {
  /** Address the clients connect to (the device's virtual IP). */
  vip?: Prefix;
  /** Address the device uses toward the servers. */
  deviceIp?: Prefix;
  /** Where the servers are. */
  serverNet?: Prefix;
}

/** '10.0.0.1', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32'; null when not an address. */
export function parsePrefix(text: string): Prefix | null {
  const [addr, len, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return null;
  const words = addr.includes(':') ? ipv6Words(addr) : ipv4Words(addr);
  if (words === null) return null;
  const ipVersion = addr.includes(':') ? 6 : 4;
  const max = ipVersion === 4 ? 32 : 128;
  const bits = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : Number.NaN;
  if (!(bits >= 0 && bits <= max)) return null;
  return { ipVersion, words, bits: ipVersion === 4 ? 96 + bits : bits };
}

export function contains(p: Prefix, e: Endpoint): boolean {
  if (e.ipVersion !== p.ipVersion) return false;
  for (let w = 0; w < 4; w++) {
    const take = Math.max(0, Math.min(32, p.bits - 32 * w));
    if (take === 0) return true;
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if (((e.addr[w]! ^ p.words[w]!) & mask) >>> 0 !== 0) return false;
  }
  return true;
}

function ipv4Words(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return null;
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  return [0, 0, 0, ((a << 24) | (b << 16) | (c << 8) | d) >>> 0];
}

function ipv6Words(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...new Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  if (all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const v = all.map((g) => Number.parseInt(g, 16));
  return [0, 1, 2, 3].map((w) => ((v[2 * w]! << 16) | v[2 * w + 1]!) >>> 0);
}
