/**
 * The text listing of `dualcap sessions`: one aligned line per session, then a summary line. Columns are
 * sized to what they hold so IPv4 listings fit an 80-110 column terminal; the anomaly column comes last and
 * runs on. Byte counts use SI units above 9999 (12.3k = 12,300 bytes) to keep the columns narrow; the JSON
 * output has the exact numbers.
 */
import { formatTs } from '../common/time.js';
import type { Session } from '../tcp/index.js';
import { analysisCounts, endpointText, handshakeRttNs, sessionClose } from './sessions-json.js';
import { formatClock, shortDuration, type Zone, zoneLabel } from './sessions-time.js';

export interface ListingSummary {
  file: string;
  packets: number;
  tcpPackets: number;
  sessionsTotal: number;
  /** Sessions that passed the filters; `shown` may be fewer because of --limit. */
  matching: number;
}

/** 9999, 12.3k, 4.5M, 1.2G. */
export function compactBytes(n: number): string {
  if (n < 10000) return String(n);
  const units = ['k', 'M', 'G', 'T', 'P'];
  let v = n;
  let u = -1;
  while (v >= 999.95 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)}${units[u]}`;
}

/** `retransmission=4 duplicate_ack=2`: ids without their `tcp.analysis.` / `tcp.` part. */
export function anomalySummary(s: Session): string {
  const parts: string[] = [];
  for (const [id, n] of Object.entries(analysisCounts(s))) {
    const short = id.startsWith('tcp.analysis.') ? id.slice(13) : id.slice(4);
    parts.push(`${short}=${n}`);
  }
  return parts.length === 0 ? '-' : parts.join(' ');
}

type Align = 'left' | 'right';
interface Column {
  title: string;
  align: Align;
}

const COLUMNS: Column[] = [
  { title: '#', align: 'right' },
  { title: 'start', align: 'left' },
  { title: 'duration', align: 'right' },
  { title: 'client', align: 'right' },
  { title: '', align: 'left' },
  { title: 'server', align: 'left' },
  { title: 'history', align: 'left' },
  { title: 'c>s', align: 'right' },
  { title: 's>c', align: 'right' },
  { title: 'rtt', align: 'right' },
  { title: 'close', align: 'left' },
  { title: 'anomalies', align: 'left' },
];

/** Aligned rows separated by two spaces (one around the arrow); the last column is not padded. */
export function alignRows(columns: Column[], rows: string[][]): string[] {
  const widths = columns.map((c, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), c.title.length));
  const render = (cells: string[]) => {
    let line = '';
    cells.forEach((cell, i) => {
      const last = i === cells.length - 1;
      const pad =
        columns[i]!.align === 'right' ? cell.padStart(widths[i]!) : last ? cell : cell.padEnd(widths[i]!);
      line +=
        i === 0 ? pad : `${columns[i]!.title === '' || columns[i - 1]!.title === '' ? ' ' : '  '}${pad}`;
    });
    return line.trimEnd();
  };
  return [render(columns.map((c) => c.title)), ...rows.map(render)];
}

function closeText(s: Session): string {
  const c = sessionClose(s);
  return c === null ? '-' : `${c.by} ${c.kind}`;
}

/** Session lines (header first), without the summary; `sameDay` prints times of day only. */
export function sessionRows(sessions: readonly Session[], zone: Zone, sameDay: boolean): string[] {
  const rows = sessions.map((s) => {
    // Beyond Date's range (broken timestamps) the epoch seconds are shown instead.
    const clock =
      formatClock(s.startSec, s.startNsec, zone) ?? formatTs(s.startSec, s.startNsec).slice(0, -6);
    const rtt = handshakeRttNs(s);
    return [
      String(s.index),
      sameDay ? clock.slice(11) : clock,
      shortDuration(s.endRelNs - s.startRelNs),
      endpointText(s.client),
      '->',
      endpointText(s.server),
      s.history.text || '-',
      compactBytes(s.dirs[0].payloadBytes),
      compactBytes(s.dirs[1].payloadBytes),
      rtt === null ? '-' : shortDuration(rtt),
      closeText(s),
      anomalySummary(s),
    ];
  });
  return alignRows(COLUMNS, rows);
}

/** The day all sessions start on in the zone ("2026-11-22"), or null when they span several days. */
export function commonDay(sessions: readonly Session[], zone: Zone): string | null {
  let day: string | null = null;
  for (const s of sessions) {
    const d = formatClock(s.startSec, s.startNsec, zone)?.slice(0, 10) ?? null;
    if (d === null || (day !== null && d !== day)) return null;
    day = d;
  }
  return day;
}

export function renderSessionsText(shown: readonly Session[], summary: ListingSummary, zone: Zone): string {
  const out: string[] = [];
  const day = commonDay(shown, zone);
  const first = shown[0];
  const zoneText = first ? zoneLabel(first.startSec, zone) : '';
  out.push(
    first
      ? `${summary.file}: TCP sessions, start times ${zoneText}${day ? ` on ${day}` : ''}`
      : `${summary.file}: TCP sessions`,
  );
  if (shown.length > 0) out.push(...sessionRows(shown, zone, day !== null));
  const limited = shown.length < summary.matching ? ` (${summary.matching} matching)` : '';
  out.push(
    `${shown.length} of ${summary.sessionsTotal} sessions shown${limited}; ${summary.packets} packets, ${summary.tcpPackets} TCP`,
  );
  return `${out.join('\n')}\n`;
}
