/**
 * A few packets read again from a capture, for the facts pass 1 does not keep (every SYN of a failed
 * attempt with its time, every re-sent SYN-ACK). Only packets inside the given sessions' packet-number
 * ranges and on their endpoints are kept, at most `maxPackets` in all, and reading stops after the last
 * range: cost is bounded by the position of the last wanted packet, memory by `maxPackets`.
 *
 * A file that cannot be read again yields what was read before the problem (possibly nothing): problem
 * texts then say less, they never fail.
 */
import { openCapture } from '../capture/index.js';
import { Decoder } from '../decode/index.js';
import type { Session } from '../tcp/index.js';

export interface PacketFacts {
  packet: number;
  /** Index of the wanted session it belongs to, and its direction (0 from the initiator). */
  session: number;
  dir: 0 | 1;
  sec: number;
  nsec: number;
  flags: number;
  seq: number;
  ack: number;
  len: number;
  ttl: number;
  ipId: number;
  window: number;
}

export const MAX_LOOKUP_PACKETS = 2000;

function sameEndpoint(addr: readonly number[], port: number, words: Uint32Array, p: number): boolean {
  return (
    port === p && addr[0] === words[0] && addr[1] === words[1] && addr[2] === words[2] && addr[3] === words[3]
  );
}

/** Packets of `sessions` (all from the file at `path`), in file order. */
export function lookupPackets(
  path: string,
  sessions: readonly Session[],
  maxPackets = MAX_LOOKUP_PACKETS,
): PacketFacts[] {
  const out: PacketFacts[] = [];
  if (sessions.length === 0) return out;
  const lastWanted = Math.max(...sessions.map((s) => s.lastPacket));
  let reader: ReturnType<typeof openCapture>;
  try {
    reader = openCapture(path);
  } catch {
    return out;
  }
  const decoder = new Decoder(reader.anomalies);
  try {
    for (let rec = reader.next(); rec !== null && rec.index <= lastWanted; rec = reader.next()) {
      const v = decoder.decode(rec);
      if (!v.isTcp) continue;
      for (const s of sessions) {
        if (rec.index < s.firstPacket || rec.index > s.lastPacket) continue;
        const c = s.client;
        const srv = s.server;
        let dir: 0 | 1;
        if (
          sameEndpoint(c.addr, c.port, v.src, v.srcPort) &&
          sameEndpoint(srv.addr, srv.port, v.dst, v.dstPort)
        )
          dir = 0;
        else if (
          sameEndpoint(srv.addr, srv.port, v.src, v.srcPort) &&
          sameEndpoint(c.addr, c.port, v.dst, v.dstPort)
        )
          dir = 1;
        else continue;
        out.push({
          packet: rec.index,
          session: s.index,
          dir,
          sec: rec.tsSec,
          nsec: rec.tsNsec,
          flags: v.flags,
          seq: v.seq,
          ack: v.ack,
          len: v.payloadLength,
          ttl: v.ttl,
          ipId: v.ipId,
          window: v.window,
        });
        break;
      }
      if (out.length >= maxPackets) break;
    }
  } catch {
    // A damaged file: keep what was read before the damage.
  } finally {
    reader.close();
  }
  return out;
}
