/**
 * A TCP session as the documented JSON object (sessions-schema.ts), and the few derived facts the text
 * listing shares with it (endpoints as text, how the session closed, analysis counts by id).
 */
import { formatTs } from '../common/time.js';
import { formatAddress } from '../decode/index.js';
import { type Endpoint, FLAG_IDS, type HandshakePacket, type Session } from '../tcp/index.js';
import type { SessionJson } from './sessions-schema.js';
import { formatSpan, spanNs } from './sessions-time.js';

export function endpointAddress(e: Endpoint): string {
  return formatAddress(e.ipVersion, Uint32Array.from(e.addr));
}

/** "10.0.0.1:80", "[2001:db8::1]:443". */
export function endpointText(e: Endpoint): string {
  const address = endpointAddress(e);
  return e.ipVersion === 6 ? `[${address}]:${e.port}` : `${address}:${e.port}`;
}

export interface SessionClose {
  by: 'client' | 'server';
  kind: 'FIN' | 'RST';
  packet: number;
  sec: number;
  nsec: number;
}

/** The first FIN or RST in file order (a packet with both counts as RST: it aborts). */
export function sessionClose(s: Session): SessionClose | null {
  const fin = s.fin;
  const rst = s.rst;
  if (fin === null && rst === null) return null;
  const useRst = rst !== null && (fin === null || rst.packet <= fin.packet);
  const c = useRst ? rst : fin!;
  return {
    by: c.dir === 0 ? 'client' : 'server',
    kind: useRst ? 'RST' : 'FIN',
    packet: c.packet,
    sec: c.sec,
    nsec: c.nsec,
  };
}

/** Packets per analysis id, in flag order; ids no packet carried are left out. */
export function analysisCounts(s: Session): Record<string, number> {
  const out: Record<string, number> = {};
  const counts = s.flagCounts;
  if (counts === null) return out;
  for (let i = 0; i < counts.length; i++) {
    const id = FLAG_IDS[i];
    if (id && counts[i]! > 0) out[id] = counts[i]!;
  }
  return out;
}

/** Sum of all analysis counts: how many flags the session raised (a packet may raise several). */
export function anomalyTotal(s: Session): number {
  const counts = s.flagCounts;
  if (counts === null) return 0;
  let n = 0;
  for (let i = 0; i < counts.length; i++) if (FLAG_IDS[i]) n += counts[i]!;
  return n;
}

function handshakePacket(h: HandshakePacket | null): { packet: number; time: string } | null {
  return h === null ? null : { packet: h.packet, time: formatTs(h.sec, h.nsec) };
}

/** ns from one handshake packet to another; null when one is missing (or the span is not exact). */
function between(from: HandshakePacket | null, to: HandshakePacket | null): number | null {
  return from === null || to === null ? null : spanNs(from.sec, from.nsec, to.sec, to.nsec);
}

/** Initial RTT as Wireshark measures it: from the first SYN to the ACK completing the handshake. */
export function handshakeRttNs(s: Session): number | null {
  return between(s.syn, s.handshakeAck);
}

export function sessionJson(s: Session): SessionJson {
  const [c2s, s2c] = s.dirs;
  const close = sessionClose(s);
  return {
    index: s.index,
    communityId: s.communityId || null,
    ipVersion: s.a.ipVersion,
    client: { address: endpointAddress(s.client), port: s.client.port },
    server: { address: endpointAddress(s.server), port: s.server.port },
    initiatorBy: s.initiatorBy,
    firstSender: s.initiator === 'a' ? 'client' : 'server',
    firstPacket: s.firstPacket,
    lastPacket: s.lastPacket,
    start: formatTs(s.startSec, s.startNsec),
    end: formatTs(s.endSec, s.endNsec),
    duration: formatSpan(s.startSec, s.startNsec, s.endSec, s.endNsec),
    history: s.history.text,
    packets: { clientToServer: c2s.packets, serverToClient: s2c.packets },
    bytes: { clientToServer: c2s.payloadBytes, serverToClient: s2c.payloadBytes },
    isn: { client: s.clientIsn, server: s.serverIsn },
    flags: {
      syn: { clientToServer: c2s.syn, serverToClient: s2c.syn },
      synAck: { clientToServer: c2s.synAck, serverToClient: s2c.synAck },
      fin: { clientToServer: c2s.fin, serverToClient: s2c.fin },
      rst: { clientToServer: c2s.rst, serverToClient: s2c.rst },
    },
    handshake: {
      syn: handshakePacket(s.syn),
      synAck: handshakePacket(s.synAck),
      ack: handshakePacket(s.handshakeAck),
      rttNs: handshakeRttNs(s),
      synToSynAckNs: between(s.syn, s.synAck),
      synAckToAckNs: between(s.synAck, s.handshakeAck),
      synCount: s.synCount,
      synAckCount: s.synAckCount,
    },
    close:
      close === null
        ? null
        : { by: close.by, kind: close.kind, packet: close.packet, time: formatTs(close.sec, close.nsec) },
    analysis: analysisCounts(s),
    findings: s.findings.map((f) => ({ id: f.id, packet: f.packet, detail: f.detail })),
    previousSession: s.previousIndex >= 0 ? s.previousIndex : null,
    sincePreviousNs:
      s.previousIndex >= 0 && Number.isSafeInteger(s.sincePreviousNs) ? s.sincePreviousNs : null,
  };
}
