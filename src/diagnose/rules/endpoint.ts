/**
 * Endpoint anomalies seen through the device, reported as behaviours when the captures show them
 * (samples/README.md: they are the point of a scenario): a SYN answered with a wrong ACK on the client
 * side, a SYN-ACK re-sent after the handshake ACK on the server side. Both come from pass 1's handshake
 * findings (src/tcp/handshake-rules.ts).
 */
import type { SideData } from '../../correlate/types.js';
import type { Finding, Session } from '../../tcp/index.js';
import type { Context } from '../context.js';
import { behaviour, evidence, type RuleOutcome, spread } from '../evidence.js';
import { plural } from '../format.js';
import type { EvidenceItem } from '../types.js';

export const SYNACK_BAD_ACK = 'tcp.handshake.synack_bad_ack';
export const SYNACK_AFTER_ACK = 'tcp.handshake.synack_retransmitted_after_ack';

/** Sessions of a side with a finding, and those findings. */
export function sessionsWith(side: SideData, id: string): { session: Session; findings: Finding[] }[] {
  const out: { session: Session; findings: Finding[] }[] = [];
  for (const session of side.sessions) {
    const findings = session.findings.filter((f) => f.id === id);
    if (findings.length > 0) out.push({ session, findings });
  }
  return out;
}

/** An ack number in hex, 8 digits as the handshake findings' own text writes it. */
export function ackHex(ack: number): string {
  return `0x${(ack >>> 0).toString(16).padStart(8, '0')}`;
}

/** The ack number of a bad-ACK finding (`Finding.ack`) in hex, or null. */
export function badAckValue(f: Finding): string | null {
  return f.ack === null ? null : ackHex(f.ack);
}

/**
 * BOGUS-SYN-ACK: on the client side, a SYN answered (SYN-ACK or bare ACK) with an ack number other than
 * the SYN's ISN + 1, before any correct answer of that attempt (finding tcp.handshake.synack_bad_ack).
 * Count: connection attempts. Confidence: 1 (read directly from the packets). Evidence: the SYN, the odd
 * answer, its ack value and the expected one.
 */
export function bogusSynAck(ctx: Context): RuleOutcome {
  const hit = sessionsWith(ctx.c.client, SYNACK_BAD_ACK);
  if (hit.length === 0) return null;
  const answers = hit.reduce((s, h) => s + h.findings.length, 0);
  const pairOf = (index: number) => ctx.c.pairs.find((p) => p.client === index) ?? null;
  return behaviour(
    'bogus-syn-ack',
    1,
    hit.length,
    `${hit.length} client connection attempts got an answer to their SYN whose ack number is not ISN + 1 (${answers} such answers)`,
    spread(hit).map(({ session, findings }): EvidenceItem => {
      const f = findings[0]!;
      const isn = session.clientIsn;
      return evidence(
        pairOf(session.index),
        [session.syn?.packet ?? 0, f.packet].filter((p) => p > 0),
        [],
        {
          ack: badAckValue(f),
          expected: isn === null ? null : `0x${((isn + 1) >>> 0).toString(16)}`,
          answers: findings.length,
        },
        f.detail,
      );
    }),
  );
}

/**
 * IGNORES-HANDSHAKE-ACK: on the server side, a SYN-ACK re-sent (same seq) after the handshake ACK was
 * captured there, with no SYN retransmission in between (finding tcp.handshake.synack_retransmitted_
 * after_ack): the server did not take the ACK. Count: server-side connections. Confidence: 1 (read
 * directly). Evidence: the server's SYN-ACK, the ACK it ignored and the re-sent SYN-ACK, and the client
 * side's handshake ACK of the same connection.
 */
export function ignoresHandshakeAck(ctx: Context): RuleOutcome {
  const hit = sessionsWith(ctx.c.server, SYNACK_AFTER_ACK);
  if (hit.length === 0) return null;
  const pairOf = (index: number) => ctx.c.pairs.find((p) => p.server.includes(index)) ?? null;
  return behaviour(
    'ignores-handshake-ack',
    1,
    hit.length,
    `the server re-sends its SYN-ACK after the handshake ACK reached it on ${plural(hit.length, 'connection')}`,
    spread(hit).map(({ session, findings }) => {
      const pair = pairOf(session.index);
      const client = pair ? ctx.clientSession(pair) : null;
      const f = findings[0]!;
      return evidence(
        pair,
        client?.handshakeAck ? [client.handshakeAck.packet] : [],
        [session.synAck?.packet ?? 0, session.handshakeAck?.packet ?? 0, f.packet].filter((p) => p > 0),
        { resentSynAcks: findings.length, synAckCount: session.synAckCount },
        f.detail,
      );
    }),
  );
}
