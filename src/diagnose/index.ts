/**
 * Diagnosis: what the device did, in the fixed vocabulary of types.ts, each behaviour from one rule with
 * its evidence; the device kind from the behaviours; problems worth a user's attention. See
 * docs/verdicts.md for every rule.
 */
import type { Correlation } from '../correlate/types.js';
import { buildContext, type Context, type DiagnoseOptions } from './context.js';
import { isUndecided, type RuleOutcome } from './evidence.js';
import { deviceKind } from './kind.js';
import { findProblems } from './problems/index.js';
import { applyReadingRules } from './reading.js';
import { bogusSynAck, ignoresHandshakeAck } from './rules/endpoint.js';
import { decrementsTtl, forwardsPackets } from './rules/forwarding.js';
import { answersSyn, delaysServerConnect, splicesAfterHandshake } from './rules/handshake.js';
import { dropsPackets, injectsPackets } from './rules/loss.js';
import {
  rewritesDestinationAddress,
  rewritesDestinationPort,
  rewritesOptions,
  rewritesSequence,
  rewritesSourceAddress,
  rewritesSourcePort,
} from './rules/rewrites.js';
import { modifiesPayload, poolsConnections, resegments } from './rules/streams.js';
import { terminatesTcp } from './rules/termination.js';
import { terminatesTls } from './rules/tls.js';
import { summarize } from './summary.js';
import { BEHAVIOUR_IDS, type Behaviour, type Diagnosis, type Undecided } from './types.js';

export type { DiagnoseOptions } from './context.js';
export * from './types.js';

/** Every behaviour rule, one per vocabulary id it can report. */
const RULES: readonly ((ctx: Context) => RuleOutcome)[] = [
  forwardsPackets,
  decrementsTtl,
  rewritesSourceAddress,
  rewritesDestinationAddress,
  rewritesSourcePort,
  rewritesDestinationPort,
  rewritesSequence,
  terminatesTcp,
  answersSyn,
  splicesAfterHandshake,
  delaysServerConnect,
  poolsConnections,
  modifiesPayload,
  rewritesOptions,
  resegments,
  dropsPackets,
  injectsPackets,
  bogusSynAck,
  ignoresHandshakeAck,
  terminatesTls,
];

export function diagnose(c: Correlation, opts: DiagnoseOptions = {}): Diagnosis {
  const ctx = buildContext(c, opts);
  const found: Behaviour[] = [];
  const undecided: Undecided[] = [];
  for (const rule of RULES) {
    const outcome = rule(ctx);
    if (outcome === null) continue;
    if (isUndecided(outcome)) undecided.push(outcome);
    else found.push(outcome);
  }
  const behaviours = applyReadingRules(found);
  const order = (id: string) => BEHAVIOUR_IDS.indexOf(id as (typeof BEHAVIOUR_IDS)[number]);
  behaviours.sort((a, b) => order(a.id) - order(b.id));
  const kind = deviceKind(behaviours);
  return {
    device: {
      ...kind,
      summary: summarize(ctx, kind.kind, behaviours),
      behaviours,
      undecided,
    },
    problems: findProblems(ctx, behaviours),
  };
}
