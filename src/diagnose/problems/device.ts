/**
 * Problems from the behaviours themselves: packets the device dropped or injected, and client
 * connections the device never passed on for another reason than a bogus answer (those have their own
 * problem, wrong-synack.ts).
 */
import type { Context } from '../context.js';
import { evidence } from '../evidence.js';
import { SYNACK_BAD_ACK } from '../rules/endpoint.js';
import type { Behaviour, Problem } from '../types.js';

/** At most this many per-connection problems of one id; the rest are summed up in the last one. */
export const MAX_PER_ID = 20;

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
  const out: Problem[] = [];
  const failed = ctx.c.unpaired.filter((u) => u.side === 'client' && u.reason === 'never-forwarded');
  for (const u of failed) {
    const s = ctx.c.client.sessions[u.session];
    if (!s || s.findings.some((f) => f.id === SYNACK_BAD_ACK)) continue;
    if (out.length === MAX_PER_ID) {
      out.push({
        id: 'handshake.not_forwarded',
        severity: 'error',
        text: `${failed.length - MAX_PER_ID} more client connections were never passed on by the device.`,
        pair: null,
        clientSession: null,
        serverSession: null,
        evidence: [],
      });
      break;
    }
    out.push({
      id: 'handshake.not_forwarded',
      severity: 'error',
      text: `Client connection ${u.tuple.srcIp}:${u.tuple.srcPort} -> ${u.tuple.dstIp}:${u.tuple.dstPort} never reached the server side: ${u.detail}.`,
      pair: null,
      clientSession: u.session,
      serverSession: null,
      evidence: [
        evidence(null, s.syn ? [s.syn.packet] : [s.firstPacket], [], { synCount: s.synCount }, u.detail),
      ],
    });
  }
  return out;
}
