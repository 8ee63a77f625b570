/** Small builders for behaviours and evidence, so that every rule states its facts the same way. */
import type { SessionPair } from '../correlate/types.js';
import type { Behaviour, BehaviourId, EvidenceItem, Undecided } from './types.js';

/** What a rule returns: a behaviour it saw, a reason it cannot decide, or nothing to say. */
export type RuleOutcome = Behaviour | Undecided | null;

export function isUndecided(o: RuleOutcome): o is Undecided {
  return o !== null && 'reason' in o;
}

/** At most this many evidence items per behaviour or problem (the contract says 1-3). */
export const MAX_EVIDENCE = 3;

export function evidence(
  pair: SessionPair | null,
  clientPackets: number[],
  serverPackets: number[],
  values: EvidenceItem['values'],
  text: string,
): EvidenceItem {
  return { pair: pair ? pair.id : null, clientPackets, serverPackets, values, text };
}

export function behaviour(
  id: BehaviourId,
  confidence: number,
  count: number,
  detail: string,
  items: EvidenceItem[],
): Behaviour {
  return { id, confidence: round2(confidence), count, detail, evidence: items.slice(0, MAX_EVIDENCE) };
}

export function undecided(id: BehaviourId, reason: string): Undecided {
  return { id, reason };
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Confidence from how many comparable cases agree: the share that agree, scaled down when there are few
 * (one case is a hint, ten agreeing cases are as sure as the captures get).
 */
export function agreementConfidence(agree: number, of: number): number {
  if (of <= 0 || agree <= 0) return 0;
  const share = agree / of;
  const support = Math.min(1, 0.5 + agree / 20);
  return share * support;
}

/** Picks up to `n` items spread over the list (first, middle, last) so examples are not all alike. */
export function spread<T>(items: readonly T[], n = MAX_EVIDENCE): T[] {
  if (items.length <= n) return [...items];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))]!);
  return out;
}
