/**
 * Rules about the byte streams of a terminating device: pooling, payload edits, re-cut segments.
 */

import type { MessageLink, SessionPair } from '../../correlate/types.js';
import {
  A_FAST_RETRANSMISSION,
  A_RETRANSMISSION,
  A_SPURIOUS_RETRANSMISSION,
  type Message,
  type Session,
} from '../../tcp/index.js';
import type { Context } from '../context.js';
import {
  agreementConfidence,
  behaviour,
  evidence,
  type RuleOutcome,
  spread,
  undecided,
} from '../evidence.js';
import type { EvidenceItem } from '../types.js';
import { carriers } from './handshake.js';
import { comparableContents } from './tls.js';

/**
 * POOLS-CONNECTIONS: at least one server-side connection carries messages of two or more client
 * connections (message links of terminated pairs). Count: such server-side connections. Confidence:
 * grows with their number. Evidence: the server-side connection's first SYN or packet, and the first
 * request of two of the client connections it carried.
 */
export function poolsConnections(ctx: Context): RuleOutcome {
  const shared = [...carriers(ctx).values()].filter((c) => c.clients.size > 1);
  if (shared.length === 0) return null;
  const total = carriers(ctx).size;
  const items = spread(shared).map((c) => {
    const server = ctx.c.server.sessions[c.serverSession];
    const firstPackets = [...c.clients]
      .slice(0, 2)
      .map((i) => ctx.c.client.sessions[i]?.messages[0]?.firstPacket ?? 0)
      .filter((p) => p > 0);
    return evidence(
      c.pair,
      firstPackets,
      server ? [server.syn?.packet ?? server.firstPacket] : [],
      { clientConnections: c.clients.size, serverSession: c.serverSession },
      `one server-side connection carries requests of ${c.clients.size} client connections`,
    );
  });
  const most = Math.max(...shared.map((c) => c.clients.size));
  return behaviour(
    'pools-connections',
    Math.min(1, 0.6 + 0.1 * shared.length),
    shared.length,
    `${shared.length} of ${total} server-side connections carry requests of several client connections (up to ${most})`,
    items,
  );
}

/** Bytes of a message actually seen (the fingerprint counts them; a header-only capture sees none). */
function complete(m: Message): boolean {
  return m.end > m.start && m.fingerprint.bytes >= m.end - m.start;
}

/**
 * MODIFIES-PAYLOAD:
 * - pass-through pairs: matched packets whose payload differs (FieldChange 'payload');
 * - terminated pairs: linked messages, fully captured on both sides, whose content differs
 *   (MessageLink.similarity < 1: header lines inserted or rewritten, lengths changed).
 * Fires on any such message. Count: messages (terminated) or packets (pass-through), as `detail` says.
 * Confidence: share of comparable messages edited, at least 0.5 once several are. Undecided when no
 * message was captured in full on both sides (short snap length).
 */
export function modifiesPayload(ctx: Context): RuleOutcome {
  let packets = 0;
  const passItems: EvidenceItem[] = [];
  for (const pair of ctx.passThrough) {
    const ch = ctx.matchOf(pair)?.changes.find((c) => c.field === 'payload');
    if (!ch) continue;
    packets += ch.count;
    passItems.push(evidence(pair, [ch.clientPacket], [ch.serverPacket], { dir: ch.dir }, ch.detail));
  }
  if (packets > 0) {
    return behaviour(
      'modifies-payload',
      Math.min(1, 0.5 + packets / 20),
      packets,
      `payload bytes differ on ${packets} forwarded packets of ${passItems.length} connections`,
      passItems,
    );
  }
  if (
    ctx.passThrough.length > 0 &&
    !ctx.passThrough.some((p) => ctx.clientSession(p).messages.some(complete))
  ) {
    const anyPayload = ctx.passThrough.some((p) => ctx.clientSession(p).messages.length > 0);
    if (anyPayload) {
      return undecided(
        'modifies-payload',
        'payload was not captured in full on any forwarded connection (snap length), so bytes cannot be compared',
      );
    }
  }
  let comparable = 0;
  let encrypted = 0;
  const edited: { pair: SessionPair; link: MessageLink; cm: Message; sm: Message }[] = [];
  for (const pair of ctx.terminated) {
    const client = ctx.clientSession(pair);
    const servers = ctx.serverSessions(pair);
    for (const link of pair.messages) {
      const cm = client.messages[link.clientMessage];
      const server = servers[link.serverSession];
      const sm = server?.messages[link.serverMessage];
      if (!cm || !sm || !complete(cm) || !complete(sm)) continue;
      if (!comparableContents(client, server!, link)) {
        encrypted++;
        continue;
      }
      comparable++;
      if (link.similarity < 1) edited.push({ pair, link, cm, sm });
    }
  }
  if (comparable === 0) {
    if (ctx.terminated.length === 0) return null;
    if (encrypted > 0)
      return undecided(
        'modifies-payload',
        `the ${encrypted} linked messages are encrypted on one side only (TLS ends at the device), so their plaintext cannot be compared`,
      );
    return undecided(
      'modifies-payload',
      'no message was captured in full on both sides (payload cut by the snap length), so contents cannot be compared',
    );
  }
  if (edited.length === 0) return null;
  const requests = edited.filter((e) => e.cm.dir === 0).length;
  return behaviour(
    'modifies-payload',
    Math.max(0.5, agreementConfidence(edited.length, comparable)),
    edited.length,
    `${edited.length} of ${comparable} messages differ between the sides (${requests} requests, ${edited.length - requests} responses): bytes inserted or rewritten on the way`,
    spread(edited).map(({ pair, link, cm, sm }) =>
      evidence(
        pair,
        [cm.firstPacket],
        [sm.firstPacket],
        {
          similarity: Math.round(link.similarity * 100) / 100,
          clientBytes: cm.end - cm.start,
          serverBytes: sm.end - sm.start,
        },
        `${cm.dir === 0 ? 'request' : 'response'} of ${cm.end - cm.start} bytes on the client side is ${sm.end - sm.start} bytes on the server side, ${Math.round(link.similarity * 100)}% of its content the same`,
      ),
    ),
  );
}

function retransmissions(s: Session): number {
  return s.count(A_RETRANSMISSION) + s.count(A_FAST_RETRANSMISSION) + s.count(A_SPURIOUS_RETRANSMISSION);
}

/**
 * RESEGMENTS: a terminating device relays a message with identical bytes (similarity 1, same length,
 * captured in full) in a different number of segments on the two legs, by more than the retransmissions
 * both connections had (retransmitted segments are counted in Message.packets). Count: such messages.
 * Confidence: grows with their number. Evidence: both messages' first packets and segment counts.
 */
export function resegments(ctx: Context): RuleOutcome {
  let comparable = 0;
  const recut: { pair: SessionPair; cm: Message; sm: Message }[] = [];
  for (const pair of ctx.terminated) {
    const client = ctx.clientSession(pair);
    const servers = ctx.serverSessions(pair);
    for (const link of pair.messages) {
      const server = servers[link.serverSession];
      const cm = client.messages[link.clientMessage];
      const sm = server?.messages[link.serverMessage];
      if (!server || !cm || !sm || link.similarity < 1) continue;
      if (cm.end - cm.start !== sm.end - sm.start || !complete(cm) || !complete(sm)) continue;
      comparable++;
      const slack = retransmissions(client) + retransmissions(server);
      if (Math.abs(cm.packets - sm.packets) > slack) recut.push({ pair, cm, sm });
    }
  }
  if (recut.length === 0) return null;
  return behaviour(
    'resegments',
    Math.min(1, 0.6 + 0.1 * recut.length),
    recut.length,
    `${recut.length} of ${comparable} identical messages are cut into a different number of segments on the two sides`,
    spread(recut).map(({ pair, cm, sm }) =>
      evidence(
        pair,
        [cm.firstPacket],
        [sm.firstPacket],
        { bytes: cm.end - cm.start, clientSegments: cm.packets, serverSegments: sm.packets },
        `the same ${cm.end - cm.start} bytes (${cm.dir === 0 ? 'client to server' : 'server to client'}) in ${cm.packets} segments on the client side and ${sm.packets} on the server side`,
      ),
    ),
  );
}
