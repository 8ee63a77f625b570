/**
 * Problems from the behaviours themselves: packets the device dropped or injected, and client
 * connections the device never passed on for another reason than a bogus answer (those have their own
 * problem, wrong-synack.ts).
 */
import { tupleText } from '../../common/endpoint.js';
import type { Context } from '../context.js';
import { evidence } from '../evidence.js';
import { SYNACK_BAD_ACK } from '../rules/endpoint.js';
import type { Behaviour, Problem, Severity } from '../types.js';

/** At most this many per-connection problems of one id; the rest are summed up in the last one. */
export const MAX_PER_ID = 20;

/** The last problem of a bounded list: how many more there were. */
export function more(id: string, severity: Severity, text: string): Problem {
  return { id, severity, text, pair: null, clientSession: null, serverSession: null, evidence: [] };
}

export function behaviourProblems(behaviours: readonly Behaviour[]): Problem[] {
  const out: Problem[] = [];
  const drop = behaviours.find((b) => b.id === 'drops-packets');
  if (drop) {
    out.push({
      id: 'device.dropped_packets',
      severity: 'warning',
      text: `The device dropped packets: ${drop.detail}.`,
      pair: null,
      clientSession: null,
      serverSession: null,
      evidence: drop.evidence,
    });
  }
  const inject = behaviours.find((b) => b.id === 'injects-packets');
  if (inject) {
    out.push({
      id: 'device.injected_packets',
      severity: 'warning',
      text: `The device sent packets of its own: ${inject.detail}.`,
      pair: null,
      clientSession: null,
      serverSession: null,
      evidence: inject.evidence,
    });
  }
  return out;
}

/** Client connections the device never passed on (unpaired 'never-forwarded'), other than bogus answers. */
export function failedHandshakeProblems(ctx: Context): Problem[] {
  const failed = ctx.c.unpaired.filter((u) => {
    if (u.side !== 'client' || u.reason !== 'never-forwarded') return false;
    const s = ctx.c.client.sessions[u.session];
    return s !== undefined && !s.findings.some((f) => f.id === SYNACK_BAD_ACK);
  });
  const out: Problem[] = failed.slice(0, MAX_PER_ID).map((u) => {
    const s = ctx.c.client.sessions[u.session]!;
    return {
      id: 'handshake.not_forwarded',
      severity: 'error',
      text: `Client connection ${tupleText(u.tuple)} never reached the server side: ${u.detail}.`,
      pair: null,
      clientSession: u.session,
      serverSession: null,
      evidence: [
        evidence(null, s.syn ? [s.syn.packet] : [s.firstPacket], [], { synCount: s.synCount }, u.detail),
      ],
    };
  });
  if (failed.length > MAX_PER_ID) {
    out.push(
      more(
        'handshake.not_forwarded',
        'error',
        `${failed.length - MAX_PER_ID} more client connections were never passed on by the device.`,
      ),
    );
  }
  return out;
}
