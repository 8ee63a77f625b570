/**
 * `dualcap verify`: for every lab scenario the expected kind of its truth.json passes and every other kind
 * fails on the `kind` rule; policy rules decide on the report's numbers (drops, latency, coverage); exit
 * codes 0 / 1 / 2 end to end, with JSON and YAML policies and bad policy files naming the wrong field.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { runAnalysis } from '../../src/cli/analyze.js';
import { EXPECTABLE_KINDS, parsePolicy } from '../../src/cli/policy.js';
import { main } from '../../src/cli/program.js';
import { checkPolicy, type VerifyResult } from '../../src/cli/verify.js';
import type { Report } from '../../src/report/report-schema.js';
import { captureStderr, sampleSides } from '../helpers/cli.js';
import { loadTruth, samplesDir, scenarios } from '../helpers/truth.js';

const tmp = mkdtempSync(join(tmpdir(), 'dualcap-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const stderr = captureStderr();

let outputs = 0;
async function run(args: string[]): Promise<{ code: number; out: string }> {
  const out = join(tmp, `out-${outputs++}.txt`);
  const code = await main([...args, '-o', out]);
  return { code, out: existsSync(out) ? readFileSync(out, 'utf8') : '' };
}

const reports = new Map<string, Report>();
function reportOf(scenario: string): Report {
  let r = reports.get(scenario);
  if (r === undefined) {
    const [client, server] = sampleSides(scenario);
    r = runAnalysis(client, server, {}).report;
    reports.set(scenario, r);
  }
  return r;
}

describe.each(scenarios())('verify %s', (scenario) => {
  const truth = loadTruth(join(samplesDir(), scenario));
  test(`--expect ${truth.device.kind} passes; every other kind fails on the kind rule`, () => {
    const r = reportOf(scenario);
    const pass = checkPolicy(r, { kind: truth.device.kind });
    expect(pass.map((x) => [x.id, x.pass])).toEqual([['kind', true]]);
    for (const kind of EXPECTABLE_KINDS.filter((k) => k !== truth.device.kind)) {
      const fail = checkPolicy(r, { kind });
      expect(fail.map((x) => [x.id, x.pass, x.found])).toEqual([['kind', false, truth.device.kind]]);
    }
  });
  test('the drop rule agrees with the dropped packets of the truth', () => {
    const r = reportOf(scenario);
    const [rule] = checkPolicy(r, { maxDropRate: 0 });
    const drops = truth.drops.c2s.length + truth.drops.s2c.length;
    if (truth.device.terminatesTcp) expect(rule).toMatchObject({ pass: false, found: 'nothing measured' });
    else expect(rule!.pass).toBe(drops === 0);
  });
  test('pairing coverage: every connection that reached the server side is paired', () => {
    const r = reportOf(scenario);
    const reached = truth.connections.filter((c) => c.server.length > 0).length;
    const [rule] = checkPolicy(r, { minPairedShare: reached / truth.connections.length });
    expect(rule!.pass).toBe(true);
    const [strict] = checkPolicy(r, { minPairedShare: 1 });
    expect(strict!.pass).toBe(reached === truth.connections.length);
  });
});

describe('policy rules on a report', () => {
  test('behaviours: allowed, forbidden, required', () => {
    const r = reportOf('drop');
    const rules = checkPolicy(r, {
      behaviours: {
        allowed: ['forwards-packets', 'decrements-ttl'],
        forbidden: ['drops-packets'],
        required: ['forwards-packets', 'rewrites-sequence'],
      },
    });
    expect(rules.map((x) => [x.id, x.pass])).toEqual([
      ['behaviours.allowed', false],
      ['behaviours.forbidden', false],
      ['behaviours.required', false],
    ]);
    expect(rules[1]!.evidence.join('\n')).toMatch(/drops-packets \(count 85\)/);
    expect(rules[2]!.found).toBe('missing rewrites-sequence');
  });
  test('latency: the worst pair decides, and names itself', () => {
    const r = reportOf('routed');
    let worst = 0;
    for (const p of r.pairs)
      for (const d of [p.latency.c2s, p.latency.s2c]) worst = Math.max(worst, d.p99Ns ?? 0);
    expect(worst).toBeGreaterThan(0);
    const [ok] = checkPolicy(r, { latency: { p99: worst } });
    const [tight] = checkPolicy(r, { latency: { p99: worst - 1 } });
    expect(ok!.pass).toBe(true);
    expect(tight!.pass).toBe(false);
    expect(tight!.found).toMatch(/pair \d+ (c2s|s2c)/);
  });
});

describe('policy files', () => {
  test('YAML and JSON give the same policy', () => {
    const yaml = parsePolicy(
      [
        '# CI: the proxy stays transparent',
        'schema: dualcap.policy/1',
        'kind: transparent',
        'behaviours:',
        '  forbidden: [drops-packets, injects-packets]',
        '  allowed:',
        '    - forwards-packets',
        "    - 'decrements-ttl'",
        'latency:',
        '  p50: 1ms',
        '  p99: "20ms" # generous',
        'maxDropRate: 0.001',
        'minPairedShare: 1',
      ].join('\n'),
      'p.yaml',
    );
    const json = parsePolicy(
      JSON.stringify({
        schema: 'dualcap.policy/1',
        kind: 'transparent',
        behaviours: {
          forbidden: ['drops-packets', 'injects-packets'],
          allowed: ['forwards-packets', 'decrements-ttl'],
        },
        latency: { p50: '1ms', p99: 0.02 },
        maxDropRate: 0.001,
        minPairedShare: 1,
      }),
      'p.json',
    );
    expect(yaml).toEqual(json);
    expect(yaml.latency).toEqual({ p50: 1e6, p99: 20e6 });
  });
  test.each([
    ['kind: router\n', 'kind:'],
    ['behaviours:\n  forbiden: [drops-packets]\n', 'behaviours: unknown field forbiden'],
    ['behaviours:\n  forbidden: [drops-packet]\n', 'behaviours.forbidden.0'],
    ['latency:\n  p99: fast\n', 'latency.p99: expected a duration'],
    ['maxDropRate: 2\n', 'maxDropRate'],
    ['minPairedShare: "all"\n', 'minPairedShare'],
    ['colour: blue\n', 'unknown field colour'],
    ['{"kind": "nat",}', 'not valid JSON'],
    ['kind: nat\n  extra: 1\n', 'line 2'],
    ['- kind\n', 'expected a mapping'],
    ['schema: dualcap.policy/1\n', 'no rules'],
  ])('refuses %j, naming %s', (text, message) => {
    expect(() => parsePolicy(text, 'bad.yaml')).toThrow(message);
  });
});

describe('exit codes end to end', () => {
  const [client, server] = sampleSides('routed');
  test('0 when the expectation holds, with the rule and its evidence', async () => {
    const { code, out } = await run(['verify', client, server, '--expect', 'transparent']);
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}PASS {2}kind: expected transparent; found transparent$/m);
    expect(out).toMatch(/^result: PASS/m);
  });
  test('1 when a rule fails; JSON names the rule', async () => {
    const { code, out } = await run(['verify', client, server, '--expect', 'nat', '--format', 'json']);
    expect(code).toBe(1);
    const v = JSON.parse(out) as VerifyResult;
    expect(v.pass).toBe(false);
    expect(v.rules.filter((r) => !r.pass).map((r) => r.id)).toEqual(['kind']);
  });
  test('a YAML policy file', async () => {
    const policy = join(tmp, 'policy.yaml');
    writeFileSync(policy, 'kind: transparent\nbehaviours:\n  forbidden: [drops-packets]\nmaxDropRate: 0\n');
    const { code, out } = await run(['verify', client, server, '--policy', policy]);
    expect(code).toBe(0);
    expect(out).toMatch(/PASS {2}maxDropRate/);
  });
  test('2 for a bad policy, a missing policy, an unknown kind, or nothing to verify', async () => {
    const policy = join(tmp, 'bad.yaml');
    writeFileSync(policy, 'latency:\n  p99: soon\n');
    expect((await run(['verify', client, server, '--policy', policy])).code).toBe(2);
    expect(stderr.text).toContain('latency.p99');
    expect((await run(['verify', client, server, '--policy', join(tmp, 'none.yaml')])).code).toBe(2);
    expect(stderr.text).toContain('no such file');
    expect((await run(['verify', client, server, '--expect', 'router'])).code).toBe(2);
    expect(stderr.text).toContain('not a device kind');
    expect((await run(['verify', client, server])).code).toBe(2);
    expect((await run(['verify', client, client, '--expect', 'nat'])).code).toBe(2);
    expect(stderr.text).toContain('the same file');
  });
});
