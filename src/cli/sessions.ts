/**
 * `dualcap sessions FILE`: the TCP sessions of one capture (one line or one JSON object each), filtered and
 * sorted, or with `--session N` the packets of one session as they are read. See docs/sessions.md.
 */
import { type CaptureReader, openCapture } from '../capture/index.js';
import type { Timestamp } from '../common/time.js';
import { compareTs } from '../common/time.js';
import { communityId, Decoder } from '../decode/index.js';
import type { PacketView } from '../decode/types.js';
import { sessionJson } from '../report/sessions-json.js';
import { PacketListText, sessionPacketJson } from '../report/sessions-packets.js';
import type { SessionsDocument } from '../report/sessions-schema.js';
import {
  anomalyBits,
  parseAddress,
  type SessionFilter,
  type SortKey,
  selectSessions,
} from '../report/sessions-select.js';
import { renderSessionsText, sessionRows } from '../report/sessions-text.js';
import { parseUserTime, type Zone } from '../report/sessions-time.js';
import { FLAG_IDS, type Session, SessionTable, type TcpPacketResult } from '../tcp/index.js';
import { Progress, type TextSink, UsageError } from './output.js';

export type SessionsFormat = 'text' | 'json' | 'jsonl';

export interface SessionsOptions {
  format: SessionsFormat;
  sort: SortKey;
  filter: SessionFilter;
  limit: number | null;
  /** List this session's packets instead of the sessions. */
  session: number | null;
  raw: boolean;
  zone: Zone;
}

/** Options as commander hands them over (strings), before checking. */
export interface SessionsArgs {
  format?: string;
  sort?: string;
  host?: string;
  port?: string;
  anomaly?: string;
  since?: string;
  until?: string;
  limit?: string;
  session?: string;
  raw?: boolean;
  utc?: boolean;
}

const TIME_FORMS =
  'use ISO 8601 (2026-11-22T08:36:15.273Z), "yyyy-MM-dd HH:mm:ss[.SSS]" (local time, UTC with --utc) ' +
  'or epoch seconds (1795336575.273)';

function integer(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > max)
    throw new UsageError(`${name}: expected a whole number from 0 to ${max}, got "${text}"`);
  return Number(text);
}

function time(name: string, text: string, zone: Zone): Timestamp {
  const t = parseUserTime(text, zone);
  if (t === null) throw new UsageError(`${name}: cannot read "${text}" as a time: ${TIME_FORMS}`);
  return t;
}

/** Checks and converts the command's options; every problem is a UsageError (exit 2). */
export function sessionsOptions(a: SessionsArgs): SessionsOptions {
  const zone: Zone = a.utc ? 'utc' : 'local';
  const format = (a.format ?? 'text') as SessionsFormat;
  let host = null;
  if (a.host !== undefined) {
    host = parseAddress(a.host);
    if (host === null) throw new UsageError(`--host: "${a.host}" is not an IPv4 or IPv6 address`);
  }
  let bits = 0;
  if (a.anomaly !== undefined) {
    bits = a.anomaly === '' ? 0 : anomalyBits(a.anomaly);
    if (bits === 0) {
      const known = FLAG_IDS.filter(Boolean).join(', ');
      throw new UsageError(`--anomaly: no analysis id starts with "${a.anomaly}"; known ids: ${known}`);
    }
  }
  const since = a.since === undefined ? null : time('--since', a.since, zone);
  const until = a.until === undefined ? null : time('--until', a.until, zone);
  if (since && until && compareTs(since.sec, since.nsec, until.sec, until.nsec) > 0)
    throw new UsageError(`--since (${a.since}) is after --until (${a.until})`);
  const opts: SessionsOptions = {
    format,
    sort: (a.sort ?? 'start') as SortKey,
    filter: {
      host,
      port: a.port === undefined ? null : integer('--port', a.port, 65535),
      anomalyBits: bits,
      since,
      until,
    },
    limit: a.limit === undefined ? null : integer('--limit', a.limit, Number.MAX_SAFE_INTEGER),
    session: a.session === undefined ? null : integer('--session', a.session, Number.MAX_SAFE_INTEGER),
    raw: Boolean(a.raw),
    zone,
  };
  if (opts.session !== null) {
    const listingOnly = ['sort', 'host', 'port', 'anomaly', 'since', 'until', 'limit'].filter(
      (k) => a[k as keyof SessionsArgs] !== undefined,
    );
    if (listingOnly.length > 0)
      throw new UsageError(
        `--session lists one session's packets: --${listingOnly.join(', --')} ${listingOnly.length === 1 ? 'does' : 'do'} not apply`,
      );
    if (format === 'json')
      throw new UsageError('--session streams packets: use --format text or jsonl, not json');
  } else if (opts.raw) {
    throw new UsageError('--raw applies to the packet list of --session N');
  }
  return opts;
}

export interface SessionsResult {
  /** A fatal reading error (everything before it was used), or a session that does not exist. */
  error: string | null;
  /** Warnings of the reader and decoder, one line each: id, count, meaning, where the first one was. */
  warnings: string[];
}

function open(path: string): CaptureReader {
  try {
    return openCapture(path);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

interface ReadOutcome {
  table: SessionTable;
  packets: number;
}

/** Reads the whole file into a session table; `onPacket` sees each TCP packet's result with its view. */
function readSessions(
  path: string,
  reader: CaptureReader,
  onPacket?: (r: TcpPacketResult, s: Session, v: PacketView) => void,
): ReadOutcome {
  const decoder = new Decoder(reader.anomalies);
  let current: PacketView | null = null;
  const table = new SessionTable({
    communityId: (v) => communityId(v) ?? '',
    // Messages and their content fingerprints serve correlation only; the listing keeps none of them.
    maxMessagesPerSession: 0,
    ...(onPacket ? { onPacket: (r: TcpPacketResult, s: Session) => onPacket(r, s, current!) } : {}),
  });
  const progress = new Progress(`reading ${path}`);
  let packets = 0;
  try {
    for (let rec = reader.next(); rec !== null; rec = reader.next()) {
      packets++;
      current = decoder.decode(rec);
      table.onPacket(current);
      if ((packets & 0xffff) === 0) progress.update(reader.bytesRead, reader.fileSize);
    }
  } finally {
    progress.done();
    reader.close();
  }
  table.finish();
  return { table, packets };
}

function outcome(reader: CaptureReader, error: string | null): SessionsResult {
  const warnings = reader.anomalies
    .list()
    .filter((a) => a.severity !== 'note')
    .map((a) => {
      const first = a.examples[0];
      const where = first
        ? [
            first.packet !== undefined ? `packet ${first.packet}` : '',
            first.offset !== undefined ? `byte offset ${first.offset}` : '',
            first.detail ?? '',
          ].filter(Boolean)
        : [];
      return `${a.id}: ${a.count} (${a.text})${where.length > 0 ? `; first: ${where.join(', ')}` : ''}`;
    });
  return { error: error ?? reader.error?.message ?? null, warnings };
}

/** The session listing in the chosen format. */
function listSessions(path: string, sink: TextSink, opts: SessionsOptions): SessionsResult {
  const reader = open(path);
  const { table, packets } = readSessions(path, reader);
  const { shown, matching } = selectSessions(table.sessions, opts.filter, opts.sort, opts.limit);
  if (opts.format === 'jsonl') {
    for (const s of shown) {
      sink.line(JSON.stringify(sessionJson(s)));
      if (sink.closedPipe) break;
    }
  } else if (opts.format === 'json') {
    const doc: SessionsDocument = {
      file: path,
      packets,
      tcpPackets: table.packets,
      sessionsTotal: table.sessions.length,
      sessionsShown: shown.length,
      sessions: shown.map(sessionJson),
    };
    sink.line(JSON.stringify(doc, null, 2));
  } else {
    sink.write(
      renderSessionsText(
        shown,
        { file: path, packets, tcpPackets: table.packets, sessionsTotal: table.sessions.length, matching },
        opts.zone,
      ),
    );
  }
  return outcome(reader, null);
}

/** The packets of session `n`, written as they are read. */
function listSessionPackets(path: string, sink: TextSink, n: number, opts: SessionsOptions): SessionsResult {
  let list: PacketListText | null = null;
  let shown = 0;
  const jsonl = opts.format === 'jsonl';
  const reader = open(path);
  const { table } = readSessions(path, reader, (r, s, v) => {
    if (r.session !== n || sink.closedPipe) return;
    shown++;
    if (jsonl) {
      sink.line(JSON.stringify(sessionPacketJson(r, s, v)));
      return;
    }
    if (list === null) {
      list = new PacketListText({ raw: opts.raw, timeDigits: Math.min(9, reader.info.precisionDigits) });
      sink.line(
        `${path}: session ${n}, times from its first packet; -> client to server, <- server to client`,
      );
      sink.line(list.header());
    }
    sink.line(list.line(r, s, v));
  });
  const session = table.sessions[n];
  if (session === undefined) {
    const count = table.sessions.length;
    const range = count === 0 ? 'no TCP sessions' : `${count} TCP sessions (0 to ${count - 1})`;
    return outcome(reader, `no session ${n}: ${path} has ${range}`);
  }
  if (!jsonl) {
    sink.line('');
    for (const line of sessionRows([session], opts.zone, false)) sink.line(line);
    sink.line(`${shown} packets of session ${n}`);
  }
  return outcome(reader, null);
}

export function sessions(path: string, sink: TextSink, opts: SessionsOptions): SessionsResult {
  return opts.session === null
    ? listSessions(path, sink, opts)
    : listSessionPackets(path, sink, opts.session, opts);
}
