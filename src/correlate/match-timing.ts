/**
 * Handshake and message timing of a pair, from pass 1's sessions alone (no packets needed): when the device
 * answered the client, when it opened the server-side connection relative to the client's SYN, handshake
 * ACK and first data (delayed binding), and for terminating devices how long each message took to cross.
 * Server-side times are mapped onto the client clock with the alignment.
 */
import type { Session } from '../tcp/index.js';
import type {
  HandshakeTiming,
  MessageLatency,
  MessageTiming,
  ServerHandshakeTiming,
  SessionPair,
  SideData,
} from './types.js';

/** Maps a server-side time (ns from the common base, server clock) onto the client clock. */
export type ToClient = (serverNs: number) => number;

export function pairTiming(
  pair: SessionPair,
  client: SideData,
  server: SideData,
  toClient: ToClient,
): MessageTiming {
  const cs = client.sessions[pair.client];
  const c = (relNs: number): number => relNs + client.shiftNs;
  const s = (relNs: number): number => toClient(relNs + server.shiftNs);
  if (cs === undefined) return { handshake: emptyHandshake(), links: [] };
  const clientSyn = cs.syn !== null ? c(cs.syn.relNs) : null;
  const clientAck = cs.handshakeAck !== null ? c(cs.handshakeAck.relNs) : null;
  const clientData = firstDataNs(cs);
  const handshake: HandshakeTiming = {
    clientSynToSynAckNs: cs.synToSynAckNs,
    clientSynToAckNs: clientSyn !== null && clientAck !== null ? clientAck - clientSyn : null,
    clientSynToDataNs: clientSyn !== null && clientData !== null ? c(clientData) - clientSyn : null,
    server: pair.server.map((index) =>
      serverHandshake(index, server.sessions[index], clientSyn, clientAck, clientData, c, s),
    ),
  };
  const links: MessageLatency[] = [];
  for (const link of pair.messages) {
    const cm = cs.messages[link.clientMessage];
    // MessageLink.serverSession indexes `pair.server`, not the side's sessions.
    const serverIndex = pair.server[link.serverSession];
    const sm =
      serverIndex === undefined ? undefined : server.sessions[serverIndex]?.messages[link.serverMessage];
    if (cm === undefined || sm === undefined) continue;
    const sign = cm.dir === 0 ? 1 : -1;
    links.push({
      clientMessage: link.clientMessage,
      serverSession: link.serverSession,
      serverMessage: link.serverMessage,
      dir: cm.dir,
      firstByteNs: sign * (s(sm.firstRelNs) - c(cm.firstRelNs)),
      lastByteNs: sign * (s(sm.lastRelNs) - c(cm.lastRelNs)),
    });
  }
  return { handshake, links };
}

function emptyHandshake(): HandshakeTiming {
  return { clientSynToSynAckNs: null, clientSynToAckNs: null, clientSynToDataNs: null, server: [] };
}

/** Time of the first packet carrying client payload (the first client-to-server message), side-relative. */
function firstDataNs(session: Session): number | null {
  for (const m of session.messages) if (m.dir === 0) return m.firstRelNs;
  return null;
}

/**
 * CONNECTS AFTER: the server-side SYN is compared with the client's SYN, handshake ACK and first data on
 * one clock; the latest of those that precedes it names what the device waited for before connecting.
 */
function serverHandshake(
  index: number,
  ss: Session | undefined,
  clientSyn: number | null,
  clientAck: number | null,
  clientData: number | null,
  c: (relNs: number) => number,
  s: (relNs: number) => number,
): ServerHandshakeTiming {
  const out: ServerHandshakeTiming = {
    session: index,
    synAfterClientSynNs: null,
    synAfterClientAckNs: null,
    synAfterClientDataNs: null,
    synToSynAckNs: ss?.synToSynAckNs ?? null,
    connectsAfter: null,
  };
  if (ss === undefined || ss.syn === null) return out;
  const serverSyn = s(ss.syn.relNs);
  if (clientSyn !== null) out.synAfterClientSynNs = serverSyn - clientSyn;
  if (clientAck !== null) out.synAfterClientAckNs = serverSyn - clientAck;
  if (clientData !== null) out.synAfterClientDataNs = serverSyn - c(clientData);
  if (clientSyn === null) return out;
  if (out.synAfterClientDataNs !== null && out.synAfterClientDataNs > 0) out.connectsAfter = 'data';
  else if (out.synAfterClientAckNs !== null && out.synAfterClientAckNs > 0) out.connectsAfter = 'handshake';
  else if (out.synAfterClientSynNs! > 0) out.connectsAfter = 'syn';
  else out.connectsAfter = 'before';
  return out;
}
