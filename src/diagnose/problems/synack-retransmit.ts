/**
 * A SYN-ACK re-sent by the server although its handshake ACK was captured on the server side (second
 * seed thread). For each such server-side connection, one problem with:
 * - who sent the handshake ACK the server saw: the client (a pass-through pair whose client-side ACK was
 *   forwarded: no injected client-to-server packet) or the device (a SYN proxy's own ACK);
 * - the pattern: each re-sent SYN-ACK's time after the SYN, whether the client was silent until then,
 *   and when its first data came;
 * - TCP_DEFER_ACCEPT as the likely cause when the pattern fits: the server re-sends only while the client
 *   has sent no data, about 1 s, 3 s, 7 s ... after the SYN (Linux SYN-ACK timer, 1 s doubling), and the
 *   connection is accepted on the first data (no re-send after it).
 */
import { TCP_ACK, TCP_SYN } from '../../decode/index.js';
import type { Session } from '../../tcp/index.js';
import type { Context } from '../context.js';
import { evidence } from '../evidence.js';
import { fmtNs } from '../format.js';
import { lookupPackets, type PacketFacts } from '../packet-lookup.js';
import { SYNACK_AFTER_ACK, sessionsWith } from '../rules/endpoint.js';
import { isSpliceOwn } from '../splice-own.js';
import type { Problem } from '../types.js';
import { MAX_PER_ID, more } from './device.js';
import { tupleOf } from './wrong-synack.js';

/** Linux SYN-ACK retransmission times after the SYN (1 s initial timeout, doubling), in seconds. */
const BACKOFF_SEC = [1, 3, 7, 15, 31];
/** How far a re-send may be from a back-off step and still fit it (timer slack, the SYN-ACK's own delay). */
const BACKOFF_TOLERANCE = 0.25;

export function synAckRetransmitProblems(ctx: Context): Problem[] {
  const all = sessionsWith(ctx.c.server, SYNACK_AFTER_ACK);
  if (all.length === 0) return [];
  const hits = all.slice(0, MAX_PER_ID);
  const packets = lookupPackets(
    ctx.c.server.path,
    hits.map((h) => h.session),
  );
  const accepted = acceptedOnFirstData(ctx, new Set(all.map((h) => h.session.index)));
  const problems = hits.map(({ session, findings }) =>
    describe(
      ctx,
      session,
      findings.map((f) => f.packet),
      packets.filter((p) => p.session === session.index),
      accepted,
    ),
  );
  if (all.length > hits.length) {
    problems.push(
      more(
        'handshake.synack_after_ack',
        'warning',
        `${all.length - hits.length} more server-side connections re-sent their SYN-ACK after the handshake ACK.`,
      ),
    );
  }
  return problems;
}

/** Server-side connections whose client sent data before 1 s and that saw no re-sent SYN-ACK. */
function acceptedOnFirstData(ctx: Context, affected: Set<number>): number {
  let n = 0;
  for (const s of ctx.c.server.sessions) {
    if (affected.has(s.index) || !s.syn || s.synAckCount !== 1) continue;
    const data = s.messages.find((m) => m.dir === 0);
    if (data && data.firstRelNs - s.syn.relNs < 1e9) n++;
  }
  return n;
}

function describe(
  ctx: Context,
  s: Session,
  resent: number[],
  packets: PacketFacts[],
  acceptedOthers: number,
): Problem {
  const pair = ctx.c.pairs.find((p) => p.server.includes(s.index)) ?? null;
  const synNs = s.syn ? s.syn.relNs : s.startRelNs;
  const rel = (p: PacketFacts) => (p.sec - ctx.c.server.baseSec) * 1e9 + p.nsec;
  const synAcks = packets.filter((p) => p.dir === 1 && p.flags & TCP_SYN && p.flags & TCP_ACK);
  const resentAt = synAcks.filter((p) => resent.includes(p.packet)).map((p) => (rel(p) - synNs) / 1e9);
  const firstData = s.messages.find((m) => m.dir === 0);
  const dataAt = firstData ? (firstData.firstRelNs - synNs) / 1e9 : null;
  const sentences: string[] = [];
  const values: Record<string, string | number | boolean | null> = {
    resentSynAcks: resent.length,
    handshakeAckPacket: s.handshakeAck?.packet ?? null,
  };

  sentences.push(
    `Server-side connection ${tupleOf(s)}: the server re-sent its SYN-ACK (server-side packet${resent.length > 1 ? 's' : ''} ${resent.join(', ')}) although the handshake ACK (server-side packet ${s.handshakeAck?.packet ?? '?'}) had reached it.`,
  );

  // Who sent the ACK the server ignored.
  let byClient: boolean | null = null;
  let clientAckPacket: number | null = null;
  if (pair && s.handshakeAck) {
    const m = ctx.matchOf(pair);
    const client = ctx.clientSession(pair);
    const ownAck = m?.examples.find((e) => e.side === 'server' && e.packet === s.handshakeAck!.packet);
    if (ownAck && (ownAck.event === 'injected' || isSpliceOwn(ctx, pair, ownAck))) byClient = false;
    else if (pair.kind === 'spliced') byClient = false;
    else if (m && m.injected[0] === 0 && client.handshakeAck) {
      byClient = true;
      clientAckPacket = client.handshakeAck.packet;
    }
    if (byClient === true && client.handshakeAck) {
      const lagNs = ctx.serverOnClientNs(s.handshakeAck.relNs) - ctx.clientNs(client.handshakeAck.relNs);
      sentences.push(
        `That ACK was sent by the client: it is client-side packet ${client.handshakeAck.packet}, forwarded ${fmtNs(lagNs)} later (nothing was injected toward the server on this connection).`,
      );
    } else if (byClient === false) {
      sentences.push('That ACK was generated by the device (it has no original on the client side).');
    }
  }
  values.ackSentByClient = byClient;

  // The pattern.
  const silent = dataAt === null || resentAt.every((t) => t < dataAt);
  const fitsBackoff =
    resentAt.length > 0 &&
    resentAt.every((t, i) => Math.abs(t - BACKOFF_SEC[i]!) <= BACKOFF_TOLERANCE * BACKOFF_SEC[i]!);
  const resentAfterData = dataAt !== null && synAcks.some((p) => (rel(p) - synNs) / 1e9 > dataAt);
  sentences.push(
    `Re-sent ${resentAt.map((t) => `${t.toFixed(2)} s`).join(', then ')} after the SYN; the client ${
      dataAt === null ? 'never sent data' : `sent its first data ${dataAt.toFixed(2)} s after the SYN`
    }${silent ? ', so it was silent until each re-send' : ''}${
      dataAt !== null && !resentAfterData ? ', and no SYN-ACK was re-sent after that data' : ''
    }.`,
  );
  values.resentAfterSynSec = resentAt.map((t) => t.toFixed(3)).join(',');
  values.firstDataAfterSynSec = dataAt === null ? null : Number(dataAt.toFixed(3));
  const deferAccept = silent && fitsBackoff && !resentAfterData && dataAt !== null;
  values.deferAcceptLikely = deferAccept;
  if (deferAccept) {
    sentences.push(
      `This fits TCP_DEFER_ACCEPT on the server (nginx "listen ... deferred", HAProxy "defer-accept"): the kernel drops a bare handshake ACK while no data has come, re-sends the SYN-ACK on its 1 s timer, and accepts the connection on the first data${
        acceptedOthers > 0
          ? `; ${acceptedOthers} other connections whose client spoke within 1 s got no re-sent SYN-ACK`
          : ''
      }. The server is waiting for the client to speak first; it is not losing the ACK.`,
    );
  }

  return {
    id: 'handshake.synack_after_ack',
    severity: deferAccept ? 'note' : 'warning',
    text: sentences.join(' '),
    pair: pair ? pair.id : null,
    clientSession: pair ? pair.client : null,
    serverSession: s.index,
    evidence: [
      evidence(
        pair,
        clientAckPacket !== null ? [clientAckPacket] : [],
        [s.synAck?.packet ?? 0, s.handshakeAck?.packet ?? 0, ...resent].filter((p) => p > 0),
        values,
        `SYN-ACK re-sent ${resentAt.map((t) => `${t.toFixed(2)} s`).join(', ')} after the SYN although the ACK was there`,
      ),
    ],
  };
}
