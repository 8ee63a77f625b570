/**
 * The words of the merged pcapng: one opt_comment per packet saying what the device did with it, and the
 * section header's comments. Users filter on these words in Wireshark (`frame.comment contains
 * "dropped"`), so the phrases are part of the interface: docs/merged-pcapng.md lists them; keep the two in
 * sync and never reword one without saying so there.
 *
 * Nothing here may carry an address or payload: with --anonymize these comments are published as they are.
 */

import type { ClockAlignment } from '../correlate/clock-result.js';
import { FIELD_NAMES, type MatchEventKind } from '../correlate/match.js';
import type { Correlation, Side, UnpairedReason } from '../correlate/types.js';

/** Verdict codes as stored in the reorder buffer (0 = none). */
export const EVENT_CODES: readonly MatchEventKind[] = [
  'matched',
  'matched',
  'dropped',
  'injected',
  'answered',
  'outside',
  'terminated',
  'unpaired',
];
export const NO_EVENT = 0;

export function eventCode(kind: MatchEventKind): number {
  return EVENT_CODES.indexOf(kind, 1);
}

export const SIDE_NAMES = ['client-side', 'server-side'] as const;
const DIRS = ['client-to-server', 'server-to-client'] as const;

export const PHRASES = {
  dropped: 'dropped by device',
  injected: 'injected by device',
  answered: 'answered by device (consumed, not forwarded)',
  outside: 'no counterpart: outside the other capture',
  terminated: 'terminated by device (the other side is a separate connection)',
  notTcp: 'not TCP: copied, not matched',
  noSession: 'TCP outside any session: not matched',
  unknown: 'verdict unknown (reorder buffer full)',
} as const;

export interface PacketVerdict {
  event: number;
  pair: number;
  dir: 0 | 1;
  otherPacket: number;
  delayNs: number;
  changes: number;
}

/**
 * The comment of one packet, which starts with its own number in its input ("dualcap: client-side #21: ")
 * so that a counterpart named in another comment is one filter away. `verdict` null: no verdict came (not TCP, no session, or the buffer was
 * full: `forced`). `unpaired`: the reason of an unpaired session's packet. `note`: where the message this
 * packet starts went through a terminating device (`messageNotes`).
 */
export function packetComment(
  side: 0 | 1,
  packet: number,
  isTcp: boolean,
  verdict: PacketVerdict | null,
  unpaired: UnpairedReason | null,
  findings: readonly string[] | undefined,
  forced: boolean,
  note: string | undefined,
): string {
  let text: string;
  if (verdict === null) {
    text = forced ? PHRASES.unknown : isTcp ? PHRASES.noSession : PHRASES.notTcp;
  } else {
    const kind = EVENT_CODES[verdict.event] ?? 'matched';
    if (kind === 'unpaired') {
      text = `no counterpart: unpaired (${unpaired ?? 'no pair'})`;
    } else {
      text = `pair ${verdict.pair} ${DIRS[verdict.dir]}, ${verdictWords(side, kind, verdict)}`;
    }
  }
  if (note !== undefined) text += `; ${note}`;
  if (findings !== undefined && findings.length > 0) text += `; findings: ${findings.join(', ')}`;
  return `dualcap: ${SIDE_NAMES[side]} #${packet}: ${text}`;
}

function verdictWords(side: 0 | 1, kind: MatchEventKind, v: PacketVerdict): string {
  switch (kind) {
    case 'matched': {
      let s = `matches ${SIDE_NAMES[1 - side]} #${v.otherPacket}, transit delay ${formatDelay(v.delayNs)}`;
      const changed = changedNames(v.changes);
      s += changed.length > 0 ? `, changed: ${changed.join(', ')}` : ', unchanged';
      return s;
    }
    case 'dropped':
      return PHRASES.dropped;
    case 'injected':
      return PHRASES.injected;
    case 'answered':
      return PHRASES.answered;
    case 'outside':
      return PHRASES.outside;
    default:
      return PHRASES.terminated;
  }
}

/** Field names of a changed-fields bitmask (FIELD_NAMES order). */
export function changedNames(bits: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < FIELD_NAMES.length; i++) if ((bits & (1 << i)) !== 0) out.push(FIELD_NAMES[i]!);
  return out;
}

/** Milliseconds with microsecond digits ("0.245 ms"); the sign kept (clock uncertainty can make it < 0). */
export function formatDelay(ns: number): string {
  if (!Number.isFinite(ns)) return 'unknown';
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** The section header's comments: what the file is, its inputs, the alignment, how to filter. */
export function sectionComments(
  c: Correlation,
  inputs: [string | null, string | null],
  app: string,
): string[] {
  const describe = (side: Side, name: string | null) => {
    const d = side === 'client' ? c.client : c.server;
    const file = name === null ? 'name withheld' : name;
    return `${side}-side input: ${file} (${d.info.format}, ${d.packets} packets, ${d.tcpPackets} TCP)`;
  };
  return [
    `${app}: both captures of a middlebox merged into one file. Interface client-side is the ` +
      'client-side capture, interface server-side the server-side capture; server-side times are mapped onto ' +
      'the client-side clock.',
    describe('client', inputs[0]),
    describe('server', inputs[1]),
    alignmentText(c.alignment),
    'Every packet has a comment: "matches server-side #N" / "matches client-side #N" with the transit delay ' +
      'and the changed fields, "dropped by device", "injected by device", "answered by device", "no ' +
      'counterpart: ...", or "not TCP". Filter with frame.comment contains "dropped".',
  ];
}

export function alignmentText(a: ClockAlignment): string {
  const bound = Number.isFinite(a.boundNs) ? `+-${formatDelay(a.boundNs)}` : 'not bounded';
  const segments = a.segments.length > 1 ? `, ${a.segments.length} segments (clock steps)` : '';
  return (
    `clock alignment (server side onto client side): offset ${formatDelay(a.offsetNs)}, skew ` +
    `${a.skewPpm.toFixed(3)} ppm, bound ${bound}, method ${a.method}${segments}`
  );
}

/**
 * For terminating devices (no packet crosses, messages do): the first packet of each linked message on
 * both sides names its counterpart, per side by packet number: "request relayed as server-side #N" on
 * the client side, "request relayed from client-side #M" on the server side (responses the other way).
 */
export function messageNotes(c: Correlation): [Map<number, string>, Map<number, string>] {
  const notes: [Map<number, string>, Map<number, string>] = [new Map(), new Map()];
  for (const pair of c.pairs) {
    const cs = c.client.sessions[pair.client];
    if (cs === undefined) continue;
    for (const link of pair.messages) {
      const cm = cs.messages[link.clientMessage];
      const ss = c.server.sessions[pair.server[link.serverSession] ?? -1];
      const sm = ss?.messages[link.serverMessage];
      if (cm === undefined || sm === undefined) continue;
      const latency = link.latencyNs === null ? '' : `, latency ${formatDelay(link.latencyNs)}`;
      const clientNote =
        cm.dir === 0
          ? `request relayed as server-side #${sm.firstPacket}`
          : `response relayed from server-side #${sm.firstPacket}`;
      const serverNote =
        cm.dir === 0
          ? `request relayed from client-side #${cm.firstPacket}`
          : `response relayed as client-side #${cm.firstPacket}`;
      if (!notes[0].has(cm.firstPacket)) notes[0].set(cm.firstPacket, `${clientNote}${latency}`);
      if (!notes[1].has(sm.firstPacket)) notes[1].set(sm.firstPacket, `${serverNote}${latency}`);
    }
  }
  return notes;
}
