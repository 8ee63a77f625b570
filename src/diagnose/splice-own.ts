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
import type { Context } from './context.js';

interface ParsedEvent {
  flags: Set<string>;
  len: number;
}

/** Reads PacketEvent.detail ("SYN,ACK seq=0x.. ack=0x.. len=0 ip-id=0"). */
export function parseEventDetail(detail: string): ParsedEvent {
  const [flagText = ''] = detail.split(' ', 1);
  const len = /\blen=(\d+)/.exec(detail);
  return { flags: new Set(flagText.split(',')), len: len ? Number(len[1]) : -1 };
}

export function isSpliceOwn(ctx: Context, pair: SessionPair, e: PacketEvent): boolean {
  if (pair.kind !== 'spliced' || e.event !== 'injected') return false;
  const p = parseEventDetail(e.detail);
  if (p.flags.has('SYN')) return true;
  if (p.len !== 0 || p.flags.has('FIN') || p.flags.has('RST') || !p.flags.has('ACK')) return false;
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
