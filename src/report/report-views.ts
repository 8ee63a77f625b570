/**
 * Which connections the text report shows side by side. By default one or two examples, chosen so that
 * the view explains the report: first the connections problems name (most severe first), then a pair with
 * dropped or injected packets, then an example of the first behaviour with one, else the first pair. The
 * user picks instead with a pair id or a client-side port.
 */
import type { DetailTarget } from '../correlate/detail.js';
import type { Report, ReportFinding } from './report-schema.js';

export interface ViewChoice extends DetailTarget {
  /** Why it is shown, in plain words ("problem handshake.bogus_ack", "--pair 3"). */
  reason: string;
}

export const DEFAULT_VIEWS = 2;
/** Connections shown for one --client-port (a busy port is reused by many connections). */
export const MAX_PORT_VIEWS = 5;

const SEVERITY_ORDER = { error: 0, warning: 1, note: 2 } as const;

function pairChoice(report: Report, id: number, reason: string): ViewChoice | null {
  const p = report.pairs.find((x) => x.id === id);
  if (p === undefined) return null;
  return {
    pair: p.id,
    clientSessions: [p.client.session],
    serverSessions: p.server.map((s) => s.session),
    reason,
  };
}

function findingChoice(report: Report, f: ReportFinding): ViewChoice | null {
  if (f.pair !== null) return pairChoice(report, f.pair, `problem ${f.id}`);
  if (f.clientSession === null && f.serverSession === null) return null;
  return {
    pair: null,
    clientSessions: f.clientSession === null ? [] : [f.clientSession],
    serverSessions: f.serverSession === null ? [] : [f.serverSession],
    reason: `problem ${f.id}`,
  };
}

function key(v: ViewChoice): string {
  return v.pair !== null ? `p${v.pair}` : `c${v.clientSessions.join(',')}s${v.serverSessions.join(',')}`;
}

/** The default examples, at most `max`. */
export function defaultViews(report: Report, max = DEFAULT_VIEWS): ViewChoice[] {
  const out: ViewChoice[] = [];
  const seen = new Set<string>();
  const add = (v: ViewChoice | null) => {
    if (v === null || out.length >= max || seen.has(key(v))) return;
    seen.add(key(v));
    out.push(v);
  };
  const problems = [...report.findings].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
  );
  for (const f of problems) add(findingChoice(report, f));
  for (const u of report.unpaired.client) {
    if (u.reason === 'never-forwarded')
      add({
        pair: null,
        clientSessions: [u.session],
        serverSessions: [],
        reason: 'a connection the device never forwarded',
      });
  }
  const lossy = report.pairs.find((p) => p.packets.c2s.dropped + p.packets.s2c.dropped > 0);
  if (lossy) add(pairChoice(report, lossy.id, 'dropped packets'));
  const injected = report.pairs.find((p) => p.packets.c2s.injected + p.packets.s2c.injected > 0);
  if (injected && out.length === 0) add(pairChoice(report, injected.id, 'injected packets'));
  if (out.length === 0) {
    for (const b of report.device.behaviours) {
      const e = b.evidence.find((x) => x.pair !== null);
      if (e && e.pair !== null) {
        add(pairChoice(report, e.pair, `example of ${b.id}`));
        break;
      }
    }
  }
  const first = report.pairs[0];
  if (out.length === 0 && first) add(pairChoice(report, first.id, 'first pair'));
  return out;
}

/** The pair with this id; null when there is none. */
export function viewOfPair(report: Report, id: number): ViewChoice | null {
  return pairChoice(report, id, `--pair ${id}`);
}

/** Every connection (paired or not) whose client-side source port is `port`, first ones first. */
export function viewsOfClientPort(report: Report, port: number, max = MAX_PORT_VIEWS): ViewChoice[] {
  const found: { start: string; view: ViewChoice }[] = [];
  for (const p of report.pairs) {
    if (p.client.tuple[1] !== port) continue;
    found.push({ start: p.client.start, view: pairChoice(report, p.id, `--client-port ${port}`)! });
  }
  for (const u of report.unpaired.client) {
    if (u.tuple[1] !== port) continue;
    found.push({
      start: u.start,
      view: { pair: null, clientSessions: [u.session], serverSessions: [], reason: `--client-port ${port}` },
    });
  }
  found.sort((a, b) => compareEpoch(a.start, b.start));
  return found.slice(0, max).map((f) => f.view);
}

/** Compares two epoch strings with nine decimals exactly (no floating point). */
function compareEpoch(a: string, b: string): number {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  const d = Number(as) - Number(bs);
  return d !== 0 ? d : af < bf ? -1 : af > bf ? 1 : 0;
}
