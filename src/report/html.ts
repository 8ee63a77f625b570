/**
 * The HTML report of `dualcap analyze --format html`: one self-contained file that renders the JSON report
 * (report-json.ts) and the per-packet details of a few connections as a page: the verdict and behaviours,
 * the problems, the clock alignment, latency and loss at a glance, a ladder diagram per chosen connection, and
 * a sortable, filterable table of the pairs. docs/html-report.md describes the page.
 *
 * Self-contained and inert: inline CSS, script and SVG, nothing fetched (no fonts, images or scripts from
 * anywhere), and a Content-Security-Policy that refuses everything except the page's own style and script
 * blocks, allowed by their SHA-256 hashes. Inline event handlers and injected scripts therefore cannot run
 * even if markup got in; and none gets in, because every value reaches the page through the escaping
 * template (html-escape.ts).
 */
import { createHash } from 'node:crypto';
import { collectDetails, DEFAULT_DETAIL_PACKETS, type PairDetail } from '../correlate/detail.js';
import type { Correlation } from '../correlate/index.js';
import type { MatchOptions } from '../correlate/match.js';
import { html, joinHtml, type SafeHtml, trusted } from './html-escape.js';
import { collectPacketExtras, noExtras, type PacketExtras } from './html-extras.js';
import { renderLadder } from './html-ladder.js';
import { alignmentPlot, clockPoints, directionBars, durationText, latencyPlot } from './html-plots.js';
import { REPORT_SCRIPT } from './html-script.js';
import { REPORT_CSS } from './html-style.js';
import {
  DEFAULT_TABLE_ROWS,
  DEFAULT_UNPAIRED_ROWS,
  pairsTable,
  tupleText,
  unpairedTable,
} from './html-table.js';
import type { Report, ReportFinding } from './report-schema.js';
import { defaultViews, type ViewChoice, viewOfPair } from './report-views.js';

/** Connections drawn as ladders by default. */
export const HTML_LADDERS = 6;
/** Rows per ladder; a longer connection is cut with a note (the text report's --pair view shows all). */
export const DEFAULT_LADDER_ROWS = 300;
/** Problems listed at the top (the JSON has all). */
const MAX_PROBLEMS = 40;
const MAX_PACKETS_LISTED = 12;

export interface HtmlOptions {
  /** Base second of the correlation (the details' client-clock times count from it). */
  baseSec: number;
  /** Payload snippets and comments shown on hover in the ladders. */
  extras?: PacketExtras;
  /** Rows of the pairs table (default 2,000). */
  maxTableRows?: number;
  /** Rows per ladder diagram (default 300). */
  maxLadderRows?: number;
}

const SEVERITY_ORDER = { error: 0, warning: 1, note: 2 } as const;

/** The CSP source of an inline block: its SHA-256, as the policy spells it. */
export function hashSource(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The page's policy: nothing from anywhere, except its own style and script blocks by hash. */
export function contentSecurityPolicy(style: string, script: string): string {
  return [
    "default-src 'none'",
    `style-src ${hashSource(style)}`,
    `script-src ${hashSource(script)}`,
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The connections the HTML report draws: the text report's default views (problems first, a connection never
 * forwarded, a pair with drops), then one example pair per behaviour, then the first pairs, up to `max`.
 */
export function htmlViews(report: Report, max = HTML_LADDERS): ViewChoice[] {
  const out = defaultViews(report, max);
  const key = (v: ViewChoice) => (v.pair !== null ? `p${v.pair}` : `c${v.clientSessions.join(',')}`);
  const seen = new Set(out.map(key));
  const addPair = (id: number, reason: string) => {
    if (out.length >= max) return;
    const v = viewOfPair(report, id);
    if (v === null || seen.has(key(v))) return;
    seen.add(key(v));
    out.push({ ...v, reason });
  };
  for (const b of report.device.behaviours) {
    const e = b.evidence.find((x) => x.pair !== null);
    if (e && e.pair !== null) addPair(e.pair, `example of ${b.id}`);
  }
  for (const p of report.pairs) {
    if (out.length >= max) break;
    addPair(p.id, 'one of the first pairs');
  }
  return out;
}

export interface BuildHtmlOptions {
  /** Connections to draw (e.g. those --pair or --client-port chose); default htmlViews(report). */
  views?: ViewChoice[];
  /** How many htmlViews draws when `views` is not given. */
  ladders?: number;
  /** The match options the correlation ran with (so that the ladders' verdicts are the report's). */
  match?: Omit<MatchOptions, 'onPacket' | 'stats'>;
}

/**
 * Everything the page needs from a correlation: chooses the connections to draw, collects their packets and
 * payload snippets (both files are read again, bounded per connection), and renders. It does NOT anonymize:
 * the payload snippets and comments go into the page as read. For a shareable page do what `analyze
 * --anonymize` does (src/cli/analyze.ts): collect the details and extras, pass them with the report through
 * `anonymizeOutputs`, then call `renderHtmlReport`.
 */
export function buildHtmlReport(c: Correlation, report: Report, opts: BuildHtmlOptions = {}): string {
  const views = opts.views ?? htmlViews(report, opts.ladders ?? HTML_LADDERS);
  const details = collectDetails(c, views, {
    maxPackets: DEFAULT_DETAIL_PACKETS,
    ...(opts.match ? { match: opts.match } : {}),
  });
  const extras = collectPacketExtras(c.client.path, c.server.path, details);
  return renderHtmlReport(report, details, { baseSec: c.baseSec, extras });
}

function confidenceBar(c: number): SafeHtml {
  const tenth = Math.max(0, Math.min(10, Math.round(c * 10)));
  return html`<span class="conf"><span class="w${tenth}"></span></span>${`${Math.round(c * 100)}%`}`;
}

function verdict(report: Report): SafeHtml {
  const d = report.device;
  const errors = report.findings.some((f) => f.severity === 'error');
  return html`<section class="card verdict${errors ? ' has-errors' : ''}" id="verdict"><h2>Verdict</h2><p><span class="kind">${d.kind}</span><span class="muted">${d.kindReason}</span></p><p class="summary" id="verdict-text">${d.summary}</p></section>`;
}

function behaviours(report: Report): SafeHtml {
  const d = report.device;
  const rows = d.behaviours.map(
    (b) =>
      html`<tr><td class="mono">${b.id}</td><td class="num">${b.count}</td><td class="nowrap">${confidenceBar(b.confidence)}</td><td>${b.detail}</td></tr>`,
  );
  const undecided =
    d.undecided.length > 0
      ? html`<details><summary>${d.undecided.length} behaviour(s) the captures could not decide</summary><ul>${d.undecided.map(
          (u) => html`<li><span class="mono">${u.id}</span>: ${u.reason}</li>`,
        )}</ul></details>`
      : '';
  return html`<section class="card" id="behaviours"><h2>Behaviours</h2>${
    rows.length > 0
      ? html`<table><thead><tr><th>behaviour</th><th class="num">connections</th><th>confidence</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`
      : html`<p class="muted">No behaviour was established.</p>`
  }${undecided}</section>`;
}

function packetList(side: string, packets: number[]): string {
  if (packets.length === 0) return '';
  const shown = packets.slice(0, MAX_PACKETS_LISTED).map((p) => `#${p}`);
  const more = packets.length > MAX_PACKETS_LISTED ? ` and ${packets.length - MAX_PACKETS_LISTED} more` : '';
  return `${side}: ${shown.join(' ')}${more}`;
}

/** Texts longer than this show their first sentence, the rest behind a disclosure. */
const LONG_TEXT = 320;

function findingText(text: string): SafeHtml {
  const m = text.length > LONG_TEXT ? /^(.{40,}?[.:])\s+(?=[A-Z])/s.exec(text) : null;
  if (m === null) return html`<p>${text}</p>`;
  return html`<p>${m[1]!}</p><details><summary>the full explanation</summary><p>${text.slice(m[0].length)}</p></details>`;
}

function ladderOf(f: ReportFinding, ladders: Map<string, string>): string | undefined {
  if (f.pair !== null) return ladders.get(`p${f.pair}`);
  if (f.clientSession !== null) return ladders.get(`c${f.clientSession}`);
  return undefined;
}

function problems(report: Report, ladders: Map<string, string>): SafeHtml {
  const list = [...report.findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  if (list.length === 0) return html``;
  const shown = list.slice(0, MAX_PROBLEMS);
  const items = shown.map((f) => {
    const ladder = ladderOf(f, ladders);
    const pk = [packetList('client side', f.clientPackets), packetList('server side', f.serverPackets)]
      .filter((x) => x !== '')
      .join('; ');
    return html`<li><span class="sev ${f.severity}">${f.severity}</span><span class="problem-id">${f.id}</span>${
      f.pair !== null ? html` <span class="muted small">pair ${f.pair}</span>` : ''
    }${ladder ? html` <a class="small" href="#${ladder}">ladder \u2193</a>` : ''}${findingText(f.text)}${pk ? html`<div class="packets">${pk}</div>` : ''}</li>`;
  });
  return html`<section class="card" id="problems"><h2>Problems (${list.length})</h2><ul class="problems">${items}</ul>${
    shown.length < list.length
      ? html`<p class="note">${list.length - shown.length} more in the JSON report.</p>`
      : ''
  }</section>`;
}

function clocks(report: Report, details: PairDetail[], baseSec: number): SafeHtml {
  const a = report.alignment;
  const facts =
    a.offsetNs === null
      ? html`<p>Not aligned: no connection relates the two captures.</p>`
      : html`<dl class="facts"><dt>offset</dt><dd>${`${a.offsetNs < 0 ? '-' : '+'}${durationText(Math.abs(a.offsetNs))}`} <span class="muted small">(add to a server-side time)</span></dd><dt>skew</dt><dd>${a.skewEstimated ? `${a.skewPpm.toFixed(3)} ppm` : 'not estimated'}</dd><dt>bound</dt><dd>\u00b1${durationText(a.boundNs)}</dd><dt>method</dt><dd>${a.method}${a.oneSided ? ' (one-sided)' : ''}</dd><dt>constraints</dt><dd>${a.constraints.used} used, ${a.constraints.rejected} rejected</dd></dl>`;
  const warnings = a.warnings.map(
    (w) => html`<p class="small"><span class="sev warning">note</span>${w.text}</p>`,
  );
  return html`<section class="card" id="clocks"><h2>Clock alignment</h2>${facts}${alignmentPlot(report, clockPoints(details, baseSec))}${warnings}</section>`;
}

function traffic(report: Report): SafeHtml {
  const kinds = new Map<string, number>();
  for (const p of report.pairs)
    kinds.set(`${p.kind} ${p.mapping}`, (kinds.get(`${p.kind} ${p.mapping}`) ?? 0) + 1);
  const kindText = [...kinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ');
  return html`<section class="card" id="packets"><h2>Packets per direction</h2>${directionBars(report)}<dl class="facts"><dt>pairs</dt><dd>${report.pairs.length}${kindText ? ` (${kindText})` : ''}</dd><dt>unpaired</dt><dd>${report.unpaired.client.length} client side, ${report.unpaired.server.length} server side</dd></dl></section>`;
}

function latency(report: Report): SafeHtml {
  return html`<section class="card" id="latency"><h2>Added latency</h2>${latencyPlot(report)}</section>`;
}

function ladderId(d: PairDetail): string {
  return d.target.pair !== null ? `ladder-p${d.target.pair}` : `ladder-c${d.target.clientSessions.join('-')}`;
}

function ladderKey(d: PairDetail): string {
  return d.target.pair !== null ? `p${d.target.pair}` : `c${d.target.clientSessions.join('-')}`;
}

function ladderSection(report: Report, d: PairDetail, index: number, opts: Required<HtmlOptions>): SafeHtml {
  const id = ladderId(d);
  const pair = d.target.pair === null ? undefined : report.pairs.find((p) => p.id === d.target.pair);
  const unpaired = report.unpaired.client.find((u) => d.target.clientSessions.includes(u.session));
  const reason = 'reason' in d.target ? String((d.target as ViewChoice).reason) : '';
  const title = pair
    ? `Pair ${pair.id}: ${pair.kind}, ${pair.mapping}`
    : `Client-side session ${d.target.clientSessions.join(', ')}: no server-side counterpart`;
  const ladder = renderLadder(d, {
    id: `l${index}`,
    baseSec: opts.baseSec,
    maxRows: opts.maxLadderRows,
    extras: opts.extras,
  });
  const tuples: SafeHtml[] = [];
  if (pair) {
    tuples.push(html`<div>client side <span class="mono">${tupleText(pair.client.tuple)}</span></div>`);
    for (const s of pair.server)
      tuples.push(html`<div>server side <span class="mono">${tupleText(s.tuple)}</span></div>`);
  } else if (unpaired) {
    tuples.push(
      html`<div>client side <span class="mono">${tupleText(unpaired.tuple)}</span>: ${unpaired.reason}</div>`,
    );
  }
  const callouts: SafeHtml[] = [];
  if (ladder.serverMissing && d.client.length > 0)
    callouts.push(
      html`<div class="callout bad">Nothing on the server side: the device never opened or forwarded this connection.${
        unpaired ? html` <span class="small">${unpaired.detail}</span>` : ''
      }</div>`,
    );
  const n = ladder.counts;
  const bad: string[] = [];
  if (n.badAck > 0) bad.push(`${n.badAck} answer(s) to a SYN with a bad ACK (not ISN + 1)`);
  if (n.notForwarded > 0) bad.push(`${n.notForwarded} packet(s) never forwarded`);
  if (n.dropped > 0) bad.push(`${n.dropped} packet(s) dropped by the device`);
  if (n.retransmittedSyn > 0) bad.push(`${n.retransmittedSyn} SYN retransmission(s)`);
  if (bad.length > 0)
    callouts.push(
      html`<div class="callout bad">${bad.join('; ')}: red in the diagram, named in the marks column.</div>`,
    );
  if (n.injected > 0)
    callouts.push(
      html`<div class="callout warn">${n.injected} packet(s) sent by the device without an original (purple).</div>`,
    );
  if (ladder.start !== null)
    tuples.push(
      html`<div class="small muted">time 0 is <span class="mono">${ladder.start}</span> on the client clock</div>`,
    );
  for (const dir of [0, 1] as const) {
    const fields = ladder.constantChanges[dir];
    if (fields.length > 0)
      tuples.push(
        html`<div class="small muted">every matched ${dir === 0 ? 'client-to-server' : 'server-to-client'} packet changed: <span class="mono">${fields.join(', ')}</span></div>`,
      );
  }
  const notes: SafeHtml[] = [];
  if (ladder.hiddenRows > 0)
    notes.push(
      html`<p class="note">First ${ladder.arrows} of ${ladder.rows} rows; <span class="mono">dualcap analyze --pair</span> shows all in the text report.</p>`,
    );
  const [oc, os] = d.omitted;
  if (oc + os > 0)
    notes.push(
      html`<p class="note">Not collected: ${oc} client-side and ${os} server-side packets beyond the per-connection limit.</p>`,
    );
  return html`<div class="ladder" id="${id}" data-arrows="${ladder.arrows}"><h3>${title}</h3>${
    reason ? html`<p class="muted small">Shown because: ${reason}</p>` : ''
  }${tuples}${callouts}<div class="svgwrap">${ladder.svg}</div>${notes}</div>`;
}

const LEGEND = html`<p class="note">Time runs down, on the client clock (server-side times mapped by the alignment), in seconds from each diagram's first packet. Each half of an arrow carries its own side's flags, seq and ack (relative to that side's ISN) and length; the device lane shows the transit delay. An arrow ending in a red cross at the device was dropped (red arrow) or never forwarded; an arrow starting at the device in a hollow circle was sent by the device itself (purple: injected into a forwarded connection); an arrow that simply ends at the device was taken by it (a proxy's own connection); dashed curves link a message to the one that carried it. Red labels are wrong packets (a bad ACK shows its raw ack and the expected ISN + 1); amber marks are retransmissions and other handshake findings. Hover an arrow for every field, the payload's first bytes and capture comments.</p>`;

function inputsSection(report: Report): SafeHtml {
  const rows = report.inputs.map((i) => {
    const anomalies = i.anomalies.map(
      (a) =>
        html`<div class="small"><span class="sev ${a.severity}">${a.severity}</span><span class="mono">${a.id}</span> \u00d7${a.count}: ${a.text}</div>`,
    );
    return html`<tr><td>${i.side} side</td><td class="mono">${i.path}</td><td>${i.format}</td><td class="num">${i.packets}</td><td class="num">${i.tcpPackets}</td><td class="mono small">${i.first ?? '\u2013'}<br>${i.last ?? '\u2013'}</td><td>${anomalies}${
      i.error
        ? html`<div class="small"><span class="sev error">error</span>read stopped early: ${i.error}</div>`
        : ''
    }</td></tr>`;
  });
  return html`<section class="card" id="inputs"><h2>Inputs</h2><table><thead><tr><th>side</th><th>file</th><th>format</th><th class="num">packets</th><th class="num">TCP</th><th>first / last packet</th><th>reading</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/**
 * The whole page. `details` are the connections to draw as ladders, in order; when their targets are the
 * ViewChoice objects they were collected for, each ladder says why it is shown.
 */
export function renderHtmlReport(report: Report, details: PairDetail[], options: HtmlOptions): string {
  const opts: Required<HtmlOptions> = {
    baseSec: options.baseSec,
    extras: options.extras ?? noExtras(),
    maxTableRows: options.maxTableRows ?? DEFAULT_TABLE_ROWS,
    maxLadderRows: options.maxLadderRows ?? DEFAULT_LADDER_ROWS,
  };
  const ladders = new Map<string, string>();
  for (const d of details) ladders.set(ladderKey(d), ladderId(d));
  const policy = contentSecurityPolicy(REPORT_CSS, REPORT_SCRIPT);
  const [client, server] = report.inputs;
  const ladderSections = details.map((d, i) => ladderSection(report, d, i, opts));
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${`dualcap report: ${report.device.kind}`}</title>
<style>${trusted(REPORT_CSS)}</style>
</head>
<body>
<header class="top"><h1>dualcap report</h1><span class="files">${`client side ${client.path}  \u00b7  server side ${server.path}`}</span><span class="tool">${`${report.tool.name} ${report.tool.version} \u00b7 ${report.schema}`}</span></header>
<main>
${verdict(report)}
${behaviours(report)}
${problems(report, ladders)}
<div class="grid3">${clocks(report, details, opts.baseSec)}${latency(report)}${traffic(report)}</div>
<section class="card" id="ladders"><h2>Connections in detail (${details.length})</h2>${
    details.length > 0
      ? html`${LEGEND}${joinHtml(ladderSections)}`
      : html`<p class="muted">No connection was chosen.</p>`
  }</section>
<section class="card" id="pairs"><h2>Pairs (${report.pairs.length.toLocaleString('en-US')})</h2>${pairsTable(report, opts.maxTableRows, ladders)}</section>
<section class="card" id="unpaired"><h2>Unpaired connections (${report.unpaired.client.length + report.unpaired.server.length})</h2>${unpairedTable(report, DEFAULT_UNPAIRED_ROWS, ladders)}</section>
${inputsSection(report)}
</main>
<footer>Generated by ${`${report.tool.name} ${report.tool.version}`}. This page loads nothing from the network; the JSON report (<span class="mono">--format json</span>) holds every value.</footer>
<script>${trusted(REPORT_SCRIPT)}</script>
</body>
</html>
`;
  return page.text;
}
