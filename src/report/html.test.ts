import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import type { DetailPacket, PairDetail } from '../correlate/detail.js';
import { contentSecurityPolicy, hashSource, renderHtmlReport } from './html.js';
import { latencyHistogram } from './html-plots.js';
import { tablePairs } from './html-table.js';
import { type Report, type ReportPair, reportSchema } from './report-schema.js';

const HOSTILE_SCRIPT = '<script>window.__pwned=1</script>';
const HOSTILE_ATTR = '"><img src=x onerror="window.__pwned=1">';

const emptyDelay = { count: 0, minNs: null, p50Ns: null, p99Ns: null, maxNs: null };
const counts = (matched: number, dropped = 0) => ({ matched, dropped, injected: 0, answered: 0, outside: 0 });

function pair(id: number, opts: { warning?: boolean; latencyNs?: number } = {}): ReportPair {
  const port = 1024 + (id % 60000);
  const latency = opts.latencyNs ?? 5000 + (id % 100) * 100;
  return {
    id,
    client: {
      session: id,
      tuple: ['10.0.0.1', port, '10.0.0.2', 80],
      isn: id,
      start: '1700000000.000000000',
    },
    server: [
      { session: id, tuple: ['10.0.1.1', port, '10.0.1.2', 8080], isn: id, start: '1700000000.000010000' },
    ],
    mapping: 'one-to-one',
    kind: 'translated',
    score: 1,
    evidence: [],
    latency: {
      source: 'packets',
      c2s: { count: 5, minNs: latency, p50Ns: latency, p99Ns: latency, maxNs: latency },
      s2c: {
        count: 4,
        minNs: latency + 1000,
        p50Ns: latency + 1000,
        p99Ns: latency + 1000,
        maxNs: latency + 1000,
      },
    },
    translation: {
      srcAddress: { from: '10.0.0.1', to: '10.0.1.1' },
      dstAddress: null,
      srcPort: null,
      dstPort: null,
      seqOffset: null,
      fieldChanges: [],
    },
    packets: { c2s: counts(5, opts.warning ? 1 : 0), s2c: counts(4) },
    findings: opts.warning
      ? [
          {
            id: 'packet.dropped',
            severity: 'warning',
            text: `1 client to server packet(s) dropped ${HOSTILE_SCRIPT}`,
            pair: id,
            clientSession: id,
            serverSession: id,
            clientPackets: [3],
            serverPackets: [],
            evidence: [],
          },
        ]
      : [],
  };
}

/** A schema-valid report of `n` pairs; every 100th pair has a warning; texts from captures are hostile. */
function syntheticReport(n: number, check = n <= 1000): Report {
  const pairs: ReportPair[] = [];
  for (let i = 0; i < n; i++) pairs.push(pair(i, { warning: i % 100 === 7 }));
  const input = (side: 'client' | 'server') => ({
    side,
    path: `/captures/${side}${HOSTILE_ATTR}.pcapng`,
    format: 'pcapng',
    packets: n * 9,
    tcpPackets: n * 9,
    first: '1700000000.000000000',
    last: '1700000100.000000000',
    resolutionNs: 1000,
    anomalies: [{ id: 'capture.comment', severity: 'note' as const, count: 1, text: HOSTILE_SCRIPT }],
    error: null,
  });
  const report: Report = {
    schema: 'dualcap.report/1',
    tool: { name: 'dualcap', version: '0.1.0' },
    inputs: [input('client'), input('server')],
    alignment: {
      offsetNs: 1200,
      skewPpm: 0.5,
      boundNs: 3000,
      method: 'two-sided-envelope',
      skewEstimated: true,
      oneSided: false,
      segments: 1,
      constraints: { forward: n, reverse: n, used: 2 * n, rejected: 0, invalid: 0 },
      warnings: [],
    },
    device: {
      kind: 'nat',
      kindReason: 'forwards packets one to one and rewrites-source-address',
      summary: `The device translates addresses ${HOSTILE_SCRIPT}.`,
      behaviours: [
        { id: 'forwards-packets', confidence: 1, count: n, detail: 'all pass through', evidence: [] },
        { id: 'rewrites-source-address', confidence: 0.95, count: n, detail: HOSTILE_ATTR, evidence: [] },
      ],
      undecided: [],
    },
    pairs,
    unpaired: { client: [], server: [] },
    packets: { c2s: counts(5 * n, Math.ceil(n / 100)), s2c: counts(4 * n), terminated: [0, 0] },
    findings: [],
  };
  // Small reports are checked against the schema; the big one is the same shape, many times over.
  return check ? reportSchema.parse(report) : report;
}

function blockBetween(page: string, open: string, close: string): string {
  const start = page.indexOf(open);
  const end = page.indexOf(close, start);
  return page.slice(start + open.length, end);
}

function countOf(page: string, needle: string): number {
  return page.split(needle).length - 1;
}

describe('renderHtmlReport', () => {
  const report = syntheticReport(120);
  const page = renderHtmlReport(report, [], { baseSec: 1700000000 });

  test('is one self-contained document: no network reference of any kind', () => {
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    // The only URL is the SVG namespace, which is a name, never fetched.
    const urls = page.match(/\b(?:https?|ftp|ws|wss):\/\/[^\s"'<>)]*/g) ?? [];
    expect(urls.filter((u) => u !== 'http://www.w3.org/2000/svg')).toEqual([]);
    expect(page).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(page).not.toMatch(/<[a-z]+[^>]*\ssrc=/i);
    expect(page).not.toMatch(/url\((?!#)/);
  });

  test('the Content-Security-Policy allows exactly its own style and script blocks, by hash', () => {
    expect(countOf(page, '<script>')).toBe(1);
    expect(countOf(page, '<style>')).toBe(1);
    const style = blockBetween(page, '<style>', '</style>');
    const script = blockBetween(page, '<script>', '</script>');
    const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest('base64');
    const policy = contentSecurityPolicy(style, script);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src 'sha256-${digest(script)}'`);
    expect(policy).toContain(`style-src 'sha256-${digest(style)}'`);
    expect(policy).not.toContain('unsafe');
    // In the meta tag the quotes are entities, which the browser decodes back.
    expect(page).toContain(`content="${policy.replaceAll("'", '&#39;')}"`);
    expect(hashSource('')).toBe("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
  });

  test('no element carries a style attribute or an inline handler (the policy would refuse them)', () => {
    expect(page).not.toMatch(/\sstyle="/);
    expect(page).not.toMatch(/\son[a-z]+="/i);
  });

  test('text from captures and findings appears escaped, never as markup', () => {
    expect(page).not.toContain(HOSTILE_SCRIPT);
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
  });

  test('the verdict, behaviours and a row per pair are on the page', () => {
    expect(page).toContain('id="verdict-text"');
    expect(page).toContain('forwards-packets');
    expect(page).toContain('rewrites-source-address');
    const rows = countOf(blockBetween(page, '<table id="pairs-table">', '</table>'), '<tr');
    expect(rows).toBe(121);
  });
});

describe('pairs table cap', () => {
  test('a 100,000-pair report renders a bounded page: 2,000 rows, findings first, a note for the rest', () => {
    const big = syntheticReport(100_000);
    const started = process.hrtime.bigint();
    const page = renderHtmlReport(big, [], { baseSec: 1700000000 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    process.stdout.write(`[measure] 100,000-pair report: ${ms.toFixed(0)} ms, ${page.length} characters\n`);
    const table = blockBetween(page, '<table id="pairs-table">', '</table>');
    expect(countOf(table, '<tr')).toBe(2001);
    expect(page).toContain('Showing 2,000 of 100,000 pairs');
    // Bounded size: the table, not the pair count, decides it.
    expect(page.length).toBeLessThan(2_500_000);
    const shown = tablePairs(big, 2000);
    const warned = big.pairs.filter((p) => p.findings.length > 0).length;
    expect(shown.slice(0, warned).every((p) => p.findings.length > 0)).toBe(true);
    expect(shown[warned]!.findings).toHaveLength(0);
  });

  test('the cap is an option', () => {
    const page = renderHtmlReport(syntheticReport(30), [], { baseSec: 1700000000, maxTableRows: 10 });
    expect(countOf(blockBetween(page, '<table id="pairs-table">', '</table>'), '<tr')).toBe(11);
    expect(page).toContain('Showing 10 of 30 pairs');
  });
});

describe('latency histogram', () => {
  test('counts every pair with a measured latency once per direction', () => {
    const report = syntheticReport(500);
    const h = latencyHistogram(report, 10);
    expect(h.counts[0].reduce((a, b) => a + b, 0)).toBe(500);
    expect(h.counts[1].reduce((a, b) => a + b, 0)).toBe(500);
    expect(h.source).toBe('packets');
    expect(h.lo).toBe(5000);
  });

  test('an outlier beyond the 99th percentile lands in the last bin', () => {
    const report = syntheticReport(200);
    report.pairs[0]!.latency.c2s = { count: 1, minNs: 9e9, p50Ns: 9e9, p99Ns: 9e9, maxNs: 9e9 };
    const h = latencyHistogram(report, 10);
    expect(h.overflow).toBe(true);
    expect(h.counts[0][9]).toBeGreaterThanOrEqual(1);
  });

  test('a report without latency says so instead of drawing empty axes', () => {
    const report = syntheticReport(3);
    for (const p of report.pairs) p.latency = { source: 'none', c2s: emptyDelay, s2c: emptyDelay };
    const page = renderHtmlReport(report, [], { baseSec: 1700000000 });
    expect(page).toContain('No pair has a measured added latency.');
  });
});

function packet(side: 'client' | 'server', n: number, over: Partial<DetailPacket>): DetailPacket {
  return {
    side,
    packet: n,
    session: 0,
    dir: 0,
    sec: 1700000000,
    nsec: n * 1000,
    clientClockNs: n * 1000,
    flags: 0x010,
    rawSeq: 1000,
    rawAck: 0,
    seq: 0,
    ack: 0,
    len: 0,
    ttl: 64,
    ipId: 1,
    window: 100,
    event: 'matched',
    otherPacket: 0,
    delayNs: null,
    changes: 0,
    findings: [],
    ...over,
  };
}

describe('ladders in the page', () => {
  test('each detail becomes a ladder with an anchor the table and problems link to', () => {
    const report = syntheticReport(10);
    const detail: PairDetail = {
      target: { pair: 7, clientSessions: [7], serverSessions: [7] },
      client: [packet('client', 1, { flags: 0x002, otherPacket: 1, delayNs: 5000 })],
      server: [packet('server', 1, { flags: 0x002, otherPacket: 1, delayNs: 5000, clientClockNs: 6000 })],
      links: [],
      omitted: [0, 0],
    };
    const page = renderHtmlReport(report, [detail], { baseSec: 1700000000 });
    expect(page).toContain('id="ladder-p7"');
    expect(page).toContain('href="#ladder-p7"');
    expect(countOf(page, '<g class="pkt')).toBe(1);
  });
});

describe('a report with nothing in it', () => {
  test('renders every section with a sentence instead of an empty plot or table', () => {
    const report = syntheticReport(0);
    report.alignment.offsetNs = null;
    report.alignment.boundNs = null;
    report.device.behaviours = [];
    const page = renderHtmlReport(report, [], { baseSec: 1700000000 });
    expect(page).toContain('Not aligned: no connection relates the two captures.');
    expect(page).toContain('No behaviour was established.');
    expect(page).toContain('No pair has a measured added latency.');
    expect(page).toContain('No pairs: no client-side connection was related to a server-side one.');
    expect(page).toContain('No connection was chosen.');
    expect(page).toContain('Every connection on either side is paired.');
  });
});
