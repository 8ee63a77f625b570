/**
 * Which sessions a listing shows and in what order. Filters combine with AND. Time filters keep a session
 * whose span [first packet, last packet] overlaps the requested window, so a long connection that was open
 * at the time of interest is listed even if it started earlier.
 */
import { compareTs, type Timestamp } from '../common/time.js';
import { type Endpoint, FLAG_IDS, type Session } from '../tcp/index.js';
import { anomalyTotal } from './sessions-json.js';

export type SortKey = 'start' | 'bytes' | 'duration' | 'anomalies';
export const SORT_KEYS: SortKey[] = ['start', 'bytes', 'duration', 'anomalies'];

/** An address in the TCP stage's numeric form: IPv4 in word [3], IPv6 as four big-endian words. */
export interface AddressMatch {
  ipVersion: 4 | 6;
  words: [number, number, number, number];
}

export interface SessionFilter {
  host: AddressMatch | null;
  port: number | null;
  /** Analysis bits a session must have raised at least one of (from `anomalyBits`); 0 = no filter. */
  anomalyBits: number;
  since: Timestamp | null;
  until: Timestamp | null;
}

export const NO_FILTER: SessionFilter = { host: null, port: null, anomalyBits: 0, since: null, until: null };

function ipv4Word(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let w = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    w = w * 256 + Number(p);
  }
  return w;
}

/** "10.0.0.1", "2001:db8::1", "[::ffff:10.0.0.1]"; null when it is not an address. */
export function parseAddress(input: string): AddressMatch | null {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  if (!text.includes(':')) {
    const w = ipv4Word(text);
    return w === null ? null : { ipVersion: 4, words: [0, 0, 0, w] };
  }
  const groups: number[] = [];
  let tail = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // Dotted IPv4 tail (::ffff:10.0.0.1): two groups.
    const w = ipv4Word(text.slice(lastColon + 1));
    if (w === null) return null;
    tail = `${text.slice(0, lastColon + 1)}${(w >>> 16).toString(16)}:${(w & 0xffff).toString(16)}`;
  }
  const halves = tail.split('::');
  if (halves.length > 2) return null;
  const readGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = readGroups(halves[0]!);
  const rest = halves.length === 2 ? readGroups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  if (halves.length === 2) {
    const zeros = 8 - head.length - rest.length;
    if (zeros < 1) return null;
    groups.push(...head, ...new Array<number>(zeros).fill(0), ...rest);
  } else {
    groups.push(...head);
  }
  if (groups.length !== 8) return null;
  const word = (i: number) => (groups[2 * i]! * 65536 + groups[2 * i + 1]!) >>> 0;
  return { ipVersion: 6, words: [word(0), word(1), word(2), word(3)] };
}

function sameAddress(e: Endpoint, m: AddressMatch): boolean {
  if (e.ipVersion !== m.ipVersion) return false;
  for (let i = 0; i < 4; i++) if (e.addr[i]! >>> 0 !== m.words[i]) return false;
  return true;
}

/**
 * Analysis bits whose id matches `name`: the full id ("tcp.analysis.retransmission"), a prefix of it
 * ("tcp.handshake", "tcp.analysis.zero_window" also takes the probes), or the same without the
 * `tcp.analysis.` / `tcp.handshake.` part ("retransmission", "synack_bad_ack"). 0 when nothing matches.
 */
export function anomalyBits(name: string): number {
  let bits = 0;
  for (let i = 0; i < FLAG_IDS.length; i++) {
    const id = FLAG_IDS[i]!;
    if (!id) continue;
    const short = id.slice(id.indexOf('.', 4) + 1);
    if (id.startsWith(name) || short.startsWith(name)) bits |= 1 << i;
  }
  return bits >>> 0;
}

export function sessionMatches(s: Session, f: SessionFilter): boolean {
  if (f.host !== null && !sameAddress(s.a, f.host) && !sameAddress(s.b, f.host)) return false;
  if (f.port !== null && s.a.port !== f.port && s.b.port !== f.port) return false;
  if (f.anomalyBits !== 0) {
    const counts = s.flagCounts;
    if (counts === null) return false;
    let hit = false;
    for (let bits = f.anomalyBits; bits !== 0 && !hit; bits &= bits - 1) {
      if (counts[31 - Math.clz32(bits & -bits)]! > 0) hit = true;
    }
    if (!hit) return false;
  }
  if (f.since !== null && compareTs(s.endSec, s.endNsec, f.since.sec, f.since.nsec) < 0) return false;
  if (f.until !== null && compareTs(s.startSec, s.startNsec, f.until.sec, f.until.nsec) > 0) return false;
  return true;
}

function totalBytes(s: Session): number {
  return s.dirs[0].payloadBytes + s.dirs[1].payloadBytes;
}

/**
 * Sort order: start time ascending; bytes, duration and anomalies descending (the biggest first), each
 * with ties in session index order so listings are stable.
 */
export function compareSessions(key: SortKey): (x: Session, y: Session) => number {
  switch (key) {
    case 'start':
      return (x, y) => compareTs(x.startSec, x.startNsec, y.startSec, y.startNsec) || x.index - y.index;
    case 'bytes':
      return (x, y) => totalBytes(y) - totalBytes(x) || x.index - y.index;
    case 'duration':
      return (x, y) => y.endRelNs - y.startRelNs - (x.endRelNs - x.startRelNs) || x.index - y.index;
    case 'anomalies':
      return (x, y) => anomalyTotal(y) - anomalyTotal(x) || x.index - y.index;
  }
}

export interface Selection {
  shown: Session[];
  /** Sessions that passed the filters (before --limit). */
  matching: number;
}

export function selectSessions(
  sessions: readonly Session[],
  filter: SessionFilter,
  sort: SortKey,
  limit: number | null,
): Selection {
  const matched = sessions.filter((s) => sessionMatches(s, filter));
  matched.sort(compareSessions(sort));
  return { shown: limit === null ? matched : matched.slice(0, limit), matching: matched.length };
}
