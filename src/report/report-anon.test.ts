/**
 * anonymizeReport / anonymizeOutputs on a small hand-built report that has a value in every kind of field:
 * address fields get their pseudonyms, sentences keep their words with addresses replaced, input paths are
 * withheld in every form they take in a message, evidence values that are addresses become pseudonyms,
 * payload previews become keyed hashes and input comments are dropped, the result is a valid report, and
 * the input is left as it was. The end-to-end leak check on lab captures is test/cli/anonymize-leak.test.ts.
 */
import { resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { PairDetail } from '../correlate/detail.js';
import { Anonymizer } from './anonymize.js';
import type { PacketExtras } from './html-extras.js';
import { anonymizeOutputs, anonymizeReport, WITHHELD_PATHS } from './report-anon.js';
import { type Report, type ReportFinding, reportSchema } from './report-schema.js';
import type { TextView } from './report-text.js';

const CLIENT_PATH = 'captures/site-a/client-side.pcapng';
const SERVER_PATH = '/srv/dumps/lb-01.pcap';
const KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const counts = () => ({ matched: 1, dropped: 0, injected: 0, answered: 0, outside: 0 });
const delay = () => ({ count: 1, minNs: 5, p50Ns: 5, p99Ns: 5, maxNs: 5 });

function finding(text: string): ReportFinding {
  return {
    id: 'handshake.bogus_ack',
    severity: 'warning',
    text,
    pair: 0,
    clientSession: 0,
    serverSession: 0,
    clientPackets: [3],
    serverPackets: [],
    evidence: [
      {
        pair: 0,
        clientPackets: [3],
        serverPackets: [],
        values: { server: '10.1.2.3', note: 'from 10.1.2.3 to 2001:db8::7', ack: 42, ok: true, none: null },
        text: 'SYN-ACK from 10.1.2.3:80 acks 0x2a',
      },
    ],
  };
}

function report(): Report {
  const input = (side: 'client' | 'server', path: string, error: string | null) => ({
    side,
    path,
    format: 'pcapng',
    packets: 10,
    tcpPackets: 10,
    first: '1700000000.000000000',
    last: '1700000001.000000000',
    resolutionNs: 1000,
    anomalies: [
      { id: 'capture.truncated', severity: 'warning' as const, count: 1, text: 'packet cut short' },
    ],
    error,
  });
  return {
    schema: 'dualcap.report/1',
    tool: { name: 'dualcap', version: '0.1.0' },
    inputs: [
      input('client', CLIENT_PATH, `cannot read ${resolve(CLIENT_PATH)}: bad block at byte 1234`),
      input('server', SERVER_PATH, 'lb-01.pcap: truncated at packet 10. Everything before it was read.'),
    ],
    alignment: {
      offsetNs: 100,
      skewPpm: 0,
      boundNs: 10,
      method: 'two-sided-offset-only',
      skewEstimated: false,
      oneSided: false,
      segments: 1,
      constraints: { forward: 1, reverse: 1, used: 2, rejected: 0, invalid: 0 },
      warnings: [{ id: 'clock.note', text: 'offset from 10.0.0.1 only' }],
    },
    device: {
      kind: 'nat',
      kindReason: 'rewrites addresses',
      summary: 'Source address rewritten (10.0.0.1 -> 192.0.2.1); 10 packets matched.',
      behaviours: [
        {
          id: 'rewrites-source-address',
          confidence: 1,
          count: 1,
          detail: 'source 10.0.0.1 is 192.0.2.1',
          evidence: finding('x').evidence,
        },
      ],
      undecided: [{ id: 'decrements-ttl', reason: 'no packet from 10.0.0.1 matched' }],
    },
    pairs: [
      {
        id: 0,
        client: {
          session: 0,
          tuple: ['10.0.0.1', 40000, '10.0.0.2', 80],
          isn: 1000,
          start: '1700000000.000000000',
        },
        server: [
          {
            session: 0,
            tuple: ['192.0.2.1', 1024, '10.0.1.5', 8080],
            isn: 2000,
            start: '1700000000.000100000',
          },
        ],
        mapping: 'one-to-one',
        kind: 'translated',
        score: 1,
        evidence: [
          { kind: 'isn', detail: 'SYN from 10.0.0.1 seen as 192.0.2.1', clientPacket: 1, serverPacket: 1 },
        ],
        latency: { source: 'packets', c2s: delay(), s2c: delay() },
        translation: {
          srcAddress: { from: '10.0.0.1', to: '192.0.2.1' },
          dstAddress: { from: '10.0.0.2', to: '10.0.1.5' },
          srcPort: { from: 40000, to: 1024 },
          dstPort: { from: 80, to: 8080 },
          seqOffset: { c2s: 1000, s2c: 0 },
          fieldChanges: [
            {
              field: 'ttl',
              dir: 'c2s',
              count: 9,
              delta: -1,
              clientPacket: 1,
              serverPacket: 1,
              detail: 'ttl 64 -> 63',
            },
          ],
        },
        packets: { c2s: counts(), s2c: counts() },
        findings: [finding('client side, session 0: SYN-ACK from 10.0.0.2 acks the wrong number')],
      },
    ],
    unpaired: {
      client: [
        {
          session: 1,
          tuple: ['2001:db8::1', 40001, '2001:db8::2', 443],
          isn: null,
          start: '1700000000.500000000',
          reason: 'never-forwarded',
          detail: 'no SYN to [2001:db8::2]:443 on the server side',
        },
      ],
      server: [],
    },
    packets: { c2s: counts(), s2c: counts(), terminated: [0, 0] },
    findings: [finding('seen in client-side.pcapng and in /srv/dumps/lb-01.pcap')],
  };
}

describe('anonymizeReport', () => {
  const original = report();
  const before = structuredClone(original);
  const anon = new Anonymizer({ key: KEY });
  const r = anonymizeReport(original, anon);
  const json = JSON.stringify(r);

  test('is a valid report and leaves its input as it was', () => {
    expect(reportSchema.safeParse(r).error).toBeUndefined();
    expect(original).toEqual(before);
  });

  test('address fields become pseudonyms: the same address the same one everywhere', () => {
    const p = r.pairs[0]!;
    const a = (s: string) => anon.addressString(s);
    expect(p.client.tuple).toEqual([a('10.0.0.1'), 40000, a('10.0.0.2'), 80]);
    expect(p.server[0]!.tuple).toEqual([a('192.0.2.1'), 1024, a('10.0.1.5'), 8080]);
    expect(p.translation.srcAddress).toEqual({ from: a('10.0.0.1'), to: a('192.0.2.1') });
    expect(p.translation.dstAddress).toEqual({ from: a('10.0.0.2'), to: a('10.0.1.5') });
    expect(r.unpaired.client[0]!.tuple).toEqual([a('2001:db8::1'), 40001, a('2001:db8::2'), 443]);
    expect(r.device.summary).toBe(
      `Source address rewritten (${a('10.0.0.1')} -> ${a('192.0.2.1')}); 10 packets matched.`,
    );
    expect(r.unpaired.client[0]!.detail).toBe(`no SYN to [${a('2001:db8::2')}]:443 on the server side`);
    for (const address of ['10.0.0.1', '10.0.0.2', '192.0.2.1', '10.0.1.5', '10.1.2.3', '2001:db8::']) {
      expect(json).not.toContain(`"${address}`);
      expect(json).not.toContain(` ${address}`);
    }
  });

  test('ports, ISNs, sequence offsets, counts, times and finding ids are kept', () => {
    const p = r.pairs[0]!;
    const o = original.pairs[0]!;
    expect([p.client.isn, p.client.start, p.server[0]!.isn]).toEqual([
      o.client.isn,
      o.client.start,
      o.server[0]!.isn,
    ]);
    expect(p.translation.srcPort).toEqual(o.translation.srcPort);
    expect(p.translation.seqOffset).toEqual(o.translation.seqOffset);
    expect(p.translation.fieldChanges).toEqual(o.translation.fieldChanges);
    expect(p.latency).toEqual(o.latency);
    expect(r.inputs.map((i) => [i.packets, i.first, i.last, i.anomalies])).toEqual(
      original.inputs.map((i) => [i.packets, i.first, i.last, i.anomalies]),
    );
    expect(r.findings.map((f) => f.id)).toEqual(original.findings.map((f) => f.id));
  });

  test('evidence values: an address by its pseudonym, a sentence redacted, other values as they are', () => {
    const v = r.findings[0]!.evidence[0]!.values;
    expect(v).toEqual({
      server: anon.addressString('10.1.2.3'),
      note: `from ${anon.addressString('10.1.2.3')} to ${anon.addressString('2001:db8::7')}`,
      ack: 42,
      ok: true,
      none: null,
    });
  });

  test('MACs in sentences become pseudonyms, also written with dashes and no digit at all', () => {
    const r2 = report();
    r2.device.kindReason = 'frames from aa-bb-cc-dd-ee-fa';
    r2.device.summary = 'frames from 02:00:5e:10:00:01';
    const out = anonymizeReport(r2, anon).device;
    expect(out.kindReason).toMatch(/^frames from [0-9a-f]{2}(-[0-9a-f]{2}){5}$/);
    expect(out.kindReason).not.toContain('aa-bb-cc-dd-ee-fa');
    expect(out.summary).toMatch(/^frames from [0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(out.summary).not.toContain('02:00:5e:10:00:01');
  });

  test('input paths are withheld, in every form a message names them', () => {
    expect(r.inputs.map((i) => i.path)).toEqual([...WITHHELD_PATHS]);
    expect(r.inputs[0]!.error).toBe('cannot read client-side capture: bad block at byte 1234');
    expect(r.inputs[1]!.error).toBe(
      'server-side capture: truncated at packet 10. Everything before it was read.',
    );
    expect(r.findings[0]!.text).toBe('seen in client-side capture and in server-side capture');
    for (const name of ['site-a', 'client-side.pcapng', 'lb-01', '/srv/dumps'])
      expect(json).not.toContain(name);
  });

  test('a file named like a word or number withholds the name only where it stands alone', () => {
    const r2 = report();
    r2.inputs[0].path = '1';
    r2.inputs[1].path = 'dumps/capture';
    r2.inputs[0].error = '1: 10 packets read, then 1 bad block';
    r2.device.summary = 'see capture, or dumps/capture.';
    const out = anonymizeReport(r2, anon);
    expect(out.inputs[0].error).toBe(
      'client-side capture: 10 packets read, then client-side capture bad block',
    );
    expect(out.device.summary).toBe('see server-side capture, or server-side capture.');
  });

  test('two inputs of one base name: the name alone does not say which side', () => {
    const r2 = report();
    r2.inputs[0].path = 'a/cap.pcap';
    r2.inputs[1].path = 'b/cap.pcap';
    r2.device.summary = 'a/cap.pcap, b/cap.pcap, cap.pcap';
    expect(anonymizeReport(r2, anon).device.summary).toBe(
      'client-side capture, server-side capture, input capture',
    );
  });

  test('one key, the same report; another key, other pseudonyms', () => {
    expect(anonymizeReport(report(), new Anonymizer({ key: KEY }))).toEqual(r);
    const other = anonymizeReport(report(), new Anonymizer());
    expect(other.pairs[0]!.client.tuple[0]).not.toBe(r.pairs[0]!.client.tuple[0]);
    expect(other.inputs).toEqual(r.inputs);
  });
});

describe('anonymizeOutputs', () => {
  const detail: PairDetail = {
    target: { pair: 0, clientSessions: [0], serverSessions: [0] },
    client: [],
    server: [],
    links: [],
    omitted: [0, 0],
  };
  const views: TextView[] = [
    { choice: { pair: 0, clientSessions: [0], serverSessions: [0], reason: 'traffic of 10.0.0.1' }, detail },
  ];
  const extras: PacketExtras = {
    client: new Map([
      [
        3,
        {
          payload: 'GET /r/id-0001 HTTP/1.1\\r\\nHost: 10.0.0.2',
          payloadLength: 80,
          comments: ['from site-a'],
        },
      ],
      [4, { payload: '', payloadLength: 0, comments: ['operator note'] }],
    ]),
    server: new Map([
      [5, { payload: 'GET /r/id-0001 HTTP/1.1\\r\\nHost: 10.0.0.2', payloadLength: 80, comments: [] }],
    ]),
  };
  const anon = new Anonymizer();
  const out = anonymizeOutputs({ report: report(), views, extras }, anon);

  test('the report as anonymizeReport makes it', () => {
    expect(out.report.pairs[0]!.client.tuple[0]).toBe(anon.addressString('10.0.0.1'));
    expect(out.report.inputs[0].path).toBe(WITHHELD_PATHS[0]);
  });

  test("views: reasons redacted, the detail's target is the anonymized choice, packets shared", () => {
    const v = out.views[0]!;
    expect(v.choice.reason).toBe(`traffic of ${anon.addressString('10.0.0.1')}`);
    expect(v.detail.target).toBe(v.choice);
    expect(v.detail.client).toBe(detail.client);
    expect(views[0]!.choice.reason).toBe('traffic of 10.0.0.1');
  });

  test('payload previews become one keyed hash per text (equal stays equal), comments are dropped', () => {
    const e = out.extras!;
    const c = e.client.get(3)!;
    expect(c.payload).toMatch(/^anon:[0-9a-f]{16}$/);
    expect(c.payloadLength).toBe(80);
    expect(c.comments).toEqual([]);
    expect(e.server.get(5)!.payload).toBe(c.payload);
    // A packet that only had a comment has nothing left to show.
    expect(e.client.has(4)).toBe(false);
    expect(JSON.stringify([...e.client, ...e.server])).not.toMatch(/GET|10\.0\.0|site-a|operator/);
  });

  test('without extras, none are made up', () => {
    expect(anonymizeOutputs({ report: report(), views: [] }, anon).extras).toBeUndefined();
  });
});
