/**
 * Per-packet detail for a few chosen connections, for side-by-side views: both files are read again, and
 * the packets of the chosen sessions only are kept (bounded per target and side), each with its fields and
 * the verdict packet matching gave it. Pass 1 keeps no packets, so this is the only place that holds
 * packets in memory, and only a bounded number of them.
 *
 * Sessions are recognised by their endpoints and their packet-number range from pass 1 (Session.a/b,
 * firstPacket..lastPacket), so the selection is exactly the session pass 1 built. Match verdicts come from
 * running pass 2 again with the same options: the counts in the report and the marks in the view agree.
 */
import { openCapture } from '../capture/index.js';
import { Decoder } from '../decode/index.js';
import type { PacketView } from '../decode/types.js';
import type { Endpoint, Session } from '../tcp/index.js';
import { toClientNs } from './clock.js';
import { type MatchEvent, type MatchEventKind, type MatchOptions, matchPackets } from './match.js';
import type { Correlation, Side, SideData } from './types.js';

/** What to collect: one pair (its client session and all its server sessions) or loose sessions. */
export interface DetailTarget {
  /** SessionPair.id, or null for sessions without a pair (a failed handshake). */
  pair: number | null;
  clientSessions: number[];
  serverSessions: number[];
}

export interface DetailOptions {
  /** Packets kept per target and side; the rest are counted in `omitted`. Default 2,000. */
  maxPackets?: number;
  /** The match options the correlation ran with (so that verdicts are the same). */
  match?: Omit<MatchOptions, 'onPacket' | 'stats'>;
}

export interface DetailPacket {
  side: Side;
  /** 1-based packet number in its file. */
  packet: number;
  /** Session index on its side. */
  session: number;
  /** 0 from the session's initiator, 1 back. */
  dir: 0 | 1;
  /** Exact capture time. */
  sec: number;
  nsec: number;
  /** Time on the client-side clock, ns from Correlation.baseSec (server-side packets mapped). */
  clientClockNs: number;
  flags: number;
  /** Raw sequence and acknowledgement numbers, and relative to the session's ISN of each direction. */
  rawSeq: number;
  rawAck: number;
  seq: number;
  ack: number;
  /** Payload length on the wire. */
  len: number;
  ttl: number;
  ipId: number;
  window: number;
  /** Packet matching's verdict; null when pass 2 did not report it (non-TCP or not reached). */
  event: MatchEventKind | null;
  /** The copy on the other side for a matched packet, else 0. */
  otherPacket: number;
  delayNs: number | null;
  /** Changed fields of a matched packet: bit i is FIELD_NAMES[i]. */
  changes: number;
  /** Ids of the TCP analysis findings pass 1 recorded on this packet (e.g. tcp.handshake.synack_bad_ack). */
  findings: string[];
}

/**
 * A message carried across a terminating device: the first packet of the message upstream and of the
 * message that carried it downstream (client side first for requests, server side first for responses).
 */
export interface DetailLink {
  dir: 0 | 1;
  clientPacket: number;
  serverPacket: number;
  /** First-byte latency on the aligned clock (downstream minus upstream), null when not aligned. */
  latencyNs: number | null;
}

export interface PairDetail {
  target: DetailTarget;
  client: DetailPacket[];
  server: DetailPacket[];
  /** Message links of a terminated or pooled pair (empty for packets forwarded one to one). */
  links: DetailLink[];
  /** Packets of the target's sessions not kept because of maxPackets: [client, server]. */
  omitted: [number, number];
}

export const DEFAULT_DETAIL_PACKETS = 2000;

interface Wanted {
  session: Session;
  index: number;
  /** Indexes into the result list this session feeds. */
  details: number[];
}

function sameWords(e: Endpoint, words: Uint32Array): boolean {
  return e.addr[0] === words[0] && e.addr[1] === words[1] && e.addr[2] === words[2] && e.addr[3] === words[3];
}

/** Whether the packet belongs to the session's connection; returns its direction, or -1. */
function directionIn(s: Session, v: PacketView): -1 | 0 | 1 {
  const c = s.client;
  const r = s.server;
  if (v.ipVersion !== c.ipVersion) return -1;
  if (v.srcPort === c.port && v.dstPort === r.port && sameWords(c, v.src) && sameWords(r, v.dst)) return 0;
  if (v.srcPort === r.port && v.dstPort === c.port && sameWords(r, v.src) && sameWords(c, v.dst)) return 1;
  return -1;
}

function wantedOf(side: SideData, targets: DetailTarget[], pick: (t: DetailTarget) => number[]): Wanted[] {
  const bySession = new Map<number, Wanted>();
  targets.forEach((t, i) => {
    for (const index of pick(t)) {
      const session = side.sessions[index];
      if (session === undefined) continue;
      let w = bySession.get(index);
      if (w === undefined) {
        w = { session, index, details: [] };
        bySession.set(index, w);
      }
      if (!w.details.includes(i)) w.details.push(i);
    }
  });
  return [...bySession.values()].sort((a, b) => a.session.firstPacket - b.session.firstPacket);
}

/** Reads one side and keeps the packets of the wanted sessions. */
function collectSide(
  c: Correlation,
  side: SideData,
  wanted: Wanted[],
  out: PairDetail[],
  max: number,
): Map<number, DetailPacket> {
  const byPacket = new Map<number, DetailPacket>();
  if (wanted.length === 0) return byPacket;
  const first = wanted[0]!.session.firstPacket;
  let last = 0;
  for (const w of wanted) last = Math.max(last, w.session.lastPacket);
  const key = side.side === 'client' ? 0 : 1;
  const reader = openCapture(side.path);
  const decoder = new Decoder(reader.anomalies);
  let n = 0;
  try {
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      n++;
      if (n < first) continue;
      if (n > last) break;
      const v = decoder.decode(rec);
      if (!v.isTcp) continue;
      for (const w of wanted) {
        const s = w.session;
        if (n < s.firstPacket || n > s.lastPacket) continue;
        const dir = directionIn(s, v);
        if (dir === -1) continue;
        // Packets beyond the bound are only counted: a session of millions of packets costs no objects.
        let p: DetailPacket | null = null;
        for (const d of w.details) {
          const list = key === 0 ? out[d]!.client : out[d]!.server;
          if (list.length < max) {
            p ??= packetOf(c, side, w.index, s, dir, n, v);
            list.push(p);
          } else out[d]!.omitted[key]++;
        }
        // Only kept packets wait for their verdict: memory stays within maxPackets per target.
        if (p !== null) byPacket.set(n, p);
        break;
      }
    }
  } finally {
    reader.close();
  }
  return byPacket;
}

function packetOf(
  c: Correlation,
  side: SideData,
  index: number,
  s: Session,
  dir: 0 | 1,
  packet: number,
  v: PacketView,
): DetailPacket {
  const ownNs = (v.tsSec - c.baseSec) * 1e9 + v.tsNsec;
  const mine = s.dirs[dir];
  const theirs = s.dirs[dir === 0 ? 1 : 0];
  return {
    side: side.side,
    packet,
    session: index,
    dir,
    sec: v.tsSec,
    nsec: v.tsNsec,
    clientClockNs: side.side === 'client' ? ownNs : toClientNs(c.alignment, ownNs),
    flags: v.flags,
    rawSeq: v.seq,
    rawAck: v.ack,
    seq: (v.seq - mine.isn) >>> 0,
    // An ack is relative to the other direction's ISN; before that is known it stays raw.
    ack: theirs.isnKnown || theirs.firstSeqSet ? (v.ack - theirs.isn) >>> 0 : v.ack,
    len: v.payloadLength,
    ttl: v.ttl,
    ipId: v.ipId,
    window: v.window,
    event: null,
    otherPacket: 0,
    delayNs: null,
    changes: 0,
    findings: s.findings.filter((f) => f.packet === packet).map((f) => f.id),
  };
}

/**
 * Collect the packets of the chosen pairs and sessions, with their match verdicts. Throws the CaptureError
 * of a file that can no longer be opened; a file cut short is read up to where pass 1 stopped.
 */
export function collectDetails(
  c: Correlation,
  targets: DetailTarget[],
  opts: DetailOptions = {},
): PairDetail[] {
  const max = opts.maxPackets ?? DEFAULT_DETAIL_PACKETS;
  const out: PairDetail[] = targets.map((target) => ({
    target,
    client: [],
    server: [],
    links: linksOf(c, target),
    omitted: [0, 0],
  }));
  const clientPackets = collectSide(
    c,
    c.client,
    wantedOf(c.client, targets, (t) => t.clientSessions),
    out,
    max,
  );
  const serverPackets = collectSide(
    c,
    c.server,
    wantedOf(c.server, targets, (t) => t.serverSessions),
    out,
    max,
  );
  if (clientPackets.size + serverPackets.size === 0) return out;
  const onPacket = (e: MatchEvent) => {
    const p = (e.side === 'client' ? clientPackets : serverPackets).get(e.packet);
    if (p === undefined) return;
    p.event = e.event;
    p.otherPacket = e.otherPacket;
    p.delayNs = e.delayNs;
    p.changes = e.changes;
  };
  matchPackets(c.client.path, c.server.path, c.client, c.server, c.pairs, c.alignment, {
    ...opts.match,
    onPacket,
  });
  return out;
}

function linksOf(c: Correlation, target: DetailTarget): DetailLink[] {
  if (target.pair === null) return [];
  const pair = c.pairs.find((p) => p.id === target.pair);
  if (pair === undefined) return [];
  const timing = c.matches.find((m) => m.pair === pair.id)?.timing.links ?? [];
  const client = c.client.sessions[pair.client];
  const out: DetailLink[] = [];
  pair.messages.forEach((link, i) => {
    const cm = client?.messages[link.clientMessage];
    const serverIndex = pair.server[link.serverSession];
    const sm =
      serverIndex === undefined ? undefined : c.server.sessions[serverIndex]?.messages[link.serverMessage];
    if (cm === undefined || sm === undefined) return;
    const latency = timing[i]?.firstByteNs ?? link.latencyNs;
    out.push({
      dir: cm.dir,
      clientPacket: cm.firstPacket,
      serverPacket: sm.firstPacket,
      latencyNs: latency === null || !Number.isFinite(latency) ? null : latency,
    });
  });
  return out;
}

/** The target of one pair: its client session and every server-side session it involves. */
export function pairTarget(c: Correlation, pairId: number): DetailTarget | null {
  const pair = c.pairs.find((p) => p.id === pairId);
  if (pair === undefined) return null;
  return { pair: pair.id, clientSessions: [pair.client], serverSessions: [...pair.server] };
}
