/**
 * `dualcap inspect FILE`: what a capture file holds, read with our own reader and decoders. A summary by
 * default (text or JSON), or one JSON object per packet with `--packets --format jsonl`.
 */
import { format as formatDate } from 'date-fns';
import { type CaptureReader, linktypeName, openCapture } from '../capture/index.js';
import type { AnomalyCount } from '../common/anomaly.js';
import { formatTs, isoUtc } from '../common/time.js';
import { Decoder } from '../decode/index.js';
import { packetJson } from '../report/packet-json.js';
import { SessionTable, type TcpPacketResult } from '../tcp/index.js';
import { Progress, type TextSink, UsageError } from './output.js';

export interface InspectOptions {
  format: 'text' | 'json' | 'jsonl';
  packets: boolean;
}

export interface InspectSummary {
  path: string;
  format: string;
  compression: string;
  byteOrder: string;
  precision: string;
  version: string;
  snaplen: number | null;
  linktypes: { linktype: number; name: string; packets: number }[];
  interfaces: {
    id: number;
    section: number;
    linktype: number;
    name: string | null;
    snaplen: number;
    packets: number;
  }[];
  packets: number;
  first: TimeJson | null;
  last: TimeJson | null;
  ipPackets: number;
  tcpPackets: number;
  anomalies: { id: string; severity: string; count: number; text: string; examples: unknown[] }[];
  error: { id: string; offset: number; packet: number | null; message: string } | null;
}

export interface TimeJson {
  epoch: string;
  utc: string | null;
  local: string | null;
}

function timeJson(sec: number, nsec: number): TimeJson {
  const ms = sec * 1000 + Math.floor(nsec / 1e6);
  const local = Math.abs(ms) <= 8.64e15 ? formatDate(new Date(ms), 'yyyy-MM-dd HH:mm:ss.SSS xxx') : null;
  return { epoch: formatTs(sec, nsec), utc: isoUtc(sec, nsec), local };
}

function open(path: string): CaptureReader {
  try {
    return openCapture(path);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Reads the whole file once; with `onPacket` also streams each packet. */
export function inspect(path: string, sink: TextSink, opts: InspectOptions): InspectSummary {
  const reader = open(path);
  const decoder = new Decoder(reader.anomalies);
  const progress = new Progress(`reading ${path}`);
  const perLinktype = new Map<number, number>();
  let packets = 0;
  let ipPackets = 0;
  let tcpPackets = 0;
  let minSec = Number.POSITIVE_INFINITY;
  let minNsec = 0;
  let maxSec = Number.NEGATIVE_INFINITY;
  let maxNsec = 0;
  // Per-packet TCP results only matter for the packet listing; the table calls back synchronously, so the
  // result seen after `onPacket(v)` belongs to `v` (null: the table did not take the packet).
  let tcpResult: TcpPacketResult | null = null;
  const table = opts.packets
    ? new SessionTable({
        onPacket: (r) => {
          tcpResult = r;
        },
      })
    : null;
  try {
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      packets++;
      const v = decoder.decode(rec);
      perLinktype.set(rec.linktype, (perLinktype.get(rec.linktype) ?? 0) + 1);
      if (v.ipVersion !== 0) ipPackets++;
      if (v.isTcp) tcpPackets++;
      if (rec.hasTs) {
        if (rec.tsSec < minSec || (rec.tsSec === minSec && rec.tsNsec < minNsec)) {
          minSec = rec.tsSec;
          minNsec = rec.tsNsec;
        }
        if (rec.tsSec > maxSec || (rec.tsSec === maxSec && rec.tsNsec > maxNsec)) {
          maxSec = rec.tsSec;
          maxNsec = rec.tsNsec;
        }
      }
      if (table !== null) {
        tcpResult = null;
        table.onPacket(v);
        sink.line(JSON.stringify(packetJson(v, rec.hasTs, tcpResult)));
        if (sink.closedPipe) break;
      }
      if ((packets & 0xffff) === 0) progress.update(reader.bytesRead, reader.fileSize);
    }
  } finally {
    progress.done();
    reader.close();
  }
  const info = reader.info;
  const err = reader.error;
  return {
    path,
    format: info.format,
    compression: info.compression,
    byteOrder: info.byteOrder,
    precision:
      info.precisionDigits === 9
        ? 'nanosecond'
        : info.precisionDigits === 6
          ? 'microsecond'
          : `${info.precisionDigits} digits`,
    version: info.version,
    snaplen: info.snaplen,
    linktypes: [...perLinktype.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([linktype, n]) => ({ linktype, name: linktypeName(linktype), packets: n })),
    interfaces: info.interfaces.map((i) => ({
      id: i.id,
      section: i.section,
      linktype: i.linktype,
      name: i.name,
      snaplen: i.snaplen,
      packets: i.packets,
    })),
    packets,
    first: Number.isFinite(minSec) ? timeJson(minSec, minNsec) : null,
    last: Number.isFinite(maxSec) ? timeJson(maxSec, maxNsec) : null,
    ipPackets,
    tcpPackets,
    anomalies: reader.anomalies.list().map((a: AnomalyCount) => ({
      id: a.id,
      severity: a.severity,
      count: a.count,
      text: a.text,
      examples: a.examples.map(({ id: _id, ...where }) => where),
    })),
    error: err ? { id: err.id, offset: err.offset, packet: err.packet ?? null, message: err.message } : null,
  };
}

export function renderInspectText(s: InspectSummary): string {
  const out: string[] = [];
  const kv = (k: string, v: string) => out.push(`${`${k}:`.padEnd(14)}${v}`);
  kv('file', s.path);
  kv(
    'format',
    `${s.format}${s.compression !== 'none' ? ` (${s.compression})` : ''}, ${s.byteOrder}-endian, version ${s.version}`,
  );
  kv('precision', s.precision);
  if (s.snaplen !== null) kv('snaplen', String(s.snaplen));
  kv('link types', s.linktypes.map((l) => `${l.name} (${l.linktype}): ${l.packets}`).join(', ') || 'none');
  if (s.interfaces.length > 1 || s.format === 'pcapng') {
    kv('interfaces', String(s.interfaces.length));
    for (const i of s.interfaces.slice(0, 20)) {
      out.push(
        `  #${i.id} section ${i.section} ${linktypeName(i.linktype)} snaplen ${i.snaplen}${i.name ? ` "${i.name}"` : ''}: ${i.packets} packets`,
      );
    }
    if (s.interfaces.length > 20) out.push(`  ... ${s.interfaces.length - 20} more`);
  }
  kv('packets', `${s.packets} (IP ${s.ipPackets}, TCP ${s.tcpPackets})`);
  if (s.first && s.last) {
    kv('first', `${s.first.utc ?? s.first.epoch} UTC (local ${s.first.local ?? '?'})`);
    kv('last', `${s.last.utc ?? s.last.epoch} UTC (local ${s.last.local ?? '?'})`);
  }
  if (s.anomalies.length === 0) kv('anomalies', 'none');
  else {
    kv('anomalies', String(s.anomalies.reduce((n, a) => n + a.count, 0)));
    for (const a of s.anomalies) out.push(`  ${a.id} (${a.severity}): ${a.count} - ${a.text}`);
  }
  if (s.error) out.push(`stopped early: ${s.error.message}`);
  return `${out.join('\n')}\n`;
}
