/** Tuples and numbers in the plain words of evidence. */
import { tupleText as fourTupleText } from '../common/endpoint.js';
import { formatAddress } from '../decode/index.js';
import type { Endpoint, Session } from '../tcp/index.js';
import { flat } from './text.js';
import type { Tuple } from './types.js';

/**
 * Address text by the endpoint's address words: the TCP stage shares one frozen word list per address, so
 * tens of thousands of connections from a few addresses format each address once. Keyed weakly: the text
 * goes when the sessions go.
 */
const texts: [WeakMap<readonly number[], string>, WeakMap<readonly number[], string>] = [
  new WeakMap(),
  new WeakMap(),
];
/** Reused for formatting: a typed array per call would cost more than the text. */
const words = new Uint32Array(4);

export function addressOf(e: Endpoint): string {
  const cache = texts[e.ipVersion === 6 ? 1 : 0];
  let text = cache.get(e.addr);
  if (text === undefined) {
    for (let i = 0; i < 4; i++) words[i] = e.addr[i]! >>> 0;
    text = flat(formatAddress(e.ipVersion, words));
    cache.set(e.addr, text);
  }
  return text;
}

/** The session's tuple as its initiator sent it. */
export function tupleOf(s: Session): Tuple {
  const c = s.client;
  const v = s.server;
  return { srcIp: addressOf(c), srcPort: c.port, dstIp: addressOf(v), dstPort: v.port };
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return (
    a.port === b.port &&
    a.ipVersion === b.ipVersion &&
    a.addr[0] === b.addr[0] &&
    a.addr[1] === b.addr[1] &&
    a.addr[2] === b.addr[2] &&
    a.addr[3] === b.addr[3]
  );
}

export function sameAddress(a: Endpoint, b: Endpoint): boolean {
  return a.ipVersion === b.ipVersion && a.addr.every((w, i) => w === b.addr[i]);
}

export function tupleText(t: Tuple): string {
  return fourTupleText(t);
}

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** A duration in plain words (us below 10 ms, else ms or s). */
export function durationText(ns: number): string {
  const a = Math.abs(ns);
  if (a < 10e6) return `${(ns / 1e3).toFixed(1)} us`;
  if (a < 10e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}
