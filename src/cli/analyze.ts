/**
 * `dualcap analyze CLIENT_SIDE SERVER_SIDE`: correlate two captures, diagnose the device, print the report
 * (text with side-by-side views, or the JSON document of docs/report-schema.md), and with `--merge` write
 * the annotated merged pcapng (docs/merged-pcapng.md). `--anonymize` makes every one of these outputs safe
 * to share with one Anonymizer for the whole run (docs/anonymize.md). `verify` runs the same analysis and
 * checks the report against expectations.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CaptureError } from '../capture/types.js';
import { collectDetails, DEFAULT_DETAIL_PACKETS } from '../correlate/detail.js';
import { type CorrelateOptions, type Correlation, correlate } from '../correlate/index.js';
import { parsePrefix } from '../correlate/pair-hints.js';
import { diagnose } from '../diagnose/index.js';
import type { Diagnosis } from '../diagnose/types.js';
import { type Anonymizer, anonymizerFor } from '../report/anonymize.js';
import { htmlViews, renderHtmlReport } from '../report/html.js';
import { collectPacketExtras } from '../report/html-extras.js';
import { type MergeResult, writeMergedPcapng } from '../report/merge.js';
import { anonymizeOutputs, anonymizeReport, type ReportOutputs } from '../report/report-anon.js';
import { buildReport } from '../report/report-json.js';
import type { Report } from '../report/report-schema.js';
import { renderReportText, type TextView } from '../report/report-text.js';
import { defaultViews, type ViewChoice, viewOfPair, viewsOfClientPort } from '../report/report-views.js';
import { writeReportJson } from '../report/report-write.js';
import { Progress, UsageError } from './output.js';
import { VERSION } from './version.js';

/** Rows of a side-by-side view chosen by default (a view asked for with --pair shows every row). */
export const DEFAULT_VIEW_ROWS = 40;

/** Options as commander hands them over (strings), before checking. */
export interface AnalyzeArgs {
  format?: string;
  vip?: string;
  deviceIp?: string;
  serverNet?: string;
  offset?: string;
  skew?: string;
  pair?: string;
  clientPort?: string;
  raw?: boolean;
  merge?: string;
  anonymize?: boolean;
  anonymizeKey?: string;
}

export interface AnalyzeOptions {
  format: 'text' | 'json' | 'html';
  correlate: CorrelateOptions;
  pair: number | null;
  clientPort: number | null;
  raw: boolean;
  /** Where to write the merged pcapng; null: not written. */
  merge: string | null;
  /** The run's one Anonymizer, shared by every output; null: nothing is anonymized. */
  anonymizer: Anonymizer | null;
}

const UNIT_NS: Record<string, number> = { h: 3600e9, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, ns: 1 };
const DURATION_FORMS = 'e.g. "3h17m", "-250ms", "1m2.5s", "11820.5" (seconds); units h, m, s, ms, us, ns';

/**
 * A signed duration in ns: a number alone is seconds ("11820.5"); otherwise one or more number+unit parts
 * ("3h17m", "-1h2m3.5s", "+250us"). Null when the text is not one of these forms.
 */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  const m = /^([+-]?)(.*)$/.exec(t);
  if (m === null) return null;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2] ?? '';
  if (/^\d+(\.\d+)?$/.test(body)) return sign * Number(body) * 1e9;
  if (body === '' || !/^(\d+(\.\d+)?(h|ms|m|s|us|ns))+$/.test(body)) return null;
  let total = 0;
  for (const part of body.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)/g))
    total += Number(part[1]) * UNIT_NS[part[2]!]!;
  return Number.isFinite(total) ? sign * total : null;
}

function wholeNumber(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > max)
    throw new UsageError(`${name}: expected a whole number from 0 to ${max}, got "${text}"`);
  return Number(text);
}

function hint(name: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (parsePrefix(text) === null)
    throw new UsageError(
      `${name}: "${text}" is not an IPv4 or IPv6 address or prefix (e.g. 10.0.0.1 or 10.0.0.0/24)`,
    );
  return text;
}

/** The correlation options shared by analyze and verify: hints and clock overrides. */
export function correlateOptions(a: AnalyzeArgs): CorrelateOptions {
  const opts: CorrelateOptions = {};
  const vip = hint('--vip', a.vip);
  const deviceIp = hint('--device-ip', a.deviceIp);
  const serverNet = hint('--server-net', a.serverNet);
  if (vip !== undefined) opts.vip = vip;
  if (deviceIp !== undefined) opts.deviceIp = deviceIp;
  if (serverNet !== undefined) opts.serverNet = serverNet;
  if (a.offset !== undefined) {
    const ns = parseDuration(a.offset);
    if (ns === null)
      throw new UsageError(`--offset: cannot read "${a.offset}" as a duration: ${DURATION_FORMS}`);
    opts.offsetNs = ns;
  }
  if (a.skew !== undefined) {
    const ppm = Number(a.skew);
    if (a.skew.trim() === '' || !Number.isFinite(ppm) || Math.abs(ppm) > 1e5)
      throw new UsageError(`--skew: expected parts per million between -100000 and 100000, got "${a.skew}"`);
    opts.skewPpm = ppm;
  }
  return opts;
}

/** Checks and converts the command's options; every problem is a UsageError (exit 2). */
export function analyzeOptions(a: AnalyzeArgs): AnalyzeOptions {
  const format = (a.format ?? 'text') as 'text' | 'json' | 'html';
  const pair = a.pair === undefined ? null : wholeNumber('--pair', a.pair, Number.MAX_SAFE_INTEGER);
  const clientPort = a.clientPort === undefined ? null : wholeNumber('--client-port', a.clientPort, 65535);
  if (pair !== null && clientPort !== null)
    throw new UsageError('--pair and --client-port both choose the view: give one');
  if (format === 'json' && (pair !== null || clientPort !== null || a.raw))
    throw new UsageError(
      '--pair, --client-port and --raw choose the side-by-side view of the text report: use --format text',
    );
  if (format === 'html' && a.raw) throw new UsageError('--raw is for the text report: use --format text');
  if (a.merge !== undefined && a.merge.trim() === '') throw new UsageError('--merge: give the file to write');
  return {
    format,
    correlate: correlateOptions(a),
    pair,
    clientPort,
    raw: Boolean(a.raw),
    merge: a.merge ?? null,
    anonymizer: runAnonymizer(a),
  };
}

/** `--anonymize`, `--anonymize-key KEY` (a key implies --anonymize): the run's Anonymizer, or null. */
function runAnonymizer(a: AnalyzeArgs): Anonymizer | null {
  if (a.anonymizeKey === '')
    throw new UsageError('--anonymize-key: empty; give 64 hex digits or a passphrase (docs/anonymize.md)');
  return anonymizerFor({ anonymize: Boolean(a.anonymize), anonymizeKey: a.anonymizeKey ?? null });
}

/** True when the two paths name one file (the same path, or links to one file). */
function sameFile(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false; // one of them does not exist yet
  }
}

/**
 * Refuses, before any work, an output file that is one of the input captures (writing it would destroy the
 * input before, or while, it is read), a second output of the same run, a directory, or a file in a
 * folder that does not exist. `what` names the option ("--merge", "--output").
 */
export function checkOutputPath(
  what: string,
  path: string,
  clientPath: string,
  serverPath: string,
  others: { name: string; path: string | null | undefined }[] = [],
): void {
  for (const [side, input] of [
    ['client-side', clientPath],
    ['server-side', serverPath],
  ] as const) {
    if (sameFile(path, input))
      throw new UsageError(
        `${what} ${path}: that is the ${side} capture; writing it would destroy the input`,
      );
  }
  const folder = dirname(resolve(path));
  if (!existsSync(folder)) throw new UsageError(`${what} ${path}: no such directory ${folder}`);
  if (existsSync(path) && statSync(path).isDirectory())
    throw new UsageError(`${what} ${path}: is a directory; give a file name`);
  for (const o of others) {
    if (o.path && o.path !== '-' && sameFile(path, o.path))
      throw new UsageError(`${what} ${path}: ${o.name} writes to the same file; give two different files`);
  }
}

/** Refuses what cannot be two captures of one device: missing files, directories, the same file twice. */
export function checkInputs(clientPath: string, serverPath: string): void {
  for (const [side, p] of [
    ['client-side', clientPath],
    ['server-side', serverPath],
  ] as const) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(
        `${side} capture ${p}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      );
    }
    if (!st.isFile()) throw new UsageError(`${side} capture ${p}: not a file`);
  }
  if (realpathSync(clientPath) === realpathSync(serverPath))
    throw new UsageError(
      `the client-side and server-side captures are the same file (${clientPath}): give the capture of each side of the device`,
    );
  if (sameStart(clientPath, serverPath))
    throw new UsageError(
      `${clientPath} and ${serverPath} are copies of one capture (same size, same first ${COPY_CHECK_BYTES >> 20} MiB): give the capture of each side of the device`,
    );
}

/** Bytes compared to recognise two paths holding copies of one file. */
const COPY_CHECK_BYTES = 1 << 20;

/**
 * True when both files have the same size and the same first MiB. Two captures taken on different sides of
 * a device differ within their first packets (addresses, times, at least the TTL), so this never refuses a
 * real pair, and it costs one MiB per file whatever their size.
 */
function sameStart(a: string, b: string): boolean {
  if (statSync(a).size !== statSync(b).size) return false;
  const head = (p: string) => {
    const fd = openSync(p, 'r');
    try {
      const buf = Buffer.alloc(COPY_CHECK_BYTES);
      const n = readSync(fd, buf, 0, buf.length, 0);
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  };
  try {
    return head(a).equals(head(b));
  } catch {
    return false; // an unreadable file is reported when it is opened
  }
}

export interface Analysis {
  correlation: Correlation;
  diagnosis: Diagnosis;
  report: Report;
}

/** Reads, correlates and diagnoses; a capture that cannot be read is a UsageError naming the file. */
export function runAnalysis(clientPath: string, serverPath: string, opts: CorrelateOptions): Analysis {
  checkInputs(clientPath, serverPath);
  const progress = new Progress('analyzing');
  let correlation: Correlation;
  try {
    correlation = correlate(clientPath, serverPath, {
      ...opts,
      onProgress: (done, total) => progress.update(done, total),
    });
  } catch (e) {
    if (e instanceof CaptureError) throw new UsageError(e.message);
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && err.syscall) throw new UsageError(err.message);
    throw e;
  } finally {
    progress.done();
  }
  const diagnosis = diagnose(correlation);
  const report = buildReport(correlation, diagnosis, { name: 'dualcap', version: VERSION });
  return { correlation, diagnosis, report };
}

function chooseViews(report: Report, opts: AnalyzeOptions): ViewChoice[] {
  if (opts.pair !== null) {
    const v = viewOfPair(report, opts.pair);
    if (v === null) {
      const ids = report.pairs.map((p) => p.id);
      const range =
        ids.length === 0
          ? 'there are no pairs'
          : `pair ids run from ${Math.min(...ids)} to ${Math.max(...ids)}`;
      throw new UsageError(`--pair ${opts.pair}: no such pair (${range})`);
    }
    return [v];
  }
  if (opts.clientPort !== null) {
    const vs = viewsOfClientPort(report, opts.clientPort);
    if (vs.length === 0)
      throw new UsageError(`--client-port ${opts.clientPort}: no client-side connection from that port`);
    return vs;
  }
  return defaultViews(report);
}

export interface AnalyzeResult {
  /** The report as every output shows it (anonymized with --anonymize). */
  report: Report;
  /** Writes the output, text or JSON, in pieces. */
  render: (write: (text: string) => void) => void;
  /** Warnings for stderr: reading errors that ended a file early. */
  warnings: string[];
  /** What --merge wrote; null without --merge. */
  merged: MergeResult | null;
}

/**
 * The whole analysis, and the merged pcapng when asked for; the report is written by `render` afterwards,
 * so a run that fails on bad input leaves no half-written file. With an Anonymizer, the report and views
 * are anonymized once, before rendering, and the merged pcapng is anonymized with the same Anonymizer: the
 * same address has the same pseudonym in every output.
 */
export function analyze(clientPath: string, serverPath: string, opts: AnalyzeOptions): AnalyzeResult {
  if (opts.merge !== null) checkOutputPath('--merge', opts.merge, clientPath, serverPath);
  const analysis = runAnalysis(clientPath, serverPath, opts.correlate);
  const { correlation } = analysis;
  const anon = opts.anonymizer;
  let report = analysis.report;
  let render: AnalyzeResult['render'];
  if (opts.format === 'json') {
    if (anon !== null) report = anonymizeReport(report, anon);
    const shown = report;
    render = (write) => writeReportJson(shown, write);
  } else if (opts.format === 'html') {
    // The page draws ladders of the chosen connections (or a default set), with payload snippets and
    // comments read from the captures: all of it goes through the same anonymizing step as the text report.
    const chosen = opts.pair !== null || opts.clientPort !== null;
    const choices = chosen ? chooseViews(report, opts) : htmlViews(report);
    const details = collectDetails(correlation, choices, {
      maxPackets: DEFAULT_DETAIL_PACKETS,
      ...(opts.correlate.match ? { match: opts.correlate.match } : {}),
    });
    let outputs: ReportOutputs = {
      report,
      views: choices.map((choice, i) => ({ choice, detail: details[i]! })),
      extras: collectPacketExtras(correlation.client.path, correlation.server.path, details),
    };
    if (anon !== null) outputs = anonymizeOutputs(outputs, anon);
    report = outputs.report;
    const page = renderHtmlReport(
      outputs.report,
      outputs.views.map((v) => v.detail),
      { baseSec: correlation.baseSec, ...(outputs.extras ? { extras: outputs.extras } : {}) },
    );
    render = (write) => write(page);
  } else {
    const choices = chooseViews(report, opts);
    const chosen = opts.pair !== null || opts.clientPort !== null;
    const details = collectDetails(correlation, choices, {
      maxPackets: DEFAULT_DETAIL_PACKETS,
      ...(opts.correlate.match ? { match: opts.correlate.match } : {}),
    });
    let views: TextView[] = choices.map((choice, i) => ({ choice, detail: details[i]! }));
    if (anon !== null) ({ report, views } = anonymizeOutputs({ report, views }, anon));
    const text = renderReportText(report, views, {
      raw: opts.raw,
      maxRows: chosen ? null : DEFAULT_VIEW_ROWS,
      baseSec: correlation.baseSec,
    });
    render = (write) => write(text);
  }
  const merged = opts.merge === null ? null : writeMerge(analysis, opts.merge, opts);
  const warnings = report.inputs.filter((i) => i.error !== null).map((i) => `${i.path}: ${i.error}`);
  return { report, render, warnings, merged };
}

/**
 * The merged pcapng, with the analysis's match options and diagnosis. Written beside the target under a
 * temporary name and renamed when complete: a run that fails half way leaves no partial file behind, and
 * never a truncated copy of a file that was there before.
 */
function writeMerge(a: Analysis, path: string, opts: AnalyzeOptions): MergeResult {
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  try {
    const result = writeMergedPcapng(a.correlation, partial, {
      anonymizer: opts.anonymizer,
      diagnosis: a.diagnosis,
      version: VERSION,
      ...(opts.correlate.match ? { match: opts.correlate.match } : {}),
    });
    renameSync(partial, path);
    return { ...result, path };
  } catch (e) {
    if (existsSync(partial)) rmSync(partial, { force: true });
    if (e instanceof CaptureError) throw new UsageError(`--merge: ${e.message}`);
    throw e;
  }
}
