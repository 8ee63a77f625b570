/**
 * End-to-end: `dualcap analyze` on the lab samples. Every scenario's JSON report is validated by the
 * exported zod schema and checked against its truth.json (connections, ISNs, tuples, drops); the text
 * report of two scenarios is compared with golden files (UPDATE_BASELINE=1 rewrites them); --pair and
 * --client-port choose the side-by-side view; bad inputs are exit 2 with a message naming the problem.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { parseDuration, runAnalysis } from '../../src/cli/analyze.js';
import { main } from '../../src/cli/program.js';
import { type Report, reportSchema } from '../../src/report/report-schema.js';
import { renderReportText } from '../../src/report/report-text.js';
import { captureStderr, sampleSides } from '../helpers/cli.js';
import { loadTruth, samplesDir, scenarios } from '../helpers/truth.js';

const tmp = mkdtempSync(join(tmpdir(), 'dualcap-analyze-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const update = process.env.UPDATE_BASELINE === '1';
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'analyze');

const stderr = captureStderr();

let outputs = 0;
async function run(args: string[]): Promise<{ code: number; out: string }> {
  const out = join(tmp, `out-${outputs++}.txt`);
  const code = await main([...args, '-o', out]);
  return { code, out: existsSync(out) ? readFileSync(out, 'utf8') : '' };
}

describe('--offset durations', () => {
  test.each([
    ['3h17m', (3 * 3600 + 17 * 60) * 1e9],
    ['-250ms', -250e6],
    ['11820.5', 11820.5e9],
    ['+1m2.5s', 62.5e9],
    ['-1h2m3s', -3723e9],
    ['250us', 250e3],
    ['40ns', 40],
  ])('%s', (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });
  test.each(['', '3x', 'h', '1.2.3', '--5s', '5 s', 'ms'])('refuses "%s"', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});

describe.each(scenarios())('JSON report of %s', (scenario) => {
  const [client, server] = sampleSides(scenario);
  const truth = loadTruth(join(samplesDir(), scenario));
  let report: Report;
  test('validates against the schema and survives a JSON round trip', () => {
    report = runAnalysis(client, server, {}).report;
    expect(reportSchema.safeParse(report).error).toBeUndefined();
    const again = reportSchema.parse(JSON.parse(JSON.stringify(report)));
    expect(again).toEqual(report);
    expect(report.device.kind).toBe(truth.device.kind);
  });
  test("every truth connection with a server side is a pair, with the client's tuple and ISN", () => {
    const key = (t: readonly (string | number)[], isn: number | null) => `${t.join('|')}#${isn}`;
    const clients = new Set(report.pairs.map((p) => key(p.client.tuple, p.client.isn)));
    const servers = new Set(report.pairs.flatMap((p) => p.server.map((s) => key(s.tuple, s.isn))));
    const unpaired = new Set(report.unpaired.client.map((u) => key(u.tuple, u.isn)));
    for (const c of truth.connections) {
      const k = key(c.client.tuple, c.client.isn);
      if (c.server.length === 0) expect({ k, unpaired: unpaired.has(k) }).toEqual({ k, unpaired: true });
      else {
        expect({ k, paired: clients.has(k) }).toEqual({ k, paired: true });
        for (const s of c.server) expect(servers.has(key(s.tuple, s.isn))).toBe(true);
      }
    }
  });
  test('the text report of it fits in 120 columns', () => {
    const text = renderReportText(report, [], { raw: false, maxRows: null, baseSec: 0 });
    expect(text.split('\n').filter((l) => l.length > 120)).toEqual([]);
  });
  test('dropped packet counts equal the truth; times carry nine decimals', () => {
    expect(report.packets.c2s.dropped).toBe(truth.drops.c2s.length);
    expect(report.packets.s2c.dropped).toBe(truth.drops.s2c.length);
    for (const i of report.inputs) expect(i.first).toMatch(/^\d+\.\d{9}$/);
    expect(report.inputs.map((i) => i.packets)).toEqual([
      truth.counts.client.packets,
      truth.counts.server.packets,
    ]);
  });
});

describe('golden text reports', () => {
  test.each(['nat', 'seed-wrong-synack'])('%s', async (scenario) => {
    const { code, out } = await run(['analyze', ...sampleSides(scenario)]);
    expect(code).toBe(0);
    const path = join(FIXTURES, `${scenario}.txt`);
    if (update) {
      mkdirSync(FIXTURES, { recursive: true });
      writeFileSync(path, out);
    }
    expect({ baseline: path, exists: existsSync(path) }).toEqual({ baseline: path, exists: true });
    expect(out).toBe(readFileSync(path, 'utf8'));
    // Readable in a 120-column terminal.
    expect(out.split('\n').filter((l) => l.length > 120)).toEqual([]);
  });
});

describe('choosing the side-by-side view', () => {
  const [client, server] = sampleSides('seed-wrong-synack');
  test('by default the connection the device never forwarded is shown, with its bogus ACKs', async () => {
    const { code, out } = await run(['analyze', client, server]);
    expect(code).toBe(0);
    const view = out.slice(out.indexOf('Connection without a pair'));
    expect(view).toContain('10.99.1.2:61001 -> 10.99.1.10:80');
    expect(view).toContain('handshake.synack_bad_ack');
  });
  test('--pair shows that pair, with every row', async () => {
    const { code, out } = await run(['analyze', client, server, '--pair', '5']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Pair 5 \(terminated, one-to-one; shown for --pair 5\)$/m);
    expect(out).not.toContain('more rows');
    expect(out).toContain('request -> server #');
  });
  test('--client-port shows every connection from that port, paired or not', async () => {
    const { code, out } = await run(['analyze', client, server, '--client-port', '61001']);
    expect(code).toBe(0);
    expect(out).toContain('Connection without a pair (shown for --client-port 61001)');
    expect(out).toMatch(/^Pair \d+ \(terminated, one-to-one; shown for --client-port 61001\)$/m);
  });
  test('--raw prints raw sequence numbers: the challenge ACK acknowledges the old connection', async () => {
    const { out } = await run(['analyze', client, server, '--client-port', '61001', '--raw']);
    const challenge = out.split('\n').find((l) => /^\s+\S+\s+311 \./.test(l));
    // 0x8ab20981: the next byte the old connection on this 4-tuple expected, not the new ISN + 1.
    expect(challenge).toContain(String(0x8ab20981));
  });
  test('a pair that does not exist, or a port without connections, is exit 2', async () => {
    expect((await run(['analyze', client, server, '--pair', '999'])).code).toBe(2);
    expect(stderr.text).toContain('--pair 999: no such pair (pair ids run from 0 to 61)');
    expect((await run(['analyze', client, server, '--client-port', '1'])).code).toBe(2);
    expect(stderr.text).toContain('no client-side connection from that port');
  });
});

describe('bad input is exit 2 with a clear message', () => {
  const [client, server] = sampleSides('routed');
  test('a missing file', async () => {
    expect((await run(['analyze', client, join(tmp, 'nope.pcap')])).code).toBe(2);
    expect(stderr.text).toContain('server-side capture');
    expect(stderr.text).toContain('no such file');
  });
  test('the same file twice, or two copies of one file', async () => {
    expect((await run(['analyze', client, client])).code).toBe(2);
    expect(stderr.text).toContain('the same file');
    const copy = join(tmp, 'copy.pcap.gz');
    copyFileSync(client, copy);
    expect((await run(['analyze', client, copy])).code).toBe(2);
    expect(stderr.text).toContain('copies of one capture');
  });
  test('a file that is not a capture', async () => {
    const junk = join(tmp, 'junk.pcap');
    writeFileSync(junk, 'not a capture at all, just text');
    expect((await run(['analyze', junk, server])).code).toBe(2);
    expect(stderr.text).toContain('junk.pcap');
  });
  test('an unreadable file', async () => {
    const locked = join(tmp, 'locked.pcap.gz');
    copyFileSync(server, locked);
    chmodSync(locked, 0o000);
    let readable = true;
    try {
      readFileSync(locked);
    } catch {
      readable = false;
    }
    const { code } = await run(['analyze', client, locked]);
    // Running as root reads the file anyway; then the analysis simply succeeds.
    expect(code).toBe(readable ? 0 : 2);
    if (!readable) expect(stderr.text).toContain('locked.pcap.gz');
  });
  test('bad options', async () => {
    expect((await run(['analyze', client, server, '--offset', '3 hours'])).code).toBe(2);
    expect(stderr.text).toContain('--offset: cannot read "3 hours"');
    expect((await run(['analyze', client, server, '--vip', 'ten.0.0.1'])).code).toBe(2);
    expect(stderr.text).toContain('--vip');
    expect((await run(['analyze', client, server, '--pair', '1', '--client-port', '2'])).code).toBe(2);
    expect((await run(['analyze', client, server, '--format', 'json', '--pair', '1'])).code).toBe(2);
    expect((await run(['analyze', client])).code).toBe(2);
  });
});

describe('clock hints', () => {
  test('a user offset replaces the estimate and is reported as such', async () => {
    const [client, server] = sampleSides('routed');
    const { code, out } = await run(['analyze', client, server, '--format', 'json', '--offset', '385ns']);
    expect(code).toBe(0);
    const r = reportSchema.parse(JSON.parse(out));
    expect(r.alignment.offsetNs).toBe(385);
    expect(r.alignment.method).toBe('user');
  });
});

describe('hostile input', () => {
  const [client, server] = sampleSides('seed-synack-retransmit');
  /** Deterministic byte edits (a small LCG), so a failure can be replayed. */
  function corrupt(path: string, seed: number, edits: number): string {
    const bytes = Buffer.from(readFileSync(path));
    let x = seed;
    const next = () => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x;
    };
    for (let i = 0; i < edits; i++) bytes[next() % bytes.length] = next() & 255;
    const out = join(tmp, `corrupt-${seed}-${path.split('/').pop()}`);
    writeFileSync(out, bytes);
    return out;
  }
  test.each([1, 2, 3])(
    'random bytes overwritten (seed %i): a report or exit 2, never a crash',
    async (seed) => {
      for (const [c, s] of [
        [corrupt(client, seed, 64), server],
        [client, corrupt(server, seed, 64)],
      ] as const) {
        const { code, out } = await run(['analyze', c, s, '--format', 'json']);
        expect([0, 2]).toContain(code);
        if (code === 0) expect(reportSchema.safeParse(JSON.parse(out)).error).toBeUndefined();
      }
    },
  );
  test('a file cut short: the report names the problem and keeps every good packet', async () => {
    const bytes = readFileSync(server);
    const cut = join(tmp, 'cut.pcapng');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2) + 7));
    const { code, out } = await run(['analyze', client, cut, '--format', 'json']);
    expect(code).toBe(0);
    const r = reportSchema.parse(JSON.parse(out));
    expect(r.inputs[1].packets).toBeGreaterThan(0);
    expect(r.inputs[1].error ?? r.inputs[1].anomalies.map((a) => a.id).join(',')).toMatch(/\S/);
    expect(r.pairs.length).toBeGreaterThan(0);
  });
});
