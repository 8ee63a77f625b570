/**
 * The text report of `dualcap analyze`: the verdict paragraph, the inputs and clocks, each behaviour with
 * its count and one to three example pairs, the problems with their packets on each side, then the
 * side-by-side views. It renders the JSON report (report-json.ts) and nothing else, so text and JSON
 * always say the same. Lines stay within 120 columns except where a value alone is longer.
 */
import type { PairDetail } from '../correlate/detail.js';
import type { Report, ReportDelay, ReportFinding, ReportPair, ReportUnpaired } from './report-schema.js';
import { renderSideBySide, shortDuration } from './report-side-by-side.js';
import type { ViewChoice } from './report-views.js';
import { wrap } from './report-wrap.js';

export { TEXT_WIDTH, wrap } from './report-wrap.js';

/** Unpaired connections listed by name (the rest are counted). */
const MAX_UNPAIRED_LISTED = 5;
/** Which unpaired connections are listed first: those that say most about the device. */
const REASON_ORDER: Record<ReportUnpaired['reason'], number> = {
  'never-forwarded': 0,
  'device-generated': 1,
  'no-match': 2,
  'outside-other-capture': 3,
};
/** Example pairs per behaviour. */
const MAX_BEHAVIOUR_EXAMPLES = 2;
/** Packet numbers listed per side in a problem. */
const MAX_PACKETS_LISTED = 12;

export interface TextView {
  choice: ViewChoice;
  detail: PairDetail;
}

export interface TextOptions {
  raw: boolean;
  /** Rows per side-by-side view (null: all collected). */
  maxRows: number | null;
  /** Base second of the correlation (views count client-clock time from it). */
  baseSec: number;
}

function tupleText(t: [string, number, string, number]): string {
  const ep = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
  return `${ep(t[0], t[1])} -> ${ep(t[2], t[3])}`;
}

function nsText(v: number | null): string {
  return v === null ? 'unbounded' : shortDuration(v).replace(/^\+/, '');
}

function packetList(prefix: string, packets: number[]): string {
  if (packets.length === 0) return `${prefix}: none`;
  const shown = packets.slice(0, MAX_PACKETS_LISTED).map((p) => `#${p}`);
  const more = packets.length > MAX_PACKETS_LISTED ? ` and ${packets.length - MAX_PACKETS_LISTED} more` : '';
  return `${prefix}: ${shown.join(' ')}${more}`;
}

function inputs(r: Report, out: string[]): void {
  out.push('Inputs');
  for (const i of r.inputs) {
    const span = i.first && i.last ? `, ${i.first} to ${i.last}` : '';
    out.push(`  ${i.side} side: ${i.path}`);
    out.push(...wrap(`${i.format}, ${i.packets} packets (${i.tcpPackets} TCP)${span}`, '    '));
    for (const a of i.anomalies)
      if (a.severity !== 'note') out.push(`    ${a.severity} ${a.id}: ${a.count} (${a.text})`);
    if (i.error) out.push(...wrap(`read stopped early: ${i.error}`, '    '));
  }
}

function clocks(r: Report, out: string[]): void {
  const a = r.alignment;
  out.push('Clocks');
  if (a.offsetNs === null) {
    out.push('  not aligned: no connection relates the two captures');
  } else {
    const sign = a.offsetNs < 0 ? '-' : '+';
    const skew = a.skewEstimated ? `skew ${a.skewPpm.toFixed(3)} ppm` : 'skew not estimated';
    out.push(
      ...wrap(
        `server-side time ${sign} ${nsText(Math.abs(a.offsetNs))} = client-side time; ${skew}; bound +-${nsText(a.boundNs)}; ` +
          `method ${a.method}, ${a.constraints.used} timing constraints used, ${a.constraints.rejected} rejected`,
        '  ',
      ),
    );
  }
  for (const w of a.warnings) out.push(...wrap(`note ${w.id}: ${w.text}`, '  '));
}

function delayText(d: ReportDelay): string {
  return d.count === 0 ? 'none' : `p50 ${nsText(d.p50Ns)}, p99 ${nsText(d.p99Ns)}, max ${nsText(d.maxNs)}`;
}

function connections(r: Report, out: string[]): void {
  out.push('Connections');
  const kinds = new Map<string, number>();
  for (const p of r.pairs)
    kinds.set(`${p.kind} ${p.mapping}`, (kinds.get(`${p.kind} ${p.mapping}`) ?? 0) + 1);
  const kindText = [...kinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
  out.push(
    ...wrap(
      `${r.pairs.length} pairs${kindText ? ` (${kindText})` : ''}; unpaired: ${r.unpaired.client.length} client side, ${r.unpaired.server.length} server side`,
      '  ',
    ),
  );
  const dirLine = (name: string, d: Report['packets']['c2s']) =>
    `  ${name}: ${d.matched} matched, ${d.dropped} dropped, ${d.injected} injected` +
    (d.answered > 0 ? `, ${d.answered} answered by the device` : '') +
    (d.outside > 0 ? `, ${d.outside} outside the other capture` : '');
  if (r.packets.c2s.matched + r.packets.s2c.matched + r.packets.c2s.dropped + r.packets.s2c.dropped > 0) {
    out.push(dirLine('packets client to server', r.packets.c2s));
    out.push(dirLine('packets server to client', r.packets.s2c));
  }
  const [tc, ts] = r.packets.terminated;
  if (tc + ts > 0)
    out.push(
      ...wrap(
        `packets of terminated connections: ${tc} client side, ${ts} server side (related by content, not one to one)`,
        '  ',
      ),
    );
  const worst = worstLatency(r.pairs);
  if (worst !== null)
    out.push(`  highest added delay: pair ${worst.pair.id} ${worst.dir}: ${delayText(worst.delay)}`);
  const unpaired = [
    ...r.unpaired.client.map((u) => ['client', u] as const),
    ...r.unpaired.server.map((u) => ['server', u] as const),
  ];
  if (unpaired.length > MAX_UNPAIRED_LISTED) {
    const counts = new Map<string, number>();
    for (const [side, u] of unpaired)
      counts.set(`${side} side ${u.reason}`, (counts.get(`${side} side ${u.reason}`) ?? 0) + 1);
    out.push(...wrap(`unpaired by reason: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}`, '  '));
  }
  // A stable sort keeps time order within a reason.
  unpaired.sort((a, b) => REASON_ORDER[a[1].reason] - REASON_ORDER[b[1].reason]);
  for (const [side, u] of unpaired.slice(0, MAX_UNPAIRED_LISTED)) out.push(...unpairedLines(side, u));
  if (unpaired.length > MAX_UNPAIRED_LISTED)
    out.push(`  ... ${unpaired.length - MAX_UNPAIRED_LISTED} more unpaired (all of them in --format json)`);
}

function unpairedLines(side: string, u: ReportUnpaired): string[] {
  return wrap(
    `unpaired ${side}-side session ${u.session} ${tupleText(u.tuple)} at ${u.start} (${u.reason}): ${u.detail}`,
    '  ',
  );
}

function worstLatency(pairs: ReportPair[]): { pair: ReportPair; dir: string; delay: ReportDelay } | null {
  let best: { pair: ReportPair; dir: string; delay: ReportDelay } | null = null;
  for (const p of pairs) {
    for (const dir of ['c2s', 's2c'] as const) {
      const d = p.latency[dir];
      if (d.count === 0 || d.p99Ns === null) continue;
      if (best === null || (best.delay.p99Ns ?? 0) < d.p99Ns) best = { pair: p, dir, delay: d };
    }
  }
  return best;
}

function behaviours(r: Report, out: string[]): void {
  out.push('Behaviours');
  if (r.device.behaviours.length === 0) out.push('  none decided');
  for (const b of r.device.behaviours) {
    out.push(`  ${b.id} (count ${b.count}, confidence ${b.confidence.toFixed(2)})`);
    out.push(...wrap(b.detail, '    '));
    for (const e of b.evidence.slice(0, MAX_BEHAVIOUR_EXAMPLES)) {
      const where = [
        e.pair !== null ? `pair ${e.pair}` : 'capture-wide',
        e.clientPackets.length > 0 ? `client ${e.clientPackets.map((p) => `#${p}`).join(' ')}` : '',
        e.serverPackets.length > 0 ? `server ${e.serverPackets.map((p) => `#${p}`).join(' ')}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      out.push(...wrap(`e.g. ${where}: ${e.text}`, '      '));
    }
  }
  if (r.device.undecided.length > 0) {
    out.push('Undecided');
    for (const u of r.device.undecided) out.push(...wrap(`${u.id}: ${u.reason}`, '  '));
  }
}

function problems(r: Report, out: string[]): void {
  out.push('Problems');
  const list: ReportFinding[] = [...r.findings];
  if (list.length === 0) out.push('  none found');
  for (const f of list) {
    out.push(...wrap(`${f.severity} ${f.id}: ${f.text}`, '  '));
    const where = [
      f.pair !== null ? `pair ${f.pair}` : '',
      f.clientSession !== null ? `client-side session ${f.clientSession}` : '',
      f.serverSession !== null ? `server-side session ${f.serverSession}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    if (where) out.push(`    ${where}`);
    if (f.clientPackets.length + f.serverPackets.length > 0) {
      out.push(`    ${packetList('client side', f.clientPackets)}`);
      out.push(`    ${packetList('server side', f.serverPackets)}`);
    }
  }
}

function viewTitle(r: Report, v: TextView): string[] {
  const c = v.choice;
  if (c.pair !== null) {
    const p = r.pairs.find((x) => x.id === c.pair);
    if (p) {
      const lines = [`Pair ${p.id} (${p.kind}, ${p.mapping}; shown for ${c.reason})`];
      lines.push(`  client side: session ${p.client.session} ${tupleText(p.client.tuple)}`);
      for (const s of p.server) lines.push(`  server side: session ${s.session} ${tupleText(s.tuple)}`);
      return lines;
    }
  }
  const lines = [`Connection without a pair (shown for ${c.reason})`];
  for (const s of c.clientSessions) {
    const u = r.unpaired.client.find((x) => x.session === s);
    lines.push(`  client side: session ${s}${u ? ` ${tupleText(u.tuple)} (${u.reason})` : ''}`);
  }
  for (const s of c.serverSessions) {
    const u = r.unpaired.server.find((x) => x.session === s);
    lines.push(`  server side: session ${s}${u ? ` ${tupleText(u.tuple)} (${u.reason})` : ''}`);
  }
  if (c.serverSessions.length === 0) lines.push('  server side: no connection');
  return lines;
}

/** The whole text report. `views` are the side-by-side views, in order. */
export function renderReportText(r: Report, views: TextView[], opts: TextOptions): string {
  const out: string[] = [];
  out.push(`${r.tool.name} ${r.tool.version} report`);
  out.push('');
  out.push(`Verdict: ${r.device.kind}`);
  out.push(...wrap(r.device.summary, '  '));
  if (r.device.kindReason) out.push(...wrap(`Why: ${r.device.kindReason}`, '  '));
  out.push('');
  inputs(r, out);
  out.push('');
  clocks(r, out);
  out.push('');
  connections(r, out);
  out.push('');
  behaviours(r, out);
  out.push('');
  problems(r, out);
  for (const v of views) {
    out.push('');
    out.push(...renderSideBySide(v.detail, viewTitle(r, v), opts));
  }
  return `${out.join('\n')}\n`;
}
