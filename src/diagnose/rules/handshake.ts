/**
 * Rules about who answers the client's handshake and when the server-side connection is opened.
 */
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
import { fmtNs, median } from '../format.js';
import type { EvidenceItem } from '../types.js';
import { hex } from './rewrites.js';

/**
 * ANSWERS-SYN: on pass-through pairs, the client-side SYN-ACK comes before the server-side SYN (on the
 * aligned clock): the device answered the SYN itself, before the server could. Fires when at least
 * `agreement` of the pairs with both packets show it. Count: such pairs. Evidence: the client's SYN and
 * SYN-ACK, the server-side SYN, and the margin. (A terminating device also answers SYNs; that is part of
 * terminating and is not reported for it.)
 */
export function answersSyn(ctx: Context): RuleOutcome {
  let comparable = 0;
  const answered: { pair: SessionPair; marginNs: number; item: EvidenceItem }[] = [];
  for (const pair of ctx.passThrough) {
    const m = ctx.matchOf(pair);
    const hs = m?.timing.handshake;
    const server = hs?.server[0];
    if (!hs || !server || hs.clientSynToSynAckNs === null || server.synAfterClientSynNs === null) continue;
    comparable++;
    const marginNs = server.synAfterClientSynNs - hs.clientSynToSynAckNs;
    if (marginNs <= 0) continue;
    const client = ctx.clientSession(pair);
    const srv = ctx.serverSessions(pair)[0];
    answered.push({
      pair,
      marginNs,
      item: evidence(
        pair,
        [client.syn?.packet ?? 0, client.synAck?.packet ?? 0].filter((p) => p > 0),
        srv?.syn ? [srv.syn.packet] : [],
        {
          synAckAfterSynNs: hs.clientSynToSynAckNs,
          serverSynAfterSynNs: server.synAfterClientSynNs,
          synAckWindow: client.synAck?.window ?? null,
          synAckSeq: client.synAck ? hex(client.synAck.seq) : null,
        },
        `the client got its SYN-ACK ${fmtNs(hs.clientSynToSynAckNs)} after its SYN, ${fmtNs(marginNs)} before the server side saw any SYN`,
      ),
    });
  }
  if (comparable === 0 || answered.length === 0) return null;
  if (answered.length < comparable * ctx.opts.agreement) {
    return undecided(
      'answers-syn',
      `the client's SYN-ACK came before the server-side SYN on ${answered.length} of ${comparable} connections only`,
    );
  }
  return behaviour(
    'answers-syn',
    agreementConfidence(answered.length, comparable),
    answered.length,
    `it answers the client's SYN itself on ${answered.length} of ${comparable} connections (the SYN-ACK reaches the client a median ${fmtNs(median(answered.map((a) => a.marginNs)))} before the server-side SYN)`,
    spread(answered).map((a) => a.item),
  );
}

/**
 * SPLICES-AFTER-HANDSHAKE: pairs of kind 'spliced' (pairing found the device's own handshake on the
 * client side, then the same segments on both sides with a constant sequence offset) whose packets after
 * the handshake were matched one to one. Count: such pairs. Confidence: share of pass-through pairs.
 * Evidence: a forwarded segment on each side and the pair's offsets.
 */
export function splicesAfterHandshake(ctx: Context): RuleOutcome {
  const spliced: { pair: SessionPair; m: PairMatch }[] = [];
  for (const pair of ctx.passThrough) {
    if (pair.kind !== 'spliced') continue;
    const m = ctx.matchOf(pair);
    if (!m || m.matched[0] + m.matched[1] === 0) continue;
    spliced.push({ pair, m });
  }
  if (spliced.length === 0) return null;
  const matched = spliced.reduce((s, { m }) => s + m.matched[0] + m.matched[1], 0);
  const answered = spliced.reduce((s, { m }) => s + m.answered[0] + m.answered[1], 0);
  return behaviour(
    'splices-after-handshake',
    agreementConfidence(spliced.length, ctx.passThrough.length),
    spliced.length,
    `after its own handshake with the client, the device forwards segments one to one on ${spliced.length} connections (${matched} packets matched, ${answered} handshake packets consumed by the device)`,
    spread(spliced).map(({ pair, m }) => {
      const ch = m.changes.find((c) => c.field === 'seq') ?? m.changes[0];
      const values = {
        c2sOffset: pair.seqOffsets ? hex(pair.seqOffsets.c2s) : null,
        s2cOffset: pair.seqOffsets ? hex(pair.seqOffsets.s2c) : null,
        matched: m.matched[0] + m.matched[1],
      };
      return ch
        ? evidence(
            pair,
            [ch.clientPacket],
            [ch.serverPacket],
            values,
            `forwarded after the handshake: ${ch.detail}`,
          )
        : evidence(pair, [], [], values, `${values.matched} packets forwarded after the handshake`);
    }),
  );
}

/**
 * DELAYS-SERVER-CONNECT: the server-side connection is opened only after a later client event than the
 * SYN, on at least `agreement` of the comparable connections:
 * - pass-through pairs: the server-side SYN follows the client's handshake ACK (MessageTiming
 *   connectsAfter 'handshake' or 'data'), as a SYN proxy does;
 * - terminating devices (delayed binding): every server-side connection opened in the capture opens after
 *   the first client request it carries has arrived on the client side (a proxy that connects as soon as
 *   the client's handshake completes is not delaying: that is terminating). Pooled connections count once.
 * Evidence: the client packet that preceded the server-side SYN, the SYN, and the delay.
 */
export function delaysServerConnect(ctx: Context): RuleOutcome {
  return ctx.terminated.length > ctx.passThrough.length ? delayedBinding(ctx) : delayedAfterHandshake(ctx);
}

function delayedAfterHandshake(ctx: Context): RuleOutcome {
  let comparable = 0;
  const delayed: { pair: SessionPair; delayNs: number; item: EvidenceItem }[] = [];
  for (const pair of ctx.passThrough) {
    const server = ctx.matchOf(pair)?.timing.handshake.server[0];
    if (!server || server.connectsAfter === null) continue;
    comparable++;
    if (server.connectsAfter !== 'handshake' && server.connectsAfter !== 'data') continue;
    const client = ctx.clientSession(pair);
    const srv = ctx.serverSessions(pair)[0];
    const delayNs = server.synAfterClientAckNs ?? 0;
    delayed.push({
      pair,
      delayNs,
      item: evidence(
        pair,
        client.handshakeAck ? [client.handshakeAck.packet] : [],
        srv?.syn ? [srv.syn.packet] : [],
        { serverSynAfterClientAckNs: delayNs },
        `the server-side SYN leaves ${fmtNs(delayNs)} after the client's handshake ACK`,
      ),
    });
  }
  if (comparable === 0 || delayed.length === 0) return null;
  if (delayed.length < comparable * ctx.opts.agreement) return partlyDelayed(delayed.length, comparable);
  return behaviour(
    'delays-server-connect',
    agreementConfidence(delayed.length, comparable),
    delayed.length,
    `it opens the server-side connection only after the client's handshake completes, on ${delayed.length} of ${comparable} connections (a median ${fmtNs(median(delayed.map((d) => d.delayNs)))} after the client's ACK)`,
    spread(delayed).map((d) => d.item),
  );
}

/** Each server-side session carrying client requests, with the earliest such request (client clock). */
export interface Carrier {
  serverSession: number;
  pair: SessionPair;
  clientSession: number;
  clientMessage: number;
  /** Client clock, ns from the correlation base. */
  requestNs: number;
  /** Client sessions whose messages it carries. */
  clients: Set<number>;
}

const carriersOf = new WeakMap<Context, Map<number, Carrier>>();

/** Computed once per diagnosis: pooling, delayed binding and the summary all read it. */
export function carriers(ctx: Context): Map<number, Carrier> {
  const known = carriersOf.get(ctx);
  if (known) return known;
  const out = new Map<number, Carrier>();
  carriersOf.set(ctx, out);
  for (const pair of ctx.terminated) {
    const client = ctx.clientSession(pair);
    for (const link of pair.messages) {
      const serverSession = pair.server[link.serverSession];
      const msg = client.messages[link.clientMessage];
      if (serverSession === undefined || !msg) continue;
      const requestNs = ctx.clientNs(msg.firstRelNs);
      let c = out.get(serverSession);
      if (!c) {
        c = {
          serverSession,
          pair,
          clientSession: pair.client,
          clientMessage: link.clientMessage,
          requestNs,
          clients: new Set(),
        };
        out.set(serverSession, c);
      }
      c.clients.add(pair.client);
      if (msg.dir === 0 && requestNs < c.requestNs) {
        Object.assign(c, { pair, clientSession: pair.client, clientMessage: link.clientMessage, requestNs });
      }
    }
  }
  return out;
}

function delayedBinding(ctx: Context): RuleOutcome {
  let comparable = 0;
  const delayed: { c: Carrier; delayNs: number; item: EvidenceItem }[] = [];
  for (const c of carriers(ctx).values()) {
    const server = ctx.c.server.sessions[c.serverSession];
    if (!server?.syn) continue;
    const delayNs = ctx.serverOnClientNs(server.syn.relNs) - c.requestNs;
    // Without a clock mapping (NaN) the order of the two events is unknown: not comparable.
    if (!Number.isFinite(delayNs)) continue;
    comparable++;
    if (delayNs <= 0) continue;
    const msg = ctx.c.client.sessions[c.clientSession]?.messages[c.clientMessage];
    delayed.push({
      c,
      delayNs,
      item: evidence(
        c.pair,
        msg ? [msg.firstPacket] : [],
        [server.syn.packet],
        { serverSynAfterRequestNs: Math.round(delayNs) },
        `the server-side SYN leaves ${fmtNs(delayNs)} after the client's request arrived`,
      ),
    });
  }
  if (comparable === 0 || delayed.length === 0) return null;
  if (delayed.length < comparable * ctx.opts.agreement) return partlyDelayed(delayed.length, comparable);
  return behaviour(
    'delays-server-connect',
    agreementConfidence(delayed.length, comparable),
    delayed.length,
    `the device opens a server-side connection only once it has a client request: ${delayed.length} of ${comparable} server-side connections start a median ${fmtNs(median(delayed.map((d) => d.delayNs)))} after the request they carry first`,
    spread(delayed).map((d) => d.item),
  );
}

/**
 * Most, not all, server-side connections opened late: undecided (a fast client can send its request
 * before a proxy that connects on accept has connected; a few such cases are no delay). Fewer than half:
 * simply absent.
 */
function partlyDelayed(delayed: number, comparable: number): RuleOutcome {
  if (delayed * 2 < comparable) return null;
  return undecided(
    'delays-server-connect',
    `${delayed} of ${comparable} server-side connections opened after the client event they waited for, not all`,
  );
}
