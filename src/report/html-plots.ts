/**
 * The small plots at the top of the HTML report, as hand-written SVG:
 * - the clock alignment: one-way delay constraints and the fitted offset, over time;
 * - a histogram of the added latency of every pair, per direction;
 * - matched, dropped and injected packets per direction, as stacked bars.
 *
 * The JSON report keeps counts of the alignment's timing constraints, not the constraints themselves, so the
 * alignment plot takes its points from the collected details (the connections the page draws as ladders):
 * a packet seen on the client side at c and on the server side at s (its own clock) bounds the offset from
 * below when it went client to server (the true offset is at least c - s: the packet cannot arrive before it
 * left) and from above when it went server to client. The fitted line is read off the same details: each
 * server-side packet's mapped time minus its own time is the fitted offset at that moment.
 */
import type { PairDetail } from '../correlate/detail.js';
import { html, joinHtml, type SafeHtml } from './html-escape.js';
import type { Report } from './report-schema.js';
import { shortDuration } from './report-side-by-side.js';

/** Points drawn at most per series (sampled evenly beyond that). */
export const MAX_PLOT_POINTS = 600;
export const HISTOGRAM_BINS = 24;

export interface ClockPoint {
  /** Client-clock time, ns from the correlation's base second. */
  xNs: number;
  /** Client-side time minus server-side own time, ns: a bound on the offset. */
  yNs: number;
}

export interface ClockPoints {
  /** Client to server: the offset is at least yNs. */
  lower: ClockPoint[];
  /** Server to client: the offset is at most yNs. */
  upper: ClockPoint[];
  /** The fitted offset at server-side packet times, in time order. */
  fit: ClockPoint[];
}

function ownNs(sec: number, nsec: number, baseSec: number): number {
  return (sec - baseSec) * 1e9 + nsec;
}

/** Every `n`-th element so that at most `max` remain (first and last kept). */
export function sample<T>(list: T[], max: number): T[] {
  if (list.length <= max) return list;
  const out: T[] = [];
  const step = (list.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(list[Math.round(i * step)]!);
  return out;
}

/** Offset bounds and the fitted offset from the packets of the collected details. */
export function clockPoints(details: PairDetail[], baseSec: number): ClockPoints {
  const lower: ClockPoint[] = [];
  const upper: ClockPoint[] = [];
  const fit: ClockPoint[] = [];
  const seen = new Set<string>();
  for (const d of details) {
    const server = new Map(d.server.map((p) => [p.packet, p]));
    const client = new Map(d.client.map((p) => [p.packet, p]));
    const add = (dir: 0 | 1, clientPacket: number, serverPacket: number) => {
      const c = client.get(clientPacket);
      const s = server.get(serverPacket);
      const key = `${clientPacket}/${serverPacket}`;
      if (c === undefined || s === undefined || seen.has(key)) return;
      seen.add(key);
      const point = { xNs: c.clientClockNs, yNs: c.clientClockNs - ownNs(s.sec, s.nsec, baseSec) };
      (dir === 0 ? lower : upper).push(point);
    };
    for (const c of d.client) if (c.event === 'matched') add(c.dir, c.packet, c.otherPacket);
    for (const l of d.links) add(l.dir, l.clientPacket, l.serverPacket);
    for (const s of d.server) {
      const key = `s${s.packet}`;
      if (!Number.isFinite(s.clientClockNs) || seen.has(key)) continue;
      seen.add(key);
      fit.push({ xNs: s.clientClockNs, yNs: s.clientClockNs - ownNs(s.sec, s.nsec, baseSec) });
    }
  }
  const byX = (a: ClockPoint, b: ClockPoint) => a.xNs - b.xNs;
  return {
    lower: sample(lower.sort(byX), MAX_PLOT_POINTS),
    upper: sample(upper.sort(byX), MAX_PLOT_POINTS),
    fit: sample(fit.sort(byX), MAX_PLOT_POINTS),
  };
}

/** A round step for about `n` ticks over `span`. */
export function niceStep(span: number, n: number): number {
  if (!(span > 0)) return 1;
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

function ticks(lo: number, hi: number, n: number): number[] {
  const step = niceStep(hi - lo, n);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function tickText(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1).replace(/\.0$/, '');
  return Number(v.toPrecision(3)).toString();
}

/** A duration without the sign shortDuration puts in front of positive values. */
export function durationText(ns: number | null): string {
  return ns === null ? 'unbounded' : shortDuration(ns).replace(/^\+/, '');
}

interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
  xLo: number;
  xHi: number;
  yLo: number;
  yHi: number;
}

const px = (f: Frame, x: number) => f.x0 + ((x - f.xLo) / (f.xHi - f.xLo || 1)) * f.w;
const py = (f: Frame, y: number) => f.y0 + f.h - ((y - f.yLo) / (f.yHi - f.yLo || 1)) * f.h;
const r1 = (v: number) => Math.round(v * 10) / 10;

function axes(f: Frame, xTitle: string, yTitle: string): SafeHtml {
  const xs = ticks(f.xLo, f.xHi, 5).map(
    (v) =>
      html`<line class="grid" x1="${r1(px(f, v))}" y1="${f.y0}" x2="${r1(px(f, v))}" y2="${f.y0 + f.h}"/><text class="tick" x="${r1(px(f, v))}" y="${f.y0 + f.h + 13}" text-anchor="middle">${tickText(v)}</text>`,
  );
  const ys = ticks(f.yLo, f.yHi, 4).map(
    (v) =>
      html`<line class="grid" x1="${f.x0}" y1="${r1(py(f, v))}" x2="${f.x0 + f.w}" y2="${r1(py(f, v))}"/><text class="tick" x="${f.x0 - 5}" y="${r1(py(f, v)) + 3}" text-anchor="end">${tickText(v)}</text>`,
  );
  return html`${xs}${ys}<path class="axis" d="M${f.x0} ${f.y0}V${f.y0 + f.h}H${f.x0 + f.w}"/><text class="tick" x="${f.x0 + f.w / 2}" y="${f.y0 + f.h + 27}" text-anchor="middle">${xTitle}</text><text class="tick" transform="translate(11 ${f.y0 + f.h / 2}) rotate(-90)" text-anchor="middle">${yTitle}</text>`;
}

/**
 * The alignment plot: offset bounds (triangles up: client to server, lower bounds; down: server to client,
 * upper bounds), the fitted offset as a line and the alignment's bound as a band around it. Values are shown
 * relative to the reported offset, in microseconds, so a fit of hours still shows its microseconds.
 */
export function alignmentPlot(report: Report, pts: ClockPoints): SafeHtml {
  const a = report.alignment;
  const all = [...pts.lower, ...pts.upper, ...pts.fit];
  if (all.length === 0 || a.offsetNs === null)
    return html`<p class="muted small">No packet of the connections drawn below was seen on both sides, so there is nothing to plot.</p>`;
  const ref = a.offsetNs;
  const x0 = Math.min(...all.map((p) => p.xNs));
  const xs = (p: ClockPoint) => (p.xNs - x0) / 1e9;
  const ys = (p: ClockPoint) => (p.yNs - ref) / 1e3;
  const bandUs = a.boundNs === null ? 0 : a.boundNs / 1e3;
  let yLo = Math.min(...all.map(ys));
  let yHi = Math.max(...all.map(ys));
  if (pts.fit.length > 0 && bandUs > 0 && bandUs < 10 * Math.max(1, yHi - yLo)) {
    yLo = Math.min(yLo, Math.min(...pts.fit.map(ys)) - bandUs);
    yHi = Math.max(yHi, Math.max(...pts.fit.map(ys)) + bandUs);
  }
  const pad = Math.max((yHi - yLo) * 0.08, 0.5);
  const xHi = Math.max(...all.map(xs));
  const f: Frame = {
    x0: 52,
    y0: 8,
    w: 300,
    h: 140,
    xLo: 0,
    xHi: xHi > 0 ? xHi : 1,
    yLo: yLo - pad,
    yHi: yHi + pad,
  };
  const tri = (p: ClockPoint, up: boolean) => {
    const x = r1(px(f, xs(p)));
    const y = r1(py(f, ys(p)));
    return up
      ? `M${x} ${y - 3.5}L${x + 3.5} ${y + 2.5}L${x - 3.5} ${y + 2.5}z`
      : `M${x} ${y + 3.5}L${x + 3.5} ${y - 2.5}L${x - 3.5} ${y - 2.5}z`;
  };
  const line = pts.fit
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${r1(px(f, xs(p)))} ${r1(py(f, ys(p)))}`)
    .join('');
  const band =
    pts.fit.length > 0 && bandUs > 0
      ? [
          ...pts.fit.map((p, i) => `${i === 0 ? 'M' : 'L'}${r1(px(f, xs(p)))} ${r1(py(f, ys(p) + bandUs))}`),
          ...[...pts.fit].reverse().map((p) => `L${r1(px(f, xs(p)))} ${r1(py(f, ys(p) - bandUs))}`),
          'z',
        ].join('')
      : '';
  const offsetText = `${a.offsetNs < 0 ? '-' : '+'}${durationText(Math.abs(a.offsetNs))}`;
  return html`<svg class="plot" viewBox="0 0 360 222" role="img" aria-label="clock alignment plot">${axes(f, 'client-clock time (s)', `us around ${offsetText}`)}${
    band ? html`<path d="${band}" fill="#1d4ed8" fill-opacity="0.08" stroke="none"/>` : ''
  }<path d="${pts.lower.map((p) => tri(p, true)).join('')}" fill="#1d4ed8" fill-opacity="0.75"/><path d="${pts.upper
    .map((p) => tri(p, false))
    .join('')}" fill="#0f766e" fill-opacity="0.75"/>${
    line ? html`<path d="${line}" fill="none" stroke="#c2410c" stroke-width="1.6"/>` : ''
  }<path d="M24 193l3.5 -6l3.5 6z" fill="#1d4ed8"/><text class="legend" x="35" y="193">client\u2192server (offset \u2265)</text><path d="M190 187l3.5 6l3.5 -6z" fill="#0f766e"/><text class="legend" x="201" y="193">server\u2192client (offset \u2264)</text><line x1="24" y1="210" x2="36" y2="210" stroke="#c2410c" stroke-width="1.6"/><text class="legend" x="40" y="213">fitted offset</text>${
    band
      ? html`<rect x="190" y="205" width="12" height="9" fill="#1d4ed8" fill-opacity="0.15"/><text class="legend" x="206" y="213">\u00b1 bound</text>`
      : ''
  }</svg><p class="note">Points: ${pts.lower.length + pts.upper.length} packets or messages of the connections drawn below, seen on both sides. The fit itself used ${a.constraints.used} timing constraints of all connections.</p>`;
}

interface Histogram {
  lo: number;
  width: number;
  counts: [number[], number[]];
  overflow: boolean;
  source: 'packets' | 'messages' | 'none';
  values: [number, number];
}

/** Bins of the pairs' median added latency per direction, from the lowest value to the 99th percentile. */
export function latencyHistogram(report: Report, bins = HISTOGRAM_BINS): Histogram {
  const values: [number[], number[]] = [[], []];
  let packets = 0;
  let messages = 0;
  for (const p of report.pairs) {
    if (p.latency.source === 'none') continue;
    if (p.latency.source === 'packets') packets++;
    else messages++;
    if (p.latency.c2s.p50Ns !== null) values[0].push(p.latency.c2s.p50Ns);
    if (p.latency.s2c.p50Ns !== null) values[1].push(p.latency.s2c.p50Ns);
  }
  // A typed array sorts numerically without a comparator call per comparison: 200k values in a few ms.
  const both = new Float64Array(values[0].length + values[1].length);
  both.set(values[0]);
  both.set(values[1], values[0].length);
  both.sort();
  const counts: [number[], number[]] = [new Array<number>(bins).fill(0), new Array<number>(bins).fill(0)];
  const source = packets + messages === 0 ? 'none' : packets >= messages ? 'packets' : 'messages';
  if (both.length === 0) return { lo: 0, width: 1, counts, overflow: false, source, values: [0, 0] };
  const lo = both[0]!;
  const p99 = both[Math.min(both.length - 1, Math.ceil(0.99 * both.length) - 1)]!;
  const max = both[both.length - 1]!;
  const hi = p99 > lo ? p99 : Math.max(lo + 1, max);
  const width = (hi - lo) / (bins - 1);
  for (const dir of [0, 1] as const)
    for (const v of values[dir]) counts[dir][Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  return {
    lo,
    width,
    counts,
    overflow: max > hi + width,
    source,
    values: [values[0].length, values[1].length],
  };
}

/** Two stacked histograms (client to server above, server to client below) on one latency axis. */
export function latencyPlot(report: Report): SafeHtml {
  const h = latencyHistogram(report);
  if (h.values[0] + h.values[1] === 0)
    return html`<p class="muted small">No pair has a measured added latency.</p>`;
  const bins = h.counts[0].length;
  const x0 = 40;
  const w = 310;
  const bw = w / bins;
  const rowH = 62;
  const tops = [10, 10 + rowH + 16];
  const peak = Math.max(1, ...h.counts[0], ...h.counts[1]);
  const colors = ['#1d4ed8', '#0f766e'];
  const names = ['client to server', 'server to client'];
  const parts: SafeHtml[] = [];
  for (const dir of [0, 1] as const) {
    const top = tops[dir]!;
    parts.push(
      html`<text class="legend" x="${x0}" y="${top - 1}" fill="${colors[dir]}">${`${names[dir]} (${h.values[dir]} pairs)`}</text>`,
    );
    parts.push(
      html`<path class="axis" d="M${x0} ${top + rowH}H${x0 + w}"/><text class="tick" x="${x0 - 5}" y="${top + 12}" text-anchor="end">${peak}</text><text class="tick" x="${x0 - 5}" y="${top + rowH}" text-anchor="end">0</text>`,
    );
    h.counts[dir].forEach((n, i) => {
      if (n === 0) return;
      const bh = Math.max(1, (n / peak) * (rowH - 8));
      const from = h.lo + i * h.width;
      const range = `${durationText(from)} to ${durationText(from + h.width)}${i === bins - 1 && h.overflow ? ' and above' : ''}`;
      parts.push(
        html`<rect x="${r1(x0 + i * bw + 0.5)}" y="${r1(top + rowH - bh)}" width="${r1(bw - 1)}" height="${r1(bh)}" fill="${colors[dir]}"><title>${`${n} pair(s), ${names[dir]}: ${range}`}</title></rect>`,
      );
    });
  }
  const axisY = tops[1]! + rowH;
  const tickVals = [0, Math.floor(bins / 2), bins - 1].map((i) => ({ i, v: h.lo + i * h.width }));
  const xt = tickVals.map(
    ({ i, v }) =>
      html`<text class="tick" x="${r1(x0 + i * bw + bw / 2)}" y="${axisY + 13}" text-anchor="middle">${durationText(v)}${i === bins - 1 && h.overflow ? '+' : ''}</text>`,
  );
  const what =
    h.source === 'messages'
      ? 'first-byte latency of messages through the device (median per pair)'
      : 'transit delay of forwarded packets (median per pair)';
  return html`<svg class="plot" viewBox="0 0 360 190" role="img" aria-label="added latency histogram">${parts}${xt}</svg><p class="note">${what}; ${bins} bins up to the 99th percentile${h.overflow ? ', the last bin holds the rest' : ''}.</p>`;
}

/** Matched, dropped and injected packets per direction: numbers and a stacked bar each. */
export function directionBars(report: Report): SafeHtml {
  const rows = (['c2s', 's2c'] as const).map((dir) => {
    const d = report.packets[dir];
    const total = d.matched + d.dropped + d.injected;
    const w = 300;
    const seg = (n: number) => (total === 0 ? 0 : (n / total) * w);
    // A single drop among millions still gets a visible sliver.
    const dw = d.dropped > 0 ? Math.max(3, seg(d.dropped)) : 0;
    const iw = d.injected > 0 ? Math.max(3, seg(d.injected)) : 0;
    const mw = d.matched > 0 ? w - dw - iw : 0;
    const bar = html`<svg class="plot" viewBox="0 0 ${w} 10" preserveAspectRatio="none" height="10" role="img" aria-label="share of matched, dropped and injected packets"><rect width="${w}" height="10" fill="#eef1f4"/><rect width="${r1(mw)}" height="10" fill="#15803d"/><rect x="${r1(w - dw - iw)}" width="${r1(dw)}" height="10" fill="#c81e1e"/><rect x="${r1(w - iw)}" width="${r1(iw)}" height="10" fill="#7c3aed"/></svg>`;
    const cls = (n: number, c: string) => (n > 0 ? c : '');
    return html`<tr><th>${dir === 'c2s' ? 'client \u2192 server' : 'server \u2192 client'}</th><td class="num">${d.matched}</td><td class="num ${cls(d.dropped, 'dropped')}">${d.dropped}</td><td class="num ${cls(d.injected, 'injected')}">${d.injected}</td></tr><tr class="barrow"><td colspan="4">${bar}</td></tr>`;
  });
  const answered = report.packets.c2s.answered + report.packets.s2c.answered;
  const [tc, ts] = report.packets.terminated;
  const forwarded = (['c2s', 's2c'] as const).some((dir) => {
    const d = report.packets[dir];
    return d.matched + d.dropped + d.injected > 0;
  });
  if (!forwarded && tc + ts > 0)
    return html`<p>No packet crosses the device one to one: it terminates TCP, so each side has its own packets (${tc} client side, ${ts} server side), related by content. Losses inside a connection cannot be told apart from the device's own retransmissions.</p>`;
  return html`<table class="bars"><thead><tr><th></th><th class="num">matched</th><th class="num">dropped</th><th class="num">injected</th></tr></thead><tbody>${joinHtml(rows)}</tbody></table>${
    answered > 0
      ? html`<p class="note">${answered} packet(s) answered by the device itself (client to server ${report.packets.c2s.answered}, server to client ${report.packets.s2c.answered}).</p>`
      : ''
  }${
    tc + ts > 0
      ? html`<p class="note">Terminated connections: ${tc} client-side and ${ts} server-side packets, related by content (not one to one), so they are neither matched nor dropped.</p>`
      : ''
  }`;
}
