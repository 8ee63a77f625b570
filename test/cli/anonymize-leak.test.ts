/**
 * `dualcap analyze --anonymize` leaks nothing, on lab scenarios. What must not survive is collected by
 * reading the input captures themselves: every IPv4/IPv6 address (IP headers and ARP), every MAC, the
 * request ids, request lines and headers of the payloads, the input file names and interface names. Then,
 * per scenario, `analyze` runs as a user would (text report with --merge, JSON report; with a key, and with
 * a random one), and the HTML report is rendered from the same anonymized report and views; none of these
 * outputs, nor what the run printed on stderr, may hold any of it: addresses and MACs as text in every
 * textual output, and as raw bytes (4, IPv4-mapped 16, 16, 6) in the merged pcapng.
 *
 * Raw bytes are checked in the runs with a key only: with a random key a 4-byte address may turn up by
 * chance among a megabyte of timestamps and sequence numbers, and a test must not fail by chance. The
 * keyed runs are deterministic, so a chance hit there would show on every run, not now and then.
 *
 * The checks can fail: the same detector finds the addresses, request ids and file names in the plain
 * outputs of the same analysis. Pseudonyms: two runs with one key give the same ones (JSON of one run, text
 * and merged pcapng of another), runs without a key differ, and within one run the text report and the
 * merged pcapng agree.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { readAll } from '../../src/capture/index.js';
import { runAnalysis } from '../../src/cli/analyze.js';
import { main } from '../../src/cli/program.js';
import { collectDetails, DEFAULT_DETAIL_PACKETS } from '../../src/correlate/detail.js';
import { Decoder, formatAddress } from '../../src/decode/index.js';
import { Anonymizer, parseIpv4, parseIpv6 } from '../../src/report/anonymize.js';
import { htmlViews, renderHtmlReport } from '../../src/report/html.js';
import { collectPacketExtras } from '../../src/report/html-extras.js';
import { anonymizeOutputs, type ReportOutputs } from '../../src/report/report-anon.js';
import { type Report, reportSchema } from '../../src/report/report-schema.js';
import { renderReportText } from '../../src/report/report-text.js';
import { captureStderr } from '../helpers/cli.js';
import { loadTruth, samplesDir } from '../helpers/truth.js';

const SCENARIOS = ['nat', 'seed-wrong-synack'];
const KEY = 'a passphrase that only this test knows';
/** Strings of the lab's traffic (docs: lab/traffic) besides the request ids read from the payloads. */
const PAYLOAD_WORDS = ['GET /', 'HTTP/1.1', 'X-Request-Id', 'User-Agent', 'dualcap-lab', 'Host:', 'peer='];
/** Interface names shorter than this are words of any text ("mc"); their absence is checked by structure. */
const MIN_NAME_CHECKED = 4;
const ETHERNET = 1;
const ETHERTYPE_ARP = 0x0806;

const tmp = mkdtempSync(join(tmpdir(), 'dualcap-anon-leak-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const stderr = captureStderr();

/** What the inputs hold that no anonymized output may show. */
interface Secrets {
  /** Addresses as text (dotted IPv4, RFC 5952 IPv6) and as the bytes they are on the wire. */
  addresses: Map<string, Uint8Array>;
  /** MACs as 12 lower-case hex digits. */
  macs: Set<string>;
  /** Request ids and fixed words of the payloads. */
  payload: Set<string>;
  /** Input file names and paths, interface names. */
  names: Set<string>;
}

function addIpv4(s: Secrets, bytes: Uint8Array): void {
  s.addresses.set(Array.from(bytes).join('.'), Uint8Array.from(bytes));
}

function collectSecrets(paths: string[]): Secrets {
  const s: Secrets = {
    addresses: new Map(),
    macs: new Set(),
    payload: new Set(PAYLOAD_WORDS),
    names: new Set(),
  };
  for (const path of paths) {
    s.names.add(path);
    s.names.add(basename(path));
    const decoder = new Decoder();
    const r = readAll(path, (rec) => {
      const frame = rec.buf.subarray(rec.offset, rec.offset + rec.caplen);
      if (rec.linktype === ETHERNET && frame.length >= 14) {
        for (const at of [0, 6]) s.macs.add(Buffer.from(frame.subarray(at, at + 6)).toString('hex'));
        if (((frame[12]! << 8) | frame[13]!) === ETHERTYPE_ARP && frame.length >= 42) {
          s.macs.add(Buffer.from(frame.subarray(22, 28)).toString('hex'));
          s.macs.add(Buffer.from(frame.subarray(32, 38)).toString('hex'));
          addIpv4(s, frame.subarray(28, 32));
          addIpv4(s, frame.subarray(38, 42));
        }
      }
      const v = decoder.decode(rec);
      if (v.ipVersion === 4 || v.ipVersion === 6) {
        for (const words of [v.src, v.dst]) {
          const text = formatAddress(v.ipVersion, words);
          const bytes = Buffer.alloc(v.ipVersion === 4 ? 4 : 16);
          if (v.ipVersion === 4) bytes.writeUInt32BE(words[3]! >>> 0, 0);
          else for (let i = 0; i < 4; i++) bytes.writeUInt32BE(words[i]! >>> 0, i * 4);
          s.addresses.set(text, Uint8Array.from(bytes));
        }
      }
      if (v.isTcp && v.payloadCaptured > 0) {
        const text = Buffer.from(
          v.buf.subarray(v.payloadOffset, v.payloadOffset + v.payloadCaptured),
        ).toString('latin1');
        for (const m of text.matchAll(/x-request-id: *([^\r\n]+)/gi)) s.payload.add(m[1]!.trim());
      }
    });
    for (const i of r.info.interfaces) {
      for (const name of [i.name, i.description])
        if (name !== null && name.length >= MIN_NAME_CHECKED) s.names.add(name);
    }
  }
  s.macs.delete('ffffffffffff');
  s.macs.delete('000000000000');
  return s;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every secret found in a textual output, named. Addresses match whole (10.0.0.1 is not in 10.0.0.10). */
function leaksInText(what: string, text: string, s: Secrets): string[] {
  const out: string[] = [];
  for (const a of s.addresses.keys()) {
    const re = a.includes(':')
      ? new RegExp(`(?<![0-9a-f:])${escapeRe(a)}(?![0-9a-f:])`, 'i')
      : new RegExp(`(?<![\\d.])${escapeRe(a)}(?![\\d])`);
    if (re.test(text)) out.push(`${what}: address ${a}`);
  }
  const lower = text.toLowerCase();
  for (const m of s.macs) {
    const pairs = m.match(/../g)!;
    if (lower.includes(pairs.join(':')) || lower.includes(pairs.join('-'))) out.push(`${what}: MAC ${m}`);
  }
  for (const p of s.payload) if (lower.includes(p.toLowerCase())) out.push(`${what}: payload "${p}"`);
  for (const n of s.names) if (text.includes(n)) out.push(`${what}: name "${n}"`);
  if (text.includes(KEY)) out.push(`${what}: the key`);
  return out;
}

/** Addresses and MACs as raw bytes in a binary output. */
function leaksInBytes(what: string, bytes: Buffer, s: Secrets): string[] {
  const out: string[] = [];
  for (const [a, raw] of s.addresses) {
    if (bytes.includes(Buffer.from(raw))) out.push(`${what}: address ${a} as ${raw.length} bytes`);
    if (raw.length === 4) {
      const mapped = Buffer.concat([Buffer.from('00000000000000000000ffff', 'hex'), raw]);
      if (bytes.includes(mapped)) out.push(`${what}: address ${a} as IPv4-mapped 16 bytes`);
    }
  }
  for (const m of s.macs) if (bytes.includes(Buffer.from(m, 'hex'))) out.push(`${what}: MAC ${m} as 6 bytes`);
  return out;
}

/** Address-looking strings of a text (IPv4 dotted, IPv6 with "::"), confirmed by the parsers. */
function addressesIn(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])/g))
    if (parseIpv4(m[0]) !== null) out.add(m[0]);
  for (const m of text.matchAll(/(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:.])/gi))
    if (m[0].includes('::') && parseIpv6(m[0]) !== null) out.add(m[0]);
  return out;
}

function tupleAddresses(r: Report): Set<string> {
  const out = new Set<string>();
  for (const p of r.pairs) {
    for (const c of [p.client, ...p.server]) {
      out.add(c.tuple[0]);
      out.add(c.tuple[2]);
    }
  }
  for (const u of [...r.unpaired.client, ...r.unpaired.server]) {
    out.add(u.tuple[0]);
    out.add(u.tuple[2]);
  }
  return out;
}

function mergedFile(path: string) {
  const decoder = new Decoder();
  const addresses = new Set<string>();
  const comments: string[] = [];
  const r = readAll(path, (rec) => {
    comments.push(...rec.comments);
    const v = decoder.decode(rec);
    if (v.ipVersion === 4 || v.ipVersion === 6) {
      addresses.add(formatAddress(v.ipVersion, v.src));
      addresses.add(formatAddress(v.ipVersion, v.dst));
    }
  });
  return { ...r, addresses, comments, bytes: readFileSync(path) };
}

interface Run {
  code: number;
  out: string;
  merged: ReturnType<typeof mergedFile> | null;
  stderr: string;
}

let runs = 0;
async function analyzeRun(client: string, server: string, args: string[], merge: boolean): Promise<Run> {
  const n = runs++;
  const out = join(tmp, `out-${n}`);
  const mergedPath = join(tmp, `merged-${n}.pcapng`);
  stderr.clear();
  const code = await main([
    'analyze',
    client,
    server,
    ...args,
    ...(merge ? ['--merge', mergedPath] : []),
    '-o',
    out,
  ]);
  return {
    code,
    out: existsSync(out) ? readFileSync(out, 'utf8') : '',
    merged: merge && existsSync(mergedPath) ? mergedFile(mergedPath) : null,
    stderr: stderr.text,
  };
}

function scenarioPaths(name: string): [string, string] | null {
  const folder = join(samplesDir(), name);
  if (!existsSync(join(folder, 'truth.json'))) return null;
  const t = loadTruth(folder);
  return [join(folder, t.captures.client), join(folder, t.captures.server)];
}

for (const name of SCENARIOS) {
  const paths = scenarioPaths(name);
  if (paths === null) process.stdout.write(`\n[skip] anonymize leaks: samples/${name} not found; skipped.\n`);
  const maybe = paths === null ? test.skip : test;

  describe(`analyze --anonymize on ${name}`, () => {
    const [client, server] = paths ?? ['', ''];
    let state: {
      secrets: Secrets;
      keyedText: Run;
      keyedJson: Run;
      randomText: Run;
      randomJson: Run;
    } | null = null;
    const get = async () => {
      if (state === null) {
        state = {
          secrets: collectSecrets([client, server]),
          keyedText: await analyzeRun(client, server, ['--anonymize-key', KEY], true),
          keyedJson: await analyzeRun(client, server, ['--format', 'json', '--anonymize-key', KEY], false),
          randomText: await analyzeRun(client, server, ['--anonymize'], true),
          randomJson: await analyzeRun(client, server, ['--format', 'json', '--anonymize'], false),
        };
      }
      return state;
    };

    maybe('the inputs hold what the test looks for', async () => {
      const { secrets } = await get();
      expect(secrets.addresses.size).toBeGreaterThanOrEqual(4);
      expect(secrets.macs.size).toBeGreaterThanOrEqual(2);
      expect([...secrets.payload].filter((p) => /-\d{4}-\d+$/.test(p)).length).toBeGreaterThan(10);
    });

    maybe(
      'no address, MAC, payload string, file name or key in the text report, JSON, merged pcapng or stderr',
      async () => {
        const s = await get();
        const leaks: string[] = [];
        for (const [what, run] of [
          ['text (key)', s.keyedText],
          ['JSON (key)', s.keyedJson],
          ['text (random)', s.randomText],
          ['JSON (random)', s.randomJson],
        ] as const) {
          expect(run.code).toBe(0);
          expect(run.out.length).toBeGreaterThan(1000);
          leaks.push(
            ...leaksInText(what, run.out, s.secrets),
            ...leaksInText(`${what} stderr`, run.stderr, s.secrets),
          );
        }
        for (const [what, run] of [
          ['pcapng (key)', s.keyedText],
          ['pcapng (random)', s.randomText],
        ] as const) {
          const m = run.merged!;
          expect(m.error).toBeNull();
          expect(m.info.interfaces.map((i) => [i.name, i.description])).toEqual([
            ['client-side', null],
            ['server-side', null],
          ]);
          leaks.push(...leaksInText(what, m.bytes.toString('latin1'), s.secrets));
        }
        leaks.push(...leaksInBytes('pcapng (key)', s.keyedText.merged!.bytes, s.secrets));
        expect(leaks).toEqual([]);
      },
    );

    maybe(
      'the anonymized JSON is a valid report: inputs withheld; ports, ISNs, counts and times kept',
      async () => {
        const s = await get();
        const anon = reportSchema.parse(JSON.parse(s.keyedJson.out));
        const plain = runAnalysis(client, server, {}).report;
        expect(anon.inputs.map((i) => i.path)).toEqual(['client-side capture', 'server-side capture']);
        expect(anon.pairs.length).toBe(plain.pairs.length);
        expect(anon.device.kind).toBe(plain.device.kind);
        const kept = (r: Report) =>
          r.pairs.map((p) => [
            p.client.tuple[1],
            p.client.tuple[3],
            p.client.isn,
            p.client.start,
            p.packets,
            p.latency,
          ]);
        expect(kept(anon)).toEqual(kept(plain));
        expect(anon.findings.map((f) => [f.id, f.clientPackets, f.serverPackets])).toEqual(
          plain.findings.map((f) => [f.id, f.clientPackets, f.serverPackets]),
        );
        const originals = tupleAddresses(plain);
        for (const a of tupleAddresses(anon)) expect(originals.has(a)).toBe(false);
      },
    );

    maybe(
      'one key, the same pseudonyms in every run and output; without a key, new ones each run',
      async () => {
        const s = await get();
        const keyed = reportSchema.parse(JSON.parse(s.keyedJson.out));
        const random = reportSchema.parse(JSON.parse(s.randomJson.out));
        const keyedAddresses = tupleAddresses(keyed);
        // Run 1 (text, pcapng) and run 2 (JSON) with one key agree.
        const inText = addressesIn(s.keyedText.out);
        expect(inText.size).toBeGreaterThan(0);
        for (const a of inText) expect(addressesIn(s.keyedJson.out).has(a)).toBe(true);
        for (const a of keyedAddresses) expect(s.keyedText.merged!.addresses.has(a)).toBe(true);
        // Within one run with a random key, the text report and the merged pcapng agree.
        const randomText = addressesIn(s.randomText.out);
        expect(randomText.size).toBeGreaterThan(0);
        for (const a of randomText) expect(s.randomText.merged!.addresses.has(a)).toBe(true);
        // Random keys: other pseudonyms than the keyed run's, and than each other's.
        for (const a of tupleAddresses(random)) {
          expect(keyedAddresses.has(a)).toBe(false);
          expect(randomText.has(a)).toBe(false);
        }
      },
    );

    maybe('the HTML report rendered from the anonymized report and views leaks nothing either', async () => {
      const { secrets } = await get();
      const a = runAnalysis(client, server, {});
      const choices = htmlViews(a.report);
      const details = collectDetails(a.correlation, choices, { maxPackets: DEFAULT_DETAIL_PACKETS });
      const extras = collectPacketExtras(client, server, details);
      const plain: ReportOutputs = {
        report: a.report,
        views: choices.map((choice, i) => ({ choice, detail: details[i]! })),
        extras,
      };
      const baseSec = a.correlation.baseSec;
      const html = (o: ReportOutputs) =>
        renderHtmlReport(
          o.report,
          o.views.map((v) => v.detail),
          { baseSec, extras: o.extras! },
        );
      const text = (o: ReportOutputs) =>
        renderReportText(o.report, o.views, { raw: false, maxRows: null, baseSec });
      // The detector works: the plain outputs of the same analysis show addresses, payload and names.
      const plainLeaks = [
        ...leaksInText('HTML', html(plain), secrets),
        ...leaksInText('text', text(plain), secrets),
        ...leaksInText('JSON', JSON.stringify(plain.report), secrets),
      ].join('\n');
      expect(plainLeaks).toMatch(/HTML: address /);
      expect(plainLeaks).toMatch(/HTML: payload "GET \/"/);
      expect(plainLeaks).toMatch(/HTML: name /);
      expect(plainLeaks).toMatch(/text: address /);
      expect(plainLeaks).toMatch(/JSON: name /);
      const anon = anonymizeOutputs(plain, new Anonymizer());
      const page = html(anon);
      expect(leaksInText('HTML', page, secrets)).toEqual([]);
      expect(leaksInText('text', text(anon), secrets)).toEqual([]);
      // Payload previews became keyed hashes: the page still shows that there was a payload.
      expect(page).toMatch(/anon:[0-9a-f]{16}/);
    });
  });
}
