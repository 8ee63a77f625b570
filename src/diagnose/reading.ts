/**
 * The reading rules a network engineer applies to the raw behaviours before writing the report
 * (samples/README.md, "Behaviours per scenario, and why"):
 * - a device that terminates TCP did not "rewrite" anything: the two sides are different connections, so
 *   no rewrites-* and no rewrites-sequence; answering the SYN is part of terminating (no answers-syn);
 * - an L7 proxy's byte streams differ anyway (modifies-payload, or terminates-tls: ciphertext on one leg,
 *   plaintext on the other), so re-cut segments are not reported (no resegments).
 * A rule that is removed this way is not undecided: its facts are explained by a stronger behaviour.
 */
import type { Behaviour, BehaviourId } from './types.js';

const EXPLAINED_BY_TERMINATING: ReadonlySet<BehaviourId> = new Set([
  'rewrites-source-address',
  'rewrites-destination-address',
  'rewrites-source-port',
  'rewrites-destination-port',
  'rewrites-sequence',
  'answers-syn',
  'splices-after-handshake',
]);

export function applyReadingRules(behaviours: readonly Behaviour[]): Behaviour[] {
  const has = (id: BehaviourId) => behaviours.some((b) => b.id === id);
  const terminates = has('terminates-tcp');
  const payloadEdited = has('modifies-payload') || has('terminates-tls');
  return behaviours.filter((b) => {
    if (terminates && EXPLAINED_BY_TERMINATING.has(b.id)) return false;
    if (terminates && payloadEdited && b.id === 'resegments') return false;
    return true;
  });
}
