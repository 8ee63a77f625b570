/**
 * `--anonymize` for the report outputs: the JSON report, and what the text and HTML reports show packet by
 * packet. One step, (Report, views) -> (Report, views), taken before any renderer runs, so that text, JSON
 * and HTML all render the same anonymized values and no renderer has to know about anonymization. The
 * rules (docs/anonymize.md):
 * - address fields (tuples, address rewrites, evidence values that are an address) through `addressString`;
 * - every sentence dualcap wrote (summaries, details, evidence, problems, warnings, reading errors) through
 *   `redactText`, after the input paths in it are replaced by the side's name;
 * - input paths withheld ("client-side capture"); payload snippets become a keyed hash (their length is
 *   kept), pcapng comments from the inputs are dropped;
 * - ports, sequence numbers, flags, timing, counts and finding ids are kept: they are the analysis.
 *
 * Objects are rebuilt field by field, never spread: a field added to the report schema then fails to
 * compile here until someone decides how it is anonymized, instead of passing through unseen.
 * The input is not changed.
 */
import { basename, resolve } from 'node:path';
import type { PairDetail } from '../correlate/detail.js';
import type { Anonymizer } from './anonymize.js';
import { parseIpv4, parseIpv6 } from './anonymize.js';
import type { PacketExtras, PacketText } from './html-extras.js';
import type {
  Report,
  ReportConnection,
  ReportFinding,
  ReportInput,
  ReportPair,
  ReportUnpaired,
} from './report-schema.js';
import type { TextView } from './report-text.js';
import type { ViewChoice } from './report-views.js';

/** What stands for each input's path in an anonymized output (client side, server side). */
export const WITHHELD_PATHS = ['client-side capture', 'server-side capture'] as const;
const INPUT_LABEL = 'input capture';
/**
 * What every address redactText replaces has: a colon (IPv6, MAC), a digit-dot-digit (IPv4), or two hex
 * digits around a dash (MAC). Most sentences of a report have none ("6 packets forwarded one to one") and
 * skip its three scans; a wider test than needed costs time, a narrower one would leak.
 */
const MAYBE_ADDRESS = /:|\d\.\d|[0-9a-fA-F]-[0-9a-fA-F]/;

/** Everything a report renderer reads: the report and the connections it shows packet by packet. */
export interface ReportOutputs {
  report: Report;
  /** Side-by-side views of the text report, ladders of the HTML report. */
  views: TextView[];
  /** Payload snippets and comments of the shown packets (HTML hover text); absent when not collected. */
  extras?: PacketExtras;
}

type Evidence = ReportFinding['evidence'][number];
type EvidenceValue = Evidence['values'][string];

/** The anonymizing functions of one run: the Anonymizer plus the input paths to withhold. */
class ReportAnonymizer {
  /** Every form of every input's path, and what stands for each; null when there is no input. */
  readonly #pathPattern: RegExp | null;
  readonly #pathLabels = new Map<string, string>();

  constructor(
    private readonly anon: Anonymizer,
    inputPaths: readonly string[],
  ) {
    inputPaths.forEach((p, i) => {
      const label = WITHHELD_PATHS[i] ?? INPUT_LABEL;
      // A message may name the file as given, as resolved, or by its base name.
      for (const form of [p, resolve(p), basename(p)]) {
        if (form === '') continue;
        const known = this.#pathLabels.get(form);
        // Two inputs of one base name: the name alone does not say which side it is.
        this.#pathLabels.set(form, known === undefined || known === label ? label : INPUT_LABEL);
      }
    });
    // Longest first, so that a full path goes before its base name. Whole names only (a file called "1"
    // leaves "10 packets" be), and a full stop after a name ends the sentence, not the name.
    const forms = [...this.#pathLabels.keys()].sort((a, b) => b.length - a.length);
    this.#pathPattern =
      forms.length === 0
        ? null
        : new RegExp(`(?<![\\w.-])(?:${forms.map(escapeRegExp).join('|')})(?![\\w-]|\\.[\\w-])`, 'g');
  }

  /** A sentence dualcap wrote: input paths by side, addresses by pseudonym. */
  sentence(s: string): string {
    const pattern = this.#pathPattern;
    const withheld = pattern === null ? s : s.replace(pattern, (m) => this.#pathLabels.get(m) ?? INPUT_LABEL);
    return MAYBE_ADDRESS.test(withheld) ? this.anon.redactText(withheld) : withheld;
  }

  nullableSentence(s: string | null): string | null {
    return s === null ? null : this.sentence(s);
  }

  address(s: string): string {
    return this.anon.addressString(s);
  }

  /** An evidence value: an address by its pseudonym, a text as a sentence, numbers and flags as they are. */
  value(v: EvidenceValue): EvidenceValue {
    if (typeof v !== 'string') return v;
    return parseIpv4(v) !== null || parseIpv6(v) !== null ? this.address(v) : this.sentence(v);
  }

  input(i: ReportInput, side: number): ReportInput {
    return {
      side: i.side,
      path: WITHHELD_PATHS[side] ?? INPUT_LABEL,
      format: i.format,
      packets: i.packets,
      tcpPackets: i.tcpPackets,
      first: i.first,
      last: i.last,
      resolutionNs: i.resolutionNs,
      anomalies: i.anomalies.map((a) => ({
        id: a.id,
        severity: a.severity,
        count: a.count,
        text: this.sentence(a.text),
      })),
      error: this.nullableSentence(i.error),
    };
  }

  evidence(e: Evidence): Evidence {
    const values: Evidence['values'] = {};
    for (const [k, v] of Object.entries(e.values)) values[k] = this.value(v);
    return {
      pair: e.pair,
      clientPackets: [...e.clientPackets],
      serverPackets: [...e.serverPackets],
      values,
      text: this.sentence(e.text),
    };
  }

  finding(f: ReportFinding): ReportFinding {
    return {
      id: f.id,
      severity: f.severity,
      text: this.sentence(f.text),
      pair: f.pair,
      clientSession: f.clientSession,
      serverSession: f.serverSession,
      clientPackets: [...f.clientPackets],
      serverPackets: [...f.serverPackets],
      evidence: f.evidence.map((e) => this.evidence(e)),
    };
  }

  tuple(t: ReportConnection['tuple']): ReportConnection['tuple'] {
    return [this.address(t[0]), t[1], this.address(t[2]), t[3]];
  }

  connection(c: ReportConnection): ReportConnection {
    return { session: c.session, tuple: this.tuple(c.tuple), isn: c.isn, start: c.start };
  }

  unpaired(u: ReportUnpaired): ReportUnpaired {
    return {
      session: u.session,
      tuple: this.tuple(u.tuple),
      isn: u.isn,
      start: u.start,
      reason: u.reason,
      detail: this.sentence(u.detail),
    };
  }

  rewrite(r: { from: string; to: string } | null): { from: string; to: string } | null {
    return r === null ? null : { from: this.address(r.from), to: this.address(r.to) };
  }

  pair(p: ReportPair): ReportPair {
    const t = p.translation;
    return {
      id: p.id,
      client: this.connection(p.client),
      server: p.server.map((s) => this.connection(s)),
      mapping: p.mapping,
      kind: p.kind,
      score: p.score,
      evidence: p.evidence.map((e) => ({
        kind: e.kind,
        detail: this.sentence(e.detail),
        clientPacket: e.clientPacket,
        serverPacket: e.serverPacket,
      })),
      latency: {
        source: p.latency.source,
        c2s: { ...p.latency.c2s },
        s2c: { ...p.latency.s2c },
      },
      translation: {
        srcAddress: this.rewrite(t.srcAddress),
        dstAddress: this.rewrite(t.dstAddress),
        srcPort: t.srcPort === null ? null : { from: t.srcPort.from, to: t.srcPort.to },
        dstPort: t.dstPort === null ? null : { from: t.dstPort.from, to: t.dstPort.to },
        seqOffset: t.seqOffset === null ? null : { c2s: t.seqOffset.c2s, s2c: t.seqOffset.s2c },
        fieldChanges: t.fieldChanges.map((f) => ({
          field: f.field,
          dir: f.dir,
          count: f.count,
          delta: f.delta,
          clientPacket: f.clientPacket,
          serverPacket: f.serverPacket,
          detail: this.sentence(f.detail),
        })),
      },
      packets: { c2s: { ...p.packets.c2s }, s2c: { ...p.packets.s2c } },
      findings: p.findings.map((f) => this.finding(f)),
    };
  }

  report(r: Report): Report {
    const a = r.alignment;
    const d = r.device;
    return {
      schema: r.schema,
      tool: { name: r.tool.name, version: r.tool.version },
      inputs: [this.input(r.inputs[0], 0), this.input(r.inputs[1], 1)],
      alignment: {
        offsetNs: a.offsetNs,
        skewPpm: a.skewPpm,
        boundNs: a.boundNs,
        method: a.method,
        skewEstimated: a.skewEstimated,
        oneSided: a.oneSided,
        segments: a.segments,
        constraints: { ...a.constraints },
        warnings: a.warnings.map((w) => ({ id: w.id, text: this.sentence(w.text) })),
      },
      device: {
        kind: d.kind,
        kindReason: this.sentence(d.kindReason),
        summary: this.sentence(d.summary),
        behaviours: d.behaviours.map((b) => ({
          id: b.id,
          confidence: b.confidence,
          count: b.count,
          detail: this.sentence(b.detail),
          evidence: b.evidence.map((e) => this.evidence(e)),
        })),
        undecided: d.undecided.map((u) => ({ id: u.id, reason: this.sentence(u.reason) })),
      },
      pairs: r.pairs.map((p) => this.pair(p)),
      unpaired: {
        client: r.unpaired.client.map((u) => this.unpaired(u)),
        server: r.unpaired.server.map((u) => this.unpaired(u)),
      },
      packets: {
        c2s: { ...r.packets.c2s },
        s2c: { ...r.packets.s2c },
        terminated: [r.packets.terminated[0], r.packets.terminated[1]],
      },
      findings: r.findings.map((f) => this.finding(f)),
    };
  }

  choice(c: ViewChoice): ViewChoice {
    return {
      pair: c.pair,
      clientSessions: [...c.clientSessions],
      serverSessions: [...c.serverSessions],
      reason: this.sentence(c.reason),
    };
  }

  /**
   * A view's packets hold numbers only (packet numbers, flags, seq/ack, lengths, TTL, IP ID, window, times)
   * and finding ids, all kept; they are shared, not copied. The target becomes the anonymized choice, so a
   * renderer that reads the reason from the detail's target (the HTML ladders) reads the same words.
   */
  view(v: TextView): TextView {
    const choice = this.choice(v.choice);
    const detail: PairDetail = {
      target: choice,
      client: v.detail.client,
      server: v.detail.server,
      links: v.detail.links,
      omitted: [v.detail.omitted[0], v.detail.omitted[1]],
    };
    return { choice, detail };
  }

  /** Payload text becomes its keyed hash (equal snippets stay equal within a run); comments are dropped. */
  packetText(t: PacketText): PacketText {
    return {
      payload: t.payload === '' ? '' : this.anon.text(t.payload),
      payloadLength: t.payloadLength,
      comments: [],
    };
  }

  extras(e: PacketExtras): PacketExtras {
    const side = (m: Map<number, PacketText>) => {
      const out = new Map<number, PacketText>();
      for (const [packet, t] of m) if (t.payload !== '') out.set(packet, this.packetText(t));
      return out;
    };
    return { client: side(e.client), server: side(e.server) };
  }
}

/** The JSON report with every address pseudonymised and the input paths withheld (see the file comment). */
export function anonymizeReport(report: Report, anon: Anonymizer): Report {
  return new ReportAnonymizer(anon, pathsOf(report)).report(report);
}

/**
 * The report and the connections it shows, anonymized with the run's Anonymizer; every renderer (text,
 * JSON, HTML) renders the result as it would the original.
 */
export function anonymizeOutputs(outputs: ReportOutputs, anon: Anonymizer): ReportOutputs {
  const a = new ReportAnonymizer(anon, pathsOf(outputs.report));
  const out: ReportOutputs = { report: a.report(outputs.report), views: outputs.views.map((v) => a.view(v)) };
  if (outputs.extras !== undefined) out.extras = a.extras(outputs.extras);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function pathsOf(report: Report): string[] {
  return report.inputs.map((i) => i.path);
}
