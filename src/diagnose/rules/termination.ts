/** Rules about a device that terminates TCP: independent connections on each side. */
import { tupleText } from '../../common/endpoint.js';
import type { Context } from '../context.js';
import { agreementConfidence, behaviour, evidence, type RuleOutcome, spread } from '../evidence.js';

/**
 * TERMINATES-TCP: pairs of kind 'terminated' exist: the client's connection and the server-side
 * connection carrying its bytes have their own handshakes (different ISNs, options). Confidence: share of
 * pairs that are terminated, times 0.5 + 0.5 x their mean pairing score (the score measures how alike the
 * contents are, which edits lower; that the ISNs differ is certain either way). Evidence: the two SYNs
 * with their ISNs.
 */
export function terminatesTcp(ctx: Context): RuleOutcome {
  const pairs = ctx.terminated;
  if (pairs.length === 0) return null;
  const meanScore = pairs.reduce((s, p) => s + p.score, 0) / pairs.length;
  const items = spread(pairs).map((pair) => {
    const client = ctx.clientSession(pair);
    const server = ctx.serverSessions(pair)[0];
    const hex = (n: number | null | undefined) =>
      n === null || n === undefined ? null : `0x${n.toString(16)}`;
    return evidence(
      pair,
      client.syn ? [client.syn.packet] : [],
      server?.syn ? [server.syn.packet] : [],
      { clientIsn: hex(client.clientIsn), serverSideIsn: hex(server?.clientIsn) },
      `client connection ${fmtTuple(pair.clientTuple)} and server-side connection ${
        pair.serverTuples[0] ? fmtTuple(pair.serverTuples[0]) : '(none)'
      } have their own handshakes`,
    );
  });
  return behaviour(
    'terminates-tcp',
    agreementConfidence(pairs.length, ctx.c.pairs.length) * (0.5 + 0.5 * meanScore),
    pairs.length,
    `${pairs.length} of ${ctx.c.pairs.length} client connections are answered by the device, which opens its own connections to the server`,
    items,
  );
}

export function fmtTuple(t: { srcIp: string; srcPort: number; dstIp: string; dstPort: number }): string {
  return tupleText(t);
}
