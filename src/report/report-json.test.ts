import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadTruth, samplesDir } from '../../test/helpers/truth.js';
import { correlate } from '../correlate/index.js';
import type { Diagnosis } from '../diagnose/types.js';
import { buildReport, delayOf, nsJson } from './report-json.js';
import { reportSchema } from './report-schema.js';
import { writeReportJson } from './report-write.js';

describe('nanoseconds in JSON', () => {
  test.each([
    [0, 0],
    [375.5, 376],
    [-2235.8, -2236],
    [Number.POSITIVE_INFINITY, null],
    [Number.NEGATIVE_INFINITY, null],
    [Number.NaN, null],
    [2 ** 53, null],
    [2 ** 53 - 1, 2 ** 53 - 1],
  ])('%d -> %p', (v, json) => {
    expect(nsJson(v)).toBe(json);
  });
});

describe('delay statistics', () => {
  test('nearest-rank percentiles; non-finite values ignored', () => {
    const d = delayOf([5, 1, 4, 2, 3, Number.NaN]);
    expect(d).toEqual({ count: 5, minNs: 1, p50Ns: 3, p99Ns: 5, maxNs: 5 });
    expect(delayOf([]).count).toBe(0);
  });
});

describe('report of a correlation with an unbounded clock', () => {
  test('the bound is null, the report still validates, the diagnosis is carried over as given', () => {
    const dir = join(samplesDir(), 'routed');
    const truth = loadTruth(dir);
    const c = correlate(join(dir, truth.captures.client), join(dir, truth.captures.server));
    c.alignment = { ...c.alignment, boundNs: Number.POSITIVE_INFINITY, oneSided: true };
    const d: Diagnosis = {
      device: {
        kind: 'unknown',
        kindReason: 'nothing decided',
        summary: 'A summary.',
        behaviours: [],
        undecided: [{ id: 'drops-packets', reason: 'a reason' }],
      },
      problems: [
        {
          id: 'test.problem',
          severity: 'error',
          text: 'A problem.',
          pair: c.pairs[0]!.id,
          clientSession: null,
          serverSession: null,
          evidence: [
            { pair: c.pairs[0]!.id, clientPackets: [3, 1], serverPackets: [2], values: { a: 1 }, text: 't' },
          ],
        },
      ],
    };
    const r = reportSchema.parse(buildReport(c, d, { name: 'dualcap', version: '9.9.9' }));
    expect(r.alignment.boundNs).toBeNull();
    expect(r.alignment.oneSided).toBe(true);
    expect(r.device.undecided).toEqual([{ id: 'drops-packets', reason: 'a reason' }]);
    expect(r.findings[0]).toMatchObject({ id: 'test.problem', clientPackets: [1, 3], serverPackets: [2] });
    expect(r.pairs[0]!.findings[0]!.id).toBe('test.problem');
    expect(r.pairs.length).toBe(c.pairs.length);
    const routed = r.pairs[0]!;
    expect(routed.translation).toMatchObject({
      srcAddress: null,
      dstAddress: null,
      seqOffset: { c2s: 0, s2c: 0 },
    });
    expect(routed.latency.source).toBe('packets');
    // Written in pieces, the document is byte for byte JSON.stringify's.
    const parts: string[] = [];
    writeReportJson(r, (t) => parts.push(t));
    expect(parts.length).toBeGreaterThan(r.pairs.length);
    expect(parts.join('')).toBe(`${JSON.stringify(r, null, 2)}\n`);
    const empty = { ...r, pairs: [] };
    const emptyParts: string[] = [];
    writeReportJson(empty, (t) => emptyParts.push(t));
    expect(emptyParts.join('')).toBe(`${JSON.stringify(empty, null, 2)}\n`);
  });
});
