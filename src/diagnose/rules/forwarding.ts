/** Rules about packets passing through the device: forwarding and TTL. */
import type { PairMatch, SessionPair } from '../../correlate/types.js';
import type { Context } from '../context.js';
import {
  agreementConfidence,
  behaviour,
  evidence,
  type RuleOutcome,
  spread,
  undecided,
} from '../evidence.js';
import type { EvidenceItem } from '../types.js';

/** A pair's matched packets with one example of a forwarded packet on each side. */
function forwardedExample(pair: SessionPair, m: PairMatch): EvidenceItem | null {
  const change = m.changes.find((ch) => ch.dir === 0) ?? m.changes[0];
  if (change) {
    return evidence(
      pair,
      [change.clientPacket],
      [change.serverPacket],
      { matchedC2s: m.matched[0], matchedS2c: m.matched[1] },
      `${m.matched[0]} client-to-server and ${m.matched[1]} server-to-client packets forwarded one to one`,
    );
  }
  const both = pair.evidence.find((e) => e.clientPacket !== undefined && e.serverPacket !== undefined);
  if (!both || both.clientPacket === undefined || both.serverPacket === undefined) return null;
  return evidence(
    pair,
    [both.clientPacket],
    [both.serverPacket],
    { matchedC2s: m.matched[0], matchedS2c: m.matched[1] },
    `${m.matched[0]} client-to-server and ${m.matched[1]} server-to-client packets forwarded unchanged`,
  );
}

/**
 * FORWARDS-PACKETS: at least one pair passes packets through one to one (pair kind same, translated,
 * seq-shifted or spliced, with matched packets in pass 2). Confidence: share of all pairs that forward.
 * Count: pairs that forward.
 */
export function forwardsPackets(ctx: Context): RuleOutcome {
  const forwarding: { pair: SessionPair; m: PairMatch }[] = [];
  let packets = 0;
  for (const pair of ctx.passThrough) {
    const m = ctx.matchOf(pair);
    if (!m || m.matched[0] + m.matched[1] === 0) continue;
    forwarding.push({ pair, m });
    packets += m.matched[0] + m.matched[1];
  }
  if (forwarding.length === 0) return null;
  const items = spread(forwarding)
    .map(({ pair, m }) => forwardedExample(pair, m))
    .filter((e): e is EvidenceItem => e !== null);
  return behaviour(
    'forwards-packets',
    agreementConfidence(forwarding.length, ctx.c.pairs.length),
    forwarding.length,
    `${forwarding.length} of ${ctx.c.pairs.length} connections pass through one to one (${packets} packets matched across the device)`,
    items,
  );
}

/**
 * DECREMENTS-TTL: every matched client-to-server packet of a pair arrives with the same lower TTL (the
 * pair's 'ttl' change counts all its matched c2s packets, with a constant negative difference), in at
 * least `agreement` of the pairs that forwarded client packets. Count: such pairs. Evidence: the TTLs.
 * Undecided when only some pairs show it (two paths, or a device that decrements selectively).
 */
export function decrementsTtl(ctx: Context): RuleOutcome {
  let comparable = 0;
  const decremented: { pair: SessionPair; client: number; server: number; delta: number; detail: string }[] =
    [];
  const deltas = new Set<number>();
  for (const pair of ctx.passThrough) {
    const m = ctx.matchOf(pair);
    if (!m || m.matched[0] === 0) continue;
    comparable++;
    const ttl = m.changes.find((ch) => ch.field === 'ttl' && ch.dir === 0);
    if (!ttl || ttl.count !== m.matched[0] || ttl.delta === null || ttl.delta >= 0) continue;
    deltas.add(ttl.delta);
    decremented.push({
      pair,
      client: ttl.clientPacket,
      server: ttl.serverPacket,
      delta: ttl.delta,
      detail: ttl.detail,
    });
  }
  if (comparable === 0 || decremented.length === 0) return null;
  // IPv6 calls the field the hop limit.
  const v6 = decremented.filter((d) => ctx.c.client.sessions[d.pair.client]?.a.ipVersion === 6).length;
  const field = v6 === 0 ? 'TTL' : v6 === decremented.length ? 'hop limit' : 'TTL (hop limit over IPv6)';
  if (decremented.length < comparable * ctx.opts.agreement) {
    return undecided(
      'decrements-ttl',
      `${field} lowered on every forwarded client packet of ${decremented.length} of ${comparable} connections only`,
    );
  }
  const by = [...deltas].map((d) => -d).join(' or ');
  return behaviour(
    'decrements-ttl',
    agreementConfidence(decremented.length, comparable),
    decremented.length,
    `every forwarded client packet arrives with its ${field} lowered by ${by} (${decremented.length} of ${comparable} connections)`,
    spread(decremented).map((d) =>
      evidence(d.pair, [d.client], [d.server], { ttlDelta: d.delta }, d.detail.replace(/^ttl /, `${field} `)),
    ),
  );
}
