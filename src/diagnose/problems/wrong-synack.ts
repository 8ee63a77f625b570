/**
 * A SYN answered with an ACK that does not acknowledge the client's ISN (first seed thread): for each such
 * client connection attempt, the facts that decide who is at fault and why, in one problem:
 * - whether the odd ACK is also on the server side (a server-side SYN for the attempt, or a server-side
 *   answer with the same ack number): there, the server sent it; absent, the device did;
 * - the absolute ack values in hex, and whether the odd ack is exactly where the previous connection on
 *   the same 4-tuple stopped (its client ISN + 1 + bytes sent): a challenge ACK of that connection;
 * - whether the tuple was used before, how long ago that connection closed, or that it never closed in
 *   the capture (still open on the device);
 * - failure timing: SYNs and odd ACKs with their times, and whether the attempt ever completed.
 */
import { formatAddress, TCP_ACK, TCP_RST, TCP_SYN } from '../../decode/index.js';
import type { Endpoint, Session } from '../../tcp/index.js';
import type { Context } from '../context.js';
import { evidence, MAX_EVIDENCE } from '../evidence.js';
import { fmtNs, fmtSec } from '../format.js';
import { lookupPackets, type PacketFacts } from '../packet-lookup.js';
import { ackHex, SYNACK_BAD_ACK, sessionsWith } from '../rules/endpoint.js';
import { fmtTuple } from '../rules/termination.js';
import type { Problem } from '../types.js';
import { MAX_PER_ID, more } from './device.js';

/** A server-side SYN with the client's ISN belongs to the attempt when it is this close to it in time. */
const SAME_ATTEMPT_SLACK_NS = 1e9;

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

export function tupleOf(s: Session): string {
  const ip = (e: Endpoint) => formatAddress(e.ipVersion, Uint32Array.from(e.addr));
  return fmtTuple({
    srcIp: ip(s.client),
    srcPort: s.client.port,
    dstIp: ip(s.server),
    dstPort: s.server.port,
  });
}

function closedAt(s: Session): number | null {
  const t = [s.fin?.relNs, s.rst?.relNs].filter((x): x is number => x !== undefined);
  return t.length > 0 ? Math.min(...t) : null;
}

export function wrongSynAckProblems(ctx: Context): Problem[] {
  const all = sessionsWith(ctx.c.client, SYNACK_BAD_ACK);
  if (all.length === 0) return [];
  const hits = all.slice(0, MAX_PER_ID);
  const packets = lookupPackets(
    ctx.c.client.path,
    hits.map((h) => h.session),
  );
  const problems = hits.map(({ session, findings }) => {
    const own = packets.filter((p) => p.session === session.index);
    return describe(
      ctx,
      session,
      findings.map((f) => f.packet),
      findings[0]!.ack,
      own,
    );
  });
  if (all.length > hits.length) {
    problems.push(
      more(
        'handshake.bogus_ack',
        'error',
        `${all.length - hits.length} more client connection attempts got an answer to their SYN with a wrong ack number.`,
      ),
    );
  }
  return problems;
}

function describe(
  ctx: Context,
  s: Session,
  oddPackets: number[],
  oddAckValue: number | null,
  packets: PacketFacts[],
): Problem {
  const oddAck = oddAckValue === null ? null : ackHex(oddAckValue);
  const isn = s.clientIsn;
  const expected = isn === null ? null : hex(isn + 1);
  const pair = ctx.c.pairs.find((p) => p.client === s.index) ?? null;
  const t0 = s.syn ? s.syn.relNs : s.startRelNs;
  const atSec = (p: PacketFacts) => ((p.sec - ctx.c.client.baseSec) * 1e9 + p.nsec - t0) / 1e9;
  const syns = packets.filter((p) => p.dir === 0 && p.flags & TCP_SYN && !(p.flags & TCP_ACK));
  const odd = packets.filter((p) => oddPackets.includes(p.packet));
  const sentences: string[] = [];

  sentences.push(
    `Connection attempt ${tupleOf(s)} (client ISN ${isn === null ? 'unknown' : hex(isn)}, SYN packet ${s.syn?.packet ?? s.firstPacket}) was answered ${oddPackets.length} time(s) with an ACK of ${oddAck ?? 'an unexpected value'} instead of ${expected ?? 'ISN + 1'} (client-side packets ${oddPackets.join(', ')}).`,
  );

  // Is the odd ACK on the server side? Only if the SYN reached the server.
  const fromNs = ctx.clientNs(t0) - SAME_ATTEMPT_SLACK_NS;
  const toNs = ctx.clientNs(s.endRelNs) + SAME_ATTEMPT_SLACK_NS;
  const forwarded =
    isn === null
      ? []
      : ctx.c.server.sessions.filter((x) => {
          if (x.syn === null || x.syn.seq !== isn) return false;
          const at = ctx.serverOnClientNs(x.syn.relNs);
          return at >= fromNs && at <= toNs;
        });
  const serverOdd =
    oddAckValue === null
      ? []
      : sessionsWith(ctx.c.server, SYNACK_BAD_ACK).filter(({ findings }) =>
          findings.some((f) => f.ack === oddAckValue),
        );
  if (pair === null && forwarded.length === 0 && serverOdd.length === 0) {
    sentences.push(
      'The odd ACK is not on the server side: no server-side SYN exists for this attempt (none with its ISN, and no server-side connection was paired with it), so the device sent it, not the server.',
    );
  } else if (serverOdd.length > 0) {
    sentences.push(
      `The same odd ACK is on the server side (server-side packet ${serverOdd[0]!.findings[0]!.packet}): the server sent it and the device passed it on.`,
    );
  } else if (forwarded.length > 0) {
    sentences.push(
      `A server-side SYN exists for this attempt (server-side packet ${forwarded[0]!.syn!.packet}).`,
    );
  }

  // The previous connection on this 4-tuple.
  const prev = lastEstablishedBefore(ctx, s);
  const values: Record<string, string | number | boolean | null> = {
    ack: oddAck,
    expected,
    synCount: s.synCount,
    oddAcks: oddPackets.length,
    serverSideSyn: forwarded.length > 0,
  };
  if (prev) {
    const closed = closedAt(prev);
    const prevNext = prev.clientIsn === null ? null : (prev.clientIsn + 1 + prev.dirs[0].maxEnd) >>> 0;
    values.previousSession = prev.index;
    values.previousClosed = closed !== null;
    if (closed === null) {
      sentences.push(
        `The 4-tuple was used before by the connection starting at client-side packet ${prev.firstPacket}, which never closed in the capture (no FIN or RST; last packet ${prev.lastPacket}, ${fmtNs(s.startRelNs - prev.endRelNs)} before this SYN): that connection is still open on the device.`,
      );
    } else {
      sentences.push(
        `The 4-tuple was used before by the connection starting at client-side packet ${prev.firstPacket}, closed ${fmtNs(s.startRelNs - closed)} before this SYN.`,
      );
    }
    if (prevNext !== null && prevNext === oddAckValue) {
      sentences.push(
        `The odd ACK is exactly the next byte that old connection expected from the client (its ISN ${hex(prev.clientIsn!)} + 1 + ${prev.dirs[0].maxEnd} bytes): a challenge ACK (RFC 5961) of the old connection.`,
      );
      values.challengeAckOfPrevious = true;
    }
    const prevPair = ctx.c.pairs.find((p) => p.client === prev.index);
    const prevServer = prevPair ? ctx.serverSessions(prevPair)[0] : undefined;
    if (prevServer && closedAt(prevServer) === null) {
      sentences.push('Its server-side connection never closed in the capture either.');
    }
  } else {
    sentences.push('The 4-tuple was not used before in the capture.');
  }

  // Outcome and timing.
  const completed = s.handshakeAck !== null || s.synAck !== null;
  const times = syns.map((p) => `${atSec(p).toFixed(1)} s`);
  if (completed) {
    const rst = packets.find((p) => p.dir === 0 && p.flags & TCP_RST);
    sentences.push(
      `The attempt then completed: ${s.synCount} SYNs${rst ? `, the client's RST (packet ${rst.packet}, seq ${hex(rst.seq)}) before the retry` : ''}, SYN-ACK acknowledging the ISN at packet ${s.synAck?.packet ?? '?'} ${s.synAck ? fmtNs(s.synAck.relNs - t0) : ''} after the first SYN.`,
    );
  } else {
    const lastOdd = odd.at(-1);
    const span = syns.length > 0 ? atSec(syns.at(-1)!) : (s.endRelNs - t0) / 1e9;
    sentences.push(
      `The attempt failed: the client sent ${s.synCount} SYNs (at ${times.join(', ') || 'unknown times'} after the first), got ${oddPackets.length} odd ACKs${forwarded.length === 0 ? ', no server-side SYN' : ''}; its last SYN came ${span.toFixed(1)} s after the first${lastOdd ? `, the last odd ACK at ${atSec(lastOdd).toFixed(1)} s` : ''}.`,
    );
    const next = ctx.c.client.sessions.find((x) => x.previousIndex === s.index);
    const gaveUp = gaveUpAt(
      syns.map(atSec),
      (ctx.c.client.lastRelNs - t0) / 1e9,
      next ? (next.startRelNs - t0) / 1e9 : null,
    );
    if (gaveUp !== null) {
      sentences.push(
        `The client gave up after about ${gaveUp.toFixed(1)} s: its SYN timer doubles, so a next SYN was due then and none came.`,
      );
      values.gaveUpAfterNs = Math.round(gaveUp * 1e9);
    }
    if (next)
      sentences.push(
        `The next attempt on the 4-tuple (new ISN) came ${fmtSec(next.startRelNs - t0)} after the first SYN.`,
      );
    values.failedAfterNs = Math.round(span * 1e9);
  }

  return {
    id: 'handshake.bogus_ack',
    severity: completed ? 'warning' : 'error',
    text: sentences.join(' '),
    pair: pair ? pair.id : null,
    clientSession: s.index,
    serverSession: forwarded[0]?.index ?? null,
    evidence: [
      evidence(
        pair,
        [s.syn?.packet ?? s.firstPacket, ...oddPackets].slice(0, 1 + MAX_EVIDENCE * 2),
        forwarded[0]?.syn ? [forwarded[0].syn.packet] : [],
        values,
        `SYN answered by ack ${oddAck ?? '?'} instead of ${expected ?? 'ISN + 1'}`,
      ),
    ],
  };
}

/** The last connection on the same 4-tuple before `s` that completed its handshake (failed attempts skipped). */
function lastEstablishedBefore(ctx: Context, s: Session): Session | undefined {
  for (let i = s.previousIndex, hops = 0; i >= 0 && hops < 100; hops++) {
    const prev = ctx.c.client.sessions[i];
    if (!prev) return undefined;
    if (prev.synAck !== null && prev.handshakeAck !== null) return prev;
    i = prev.previousIndex;
  }
  return undefined;
}

/**
 * When a client that stopped retrying gave up, in seconds after its first SYN: TCP doubles the SYN
 * retransmission timeout, so after retries spaced d apart the next one is due 2d after the last; if the
 * capture (and no new attempt on the tuple) runs past that time without it, the client gave up then (its
 * final timeout expired). Null when the retries are too few to read the timer or the capture ends first.
 */
export function gaveUpAt(
  synSec: readonly number[],
  captureEndSec: number,
  nextAttemptSec: number | null,
): number | null {
  if (synSec.length < 3) return null;
  const last = synSec.at(-1)!;
  const gap = last - synSec.at(-2)!;
  if (gap <= 0) return null;
  const due = last + 2 * gap;
  const seenUntil = nextAttemptSec ?? captureEndSec;
  return seenUntil > due ? due : null;
}
