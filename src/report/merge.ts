/**
 * The annotated merged pcapng (`dualcap analyze ... --merge FILE.pcapng`): both captures in one file for
 * Wireshark, interface `client-side` and interface `server-side`, server-side times mapped onto the
 * client-side clock, every packet in aligned time order with a comment saying what the device did with it
 * (merge-comments.ts has the words). docs/merged-pcapng.md is the user's guide; keep the two in sync.
 *
 * HOW: packet matching runs again over both files (it is deterministic: the same verdicts as the analysis,
 * given the same match options) and reports each TCP packet's verdict in merged order. Alongside, both
 * files are read once more and merged by aligned time exactly as matching merges them (ties: client side
 * first); each verdict pulls the merge forward up to its packet. A packet is written the moment its
 * verdict is known; one taken early (timestamps running backwards on one side) waits in a bounded reorder
 * buffer (merge-queue.ts). Memory: the buffer and the matching window, never the files.
 */
import { basename, resolve } from 'node:path';
import { openCapture } from '../capture/index.js';
import type { CaptureReader, PacketRecord } from '../capture/types.js';
import { type MatchEvent, type MatchOptions, matchPackets } from '../correlate/match.js';
import { ServerToClient } from '../correlate/match-clock.js';
import { SessionLocator } from '../correlate/match-locate.js';
import type { Correlation, SideData, UnpairedReason } from '../correlate/types.js';
import { Decoder } from '../decode/index.js';
import type { PacketView } from '../decode/types.js';
import type { Diagnosis } from '../diagnose/types.js';
import { flagNames, SessionTable } from '../tcp/index.js';
import type { Anonymizer } from './anonymize.js';
import {
  eventCode,
  messageNotes,
  type PacketVerdict,
  packetComment,
  SIDE_NAMES,
  sectionComments,
} from './merge-comments.js';
import { DECIDED, MergeQueue, WAITING } from './merge-queue.js';
import { type PacketOut, PcapngWriter } from './pcapng-writer.js';

export interface MergeOptions {
  /** Anonymize the file (addresses, MACs, payload cut, no input names or comments); see anonymize.ts. */
  anonymizer?: Anonymizer | null;
  /** Findings to name on the packets that are their evidence (behaviour and problem ids). */
  diagnosis?: Diagnosis | null;
  /** The match options the analysis used (the verdicts are computed again with them). */
  match?: Omit<MatchOptions, 'onPacket' | 'stats'>;
  /** dualcap's version, for the section header (shb_userappl "dualcap VERSION" and the first comment). */
  version?: string;
  /**
   * Name each side's own TCP analysis on its packets (retransmissions, duplicate ACKs, zero windows...;
   * docs/analysis.md), computed per input as the analysis did. Wireshark cannot do this on the merged
   * file: there a packet and its copy look like a retransmission. Costs a second session table per side
   * (without messages). Default true.
   */
  tcpAnalysis?: boolean;
  /** Reorder buffer bounds; past them the oldest waiting packet is written without its verdict. */
  maxBufferedPackets?: number;
  maxBufferedBytes?: number;
}

export interface MergeResult {
  path: string;
  /** Packets written from each input (client side, server side). */
  packets: [number, number];
  /** Packets written with a verdict from matching, and non-TCP packets. */
  verdicts: number;
  notTcp: number;
  /** Packets written without their verdict because the reorder buffer was full. */
  forced: number;
  /** Most packets held in the reorder buffer at once. */
  peakBuffered: number;
  bytes: number;
}

const DEFAULT_MAX_PACKETS = 100_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Write the merged, annotated pcapng of a correlation to `outPath`. Throws a CaptureError if an input can
 * no longer be opened; an input that ends early (reading error) ends where the analysis ended it.
 */
export function writeMergedPcapng(c: Correlation, outPath: string, opts: MergeOptions = {}): MergeResult {
  const target = resolve(outPath);
  if (target === resolve(c.client.path) || target === resolve(c.server.path)) {
    throw new Error(`${outPath}: the merged file would overwrite an input capture`);
  }
  const writer = new PcapngWriter(outPath);
  let merger: Merger | null = null;
  try {
    const anon = opts.anonymizer ?? null;
    const app = opts.version ? `dualcap ${opts.version}` : 'dualcap';
    const names: [string | null, string | null] =
      anon === null ? [basename(c.client.path), basename(c.server.path)] : [null, null];
    writer.writeSection({
      comments: sectionComments(c, names, app),
      userappl: app,
    });
    merger = new Merger(c, writer, opts);
    const m = merger;
    matchPackets(c.client.path, c.server.path, c.client, c.server, c.pairs, c.alignment, {
      ...opts.match,
      onPacket: (e) => m.onEvent(e),
    });
    merger.finish();
  } finally {
    merger?.close();
    writer.close();
  }
  return {
    path: outPath,
    packets: [merger.written[0], merger.written[1]],
    verdicts: merger.verdicts,
    notTcp: merger.notTcp,
    forced: merger.forced,
    peakBuffered: merger.queue.peak,
    bytes: writer.bytesWritten,
  };
}

/** One input read for the merge: its reader, decoder, session locator and the packet at its head. */
class MergeSide {
  readonly reader: CaptureReader;
  readonly decoder: Decoder;
  readonly locator: SessionLocator;
  head: PacketRecord | null = null;
  /** Head's time on the client clock, ns from the correlation's base second. */
  headNs = 0;
  /** Packet number of the last packet taken into the merge. */
  lastTaken = 0;
  /** Output interface of each input interface, -1 until written. */
  readonly interfaces: number[] = [];
  /** Per pass-1 session: the unpaired reason, when it has one. */
  readonly unpaired = new Map<number, UnpairedReason>();
  /** Per packet number: where the message it starts went through a terminating device. */
  notes = new Map<number, string>();
  /** Finding ids per packet number (session findings, diagnosis evidence). */
  readonly findings = new Map<number, string[]>();
  /** Queue position from which to look for this side's next verdict. */
  scan = 0;
  /** This side's TCP analysis, run again packet by packet; null when not asked for. */
  private readonly table: SessionTable | null;
  private analysisBits = 0;

  constructor(
    readonly id: 0 | 1,
    readonly data: SideData,
    private readonly toClient: ServerToClient | null,
    tcpAnalysis: boolean,
  ) {
    this.reader = openCapture(data.path);
    this.decoder = new Decoder(this.reader.anomalies);
    this.locator = new SessionLocator(data.sessions);
    this.table = tcpAnalysis
      ? new SessionTable({
          onPacket: (r) => {
            this.analysisBits = r.analysis;
          },
          // Only the per-packet analysis is wanted: keep no messages or fingerprints.
          maxMessagesPerSession: 1,
          maxChunksPerMessage: 1,
          maxChunksPerSession: 1,
          maxFindingsPerSession: 1,
          expectedSessions: Math.max(16, data.sessions.length),
        })
      : null;
  }

  /** The analysis bits of a decoded packet (0 when not TCP or not asked for). */
  analyse(v: PacketView): number {
    if (this.table === null || !v.isTcp) return 0;
    this.analysisBits = 0;
    this.table.onPacket(v);
    return this.analysisBits;
  }

  advance(): void {
    const rec = this.reader.next();
    this.head = rec;
    // A packet without a timestamp (Simple Packet Block) stays where it is: at its predecessor's time.
    if (rec === null || !rec.hasTs) return;
    const own = (rec.tsSec - this.data.baseSec) * 1e9 + rec.tsNsec + this.data.shiftNs;
    this.headNs = this.toClient === null ? own : this.toClient.map(own);
  }

  addFinding(packet: number, id: string): void {
    const list = this.findings.get(packet);
    if (list === undefined) this.findings.set(packet, [id]);
    else if (!list.includes(id)) list.push(id);
  }
}

/** The packet being written, from the reader's record or from the reorder buffer. */
interface Outgoing {
  side: 0 | 1;
  index: number;
  buf: Uint8Array;
  offset: number;
  caplen: number;
  len: number;
  interfaceId: number;
  linktype: number;
  flags: number | null;
  timeNs: number;
  isTcp: boolean;
  session: number;
  /** TCP analysis bits of this side's own analysis (tcp/flags.ts). */
  analysis: number;
  verdict: PacketVerdict | null;
  forced: boolean;
  comments: readonly string[];
}

class Merger {
  readonly sides: [MergeSide, MergeSide];
  readonly queue: MergeQueue;
  readonly written: [number, number] = [0, 0];
  verdicts = 0;
  notTcp = 0;
  forced = 0;
  private readonly anon: Anonymizer | null;
  private readonly out: PacketOut = {
    interfaceId: 0,
    tsSec: 0,
    tsNsec: 0,
    buf: new Uint8Array(0),
    offset: 0,
    caplen: 0,
    len: 0,
    comments: [],
    flags: null,
  };
  private readonly pkt: Outgoing = {
    side: 0,
    index: 0,
    buf: new Uint8Array(0),
    offset: 0,
    caplen: 0,
    len: 0,
    interfaceId: 0,
    linktype: 0,
    flags: null,
    timeNs: 0,
    isTcp: false,
    session: -1,
    analysis: 0,
    verdict: null,
    forced: false,
    comments: [],
  };
  private readonly comments: string[] = [];
  private readonly verdict: PacketVerdict = {
    event: 0,
    pair: -1,
    dir: 0,
    otherPacket: -1,
    delayNs: 0,
    changes: 0,
  };

  constructor(
    private readonly c: Correlation,
    private readonly writer: PcapngWriter,
    opts: MergeOptions,
  ) {
    this.anon = opts.anonymizer ?? null;
    this.queue = new MergeQueue(
      Math.max(1, opts.maxBufferedPackets ?? DEFAULT_MAX_PACKETS),
      Math.max(1 << 16, opts.maxBufferedBytes ?? DEFAULT_MAX_BYTES),
    );
    const analysis = opts.tcpAnalysis ?? true;
    const client = new MergeSide(0, c.client, null, analysis);
    let server: MergeSide;
    try {
      server = new MergeSide(1, c.server, new ServerToClient(c.alignment), analysis);
    } catch (e) {
      client.reader.close();
      throw e;
    }
    this.sides = [client, server];
    [client.notes, server.notes] = messageNotes(c);
    for (const u of c.unpaired) this.sides[u.side === 'client' ? 0 : 1].unpaired.set(u.session, u.reason);
    for (const side of this.sides) {
      for (const s of side.data.sessions) for (const f of s.findings) side.addFinding(f.packet, f.id);
    }
    const d = opts.diagnosis;
    if (d) {
      const items = [
        ...d.device.behaviours.flatMap((b) => b.evidence.map((e) => [b.id, e] as const)),
        ...d.problems.flatMap((p) => p.evidence.map((e) => [p.id, e] as const)),
      ];
      for (const [id, e] of items) {
        for (const n of e.clientPackets) this.sides[0].addFinding(n, id);
        for (const n of e.serverPackets) this.sides[1].addFinding(n, id);
      }
    }
    // Interfaces known at open first, so that a reader sees them all before the first packet.
    for (const side of this.sides)
      for (const ifc of side.reader.info.interfaces) this.outputInterface(side, ifc.id);
    client.advance();
    server.advance();
  }

  /** A verdict from matching: pull the merge up to its packet, attach it, write what is decided. */
  onEvent(e: MatchEvent): void {
    const x = e.side === 'client' ? 0 : 1;
    const side = this.sides[x];
    const q = this.queue;
    const n = e.packet;
    // This side's waiting packets before n get no verdict any more; n itself may be waiting.
    let p = Math.max(side.scan, q.head);
    for (; p < q.tail; p++) {
      const s = q.slot(p);
      if (q.side[s] !== x) continue;
      if (q.packet[s]! > n) break;
      if (q.packet[s] === n) {
        this.attach(s, e);
        p++;
        break;
      }
      q.state[s] = DECIDED;
    }
    side.scan = p;
    if (n > side.lastTaken) {
      for (;;) {
        const pick = this.next();
        if (pick < 0) break;
        const target = pick === x && this.sides[pick].head!.index === n;
        this.take(pick, target ? e : null, x);
        if (target || (pick === x && side.lastTaken > n)) break;
      }
      side.scan = q.tail;
    }
    this.flush();
  }

  /** Everything left, in merged order; no verdict will come any more. */
  finish(): void {
    const q = this.queue;
    for (let p = q.head; p < q.tail; p++) q.state[q.slot(p)] = DECIDED;
    this.flush();
    for (let pick = this.next(); pick >= 0; pick = this.next()) this.take(pick, null, FINAL);
    this.flush();
  }

  close(): void {
    for (const side of this.sides) side.reader.close();
  }

  /** The side whose head comes next in merged order (client first on ties, as matching merges), or -1. */
  private next(): number {
    const a = this.sides[0];
    const b = this.sides[1];
    if (a.head === null) return b.head === null ? -1 : 1;
    if (b.head === null) return 0;
    return a.headNs <= b.headNs ? 0 : 1;
  }

  /**
   * Take side x's head into the merge, while pulling towards a verdict of side `pulling` (or FINAL): write
   * it now if nothing waits before it, else queue it. Only a located TCP packet of the other side can
   * still get a verdict: matching reports each side's packets in file order.
   */
  private take(x: number, e: MatchEvent | null, pulling: number): void {
    const side = this.sides[x as 0 | 1];
    const rec = side.head!;
    const v = side.decoder.decode(rec);
    const located = v.isTcp && side.locator.locate(v);
    const session = located ? side.locator.session : -1;
    const analysis = side.analyse(v);
    side.lastTaken = rec.index;
    const waiting = e === null && located && pulling !== FINAL && x !== pulling;
    const q = this.queue;
    if (q.size === 0 && !waiting) {
      const o = this.pkt;
      o.side = x as 0 | 1;
      o.index = rec.index;
      o.buf = rec.buf;
      o.offset = rec.offset;
      o.caplen = rec.caplen;
      o.len = rec.len;
      o.interfaceId = rec.interfaceId;
      o.linktype = rec.linktype;
      o.flags = rec.flags;
      o.timeNs = side.headNs;
      o.isTcp = v.isTcp;
      o.session = session;
      o.analysis = analysis;
      o.verdict = e !== null ? this.setVerdict(e) : null;
      o.forced = false;
      o.comments = rec.comments;
      this.write(o);
    } else {
      while (q.full(rec.caplen)) this.writeFront(true);
      const s = q.push(rec.buf, rec.offset, rec.caplen);
      q.side[s] = x;
      q.packet[s] = rec.index;
      q.state[s] = waiting ? WAITING : DECIDED;
      q.timeNs[s] = side.headNs;
      q.len[s] = rec.len;
      q.interfaceId[s] = rec.interfaceId;
      q.linktype[s] = rec.linktype;
      q.flags[s] = rec.flags ?? Number.NaN;
      q.isTcp[s] = v.isTcp ? 1 : 0;
      q.session[s] = session;
      q.analysis[s] = analysis;
      if (rec.comments.length > 0 && this.anon === null) q.comments[s] = [...rec.comments];
      if (e !== null) this.attach(s, e);
    }
    side.advance();
  }

  private attach(s: number, e: MatchEvent): void {
    const q = this.queue;
    q.event[s] = eventCode(e.event);
    q.pair[s] = e.pair;
    q.dir[s] = e.dir;
    q.otherPacket[s] = e.otherPacket;
    q.delayNs[s] = e.delayNs ?? Number.NaN;
    q.changes[s] = e.changes;
    q.state[s] = DECIDED;
  }

  private setVerdict(e: MatchEvent): PacketVerdict {
    const v = this.verdict;
    v.event = eventCode(e.event);
    v.pair = e.pair;
    v.dir = e.dir;
    v.otherPacket = e.otherPacket;
    v.delayNs = e.delayNs ?? Number.NaN;
    v.changes = e.changes;
    return v;
  }

  /** Write the decided packets at the front of the reorder buffer. */
  private flush(): void {
    const q = this.queue;
    while (q.size > 0 && q.state[q.slot(q.head)] === DECIDED) this.writeFront(false);
  }

  /** Write the front packet; `force`: the buffer is full, so a waiting packet goes without its verdict. */
  private writeFront(force: boolean): void {
    const q = this.queue;
    const s = q.slot(q.head);
    const waiting = q.state[s] === WAITING;
    if (waiting && force) this.forced++;
    let verdict: PacketVerdict | null = null;
    if (q.event[s] !== 0) {
      verdict = this.verdict;
      verdict.event = q.event[s]!;
      verdict.pair = q.pair[s]!;
      verdict.dir = q.dir[s]! as 0 | 1;
      verdict.otherPacket = q.otherPacket[s]!;
      verdict.delayNs = q.delayNs[s]!;
      verdict.changes = q.changes[s]!;
    }
    const o = this.pkt;
    o.side = q.side[s]! as 0 | 1;
    o.index = q.packet[s]!;
    o.buf = q.arena;
    o.offset = q.start[s]!;
    o.caplen = q.caplen[s]!;
    o.len = q.len[s]!;
    o.interfaceId = q.interfaceId[s]!;
    o.linktype = q.linktype[s]!;
    const flags = q.flags[s]!;
    o.flags = Number.isNaN(flags) ? null : flags;
    o.timeNs = q.timeNs[s]!;
    o.isTcp = q.isTcp[s] === 1;
    o.session = q.session[s]!;
    o.analysis = q.analysis[s]!;
    o.verdict = verdict;
    o.forced = waiting;
    o.comments = q.comments[s] ?? NO_COMMENTS;
    this.write(o);
    q.pop();
  }

  private write(o: Outgoing): void {
    const side = this.sides[o.side];
    const out = this.out;
    out.interfaceId = this.outputInterface(side, o.interfaceId);
    const whole = Math.floor(o.timeNs / 1e9);
    let sec = this.c.baseSec + whole;
    let nsec = Math.round(o.timeNs - whole * 1e9);
    if (nsec >= 1e9) {
      sec++;
      nsec -= 1e9;
    }
    out.tsSec = sec;
    out.tsNsec = nsec;
    out.buf = o.buf;
    out.offset = o.offset;
    out.caplen =
      this.anon === null ? o.caplen : this.anon.anonymizePacket(o.buf, o.offset, o.caplen, o.linktype);
    out.len = o.len;
    out.flags = o.flags;
    const comments = this.comments;
    comments.length = 0;
    const unpaired = o.session >= 0 ? (side.unpaired.get(o.session) ?? null) : null;
    const note = side.notes.get(o.index);
    const findings = findingsOf(o.analysis, side.findings.get(o.index));
    comments.push(packetComment(o.side, o.index, o.isTcp, o.verdict, unpaired, findings, o.forced, note));
    if (this.anon === null)
      for (const text of o.comments) comments.push(`${SIDE_NAMES[o.side]} input: ${text}`);
    out.comments = comments;
    this.writer.writePacket(out);
    this.written[o.side]++;
    if (o.verdict !== null) this.verdicts++;
    else if (!o.isTcp) this.notTcp++;
  }

  /** The output interface of an input interface, written on first use. */
  private outputInterface(side: MergeSide, inputId: number): number {
    const known = side.interfaces[inputId];
    if (known !== undefined && known >= 0) return known;
    const info = side.reader.info.interfaces[inputId];
    let description: string | null = null;
    if (this.anon === null) {
      const inputName = info?.name ? `, interface ${info.name}` : '';
      description = `${side.id === 0 ? 'client' : 'server'}-side capture ${basename(side.data.path)}${inputName}`;
    }
    const id = this.writer.addInterface({
      linktype: info?.linktype ?? 1,
      snaplen: info?.snaplen ?? 0,
      name: SIDE_NAMES[side.id],
      description,
      // Anonymized frames end at their transport header: their FCS is cut with the payload.
      fcsLen: this.anon === null ? (info?.fcsLen ?? null) : null,
    });
    side.interfaces[inputId] = id;
    return id;
  }
}

/** The analysis flags' ids, then the other findings not already among them. */
function findingsOf(bits: number, others: readonly string[] | undefined): readonly string[] | undefined {
  if (bits === 0) return others;
  const ids = flagNames(bits);
  if (others !== undefined) for (const id of others) if (!ids.includes(id)) ids.push(id);
  return ids;
}

/** `take`'s "pulling" value once matching is over. */
const FINAL = 2;
const NO_COMMENTS: readonly string[] = [];
