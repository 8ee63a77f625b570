/**
 * The ladder diagram of one connection, as hand-written SVG: three lanes (client side, device, server side),
 * time running down, one row per packet or per packet and its forwarded copy, in order of time on the client
 * clock (server-side times mapped by the clock alignment), as in the text report's side-by-side view.
 *
 * How each verdict is drawn (the legend under every diagram says the same):
 * - matched: one arrow from the upstream lane across the device to the downstream lane; each half carries its
 *   own side's flags/seq/ack/len (so a rewrite shows as two different labels), delta-t at the device.
 * - dropped: a red arrow that ends at the device in a cross. Upstream packets of a connection the device never
 *   forwarded end the same way, marked "not forwarded".
 * - injected: a purple arrow that starts at the device in a hollow circle (the device sent it).
 * - terminated / answered: the device is an endpoint; arrows end at the device, or start there in a hollow
 *   circle, and a dashed curve at the device links a message to the one that carried it on the other side.
 * - a reply flagged with a bad ACK is red and labelled with the raw ack and the ack it should have had
 *   (ISN + 1); other handshake findings and repeated SYNs or SYN-ACKs are named in amber in the marks column.
 * A connection without any server-side packet gets a hatched server lane that says so.
 *
 * Every arrow is a `<g class="pkt">` whose <title> holds the full fields of both sides (hover), including the
 * payload's first bytes and pcapng comments: all escaped through `html`.
 */
import { formatTs, fromRelNs } from '../common/time.js';
import type { DetailLink, DetailPacket, PairDetail } from '../correlate/detail.js';
import { FIELD_NAMES } from '../correlate/match.js';
import { html, joinHtml, type SafeHtml } from './html-escape.js';
import type { PacketExtras, PacketText } from './html-extras.js';
import { compactFlags, shortDuration } from './report-side-by-side.js';

export interface LadderOptions {
  /** Prefix of the SVG's element ids, unique in the page. */
  id: string;
  /** Base second of the correlation (client-clock times count from it). */
  baseSec: number;
  /** Rows drawn at most; the rest are counted in a closing line. */
  maxRows: number;
  extras: PacketExtras;
}

export interface LadderResult {
  svg: SafeHtml;
  rows: number;
  /** Rows not drawn because of maxRows. */
  hiddenRows: number;
  /** Packet arrows drawn (one per row). */
  arrows: number;
  /** The server side has no packet of this connection. */
  serverMissing: boolean;
  /** Drawn rows by what they show: replies with a bad ACK, packets dropped, never forwarded, injected. */
  counts: LadderCounts;
  /** Per direction, the fields every matched packet had changed (the translation, said once). */
  constantChanges: [string[], string[]];
  /** Epoch time (client clock) of the diagram's time 0, or null when nothing is drawn. */
  start: string | null;
}

export interface LadderCounts {
  badAck: number;
  dropped: number;
  notForwarded: number;
  injected: number;
  retransmittedSyn: number;
}

const SYN = 0x002;
const ACK = 0x010;

const WIDTH = 1080;
const X_TIME = 6;
const X_CLIENT = 140;
const X_DEVICE = 440;
const X_SERVER = 740;
const X_MARKS = 796;
const TOP = 46;
const ROW = 32;
const SLOPE = 7;
/** A pause longer than this between two rows is drawn as a break with its duration. */
const GAP_NS = 50e6;
const GAP_HEIGHT = 20;

interface Row {
  timeNs: number;
  client: DetailPacket | null;
  server: DetailPacket | null;
  dir: 0 | 1;
}

type Tone = 'c2s' | 's2c' | 'bad' | 'inj' | 'warn' | 'gray';

const TONE_COLOR: Record<Tone, string> = {
  c2s: '#1d4ed8',
  s2c: '#0f766e',
  bad: '#c81e1e',
  inj: '#7c3aed',
  warn: '#b45309',
  gray: '#7b8794',
};

/** Short names of handshake findings for the marks column. */
const FINDING_MARK: Record<string, string> = {
  'tcp.handshake.synack_bad_ack': 'BAD ACK',
  'tcp.handshake.synack_retransmitted_after_ack': 'SYN-ACK re-sent after ACK',
  'tcp.handshake.syn_unanswered': 'SYN unanswered',
  'tcp.handshake.rst_after_synack': 'RST after SYN-ACK',
};

/** Findings that mean the packet itself is wrong (drawn red), not merely unusual. */
const BAD_FINDINGS = new Set(['tcp.handshake.synack_bad_ack']);

export function ladderRows(d: PairDetail): Row[] {
  const serverByPacket = new Map<number, DetailPacket>();
  for (const p of d.server) serverByPacket.set(p.packet, p);
  const used = new Set<number>();
  const rows: Row[] = [];
  for (const c of d.client) {
    const copy = c.event === 'matched' ? serverByPacket.get(c.otherPacket) : undefined;
    if (copy !== undefined && !used.has(copy.packet)) {
      used.add(copy.packet);
      rows.push({
        timeNs: c.dir === 0 ? c.clientClockNs : copy.clientClockNs,
        client: c,
        server: copy,
        dir: c.dir,
      });
    } else rows.push({ timeNs: c.clientClockNs, client: c, server: null, dir: c.dir });
  }
  for (const s of d.server) {
    if (!used.has(s.packet)) rows.push({ timeNs: s.clientClockNs, client: null, server: s, dir: s.dir });
  }
  // Unaligned server-side times (NaN) sort after everything, in packet order.
  const key = (r: Row) => (Number.isFinite(r.timeNs) ? r.timeNs : Number.POSITIVE_INFINITY);
  rows.sort(
    (a, b) =>
      key(a) - key(b) ||
      (a.client ? 0 : 1) - (b.client ? 0 : 1) ||
      (a.client?.packet ?? a.server?.packet ?? 0) - (b.client?.packet ?? b.server?.packet ?? 0),
  );
  return rows;
}

function seqText(p: DetailPacket, marks: HandshakeMarks): string {
  const acked = (p.flags & ACK) !== 0;
  const expected = marks.expected.get(packetKey(p));
  // A bad ACK is about raw numbers: relative to an ISN it would be a meaningless large number.
  if (expected !== undefined)
    return `[${compactFlags(p.flags)}] ack ${hex(p.rawAck)} \u2260 ISN+1 ${hex(expected)}`;
  let s = `[${compactFlags(p.flags)}] seq ${p.seq}`;
  if (p.len > 0) s = `[${compactFlags(p.flags)}] seq ${p.seq}:${(p.seq + p.len) >>> 0}`;
  if (acked) s += ` ack ${p.ack}`;
  if (p.len > 0) s += ` len ${p.len}`;
  return s;
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
}

function changedFields(bits: number): string[] {
  const out: string[] = [];
  FIELD_NAMES.forEach((name, i) => {
    if (bits & (1 << i)) out.push(name);
  });
  return out;
}

/** Per packet: the SYN it answers or repeats, found by walking each side's packets in order. */
interface HandshakeMarks {
  /** Expected ack (client SYN seq + 1) of a reply flagged with a bad ACK, by side+packet key. */
  expected: Map<string, number>;
  /** Packets repeating an earlier SYN or SYN-ACK of the same session (same seq): 1-based repeat count. */
  repeat: Map<string, number>;
}

function packetKey(p: DetailPacket): string {
  return `${p.side[0]}${p.packet}`;
}

function handshakeMarks(d: PairDetail): HandshakeMarks {
  const expected = new Map<string, number>();
  const repeat = new Map<string, number>();
  for (const list of [d.client, d.server]) {
    const lastSyn = new Map<number, number>();
    const seen = new Map<string, number>();
    for (const p of list) {
      if (p.flags & SYN) {
        const k = `${p.session}/${p.dir}/${p.flags & (SYN | ACK)}/${p.rawSeq}`;
        const n = seen.get(k) ?? 0;
        if (n > 0) repeat.set(packetKey(p), n);
        seen.set(k, n + 1);
        if (p.dir === 0 && !(p.flags & ACK)) lastSyn.set(p.session, p.rawSeq);
      }
      if (p.dir === 1 && p.findings.includes('tcp.handshake.synack_bad_ack')) {
        const syn = lastSyn.get(p.session);
        if (syn !== undefined) expected.set(packetKey(p), (syn + 1) >>> 0);
      }
    }
  }
  return { expected, repeat };
}

function sideName(p: DetailPacket): string {
  return p.side === 'client' ? 'client side' : 'server side';
}

function packetTitle(p: DetailPacket, text: PacketText | undefined, marks: HandshakeMarks): string {
  const lines: string[] = [];
  const way = p.dir === 0 ? 'initiator to responder' : 'responder to initiator';
  lines.push(`${sideName(p)} packet #${p.packet} (session ${p.session}, ${way})`);
  lines.push(`captured at ${formatTs(p.sec, p.nsec)} on its own clock`);
  lines.push(
    `flags ${compactFlags(p.flags)}  seq ${p.rawSeq >>> 0} (${hex(p.rawSeq)}, relative ${p.seq})` +
      ((p.flags & ACK) !== 0 ? `  ack ${p.rawAck >>> 0} (${hex(p.rawAck)}, relative ${p.ack})` : ''),
  );
  lines.push(`payload ${p.len} bytes, TTL ${p.ttl}, IP ID ${p.ipId}, window ${p.window}`);
  if (p.event !== null) lines.push(`verdict: ${p.event}`);
  const expected = marks.expected.get(packetKey(p));
  for (const f of p.findings)
    lines.push(
      `finding: ${f}${expected !== undefined && f === 'tcp.handshake.synack_bad_ack' ? ` (ack ${hex(p.rawAck)}, expected ISN + 1 = ${hex(expected)})` : ''}`,
    );
  const n = marks.repeat.get(packetKey(p));
  if (n !== undefined)
    lines.push(`repeats an earlier ${p.flags & ACK ? 'SYN-ACK' : 'SYN'} (same seq), ${n} time(s) before`);
  if (text !== undefined) {
    if (text.payload !== '')
      lines.push(`payload: ${text.payload}${text.payloadLength > text.payload.length ? ' ...' : ''}`);
    for (const c of text.comments) lines.push(`comment: ${c}`);
  }
  return lines.join('\n');
}

function arrowLine(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  tone: Tone,
  prefix: string,
  head: boolean,
  dashed = false,
): SafeHtml {
  return html`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${TONE_COLOR[tone]}" stroke-width="1.6"${
    dashed ? html` stroke-dasharray="5 3"` : ''
  }${head ? html` marker-end="url(#${prefix}-${tone})"` : ''}/>`;
}

function cross(x: number, y: number): SafeHtml {
  const c = TONE_COLOR.bad;
  return html`<path d="M${x - 6} ${y - 6}L${x + 6} ${y + 6}M${x + 6} ${y - 6}L${x - 6} ${y + 6}" stroke="${c}" stroke-width="2.4"/>`;
}

/** The hollow circle where a packet the device sent itself starts. */
function origin(x: number, y: number, tone: Tone): SafeHtml {
  return html`<circle cx="${x}" cy="${y}" r="4" fill="#fff" stroke="${TONE_COLOR[tone]}" stroke-width="1.6"/>`;
}

function label(x: number, y: number, text: string, tone: Tone | null): SafeHtml {
  return html`<text class="lbl" x="${x}" y="${y}" text-anchor="middle"${
    tone === 'bad' ? html` fill="${TONE_COLOR.bad}" font-weight="700"` : ''
  }>${text}</text>`;
}

function toneOf(p: DetailPacket, dir: 0 | 1): Tone {
  if (p.findings.some((f) => BAD_FINDINGS.has(f))) return 'bad';
  if (p.event === 'dropped') return 'bad';
  if (p.event === 'injected') return 'inj';
  if (p.event === 'outside' || p.event === null) return 'gray';
  return dir === 0 ? 'c2s' : 's2c';
}

/** Whether the packet travels toward the device on its side (client side c2s, server side s2c). */
function towardDevice(p: DetailPacket): boolean {
  return p.side === 'client' ? p.dir === 0 : p.dir === 1;
}

interface RowMarks {
  text: string[];
  tone: Tone;
}

/** Per direction, the changed-field bits every matched packet shares. */
function constantChanges(rows: Row[]): [number, number] {
  const all: [number, number] = [-1, -1];
  for (const r of rows) if (r.client !== null && r.server !== null) all[r.dir] &= r.client.changes;
  return [all[0] === -1 ? 0 : all[0], all[1] === -1 ? 0 : all[1]];
}

function rowMarks(r: Row, marks: HandshakeMarks, constant: [number, number]): RowMarks {
  const out: string[] = [];
  let tone: Tone = 'gray';
  for (const p of [r.client, r.server]) {
    if (p === null) continue;
    for (const f of p.findings) {
      out.push(FINDING_MARK[f] ?? f.replace(/^tcp\.(handshake|analysis)\./, ''));
      if (BAD_FINDINGS.has(f)) tone = 'bad';
      else if (tone !== 'bad') tone = 'warn';
    }
    if (marks.repeat.has(packetKey(p))) {
      out.push(`${p.flags & ACK ? 'SYN-ACK' : 'SYN'} retransmission`);
      if (tone === 'gray') tone = 'warn';
    }
  }
  const only = r.client ?? r.server;
  if (r.client === null || r.server === null) {
    if (only?.event === 'dropped') {
      out.unshift('DROPPED');
      tone = 'bad';
    } else if (only?.event === 'injected') {
      out.unshift('INJECTED');
      if (tone !== 'bad') tone = 'inj';
    } else if (only?.event === 'unpaired' && towardDevice(only)) {
      out.unshift('not forwarded');
      tone = 'bad';
    } else if (only?.event === 'answered') out.unshift('answered by the device');
    else if (only?.event === 'outside') out.unshift('outside the other capture');
  } else {
    const fields = changedFields(r.client.changes & ~constant[r.dir]);
    if (fields.length > 0) out.push(`changed: ${fields.join(', ')}`);
  }
  return { text: out, tone };
}

interface RowContext {
  prefix: string;
  marks: HandshakeMarks;
  extras: PacketExtras;
  constant: [number, number];
  /** The payload preview of a row that starts a message, else null. */
  preview: (r: Row) => string | null;
}

/** Characters of payload shown in the marks column (the hover text has more). */
const PREVIEW_CHARS = 36;

/**
 * MESSAGE START: the first data packet after data in the other direction (or the first of the connection)
 * starts a message; its payload's first line is shown beside it, so requests and responses can be read
 * down the diagram. Bulk data after it stays quiet.
 */
function previewer(extras: PacketExtras): (r: Row) => string | null {
  let lastDir: 0 | 1 | -1 = -1;
  return (r) => {
    const p = r.client ?? r.server;
    if (p === null || p.len === 0) return null;
    const starts = r.dir !== lastDir;
    lastDir = r.dir;
    if (!starts) return null;
    const text =
      (r.client ? extras.client.get(r.client.packet) : undefined) ??
      (r.server ? extras.server.get(r.server.packet) : undefined);
    if (text === undefined || text.payload === '') return null;
    const line = text.payload.split('\\r\\n')[0]!;
    return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS)}\u2026` : line;
  };
}

function drawRow(r: Row, y: number, ctx: RowContext): SafeHtml {
  const { prefix, marks, extras } = ctx;
  const parts: SafeHtml[] = [];
  const c = r.client;
  const s = r.server;
  const titles: string[] = [];
  if (c) titles.push(packetTitle(c, extras.client.get(c.packet), marks));
  if (s) titles.push(packetTitle(s, extras.server.get(s.packet), marks));
  if (c && s) {
    const tone =
      toneOf(c, r.dir) === 'bad' || toneOf(s, r.dir) === 'bad' ? 'bad' : r.dir === 0 ? 'c2s' : 's2c';
    const [from, to] = r.dir === 0 ? [X_CLIENT, X_SERVER] : [X_SERVER, X_CLIENT];
    const [up, down] = r.dir === 0 ? [c, s] : [s, c];
    parts.push(arrowLine(from, y, to, y + 2 * SLOPE, tone, prefix, true));
    const mid = (a: number) => (a + X_DEVICE) / 2;
    const upX = mid(r.dir === 0 ? X_CLIENT : X_SERVER);
    const downX = mid(r.dir === 0 ? X_SERVER : X_CLIENT);
    parts.push(label(upX, y + SLOPE / 2 - 5, seqText(up, marks), tone === 'bad' ? 'bad' : null));
    parts.push(label(downX, y + (3 * SLOPE) / 2 - 5, seqText(down, marks), tone === 'bad' ? 'bad' : null));
    if (c.delayNs !== null)
      parts.push(
        html`<text class="dt" x="${X_DEVICE}" y="${y + SLOPE + 13}" text-anchor="middle">${shortDuration(c.delayNs)}</text>`,
      );
    titles.push(c.delayNs !== null ? `transit delay through the device ${shortDuration(c.delayNs)}` : '');
  } else {
    const p = (c ?? s)!;
    const lane = p.side === 'client' ? X_CLIENT : X_SERVER;
    const tone = toneOf(p, r.dir);
    const inward = towardDevice(p);
    const [x1, x2] = inward ? [lane, X_DEVICE] : [X_DEVICE, lane];
    const endsInCross = inward && (p.event === 'dropped' || p.event === 'unpaired');
    parts.push(arrowLine(x1, y, x2, y + SLOPE, tone, prefix, !endsInCross, p.event === 'outside'));
    if (endsInCross) parts.push(cross(X_DEVICE, y + SLOPE));
    else if (!inward) parts.push(origin(X_DEVICE, y, tone));
    parts.push(
      label((lane + X_DEVICE) / 2, y + SLOPE / 2 - 5, seqText(p, marks), tone === 'bad' ? 'bad' : null),
    );
  }
  const m = rowMarks(r, marks, ctx.constant);
  const preview = ctx.preview(r);
  if (m.text.length > 0 || preview !== null)
    parts.push(
      html`<text class="mark" x="${X_MARKS}" y="${y + SLOPE / 2 + 4}" fill="${TONE_COLOR[m.tone]}">${m.text.join(' \u00b7 ')}${
        preview !== null ? html`<tspan class="preview">${m.text.length > 0 ? ' ' : ''}${preview}</tspan>` : ''
      }</text>`,
    );
  if (c)
    parts.push(
      html`<text class="pno" x="${X_CLIENT - 8}" y="${y + 4}" text-anchor="end">#${c.packet}</text>`,
    );
  if (s) parts.push(html`<text class="pno" x="${X_SERVER + 8}" y="${y + 4}">#${s.packet}</text>`);
  const cls = `pkt ${r.dir === 0 ? 'c2s' : 's2c'}${m.tone === 'bad' ? ' bad' : ''}`;
  // A transparent band makes the whole row hoverable, not just the 1.6 px line.
  return html`<g class="${cls}"><title>${titles.filter((t) => t !== '').join('\n\n')}</title><rect class="hit" x="${X_CLIENT - 40}" y="${y - 14}" width="${X_SERVER - X_CLIENT + 80}" height="${ROW}"/>${parts}</g>`;
}

function defs(prefix: string): SafeHtml {
  const markers = (Object.keys(TONE_COLOR) as Tone[]).map(
    (t) =>
      html`<marker id="${prefix}-${t}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="${TONE_COLOR[t]}"/></marker>`,
  );
  return html`<defs>${markers}<pattern id="${prefix}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff5f5"/><line x1="0" y1="0" x2="0" y2="8" stroke="#f8b4b4" stroke-width="2"/></pattern></defs>`;
}

function linkCurves(links: DetailLink[], yOf: Map<string, number>): SafeHtml[] {
  const out: SafeHtml[] = [];
  for (const l of links) {
    const yc = yOf.get(`c${l.clientPacket}`);
    const ys = yOf.get(`s${l.serverPacket}`);
    if (yc === undefined || ys === undefined) continue;
    const what = l.dir === 0 ? 'request' : 'response';
    const latency =
      l.latencyNs === null
        ? 'latency unknown (clocks not aligned)'
        : `first-byte latency ${shortDuration(l.latencyNs)}`;
    const y1 = yc + SLOPE;
    const y2 = ys + SLOPE;
    const bulge = X_DEVICE + 36;
    out.push(
      html`<g class="link"><title>${`${what} of client-side #${l.clientPacket} carried by server-side #${l.serverPacket}: ${latency}`}</title><path d="M${X_DEVICE} ${y1}C${bulge} ${y1} ${bulge} ${y2} ${X_DEVICE} ${y2}" fill="none" stroke="#9aa5b1" stroke-width="1.3" stroke-dasharray="3 3"/>${
        l.latencyNs !== null
          ? html`<text class="dt" x="${bulge - 4}" y="${(y1 + y2) / 2 + 3}">${shortDuration(l.latencyNs)}</text>`
          : ''
      }</g>`,
    );
  }
  return out;
}

function count(r: Row, marks: HandshakeMarks, counts: LadderCounts): void {
  for (const p of [r.client, r.server]) {
    if (p === null) continue;
    if (p.findings.includes('tcp.handshake.synack_bad_ack')) counts.badAck++;
    if (marks.repeat.has(packetKey(p)) && !(p.flags & ACK)) counts.retransmittedSyn++;
  }
  if (r.client !== null && r.server !== null) return;
  const only = (r.client ?? r.server)!;
  if (only.event === 'dropped') counts.dropped++;
  else if (only.event === 'injected') counts.injected++;
  else if (only.event === 'unpaired' && towardDevice(only)) counts.notForwarded++;
}

function startText(baseSec: number, relNs: number): string {
  const t = fromRelNs(baseSec, relNs);
  return formatTs(t.sec, t.nsec);
}

/** The ladder of one collected connection. */
export function renderLadder(d: PairDetail, opts: LadderOptions): LadderResult {
  const all = ladderRows(d);
  const rows = all.slice(0, opts.maxRows);
  const marks = handshakeMarks(d);
  const prefix = opts.id;
  const constant = constantChanges(all);
  const ctx: RowContext = { prefix, marks, extras: opts.extras, constant, preview: previewer(opts.extras) };
  const serverMissing = d.server.length === 0;
  const body: SafeHtml[] = [];
  const yOf = new Map<string, number>();
  const t0 = rows.find((r) => Number.isFinite(r.timeNs))?.timeNs ?? 0;
  let y = TOP;
  let prev: number | null = null;
  const counts: LadderCounts = { badAck: 0, dropped: 0, notForwarded: 0, injected: 0, retransmittedSyn: 0 };
  for (const r of rows) {
    if (prev !== null && Number.isFinite(r.timeNs) && r.timeNs - prev > GAP_NS) {
      const gy = y - ROW / 2 + GAP_HEIGHT / 2 - 2;
      body.push(
        html`<line class="gapline" x1="${X_CLIENT - 60}" y1="${gy}" x2="${X_SERVER + 60}" y2="${gy}"/><text class="gap" x="${X_TIME}" y="${gy + 4}">${`${((r.timeNs - prev) / 1e9).toFixed(3)} s later`}</text>`,
      );
      y += GAP_HEIGHT;
    }
    const time = Number.isFinite(r.timeNs) ? `${((r.timeNs - t0) / 1e9).toFixed(6)}` : 'unaligned';
    body.push(html`<text class="time" x="${X_TIME}" y="${y + 4}">${time}</text>`);
    const drawn = drawRow(r, y, ctx);
    count(r, marks, counts);
    body.push(drawn);
    if (r.client) yOf.set(`c${r.client.packet}`, y);
    if (r.server) yOf.set(`s${r.server.packet}`, y);
    if (Number.isFinite(r.timeNs)) prev = r.timeNs;
    y += ROW;
  }
  const links = linkCurves(d.links, yOf);
  const height = Math.max(y + 4, TOP + 3 * ROW);
  const laneTop = 30;
  const lanes = html`<line class="lane" x1="${X_CLIENT}" y1="${laneTop}" x2="${X_CLIENT}" y2="${height}"/><line class="lane device" x1="${X_DEVICE}" y1="${laneTop}" x2="${X_DEVICE}" y2="${height}"/><line class="lane" x1="${X_SERVER}" y1="${laneTop}" x2="${X_SERVER}" y2="${height}"/>`;
  const heads = html`<text class="lanehead" x="${X_TIME}" y="16">time (s)</text><text class="lanehead" x="${X_CLIENT}" y="16" text-anchor="middle">client side</text><text class="lanehead" x="${X_DEVICE}" y="16" text-anchor="middle">device</text><text class="lanehead" x="${X_SERVER}" y="16" text-anchor="middle">server side</text><text class="lanehead" x="${X_MARKS}" y="16">marks</text>`;
  const missing = serverMissing
    ? html`<rect x="${X_DEVICE + 14}" y="${laneTop}" width="${X_SERVER - X_DEVICE + 4}" height="${height - laneTop}" fill="url(#${prefix}-hatch)" opacity="0.85"/><rect x="${(X_DEVICE + X_SERVER) / 2 - 130}" y="${TOP - 8}" width="260" height="40" rx="5" fill="#fff" stroke="#f8b4b4"/><text class="missing" x="${(X_DEVICE + X_SERVER) / 2 + 9}" y="${TOP + 8}" text-anchor="middle">NOTHING ON THE SERVER SIDE</text><text class="missing-sub" x="${(X_DEVICE + X_SERVER) / 2 + 9}" y="${TOP + 24}" text-anchor="middle">no packet of this connection was captured there</text>`
    : '';
  const svg = html`<svg xmlns="http://www.w3.org/2000/svg" class="ladder-svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="ladder diagram">${defs(prefix)}${heads}${lanes}${missing}${joinHtml(body)}${links}</svg>`;
  return {
    svg,
    rows: all.length,
    hiddenRows: all.length - rows.length,
    arrows: rows.length,
    serverMissing,
    counts,
    constantChanges: [changedFields(constant[0]), changedFields(constant[1])],
    start: rows.length > 0 ? startText(opts.baseSec, t0) : null,
  };
}
