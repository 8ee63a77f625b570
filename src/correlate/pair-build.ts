/**
 * SessionPair records with their evidence: what matched, with the values and packet numbers on each side,
 * in plain words. Payload text is never quoted: edits are described by counts and line hashes.
 */
import type { Session } from '../tcp/index.js';
import { forEachSameStart } from './align.js';
import { at, type PairClock } from './pair-clock.js';
import { type Link, linkLatency } from './pair-content.js';
import { type HandshakeMatch, synAgreement } from './pair-handshake.js';
import { deviceAnsweredFirst, sameNumbering, seqOffsetsOf } from './pair-kind.js';
import { SIZE_ONLY } from './pair-similarity.js';
import { isTimingLink, timingEvidenceText } from './pair-timing.js';
import { durationText, hex32, sameEndpoint, tupleOf, tupleText } from './pair-tuple.js';
import { flat } from './text.js';
import type {
  Evidence,
  MappingKind,
  MessageLink,
  PairKind,
  SeqOffsets,
  SessionPair,
  SideData,
  Tuple,
} from './types.js';

/**
 * A pass-through pair (paired by its handshakes). Its evidence and tuples are text, made when a reader first
 * asks and then kept (a reader may change them, as with a plain object): a capture of tens of thousands of
 * connections made about 1 KB of text per pair that pass 2 never reads and a report reads for few pairs.
 * `toJSON` gives the plain object with the properties in the documented order.
 */
export class HandshakePair implements SessionPair {
  id = 0;
  client: number;
  server: number[];
  mapping: MappingKind = 'one-to-one';
  kind: PairKind;
  score: number;
  seqOffsets: SeqOffsets | null;
  private _evidence: Evidence[] | undefined = undefined;
  private _clientTuple: Tuple | undefined = undefined;
  private _serverTuples: Tuple[] | undefined = undefined;
  private _messages: MessageLink[] | undefined = undefined;

  constructor(
    private readonly sides: PairSides,
    m: HandshakeMatch,
    kind: PairKind,
    seqOffsets: SeqOffsets = seqOffsetsOf(sides.client.sessions[m.client]!, sides.server.sessions[m.server]!),
  ) {
    this.client = m.client;
    this.server = [m.server];
    this.kind = kind;
    this.score = m.score;
    this.seqOffsets = seqOffsets;
  }

  get evidence(): Evidence[] {
    if (this._evidence === undefined) {
      const { client, server, clock } = this.sides;
      const c = client.sessions[this.client]!;
      const s = server.sessions[this.server[0]!]!;
      this._evidence = handshakeEvidence(
        client,
        server,
        c,
        s,
        this.clientTuple,
        tupleOf(s),
        this.kind,
        clock,
      );
    }
    return this._evidence;
  }
  set evidence(v: Evidence[]) {
    this._evidence = v;
  }

  get clientTuple(): Tuple {
    this._clientTuple ??= tupleOf(this.sides.client.sessions[this.client]!);
    return this._clientTuple;
  }
  set clientTuple(v: Tuple) {
    this._clientTuple = v;
  }

  get serverTuples(): Tuple[] {
    this._serverTuples ??= [tupleOf(this.sides.server.sessions[this.server[0]!]!)];
    return this._serverTuples;
  }
  set serverTuples(v: Tuple[]) {
    this._serverTuples = v;
  }

  get messages(): MessageLink[] {
    this._messages ??= [];
    return this._messages;
  }
  set messages(v: MessageLink[]) {
    this._messages = v;
  }

  toJSON(): SessionPair {
    return {
      id: this.id,
      client: this.client,
      server: this.server,
      mapping: this.mapping,
      kind: this.kind,
      score: this.score,
      evidence: this.evidence,
      clientTuple: this.clientTuple,
      serverTuples: this.serverTuples,
      seqOffsets: this.seqOffsets,
      messages: this.messages,
    };
  }
}

/** What the evidence of pass-through pairs is made from: both sides and the clock they were paired on. */
export interface PairSides {
  client: SideData;
  server: SideData;
  clock: PairClock;
}

function handshakeEvidence(
  client: SideData,
  server: SideData,
  c: Session,
  s: Session,
  ct: Tuple,
  st: Tuple,
  kind: PairKind,
  clock: PairClock,
): Evidence[] {
  const a = c.syn!;
  const b = s.syn!;
  const ev: Evidence[] = [];
  const pk = { clientPacket: a.packet, serverPacket: b.packet };
  if (a.seq === b.seq)
    ev.push({ kind: 'isn', detail: `client ISN ${hex32(a.seq)} = server-side SYN seq`, ...pk });
  else {
    ev.push({
      kind: 'isn',
      detail: `SYN seq differs: client side ${hex32(a.seq)}, server side ${hex32(b.seq)} (offset ${hex32(b.seq - a.seq)})`,
      ...pk,
    });
  }
  if (a.hasTimestamps && b.hasTimestamps && a.tsval === b.tsval) {
    ev.push({ kind: 'tsval', detail: `SYN TSval ${a.tsval} on both sides`, ...pk });
  }
  const agreement = synAgreement(a, b);
  ev.push({
    kind: 'syn-options',
    detail:
      agreement === 1
        ? `SYN options, MSS, window scale and IP ID identical (kinds ${a.optionKinds.join(',')})`
        : `SYN fields agree ${(agreement * 100).toFixed(0)}%: kinds ${a.optionKinds.join(',')} / ${b.optionKinds.join(',')}, MSS ${a.mss} / ${b.mss}, wscale ${a.wscale} / ${b.wscale}, IP ID ${a.ipId} / ${b.ipId}`,
    ...pk,
  });
  ev.push({
    kind: 'tuple',
    detail:
      sameEndpoint(c.client, s.client) && sameEndpoint(c.server, s.server)
        ? `same tuple ${tupleText(ct)}`
        : `client side ${tupleText(ct)}, server side ${tupleText(st)}`,
  });
  const delay = clock.toClient(at(server, b.relNs)) - at(client, a.relNs);
  ev.push({
    kind: 'timing',
    detail: `server-side SYN ${durationText(delay)} after the client-side SYN (${clock.source} clock, +-${durationText(clock.windowNs)})`,
    ...pk,
  });
  if (c.synAck && s.synAck) {
    const same = c.synAck.seq === s.synAck.seq;
    ev.push({
      kind: 'isn',
      detail: same
        ? `responder ISN ${hex32(c.synAck.seq)} on both sides`
        : `SYN-ACK seq differs: client side ${hex32(c.synAck.seq)}, server side ${hex32(s.synAck.seq)}`,
      clientPacket: c.synAck.packet,
      serverPacket: s.synAck.packet,
    });
  }
  if (kind === 'spliced' && c.synAck) {
    const answered = deviceAnsweredFirst(client, server, c, s, clock);
    ev.push({
      kind: 'timing',
      detail: `the client-side SYN-ACK (window ${c.synAck.window}) ${answered ? 'precedes' : 'is not after'} the server-side SYN: the device answered the SYN and spliced the connection`,
      clientPacket: c.synAck.packet,
      serverPacket: b.packet,
    });
  }
  for (const e of ev) e.detail = flat(e.detail);
  return ev;
}

/** Terminated (or content-paired) pairs: one per client session with links, server sessions in link order. */
export function contentPairs(
  client: SideData,
  server: SideData,
  chosen: readonly Link[],
  clock: PairClock,
): Omit<SessionPair, 'id'>[] {
  // Latencies on the final clock (the links were chosen on the one before it).
  const links = chosen.map((l) => ({
    ...l,
    latencyNs: linkLatency(client, server, l.c, l.cm, l.s, l.sm, clock),
  }));
  // Which client sessions each server session carries, to tell a pool from a one-to-one proxy.
  const carried = new Map<number, Set<number>>();
  for (const l of links) {
    let set = carried.get(l.s);
    if (!set) {
      set = new Set();
      carried.set(l.s, set);
    }
    set.add(l.c);
  }
  const out: Omit<SessionPair, 'id'>[] = [];
  let i = 0;
  while (i < links.length) {
    let j = i;
    while (j < links.length && links[j]!.c === links[i]!.c) j++;
    out.push(contentPair(client, server, links.slice(i, j), carried, clock));
    i = j;
  }
  return out;
}

function contentPair(
  client: SideData,
  server: SideData,
  links: Link[],
  carried: Map<number, Set<number>>,
  clock: PairClock,
): Omit<SessionPair, 'id'> {
  const c = client.sessions[links[0]!.c]!;
  const servers: number[] = [];
  for (const l of links) if (!servers.includes(l.s)) servers.push(l.s);
  const shared = servers.some((s) => (carried.get(s)?.size ?? 0) > 1);
  const mapping: MappingKind = servers.length > 1 ? 'per-message' : shared ? 'many-to-one' : 'one-to-one';
  const messages: MessageLink[] = links.map((l) => ({
    clientMessage: l.cm,
    serverSession: servers.indexOf(l.s),
    serverMessage: l.sm,
    similarity: l.structural ? Math.min(l.sim.score, SIZE_ONLY) : l.sim.score,
    latencyNs: Number.isFinite(l.latencyNs) ? l.latencyNs : null,
  }));
  let kind: PairKind = 'terminated';
  let seqOffsets = null;
  const only = servers.length === 1 && !shared ? server.sessions[servers[0]!]! : null;
  if (only && looksPassThrough(client, server, c, only, clock)) {
    kind = c.syn!.seq === only.syn!.seq ? 'translated' : 'seq-shifted';
    seqOffsets = seqOffsetsOf(c, only);
  } else if (only && (c.syn === null || only.syn === null) && sameNumbering(c, only)) {
    kind = sameEndpoint(c.client, only.client) && sameEndpoint(c.server, only.server) ? 'same' : 'translated';
    seqOffsets = { c2s: 0, s2c: 0 };
  }
  const withPayload = c.messages.filter((m) => m.fingerprint.bytes > 0 || m.end > m.start).length;
  const mean = messages.reduce((a, m) => a + m.similarity, 0) / messages.length;
  const coverage = withPayload > 0 ? Math.min(1, links.length / withPayload) : 1;
  const ambiguous = links.filter((l) => l.ambiguous).length;
  const certainty = 1 - (0.3 * ambiguous) / links.length;
  return {
    client: c.index,
    server: servers,
    mapping,
    kind,
    score: Math.max(0, Math.min(1, mean * (0.5 + 0.5 * coverage) * certainty)),
    evidence: contentEvidence(client, server, links, servers, mapping),
    clientTuple: tupleOf(c),
    serverTuples: servers.map((s) => tupleOf(server.sessions[s]!)),
    seqOffsets,
    messages,
  };
}

/**
 * PASS-THROUGH ORDER: a device that forwards the handshake shows the server-side SYN after the client-side
 * SYN and the server-side SYN-ACK before the client-side one, with the same bytes at the same stream
 * offsets; a terminating proxy answers the client first, so its server-side SYN comes after the
 * client-side SYN-ACK.
 */
function looksPassThrough(
  client: SideData,
  server: SideData,
  c: Session,
  s: Session,
  clock: PairClock,
): boolean {
  if (clock.source === 'coarse' || !c.syn || !s.syn || !c.synAck || !s.synAck) return false;
  const w = clock.windowNs;
  const sSyn = clock.toClient(at(server, s.syn.relNs));
  const sSynAck = clock.toClient(at(server, s.synAck.relNs));
  const cSyn = at(client, c.syn.relNs);
  const cSynAck = at(client, c.synAck.relNs);
  // The order must be shown beyond the clock's uncertainty: terminated is the default for content pairs.
  if (!(sSyn >= cSyn - w && sSyn < cSynAck - w && sSynAck <= cSynAck + w)) return false;
  let same = 0;
  forEachSameStart(c, s, () => same++);
  return same > 0 && same === Math.min(c.messages.length, s.messages.length);
}

function contentEvidence(
  client: SideData,
  server: SideData,
  links: Link[],
  servers: number[],
  mapping: MappingKind,
): Evidence[] {
  const ev: Evidence[] = [];
  const first = links[0]!;
  const pk = (l: Link) => ({
    clientPacket: client.sessions[l.c]!.messages[l.cm]!.firstPacket,
    serverPacket: server.sessions[l.s]!.messages[l.sm]!.firstPacket,
  });
  const heads = links.filter((l) => l.sim.headEqual).length;
  if (heads > 0)
    ev.push({
      kind: 'head-hash',
      detail: `${heads} of ${links.length} messages start with the same 64 bytes`,
      ...pk(first),
    });
  const chunked = links.filter((l) => l.sim.chunks > 0);
  if (chunked.some((l) => l.sim.chunksMatched > 0)) {
    const matched = chunked.reduce((a, l) => a + l.sim.chunksMatched, 0);
    const total = chunked.reduce((a, l) => a + l.sim.chunks, 0);
    ev.push({
      kind: 'chunks',
      detail: `${matched} of ${total} content chunks found on the server side`,
      ...pk(chunked[0]!),
    });
  }
  const lined = links.filter((l) => l.sim.clientLines > 0 && l.sim.serverLines > 0);
  if (lined.length > 0) {
    const edited = lined.filter((l) => l.sim.clientOnly.length > 0 || l.sim.serverOnly.length > 0);
    const common = lined.reduce((a, l) => a + l.sim.linesCommon, 0);
    const total = lined.reduce((a, l) => a + l.sim.clientLines, 0);
    let detail = `${common} of ${total} text lines found on the server side`;
    const e = edited[0];
    if (e) {
      const onlyC = e.sim.clientLines - e.sim.linesCommon;
      const onlyS = e.sim.serverLines - e.sim.linesCommon;
      detail += `; ${edited.length} message(s) edited on the way, e.g. message ${e.cm}: ${onlyC} line(s) only on the client side${hashes(e.sim.clientOnly)}, ${onlyS} only on the server side${hashes(e.sim.serverOnly)}`;
    }
    ev.push({ kind: 'lines', detail, ...pk(e ?? lined[0]!) });
  }
  const sized = links.filter((l) => l.sim.by === 'sizes');
  if (sized.length > 0) {
    ev.push({
      kind: 'sizes',
      detail: `${sized.length} message(s) without captured payload paired by size and timing only (weak evidence)`,
      ...pk(sized[0]!),
    });
  }
  const timed = links.filter(isTimingLink);
  if (timed.length > 0)
    ev.push({ kind: 'timing', detail: timingEvidenceText(timed.length), ...pk(timed[0]!) });
  const ambiguous = links.filter((l) => l.ambiguous).length;
  if (ambiguous > 0) {
    ev.push({
      kind: 'timing',
      detail: `${ambiguous} message(s) had another candidate as similar: the nearest in time was taken`,
    });
  }
  const structural = links.filter((l) => l.structural).length;
  if (structural > 0) {
    ev.push({
      kind: 'timing',
      detail: `${structural} message(s) linked as the neighbour of a linked message`,
    });
  }
  const req = links.filter((l) => client.sessions[l.c]!.messages[l.cm]!.dir === 0).map((l) => l.latencyNs);
  const resp = links.filter((l) => client.sessions[l.c]!.messages[l.cm]!.dir === 1).map((l) => l.latencyNs);
  const parts: string[] = [];
  if (req.length > 0)
    parts.push(
      `requests reach the server side ${durationText(median(req))} after the client side (median of ${req.length})`,
    );
  if (resp.length > 0)
    parts.push(
      `responses reach the client side ${durationText(median(resp))} after the server side (median of ${resp.length})`,
    );
  if (parts.length > 0) ev.push({ kind: 'timing', detail: parts.join('; ') });
  if (mapping !== 'one-to-one') {
    ev.push({
      kind: 'timing',
      detail:
        mapping === 'per-message'
          ? `messages carried by ${servers.length} server-side connections`
          : 'the server-side connection also carries other client connections (pooled)',
    });
  }
  for (const e of ev) e.detail = flat(e.detail);
  return ev;
}

function hashes(list: number[]): string {
  return list.length > 0 ? ` (line hashes ${list.map(hex32).join(', ')})` : '';
}

function median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
