/**
 * What every rule reads: the correlation plus indexes built once (matches by pair id, pairs by kind), so
 * that rules stay small and never re-scan the correlation for the same facts.
 */
import { toClientNs } from '../correlate/clock.js';
import type { Correlation, PairKind, PairMatch, SessionPair, SideData } from '../correlate/types.js';
import type { Session } from '../tcp/index.js';

export interface DiagnoseOptions {
  /**
   * Smallest share of comparable pairs that must agree before a per-pair behaviour is reported for the
   * device as a whole (e.g. decrements-ttl). Default 1: every one.
   */
  agreement?: number;
}

export interface Context {
  readonly c: Correlation;
  readonly opts: Required<DiagnoseOptions>;
  /** Pass-through pairs (packets forwarded one to one): same, translated, seq-shifted, spliced. */
  readonly passThrough: SessionPair[];
  /** Pairs of independent connections on each side (full proxies). */
  readonly terminated: SessionPair[];
  matchOf(pair: SessionPair): PairMatch | null;
  clientSession(pair: SessionPair): Session;
  serverSessions(pair: SessionPair): Session[];
  /** Nanoseconds on the client clock, from the correlation's base second, of a side's session time. */
  clientNs(relNs: number): number;
  /** A server-side session time mapped onto the client clock (ns from the correlation's base second). */
  serverOnClientNs(relNs: number): number;
  /** A server-clock time already counted from the correlation's base second (PacketEvent.relNs), mapped. */
  serverBaseNsOnClient(ns: number): number;
}

const PASS_THROUGH_KINDS: ReadonlySet<PairKind> = new Set(['same', 'translated', 'seq-shifted', 'spliced']);

export function buildContext(c: Correlation, opts: DiagnoseOptions = {}): Context {
  const byPair = new Map<number, PairMatch>();
  for (const m of c.matches) byPair.set(m.pair, m);
  const passThrough = c.pairs.filter((p) => PASS_THROUGH_KINDS.has(p.kind));
  const terminated = c.pairs.filter((p) => p.kind === 'terminated');
  const session = (side: SideData, i: number): Session => {
    const s = side.sessions[i];
    if (s === undefined) throw new RangeError(`${side.side}-side session ${i} does not exist`);
    return s;
  };
  return {
    c,
    opts: { agreement: opts.agreement ?? 1 },
    passThrough,
    terminated,
    matchOf: (pair) => byPair.get(pair.id) ?? null,
    clientSession: (pair) => session(c.client, pair.client),
    serverSessions: (pair) => pair.server.map((i) => session(c.server, i)),
    clientNs: (relNs) => relNs + c.client.shiftNs,
    serverOnClientNs: (relNs) => toClientNs(c.alignment, relNs + c.server.shiftNs),
    serverBaseNsOnClient: (ns) => toClientNs(c.alignment, ns),
  };
}
