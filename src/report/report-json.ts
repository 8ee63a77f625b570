/**
 * The JSON report (schema "dualcap.report/1", report-schema.ts): everything correlation found and what
 * diagnosis concluded, in one document built by one function. The text report renders this document, so
 * the two never disagree. docs/report-schema.md documents every field.
 */

import { formatTs, fromRelNs } from '../common/time.js';
import type {
  Correlation,
  DelayStats,
  PairMatch,
  SessionPair,
  Side,
  SideData,
  Tuple,
  Unpaired,
} from '../correlate/types.js';
import type { Diagnosis, EvidenceItem, Problem } from '../diagnose/types.js';
import type { Session } from '../tcp/index.js';
import {
  type DirectionCounts,
  REPORT_SCHEMA,
  type Report,
  type ReportConnection,
  type ReportDelay,
  type ReportFinding,
  type ReportInput,
  type ReportPair,
  type ReportUnpaired,
} from './report-schema.js';

export interface ReportTool {
  name: string;
  version: string;
}

/** A nanosecond value for JSON: whole, or null when infinite, NaN or beyond 2^53 (see report-schema.ts). */
export function nsJson(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  const r = Math.round(v);
  return Number.isSafeInteger(r) ? r : null;
}

function tupleJson(t: Tuple): [string, number, string, number] {
  return [t.srcIp, t.srcPort, t.dstIp, t.dstPort];
}

function startOf(s: Session): string {
  return formatTs(s.startSec, s.startNsec);
}

function connection(side: SideData, index: number, tuple: Tuple): ReportConnection {
  const s = side.sessions[index];
  return {
    session: index,
    tuple: tupleJson(tuple),
    isn: s?.syn ? s.syn.seq >>> 0 : null,
    start: s ? startOf(s) : formatTs(side.baseSec, 0),
  };
}

function inputJson(side: SideData): ReportInput {
  const { info } = side;
  const timed = side.packets > 0;
  const at = (relNs: number) => {
    const t = fromRelNs(side.baseSec, relNs);
    return formatTs(t.sec, t.nsec);
  };
  return {
    side: side.side,
    path: side.path,
    format: info.compression === 'none' ? info.format : `${info.format} (${info.compression})`,
    packets: side.packets,
    tcpPackets: side.tcpPackets,
    first: timed ? at(side.firstRelNs) : null,
    last: timed ? at(side.lastRelNs) : null,
    resolutionNs: side.resolutionNs,
    anomalies: side.anomalies
      .list()
      .map((a) => ({ id: a.id, severity: a.severity, count: a.count, text: a.text })),
    error: side.error ? side.error.message : null,
  };
}

function delayJson(d: DelayStats): ReportDelay {
  if (d.count === 0) return { count: 0, minNs: null, p50Ns: null, p99Ns: null, maxNs: null };
  return {
    count: d.count,
    minNs: nsJson(d.minNs),
    p50Ns: nsJson(d.p50Ns),
    p99Ns: nsJson(d.p99Ns),
    maxNs: nsJson(d.maxNs),
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function delayOf(values: number[]): DelayStats {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { count: 0, minNs: 0, p50Ns: 0, p99Ns: 0, maxNs: 0 };
  return {
    count: sorted.length,
    minNs: sorted[0]!,
    p50Ns: percentile(sorted, 50),
    p99Ns: percentile(sorted, 99),
    maxNs: sorted[sorted.length - 1]!,
  };
}

function latencyJson(pair: SessionPair, m: PairMatch | undefined): ReportPair['latency'] {
  if (m === undefined) return { source: 'none', c2s: delayJson(delayOf([])), s2c: delayJson(delayOf([])) };
  if (pair.kind !== 'terminated' && m.delay[0].count + m.delay[1].count > 0)
    return { source: 'packets', c2s: delayJson(m.delay[0]), s2c: delayJson(m.delay[1]) };
  const links = m.timing.links;
  if (links.length > 0) {
    return {
      source: 'messages',
      c2s: delayJson(delayOf(links.filter((l) => l.dir === 0).map((l) => l.firstByteNs))),
      s2c: delayJson(delayOf(links.filter((l) => l.dir === 1).map((l) => l.firstByteNs))),
    };
  }
  return { source: 'none', c2s: delayJson(delayOf([])), s2c: delayJson(delayOf([])) };
}

function translationJson(pair: SessionPair, m: PairMatch | undefined): ReportPair['translation'] {
  const c = pair.clientTuple;
  const s = pair.serverTuples[0];
  const text = (a: string, b: string) => (s !== undefined && a !== b ? { from: a, to: b } : null);
  const num = (a: number, b: number) => (s !== undefined && a !== b ? { from: a, to: b } : null);
  return {
    srcAddress: s ? text(c.srcIp, s.srcIp) : null,
    dstAddress: s ? text(c.dstIp, s.dstIp) : null,
    srcPort: s ? num(c.srcPort, s.srcPort) : null,
    dstPort: s ? num(c.dstPort, s.dstPort) : null,
    seqOffset: pair.seqOffsets ? { c2s: pair.seqOffsets.c2s >>> 0, s2c: pair.seqOffsets.s2c >>> 0 } : null,
    fieldChanges: (m?.changes ?? []).map((f) => ({
      field: f.field,
      dir: f.dir === 0 ? 'c2s' : 's2c',
      count: f.count,
      delta: f.delta,
      clientPacket: f.clientPacket,
      serverPacket: f.serverPacket,
      detail: f.detail,
    })),
  };
}

function evidenceJson(e: EvidenceItem): ReportFinding['evidence'][number] {
  return {
    pair: e.pair,
    clientPackets: [...e.clientPackets],
    serverPackets: [...e.serverPackets],
    values: { ...e.values },
    text: e.text,
  };
}

function union(lists: number[][]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

export function problemJson(p: Problem): ReportFinding {
  return {
    id: p.id,
    severity: p.severity,
    text: p.text,
    pair: p.pair,
    clientSession: p.clientSession,
    serverSession: p.serverSession,
    clientPackets: union(p.evidence.map((e) => e.clientPackets)),
    serverPackets: union(p.evidence.map((e) => e.serverPackets)),
    evidence: p.evidence.map(evidenceJson),
  };
}

/** TCP analysis findings of one session (handshake rules), as report findings. */
function sessionFindings(
  side: Side,
  sessions: Session[],
  index: number,
  pair: number | null,
): ReportFinding[] {
  const s = sessions[index];
  if (s === undefined) return [];
  return s.findings.map((f) => ({
    id: f.id,
    severity: 'warning' as const,
    text: `${side} side, session ${index}: ${f.detail}`,
    pair,
    clientSession: side === 'client' ? index : null,
    serverSession: side === 'server' ? index : null,
    clientPackets: side === 'client' ? [f.packet] : [],
    serverPackets: side === 'server' ? [f.packet] : [],
    evidence: [],
  }));
}

/** Dropped and injected packets of a pair, one finding per event kind and direction, with the examples. */
function matchFindings(pair: SessionPair, m: PairMatch): ReportFinding[] {
  const out: ReportFinding[] = [];
  const kinds = [
    ['dropped', m.dropped, 'packet.dropped', 'present upstream, never downstream'],
    ['injected', m.injected, 'packet.injected', 'present downstream without an upstream original'],
  ] as const;
  for (const [event, counts, id, meaning] of kinds) {
    for (const dir of [0, 1] as const) {
      const n = counts[dir];
      if (n === 0) continue;
      const examples = m.examples.filter((e) => e.event === event && e.dir === dir);
      const dirText = dir === 0 ? 'client to server' : 'server to client';
      out.push({
        id,
        severity: event === 'dropped' ? 'warning' : 'note',
        text: `${n} ${dirText} packet(s) ${event} (${meaning})${
          examples.length > 0
            ? `: ${examples.map((e) => `${e.side} side #${e.packet} ${e.detail}`).join('; ')}`
            : ''
        }`,
        pair: pair.id,
        clientSession: pair.client,
        serverSession: pair.server[0] ?? null,
        clientPackets: examples.filter((e) => e.side === 'client').map((e) => e.packet),
        serverPackets: examples.filter((e) => e.side === 'server').map((e) => e.packet),
        evidence: [],
      });
    }
  }
  return out;
}

function emptyCounts(): DirectionCounts {
  return { matched: 0, dropped: 0, injected: 0, answered: 0, outside: 0 };
}

function addCounts(into: DirectionCounts, m: PairMatch, dir: 0 | 1): DirectionCounts {
  into.matched += m.matched[dir];
  into.dropped += m.dropped[dir];
  into.injected += m.injected[dir];
  into.answered += m.answered[dir];
  into.outside += m.outside[dir];
  return into;
}

function pairJson(
  c: Correlation,
  pair: SessionPair,
  m: PairMatch | undefined,
  problems: Problem[],
): ReportPair {
  const findings: ReportFinding[] = [
    ...problems.filter((p) => p.pair === pair.id).map(problemJson),
    ...(m ? matchFindings(pair, m) : []),
    ...sessionFindings('client', c.client.sessions, pair.client, pair.id),
    ...pair.server.flatMap((s) => sessionFindings('server', c.server.sessions, s, pair.id)),
  ];
  return {
    id: pair.id,
    client: connection(c.client, pair.client, pair.clientTuple),
    server: pair.server.map((s, i) => connection(c.server, s, pair.serverTuples[i] ?? pair.clientTuple)),
    mapping: pair.mapping,
    kind: pair.kind,
    score: pair.score,
    evidence: pair.evidence.map((e) => ({
      kind: e.kind,
      detail: e.detail,
      clientPacket: e.clientPacket ?? null,
      serverPacket: e.serverPacket ?? null,
    })),
    latency: latencyJson(pair, m),
    translation: translationJson(pair, m),
    packets: {
      c2s: m ? addCounts(emptyCounts(), m, 0) : emptyCounts(),
      s2c: m ? addCounts(emptyCounts(), m, 1) : emptyCounts(),
    },
    findings,
  };
}

function unpairedJson(c: Correlation, u: Unpaired): ReportUnpaired {
  const side = u.side === 'client' ? c.client : c.server;
  return {
    ...connection(side, u.session, u.tuple),
    isn: u.isn === null ? null : u.isn >>> 0,
    reason: u.reason,
    detail: u.detail,
  };
}

/** The whole report. Pure: reads the correlation and diagnosis, changes neither. */
export function buildReport(c: Correlation, d: Diagnosis, tool: ReportTool): Report {
  const matchByPair = new Map<number, PairMatch>();
  for (const m of c.matches) matchByPair.set(m.pair, m);
  const totals = { c2s: emptyCounts(), s2c: emptyCounts() };
  for (const m of c.matches) {
    addCounts(totals.c2s, m, 0);
    addCounts(totals.s2c, m, 1);
  }
  const terminated: [number, number] = [0, 0];
  for (const p of c.pairs) {
    if (p.kind !== 'terminated') continue;
    terminated[0] += c.client.sessions[p.client]?.packets ?? 0;
    for (const s of p.server) terminated[1] += c.server.sessions[s]?.packets ?? 0;
  }
  const a = c.alignment;
  return {
    schema: REPORT_SCHEMA,
    tool: { name: tool.name, version: tool.version },
    inputs: [inputJson(c.client), inputJson(c.server)],
    alignment: {
      offsetNs: nsJson(a.offsetNs),
      skewPpm: Number.isFinite(a.skewPpm) ? a.skewPpm : 0,
      boundNs: nsJson(a.boundNs),
      method: a.method,
      skewEstimated: a.skewEstimated,
      oneSided: a.oneSided,
      segments: a.segments.length,
      constraints: { ...a.constraints },
      warnings: a.warnings.map((w) => ({ id: w.id, text: w.text })),
    },
    device: {
      kind: d.device.kind,
      kindReason: d.device.kindReason,
      summary: d.device.summary,
      behaviours: d.device.behaviours.map((b) => ({
        id: b.id,
        confidence: b.confidence,
        count: b.count,
        detail: b.detail,
        evidence: b.evidence.map(evidenceJson),
      })),
      undecided: d.device.undecided.map((u) => ({ id: u.id, reason: u.reason })),
    },
    pairs: c.pairs.map((p) => pairJson(c, p, matchByPair.get(p.id), d.problems)),
    unpaired: {
      client: c.unpaired.filter((u) => u.side === 'client').map((u) => unpairedJson(c, u)),
      server: c.unpaired.filter((u) => u.side === 'server').map((u) => unpairedJson(c, u)),
    },
    packets: { ...totals, terminated },
    findings: [
      ...d.problems.map(problemJson),
      ...c.warnings.map((w) => ({
        id: w.id,
        severity: 'warning' as const,
        text: w.text,
        pair: null,
        clientSession: null,
        serverSession: null,
        clientPackets: [],
        serverPackets: [],
        evidence: [],
      })),
    ],
  };
}
