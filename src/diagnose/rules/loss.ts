/** Rules about packets the device drops or sends on its own, from pass 2's matching of pass-through pairs. */
import type { PacketEvent, SessionPair } from '../../correlate/types.js';
import type { Context } from '../context.js';
import { behaviour, evidence, type RuleOutcome, spread, undecided } from '../evidence.js';
import { isSpliceOwn, unexplainedInjected } from '../splice-own.js';
import type { EvidenceItem } from '../types.js';

/** Confidence from a count of direct observations: one is a hint, tens are certain. */
export function countConfidence(n: number): number {
  return n <= 0 ? 0 : n / (n + 1);
}

function eventEvidence(pair: SessionPair, e: PacketEvent, text: string): EvidenceItem {
  const onClient = e.side === 'client';
  return evidence(
    pair,
    onClient ? [e.packet] : [],
    onClient ? [] : [e.packet],
    { dir: e.dir === 0 ? 'client-to-server' : 'server-to-client', packet: e.detail },
    text,
  );
}

/**
 * DROPS-PACKETS: pass-through pairs with packets present upstream and absent downstream (PairMatch
 * dropped; packets whose counterpart would fall outside the other capture are not counted). Count:
 * dropped packets. Confidence: grows with the count. Evidence: dropped packets on their near side, with
 * nothing on the far side.
 */
export function dropsPackets(ctx: Context): RuleOutcome {
  const dropped = [0, 0];
  const examples: { pair: SessionPair; e: PacketEvent }[] = [];
  let pairs = 0;
  for (const pair of ctx.passThrough) {
    const m = ctx.matchOf(pair);
    if (!m || m.dropped[0] + m.dropped[1] === 0) continue;
    pairs++;
    dropped[0]! += m.dropped[0];
    dropped[1]! += m.dropped[1];
    for (const e of m.examples) if (e.event === 'dropped') examples.push({ pair, e });
  }
  const total = dropped[0]! + dropped[1]!;
  if (total === 0) return terminatedOnly(ctx, 'drops-packets');
  return behaviour(
    'drops-packets',
    countConfidence(total),
    total,
    `${total} packets never left the device (${dropped[0]} client-to-server, ${dropped[1]} server-to-client) on ${pairs} connections`,
    spread(examples).map(({ pair, e }) =>
      eventEvidence(
        pair,
        e,
        `${e.detail} seen on the ${e.side} side (packet ${e.packet}), never on the ${e.side === 'client' ? 'server' : 'client'} side`,
      ),
    ),
  );
}

/**
 * INJECTS-PACKETS: pass-through pairs with packets present downstream without an upstream original
 * (PairMatch injected), other than a SYN proxy's own handshake packets and window update (splice-own.ts).
 * Count: such packets. Confidence: grows with the count. Evidence: injected packets on the side where
 * they appeared.
 */
export function injectsPackets(ctx: Context): RuleOutcome {
  const injected = [0, 0];
  const examples: { pair: SessionPair; e: PacketEvent }[] = [];
  let pairs = 0;
  for (const pair of ctx.passThrough) {
    const m = ctx.matchOf(pair);
    if (!m) continue;
    const [c2s, s2c] = unexplainedInjected(ctx, pair, m);
    if (c2s + s2c === 0) continue;
    pairs++;
    injected[0]! += c2s;
    injected[1]! += s2c;
    for (const e of m.examples)
      if (e.event === 'injected' && !isSpliceOwn(ctx, pair, e)) examples.push({ pair, e });
  }
  const total = injected[0]! + injected[1]!;
  if (total === 0) return terminatedOnly(ctx, 'injects-packets');
  return behaviour(
    'injects-packets',
    countConfidence(total),
    total,
    `${total} packets appear after the device without an original before it (${injected[0]} toward the server, ${injected[1]} toward the client) on ${pairs} connections`,
    spread(examples).map(({ pair, e }) =>
      eventEvidence(
        pair,
        e,
        `${e.detail} on the ${e.side} side (packet ${e.packet}) has no original on the other side`,
      ),
    ),
  );
}

/**
 * With only terminated pairs there is no packet to follow across the device: each connection retransmits
 * and acknowledges on its own, so a loss or a made-up packet inside the device cannot be seen.
 */
function terminatedOnly(ctx: Context, id: 'drops-packets' | 'injects-packets'): RuleOutcome {
  if (ctx.passThrough.length > 0 || ctx.terminated.length === 0) return null;
  return undecided(
    id,
    'the device terminates TCP: packets are not forwarded one to one, so losses and packets of its own inside each connection cannot be told apart from normal traffic',
  );
}
