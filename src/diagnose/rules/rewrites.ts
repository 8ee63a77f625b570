/**
 * Rules about fields a pass-through device rewrites in the packets it forwards: addresses, ports,
 * sequence numbers, TCP options. Terminated pairs are not looked at: two connections are not one
 * connection rewritten (samples/README.md, reading rules).
 */
import type { FieldChange, SessionPair } from '../../correlate/types.js';
import type { Context } from '../context.js';
import { agreementConfidence, behaviour, evidence, type RuleOutcome, spread } from '../evidence.js';
import type { BehaviourId, EvidenceItem } from '../types.js';

type TupleField = 'srcIp' | 'srcPort' | 'dstIp' | 'dstPort';

const TUPLE_RULES: Record<TupleField, { id: BehaviourId; what: string }> = {
  srcIp: { id: 'rewrites-source-address', what: 'source address' },
  dstIp: { id: 'rewrites-destination-address', what: 'destination address' },
  srcPort: { id: 'rewrites-source-port', what: 'source port' },
  dstPort: { id: 'rewrites-destination-port', what: 'destination port' },
};

/**
 * REWRITES-{SOURCE,DESTINATION}-{ADDRESS,PORT}: the server-side tuple of a pass-through pair differs from
 * the client-side tuple in that field (as each initiator sent it). Fires when at least one pair shows it
 * (a NAT with port preservation changes ports only on collisions). Count: pairs with the change.
 * Confidence: share of pass-through pairs with the change, times their mean pairing score.
 * Evidence: the client's SYN and the server-side SYN with both values.
 */
function tupleRewrite(ctx: Context, field: TupleField): RuleOutcome {
  const { id, what } = TUPLE_RULES[field];
  const changed: { pair: SessionPair; from: string | number; to: string | number }[] = [];
  for (const pair of ctx.passThrough) {
    const server = pair.serverTuples[0];
    if (!server || server[field] === pair.clientTuple[field]) continue;
    changed.push({ pair, from: pair.clientTuple[field], to: server[field] });
  }
  if (changed.length === 0) return null;
  const meanScore = changed.reduce((s, c) => s + c.pair.score, 0) / changed.length;
  const mappings = new Map<string, number>();
  for (const c of changed) {
    const key = `${c.from} -> ${c.to}`;
    mappings.set(key, (mappings.get(key) ?? 0) + 1);
  }
  const detail =
    mappings.size <= 3
      ? `${what} rewritten on ${changed.length} of ${ctx.passThrough.length} connections (${[...mappings.keys()].join(', ')})`
      : `${what} rewritten on ${changed.length} of ${ctx.passThrough.length} connections (${mappings.size} different mappings, ${rangeOf(changed.map((c) => c.to))} on the server side)`;
  return behaviour(
    id,
    agreementConfidence(changed.length, ctx.passThrough.length) * meanScore,
    changed.length,
    detail,
    spread(changed).map((c) =>
      synEvidence(
        ctx,
        c.pair,
        { [`${field}Client`]: c.from, [`${field}Server`]: c.to },
        `${what} ${c.from} on the client side is ${c.to} on the server side`,
      ),
    ),
  );
}

function rangeOf(values: (string | number)[]): string {
  const nums = values.filter((v): v is number => typeof v === 'number');
  if (nums.length === values.length) return `ports ${Math.min(...nums)}-${Math.max(...nums)}`;
  return `${new Set(values).size} addresses`;
}

/** Evidence from the two SYNs of a pair (the packets where tuples and ISNs are first seen). */
export function synEvidence(
  ctx: Context,
  pair: SessionPair,
  values: EvidenceItem['values'],
  text: string,
): EvidenceItem {
  const client = ctx.clientSession(pair);
  const server = ctx.serverSessions(pair)[0];
  return evidence(
    pair,
    client.syn ? [client.syn.packet] : [],
    server?.syn ? [server.syn.packet] : [],
    values,
    text,
  );
}

export const rewritesSourceAddress = (ctx: Context) => tupleRewrite(ctx, 'srcIp');
export const rewritesDestinationAddress = (ctx: Context) => tupleRewrite(ctx, 'dstIp');
export const rewritesSourcePort = (ctx: Context) => tupleRewrite(ctx, 'srcPort');
export const rewritesDestinationPort = (ctx: Context) => tupleRewrite(ctx, 'dstPort');

/**
 * REWRITES-SEQUENCE: a pass-through pair whose sequence numbers differ by a constant non-zero offset in
 * at least one direction (SessionPair.seqOffsets, learned by pairing and confirmed by matched packets'
 * 'seq' changes). Count: such pairs. Confidence: share of pass-through pairs with an offset. Evidence:
 * a matched packet with its seq on each side, and the offsets.
 */
export function rewritesSequence(ctx: Context): RuleOutcome {
  const shifted: { pair: SessionPair; item: EvidenceItem }[] = [];
  const dirs = [0, 0];
  for (const pair of ctx.passThrough) {
    const o = pair.seqOffsets;
    if (!o || (o.c2s === 0 && o.s2c === 0)) continue;
    if (o.c2s !== 0) dirs[0]!++;
    if (o.s2c !== 0) dirs[1]!++;
    const m = ctx.matchOf(pair);
    const change = m?.changes.find((ch) => ch.field === 'seq');
    const values = { c2sOffset: hex(o.c2s), s2cOffset: hex(o.s2c) };
    const item = change
      ? evidence(pair, [change.clientPacket], [change.serverPacket], values, change.detail)
      : synEvidence(ctx, pair, values, `sequence offsets c2s ${hex(o.c2s)}, s2c ${hex(o.s2c)}`);
    shifted.push({ pair, item });
  }
  if (shifted.length === 0) return null;
  const which =
    dirs[0]! > 0 && dirs[1]! > 0
      ? 'in both directions'
      : dirs[1]! > 0
        ? 'server-to-client only (client-to-server numbers unchanged)'
        : 'client-to-server only (server-to-client numbers unchanged)';
  return behaviour(
    'rewrites-sequence',
    agreementConfidence(shifted.length, ctx.passThrough.length),
    shifted.length,
    `sequence numbers shifted by a constant per connection, ${which}, on ${shifted.length} of ${ctx.passThrough.length} connections`,
    spread(shifted).map((s) => s.item),
  );
}

export function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** FieldChange names of TCP options, and how a reader calls them. */
const OPTION_FIELDS: Record<string, string> = {
  mss: 'MSS',
  wscale: 'window scale',
  'sack-perm': 'SACK-permitted',
  timestamps: 'timestamps',
  options: 'option list',
};

/**
 * REWRITES-OPTIONS: matched packets of pass-through pairs whose TCP options differ between the sides
 * (FieldChange mss, wscale, sack-perm, timestamps or options). Says which option and how often (per
 * direction). Count: pairs with any option change. Confidence: share of forwarding pairs showing it.
 * Evidence: one example per option kind, with both packets.
 */
export function rewritesOptions(ctx: Context): RuleOutcome {
  const byField = new Map<
    string,
    { pairs: number; packets: number; dirs: Set<number>; item: EvidenceItem; example: FieldChange }
  >();
  let pairs = 0;
  let forwarding = 0;
  for (const pair of ctx.passThrough) {
    const m = ctx.matchOf(pair);
    if (!m || m.matched[0] + m.matched[1] === 0) continue;
    forwarding++;
    let any = false;
    for (const ch of m.changes) {
      const name = OPTION_FIELDS[ch.field];
      if (name === undefined) continue;
      any = true;
      let entry = byField.get(ch.field);
      if (!entry) {
        entry = {
          pairs: 0,
          packets: 0,
          dirs: new Set(),
          item: evidence(
            pair,
            [ch.clientPacket],
            [ch.serverPacket],
            { option: ch.field, dir: ch.dir },
            ch.detail,
          ),
          example: ch,
        };
        byField.set(ch.field, entry);
      }
      entry.packets += ch.count;
      entry.dirs.add(ch.dir);
    }
    if (!any) continue;
    pairs++;
    for (const field of new Set(m.changes.map((ch) => ch.field))) {
      const entry = byField.get(field);
      if (entry) entry.pairs++;
    }
  }
  if (pairs === 0) return null;
  const parts = [...byField.entries()].map(([field, e]) => {
    const dirs = [...e.dirs].sort().map((d) => (d === 0 ? 'client-to-server' : 'server-to-client'));
    return `${optionVerb(field, e.example)} on ${e.packets} ${dirs.join(' and ')} packets of ${e.pairs} connections`;
  });
  return behaviour(
    'rewrites-options',
    agreementConfidence(pairs, forwarding),
    pairs,
    parts.join('; '),
    [...byField.values()].map((e) => e.item),
  );
}

/** How an option change reads: a clamp when the MSS went down, a translation for timestamps. */
function optionVerb(field: string, example: FieldChange): string {
  switch (field) {
    case 'mss': {
      // -1: no MSS option on that side (added or removed, not clamped).
      const { upstream: from, downstream: to } = example;
      if (from !== null && to !== null && to >= 0 && to < from) return `MSS clamped (e.g. ${from} -> ${to})`;
      return 'MSS changed';
    }
    case 'timestamps':
      return 'timestamps translated';
    case 'options':
      return 'option list changed (options stripped or replaced)';
    default:
      return `${OPTION_FIELDS[field]} changed`;
  }
}
