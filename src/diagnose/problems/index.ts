/** Problems worth a user's attention, each with a stable dotted id and evidence on both sides. */
import type { Context } from '../context.js';
import type { Behaviour, Problem } from '../types.js';
import { behaviourProblems, failedHandshakeProblems } from './device.js';
import { synAckRetransmitProblems } from './synack-retransmit.js';
import { wrongSynAckProblems } from './wrong-synack.js';

const SEVERITY_ORDER = { error: 0, warning: 1, note: 2 } as const;

export function findProblems(ctx: Context, behaviours: readonly Behaviour[]): Problem[] {
  const problems = [
    ...wrongSynAckProblems(ctx),
    ...failedHandshakeProblems(ctx),
    ...synAckRetransmitProblems(ctx),
    ...behaviourProblems(behaviours),
  ];
  return problems.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
