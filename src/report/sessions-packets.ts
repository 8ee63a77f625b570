/**
 * One session's packets, like Wireshark's packet list filtered on one tcp.stream: written line by line as
 * the file is read, so a session of millions of packets needs no memory. Columns have fixed widths (the
 * longest values are known: 32-bit numbers) because nothing can be measured before the lines go out.
 */
import { formatTs } from '../common/time.js';
import { TCP_ACK, tcpFlagsString } from '../decode/index.js';
import type { PacketView } from '../decode/types.js';
import { A_DUPLICATE_ACK, flagNames, type Session, type TcpPacketResult } from '../tcp/index.js';
import type { SessionPacketJson } from './sessions-schema.js';
import { formatDurationNs } from './sessions-time.js';

export interface PacketListOptions {
  /** Also print raw sequence and acknowledgement numbers. */
  raw: boolean;
  /** Decimals of the relative time: the file's timestamp precision (6 or 9). */
  timeDigits: number;
}

function relativeTime(ns: number, digits: number): string {
  const full = formatDurationNs(ns);
  return full.slice(0, full.length - (9 - Math.min(9, Math.max(0, digits))));
}

/** Short analysis names, with the duplicate ACK's number and the frame it repeats (Wireshark: "Dup ACK 5#2"). */
export function packetAnalysisText(r: TcpPacketResult): string {
  const parts: string[] = [];
  for (const id of flagNames(r.analysis)) {
    const short = id.startsWith('tcp.analysis.') ? id.slice(13) : id.slice(4);
    parts.push(
      id === 'tcp.analysis.duplicate_ack' && r.analysis & A_DUPLICATE_ACK
        ? `${short} ${r.dupAckFrame}#${r.dupAckNum}`
        : short,
    );
  }
  return parts.join(' ');
}

export class PacketListText {
  constructor(private readonly opts: PacketListOptions) {}

  private cells(
    no: string,
    time: string,
    dir: string,
    flags: string,
    seq: string,
    ack: string,
    raw: [string, string] | null,
    len: string,
    win: string,
    analysis: string,
  ): string {
    const timeWidth = 3 + Math.min(9, this.opts.timeDigits);
    let line = `${no.padStart(8)}  ${time.padStart(timeWidth)}  ${dir.padEnd(2)}  ${flags.padEnd(11)}  ${seq.padStart(10)}  ${ack.padStart(10)}`;
    if (raw) line += `  ${raw[0].padStart(10)}  ${raw[1].padStart(10)}`;
    line += `  ${len.padStart(6)}  ${win.padStart(10)}  ${analysis}`;
    return line.trimEnd();
  }

  header(): string {
    return this.cells(
      'No.',
      'time',
      '',
      'flags',
      'seq',
      'ack',
      this.opts.raw ? ['raw seq', 'raw ack'] : null,
      'len',
      'win',
      'analysis',
    );
  }

  /** `v` is the packet `r` describes (raw numbers); `session` gives the time origin. */
  line(r: TcpPacketResult, session: Session, v: PacketView): string {
    const acked = (r.tcpFlags & TCP_ACK) !== 0;
    return this.cells(
      String(r.packet),
      relativeTime(r.relNs - session.startRelNs, this.opts.timeDigits),
      r.dir === 0 ? '->' : '<-',
      tcpFlagsString(r.tcpFlags) || '-',
      String(r.seq),
      acked ? String(r.ack) : '-',
      this.opts.raw ? [String(v.seq), acked ? String(v.ack) : '-'] : null,
      r.analysed ? String(r.len) : '?',
      String(r.window),
      packetAnalysisText(r),
    );
  }
}

export function sessionPacketJson(r: TcpPacketResult, session: Session, v: PacketView): SessionPacketJson {
  return {
    packet: r.packet,
    time: formatTs(v.tsSec, v.tsNsec),
    relTime: formatDurationNs(r.relNs - session.startRelNs),
    dir: r.dir === 0 ? 'c2s' : 's2c',
    flags: r.tcpFlags,
    flagNames: tcpFlagsString(r.tcpFlags),
    seq: r.seq,
    ack: r.ack,
    rawSeq: v.seq,
    rawAck: v.ack,
    len: r.analysed ? r.len : null,
    window: r.window,
    windowScaleFactor: r.windowScaleFactor,
    analysis: flagNames(r.analysis),
    duplicateAck: r.dupAckNum > 0 ? { num: r.dupAckNum, frame: r.dupAckFrame } : null,
  };
}
