/**
 * Which packets a SYN proxy sends as part of splicing, so that they are not reported as injected: its
 * SYN-ACK to the client, its SYN and handshake ACK to the server, and the window update to the client
 * (samples/README.md: "SYNPROXY's own packets are how it answers and splices"). Pass 2 counts them as
 * injected; its bounded per-pair examples name them.
 *
 * Rule: on a spliced pair, an injected packet is the splice's own when it carries SYN, or is a bare ACK
 * (no payload, no FIN or RST) sent no later than the client's first payload packet (client clock): the
 * window update must precede the client's data, because the proxy's SYN-ACK announced window 0.
 */
import type { PacketEvent, PairMatch, SessionPair } from '../correlate/types.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/index.js';
import type { Context } from './context.js';

export function isSpliceOwn(ctx: Context, pair: SessionPair, e: PacketEvent): boolean {
  if (pair.kind !== 'spliced' || e.event !== 'injected') return false;
  if (e.flags & TCP_SYN) return true;
  if (e.len !== 0 || (e.flags & (TCP_ACK | TCP_FIN | TCP_RST)) !== TCP_ACK) return false;
  const client = ctx.clientSession(pair);
  const firstData = client.messages.find((m) => m.dir === 0);
  const limitNs = ctx.clientNs(firstData ? firstData.firstRelNs : client.endRelNs);
  const atNs = e.side === 'client' ? e.relNs : ctx.serverBaseNsOnClient(e.relNs);
  return atNs <= limitNs;
}

/** Injected packets per direction that are not the splice's own (for non-spliced pairs: all of them). */
export function unexplainedInjected(ctx: Context, pair: SessionPair, m: PairMatch): [number, number] {
  if (pair.kind !== 'spliced') return [m.injected[0], m.injected[1]];
  const own = [0, 0];
  for (const e of m.examples) if (isSpliceOwn(ctx, pair, e)) own[e.dir]!++;
  return [Math.max(0, m.injected[0] - own[0]!), Math.max(0, m.injected[1] - own[1]!)];
}
