/**
 * The table of pairs (and the list of unpaired connections) of the HTML report. A browser lays out a table of
 * 100,000 rows in many seconds (toolchain measurement: 16.7 s for a 9.6 MiB page), so the table holds at most
 * `maxRows` rows: the pairs with findings first (errors, then warnings, then notes), then the others in id
 * order; a note says how many the JSON report has beyond them. Cells carry data-v with the raw number the
 * script sorts on.
 */
import { html, joinHtml, type SafeHtml } from './html-escape.js';
import { durationText } from './html-plots.js';
import type { Report, ReportDelay, ReportFinding, ReportPair, ReportUnpaired } from './report-schema.js';

export const DEFAULT_TABLE_ROWS = 2000;
export const DEFAULT_UNPAIRED_ROWS = 500;
/** Finding texts put into a cell's hover text. */
const TITLE_FINDINGS = 3;
const TITLE_CHARS = 400;

const SEVERITY_RANK = { error: 0, warning: 1, note: 2 } as const;

export function tupleText(t: readonly [string, number, string, number]): string {
  const ep = (a: string, p: number) => (a.includes(':') ? `[${a}]:${p}` : `${a}:${p}`);
  return `${ep(t[0], t[1])} \u2192 ${ep(t[2], t[3])}`;
}

function worstSeverity(findings: ReportFinding[]): number {
  let worst: number = 3;
  for (const f of findings) worst = Math.min(worst, SEVERITY_RANK[f.severity]);
  return worst;
}

/** The pairs the table shows: findings first (most severe first), then by id; at most `max`. */
export function tablePairs(report: Report, max: number): ReportPair[] {
  const ranked = report.pairs.map((p, i) => ({ p, i, rank: worstSeverity(p.findings) }));
  ranked.sort((a, b) => a.rank - b.rank || a.p.id - b.p.id || a.i - b.i);
  return ranked.slice(0, max).map((r) => r.p);
}

function clip(text: string): string {
  return text.length > TITLE_CHARS ? `${text.slice(0, TITLE_CHARS)}...` : text;
}

function latencyCell(d: ReportDelay, source: string): SafeHtml {
  if (d.count === 0 || d.p50Ns === null) return html`<td class="num" data-v="">\u2013</td>`;
  const title = `${source === 'messages' ? 'first-byte latency of messages' : 'transit delay'}: p50 ${durationText(d.p50Ns)}, p99 ${durationText(d.p99Ns)}, max ${durationText(d.maxNs)} (${d.count})`;
  return html`<td class="num" data-v="${d.p50Ns}" title="${title}">${durationText(d.p50Ns)}</td>`;
}

function findingTags(findings: ReportFinding[]): SafeHtml {
  const byId = new Map<string, { severity: ReportFinding['severity']; n: number; texts: string[] }>();
  for (const f of findings) {
    const e = byId.get(f.id) ?? { severity: f.severity, n: 0, texts: [] };
    e.n++;
    if (SEVERITY_RANK[f.severity] < SEVERITY_RANK[e.severity]) e.severity = f.severity;
    if (e.texts.length < TITLE_FINDINGS) e.texts.push(clip(f.text));
    byId.set(f.id, e);
  }
  return joinHtml(
    [...byId.entries()].map(
      ([id, e]) =>
        html`<span class="tag ${e.severity}" title="${e.texts.join('\n\n')}">${id}${e.n > 1 ? ` \u00d7${e.n}` : ''}</span>`,
    ),
  );
}

function pairRow(p: ReportPair, ladders: Map<string, string>): SafeHtml {
  const rank = worstSeverity(p.findings);
  const cls = rank === 0 ? 'has-error' : rank === 1 ? 'has-warning' : '';
  const servers = p.server.map((s) => tupleText(s.tuple));
  const c = p.packets.c2s;
  const s = p.packets.s2c;
  const dropped = c.dropped + s.dropped;
  const injected = c.injected + s.injected;
  const ladder = ladders.get(`p${p.id}`);
  return html`<tr class="${cls}"><td class="num" data-v="${p.id}">${ladder ? html`<a href="#${ladder}" title="ladder diagram of this pair">${p.id}</a>` : p.id}</td><td class="tuple">${tupleText(p.client.tuple)}</td><td class="tuple">${servers.length === 0 ? '\u2013' : joinHtml(servers, '<br>')}</td><td class="word">${p.mapping}</td><td class="word">${p.kind}</td>${latencyCell(p.latency.c2s, p.latency.source)}${latencyCell(p.latency.s2c, p.latency.source)}<td class="num" data-v="${c.matched + s.matched}">${c.matched + s.matched}</td><td class="num" data-v="${dropped}">${dropped}</td><td class="num" data-v="${injected}">${injected}</td><td>${findingTags(p.findings)}</td></tr>`;
}

/** The pairs table with its filter box and the note on rows left out. */
export function pairsTable(report: Report, maxRows: number, ladders: Map<string, string>): SafeHtml {
  const shown = tablePairs(report, maxRows);
  const total = report.pairs.length;
  if (total === 0)
    return html`<p class="muted">No pairs: no client-side connection was related to a server-side one.</p>`;
  const note =
    shown.length < total
      ? html`<p class="note">Showing ${shown.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} pairs: those with findings first, then in id order. The JSON report (<span class="mono">--format json</span>) has every pair.</p>`
      : '';
  return html`<div class="toolbar"><input type="search" id="pairs-filter" placeholder="Filter: address, port, kind, finding..." aria-label="filter pairs" autocomplete="off"><span id="pairs-count" class="muted small">${shown.length} rows</span></div>${note}<div class="tablewrap"><table id="pairs-table"><thead><tr><th class="num" data-sort="num">pair</th><th data-sort="text">client side</th><th data-sort="text">server side</th><th data-sort="text">mapping</th><th data-sort="text">kind</th><th class="num" data-sort="num" title="median added latency, client to server">c\u2192s<br>latency</th><th class="num" data-sort="num" title="median added latency, server to client">s\u2192c<br>latency</th><th class="num" data-sort="num">matched</th><th class="num" data-sort="num">dropped</th><th class="num" data-sort="num">injected</th><th data-sort="text">findings</th></tr></thead><tbody>${joinHtml(
    shown.map((p) => pairRow(p, ladders)),
  )}</tbody></table></div>`;
}

function unpairedRow(side: string, u: ReportUnpaired, ladders: Map<string, string>): SafeHtml {
  const ladder = side === 'client' ? ladders.get(`c${u.session}`) : undefined;
  return html`<tr><td>${side} side</td><td class="num">${ladder ? html`<a href="#${ladder}">${u.session}</a>` : u.session}</td><td class="tuple">${tupleText(u.tuple)}</td><td>${u.reason}</td><td>${u.detail}</td></tr>`;
}

/** Connections without a counterpart, both sides, at most `maxRows`. */
export function unpairedTable(report: Report, maxRows: number, ladders: Map<string, string>): SafeHtml {
  const all = [
    ...report.unpaired.client.map((u) => ['client', u] as const),
    ...report.unpaired.server.map((u) => ['server', u] as const),
  ];
  if (all.length === 0) return html`<p class="muted">Every connection on either side is paired.</p>`;
  const shown = all.slice(0, maxRows);
  return html`<table><thead><tr><th>side</th><th class="num">session</th><th>connection</th><th>reason</th><th>detail</th></tr></thead><tbody>${joinHtml(
    shown.map(([side, u]) => unpairedRow(side, u, ladders)),
  )}</tbody></table>${
    shown.length < all.length
      ? html`<p class="note">Showing ${shown.length} of ${all.length} unpaired connections; the JSON report has every one.</p>`
      : ''
  }`;
}
