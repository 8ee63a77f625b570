/**
 * TLS through the device: does it end the clients' TLS sessions (a TLS-terminating proxy), or pass the
 * records through? Read from the TLS record marker the TCP stage puts on every message
 * (src/tcp/tls.ts) and from how the pair was made.
 */
import { TIMING_SIMILARITY } from '../../correlate/pair-timing.js';
import type { MessageLink, SessionPair } from '../../correlate/types.js';
import { isClientHello, isServerHello, type Message, type Session } from '../../tcp/index.js';
import type { Context } from '../context.js';
import {
  agreementConfidence,
  behaviour,
  evidence,
  type RuleOutcome,
  spread,
  undecided,
} from '../evidence.js';
import { fmtTuple } from './termination.js';

/** The session's first client-to-server message is a ClientHello. */
export function speaksTls(s: Session): boolean {
  for (const m of s.messages) if (m.dir === 0) return isClientHello(m.tls ?? 0);
  return false;
}

/**
 * Can the contents of a linked message pair be compared byte for byte? Not when one leg is TLS and the
 * other is not, nor when both are TLS but the link rests on timing and sizes (two TLS sessions: the same
 * plaintext under other keys). TLS records passed through unchanged match by content and are comparable.
 */
export function comparableContents(client: Session, server: Session, link: MessageLink): boolean {
  const c = speaksTls(client);
  const s = speaksTls(server);
  if (c !== s) return false;
  return !c || link.similarity > TIMING_SIMILARITY;
}

/**
 * Confidence that TLS is terminated when every sign agrees: the record markers are certain (a ClientHello
 * on one leg, plain text on the other), but which server-side connection carries which client's session
 * rests on timing and sizes, weaker evidence than content.
 */
const TIMING_PAIRED = 0.8;

interface Terminated {
  pair: SessionPair;
  client: Session;
  server: Session;
  reencrypted: boolean;
}

/**
 * TERMINATES-TLS: a pair whose client connection speaks TLS (its first message is a ClientHello) while
 * the server-side connection carrying it does not, or speaks TLS of another session (both start with a
 * ClientHello, but no message matches by content: the device decrypted and encrypted again). TLS that
 * an L4 proxy relays unchanged matches by content and is not this behaviour. Confidence: share of the
 * TLS pairs that are terminated, times TIMING_PAIRED. Evidence: the client-side ClientHello and
 * ServerHello, and the server-side connection's first plain request.
 */
export function terminatesTls(ctx: Context): RuleOutcome {
  let tlsPairs = 0;
  const found: Terminated[] = [];
  for (const pair of ctx.c.pairs) {
    const client = ctx.clientSession(pair);
    if (!speaksTls(client)) continue;
    tlsPairs++;
    const servers = ctx.serverSessions(pair);
    const server = servers[0];
    if (pair.kind !== 'terminated' || server === undefined) continue;
    const plain = servers.every((s) => !speaksTls(s) && s.messages.some((m) => m.dir === 0));
    const reencrypted =
      servers.every(speaksTls) && pair.messages.every((l) => l.similarity <= TIMING_SIMILARITY);
    if (plain || reencrypted) found.push({ pair, client, server, reencrypted });
  }
  if (found.length === 0) {
    const tlsClients = ctx.c.client.sessions.filter(speaksTls).length;
    if (tlsPairs === 0 && tlsClients > 0)
      return undecided(
        'terminates-tls',
        `${tlsClients} client connections speak TLS but none could be paired with a server-side connection, so what the device does with TLS cannot be seen`,
      );
    return null;
  }
  const reencrypted = found.filter((f) => f.reencrypted).length;
  const how =
    reencrypted === found.length
      ? 'and speaks TLS of its own sessions to the server'
      : reencrypted > 0
        ? `and sends plain text to the server (${reencrypted} of them TLS of its own sessions)`
        : 'and sends plain text to the server';
  return behaviour(
    'terminates-tls',
    agreementConfidence(found.length, tlsPairs) * TIMING_PAIRED,
    found.length,
    `${found.length} of ${tlsPairs} client TLS sessions end at the device, which decrypts them ${how}`,
    spread(found).map(tlsEvidence),
  );
}

function tlsEvidence({ pair, client, server, reencrypted }: Terminated) {
  const hello = client.messages.find((m) => m.dir === 0 && isClientHello(m.tls ?? 0));
  const serverHello = client.messages.find((m) => m.dir === 1 && isServerHello(m.tls ?? 0));
  const first = server.messages.find((m: Message) => m.dir === 0 && m.end > m.start);
  const clientPackets = [hello?.firstPacket, serverHello?.firstPacket].filter(
    (n): n is number => n !== undefined,
  );
  const serverPackets = first ? [first.firstPacket] : [];
  const serverTuple = pair.serverTuples[0];
  const leg = serverTuple ? fmtTuple(serverTuple) : 'the server-side connection';
  return evidence(
    pair,
    clientPackets,
    serverPackets,
    {
      clientHello: hello?.firstPacket ?? null,
      serverHello: serverHello?.firstPacket ?? null,
      serverFirstRequest: first?.firstPacket ?? null,
      serverSideTls: reencrypted,
    },
    `client connection ${fmtTuple(pair.clientTuple)} speaks TLS (ClientHello in packet ${hello?.firstPacket ?? '?'}, ServerHello in packet ${serverHello?.firstPacket ?? '?'}); ${leg} carries its requests ${
      reencrypted ? 'in a TLS session of its own' : 'as plain text'
    }${first ? ` from packet ${first.firstPacket}` : ''}`,
  );
}
