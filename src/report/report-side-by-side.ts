/**
 * The side-by-side view of one connection: client side on the left, server side on the right, one row per
 * packet, rows in order of time on the client clock (server-side times mapped by the clock alignment).
 * A forwarded packet and its copy share a row, with the transit delay between them; a dropped packet has
 * an empty cell on the far side, an injected one on the near side. Column widths follow the widest value
 * of the view (all its packets are in memory), so a short connection fits well within 120 columns.
 */

import { formatTs, fromRelNs } from '../common/time.js';
import type { DetailPacket, PairDetail } from '../correlate/detail.js';
import { FIELD_NAMES } from '../correlate/match.js';
import { wrap } from './report-wrap.js';

export interface SideBySideOptions {
  /** Raw sequence and acknowledgement numbers instead of numbers relative to each side's ISN. */
  raw: boolean;
  /** Rows shown at most (null: all collected); the rest are counted in a closing line. */
  maxRows: number | null;
  /** Base second of the correlation (client-clock times count from it). */
  baseSec: number;
}

interface Row {
  timeNs: number;
  client: DetailPacket | null;
  server: DetailPacket | null;
  dir: 0 | 1;
}

const FIN = 0x001;
const SYN = 0x002;
const RST = 0x004;
const PSH = 0x008;
const ACK = 0x010;
const URG = 0x020;
const ECE = 0x040;
const CWR = 0x080;

/** Flags in tcpdump's compact form: S, F, R, P, U, E, W, and "." for ACK ("S." is a SYN-ACK). */
export function compactFlags(flags: number): string {
  let s = '';
  if (flags & SYN) s += 'S';
  if (flags & FIN) s += 'F';
  if (flags & RST) s += 'R';
  if (flags & PSH) s += 'P';
  if (flags & URG) s += 'U';
  if (flags & ECE) s += 'E';
  if (flags & CWR) s += 'W';
  if (flags & ACK) s += '.';
  return s === '' ? 'none' : s;
}

/** A signed duration in short units: +136.4us, -2.1us, +12.35ms, +1.234s. */
export function shortDuration(ns: number): string {
  const sign = ns < 0 ? '-' : '+';
  const a = Math.abs(ns);
  if (a < 1e3) return `${sign}${a.toFixed(0)}ns`;
  if (a < 10e6) return `${sign}${(a / 1e3).toFixed(1)}us`;
  if (a < 10e9) return `${sign}${(a / 1e6).toFixed(2)}ms`;
  return `${sign}${(a / 1e9).toFixed(3)}s`;
}

function buildRows(d: PairDetail): Row[] {
  const serverByPacket = new Map<number, DetailPacket>();
  for (const p of d.server) serverByPacket.set(p.packet, p);
  const used = new Set<number>();
  const rows: Row[] = [];
  for (const c of d.client) {
    const copy = c.event === 'matched' ? serverByPacket.get(c.otherPacket) : undefined;
    if (copy !== undefined) {
      used.add(copy.packet);
      // A row sits at the upstream packet's time: where the packet entered the device.
      rows.push({
        timeNs: c.dir === 0 ? c.clientClockNs : copy.clientClockNs,
        client: c,
        server: copy,
        dir: c.dir,
      });
    } else {
      rows.push({ timeNs: c.clientClockNs, client: c, server: null, dir: c.dir });
    }
  }
  for (const s of d.server) {
    if (!used.has(s.packet)) rows.push({ timeNs: s.clientClockNs, client: null, server: s, dir: s.dir });
  }
  rows.sort(
    (a, b) =>
      a.timeNs - b.timeNs ||
      (a.client ? 0 : 1) - (b.client ? 0 : 1) ||
      (a.client?.packet ?? a.server?.packet ?? 0) - (b.client?.packet ?? b.server?.packet ?? 0),
  );
  return rows;
}

/** Per direction, the fields every matched packet had changed: the pair's translation, said once. */
function constantChanges(rows: Row[]): [number, number] {
  const all: [number, number] = [-1, -1];
  for (const r of rows) {
    if (r.client === null || r.server === null) continue;
    all[r.dir] &= r.client.changes;
  }
  return [all[0] === -1 ? 0 : all[0], all[1] === -1 ? 0 : all[1]];
}

function fieldList(bits: number): string[] {
  const out: string[] = [];
  FIELD_NAMES.forEach((name, i) => {
    if (bits & (1 << i)) out.push(name);
  });
  return out;
}

/** Marks of packets that start or carry a message through a terminating device, by side and packet. */
interface LinkMarks {
  client: Map<number, { text: string; latencyNs: number | null }>;
  server: Map<number, { text: string; latencyNs: number | null }>;
}

function linkMarks(d: PairDetail): LinkMarks {
  const marks: LinkMarks = { client: new Map(), server: new Map() };
  for (const l of d.links) {
    if (l.dir === 0) {
      marks.client.set(l.clientPacket, { text: `request -> server #${l.serverPacket}`, latencyNs: null });
      marks.server.set(l.serverPacket, {
        text: `request of client #${l.clientPacket}`,
        latencyNs: l.latencyNs,
      });
    } else {
      marks.server.set(l.serverPacket, { text: `response -> client #${l.clientPacket}`, latencyNs: null });
      marks.client.set(l.clientPacket, {
        text: `response of server #${l.serverPacket}`,
        latencyNs: l.latencyNs,
      });
    }
  }
  return marks;
}

function linkOf(r: Row, links: LinkMarks): { text: string; latencyNs: number | null } | undefined {
  if (r.client) return links.client.get(r.client.packet);
  if (r.server) return links.server.get(r.server.packet);
  return undefined;
}

/** Events that need no mark: matched shows as a shared row, terminated as the view's title says. */
const QUIET_EVENTS = new Set(['matched', 'terminated', 'unpaired']);

function marks(r: Row, constant: [number, number], links: LinkMarks): string {
  const out: string[] = [];
  const p = r.client ?? r.server;
  if (r.client && r.server) {
    const extra = r.client.changes & ~constant[r.dir];
    for (const f of fieldList(extra)) out.push(`~${f}`);
  } else if (p?.event && !QUIET_EVENTS.has(p.event)) {
    out.push(p.event === 'dropped' || p.event === 'injected' ? p.event.toUpperCase() : p.event);
  }
  const link = linkOf(r, links);
  if (link) out.push(link.text);
  // The same finding on a packet and its copy is one mark.
  for (const f of new Set([...(r.client?.findings ?? []), ...(r.server?.findings ?? [])]))
    out.push(f.replace(/^tcp\./, ''));
  return out.join(' ');
}

function deltaText(r: Row, links: LinkMarks): string {
  if (r.client && r.server && r.client.delayNs !== null) return shortDuration(r.client.delayNs);
  const link = linkOf(r, links);
  return link && link.latencyNs !== null ? shortDuration(link.latencyNs) : '';
}

interface Cells {
  no: string;
  flags: string;
  seq: string;
  ack: string;
  len: string;
}

function cells(p: DetailPacket | null, raw: boolean): Cells {
  if (p === null) return { no: '', flags: '', seq: '', ack: '', len: '' };
  const acked = (p.flags & ACK) !== 0;
  return {
    no: String(p.packet),
    flags: compactFlags(p.flags),
    seq: String(raw ? p.rawSeq : p.seq),
    ack: acked ? String(raw ? p.rawAck : p.ack) : '-',
    len: String(p.len),
  };
}

/** The view's lines (without a trailing newline); `title` lines come first. */
export function renderSideBySide(d: PairDetail, title: string[], opts: SideBySideOptions): string[] {
  const rows = buildRows(d);
  const out = [...title];
  if (rows.length === 0) {
    out.push('  (no packets of this connection in either capture)');
    return out;
  }
  const t0 = rows[0]!.timeNs;
  const start = fromRelNs(opts.baseSec, t0);
  const constant = constantChanges(rows);
  const links = linkMarks(d);
  out.push(
    ...wrap(
      `time: client clock, seconds from ${formatTs(start.sec, start.nsec)}; delta-t: transit delay through the device; ` +
        `seq/ack: ${opts.raw ? 'raw' : "relative to each side's ISN (--raw for raw)"}`,
      '  ',
    ),
  );
  if (d.links.length > 0)
    out.push(
      ...wrap(
        'the device terminates these connections: each side has its own packets; a message and the one carrying it are marked, delta-t is its first-byte latency',
        '  ',
      ),
    );
  for (const dir of [0, 1] as const) {
    const names = fieldList(constant[dir]);
    if (names.length > 0)
      out.push(
        `  every matched ${dir === 0 ? 'client-to-server' : 'server-to-client'} packet changed: ${names.join(', ')}`,
      );
  }
  const shown = opts.maxRows === null ? rows : rows.slice(0, opts.maxRows);
  const table = shown.map((r) => ({
    time: ((r.timeNs - t0) / 1e9).toFixed(6),
    c: cells(r.client, opts.raw),
    arrow: r.dir === 0 ? '->' : '<-',
    delta: deltaText(r, links),
    s: cells(r.server, opts.raw),
    marks: marks(r, constant, links),
  }));
  const head = {
    time: 'time',
    c: { no: '#', flags: 'flags', seq: 'seq', ack: 'ack', len: 'len' },
    arrow: '',
    delta: 'delta-t',
    s: { no: '#', flags: 'flags', seq: 'seq', ack: 'ack', len: 'len' },
    marks: 'marks',
  };
  const all = [head, ...table];
  const w = (f: (x: (typeof all)[number]) => string) => Math.max(...all.map((x) => f(x).length));
  const wt = w((x) => x.time);
  const wc = {
    no: w((x) => x.c.no),
    flags: w((x) => x.c.flags),
    seq: w((x) => x.c.seq),
    ack: w((x) => x.c.ack),
    len: w((x) => x.c.len),
  };
  const ws = {
    no: w((x) => x.s.no),
    flags: w((x) => x.s.flags),
    seq: w((x) => x.s.seq),
    ack: w((x) => x.s.ack),
    len: w((x) => x.s.len),
  };
  const wd = w((x) => x.delta);
  const side = (c: Cells, wx: typeof wc) =>
    `${c.no.padStart(wx.no)} ${c.flags.padEnd(wx.flags)} ${c.seq.padStart(wx.seq)} ${c.ack.padStart(wx.ack)} ${c.len.padStart(wx.len)}`;
  const clientWidth = side(head.c, wc).length;
  const line = (x: (typeof all)[number]) =>
    `  ${x.time.padStart(wt)}  ${side(x.c, wc)}  ${x.arrow.padEnd(2)}  ${x.delta.padStart(wd)}  ${side(x.s, ws)}  ${x.marks}`.trimEnd();
  const lead = 2 + wt + 2;
  out.push(`${' '.repeat(lead)}${'client side'.padEnd(clientWidth + 4 + wd + 4)}server side`);
  for (const x of all) out.push(line(x));
  if (shown.length < rows.length)
    out.push(
      `  ... ${rows.length - shown.length} more rows (show this connection alone with --pair or --client-port)`,
    );
  const [oc, os] = d.omitted;
  if (oc + os > 0)
    out.push(
      `  ... not collected: ${oc} client-side and ${os} server-side packets beyond the per-connection limit`,
    );
  return out;
}
