/**
 * `dualcap verify CLIENT_SIDE SERVER_SIDE`: run the analysis and check the report against an expected
 * device kind (--expect) or a policy file (--policy), one rule at a time, each with its evidence. Exit 0
 * when every rule passes, 1 when one fails, 2 on bad input. A rule the captures cannot decide (no delay
 * measured, no packet forwarded one to one) fails, saying so: a check that cannot be made is not a pass.
 * docs/verify.md describes every rule.
 */

import type { Report, ReportDelay } from '../report/report-schema.js';
import { shortDuration } from '../report/report-side-by-side.js';
import { type AnalyzeArgs, correlateOptions, runAnalysis } from './analyze.js';
import { UsageError } from './output.js';
import { EXPECTABLE_KINDS, type Policy, readPolicy } from './policy.js';
import { VERSION } from './version.js';

export const VERIFY_SCHEMA = 'dualcap.verify/1';

export interface VerifyArgs extends AnalyzeArgs {
  expect?: string;
  policy?: string;
}

export interface RuleResult {
  /** Stable rule id: kind, behaviours.allowed, behaviours.forbidden, behaviours.required, latency.p50,
   * latency.p99, maxDropRate, minPairedShare. */
  id: string;
  pass: boolean;
  expected: string;
  found: string;
  /** Plain sentences with pair ids and packet numbers. */
  evidence: string[];
}

export interface VerifyResult {
  schema: typeof VERIFY_SCHEMA;
  tool: { name: string; version: string };
  inputs: { client: string; server: string };
  pass: boolean;
  device: { kind: string; summary: string };
  rules: RuleResult[];
}

/** The policy from --expect and --policy (both may be given when they agree on the kind). */
export function verifyPolicy(a: VerifyArgs): Policy {
  let policy: Policy = {};
  if (a.policy !== undefined) policy = readPolicy(a.policy);
  if (a.expect !== undefined) {
    if (!(EXPECTABLE_KINDS as readonly string[]).includes(a.expect))
      throw new UsageError(
        `--expect: "${a.expect}" is not a device kind; use one of ${EXPECTABLE_KINDS.join(', ')}`,
      );
    if (policy.kind !== undefined && policy.kind !== a.expect)
      throw new UsageError(`--expect ${a.expect} contradicts the policy's kind ${policy.kind}`);
    policy = { ...policy, kind: a.expect };
  }
  if (a.expect === undefined && a.policy === undefined)
    throw new UsageError('say what to verify: --expect KIND or --policy FILE');
  return policy;
}

function ns(v: number): string {
  return shortDuration(v).replace(/^\+/, '');
}

function behaviourEvidence(r: Report, id: string): string[] {
  const b = r.device.behaviours.find((x) => x.id === id);
  if (b === undefined) return [];
  const out = [`${id} (count ${b.count}): ${b.detail}`];
  const e = b.evidence[0];
  if (e) {
    const where = [
      e.pair !== null ? `pair ${e.pair}` : '',
      e.clientPackets.length > 0 ? `client ${e.clientPackets.map((p) => `#${p}`).join(' ')}` : '',
      e.serverPackets.length > 0 ? `server ${e.serverPackets.map((p) => `#${p}`).join(' ')}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    out.push(`e.g. ${where ? `${where}: ` : ''}${e.text}`);
  }
  return out;
}

function kindRule(r: Report, kind: string): RuleResult {
  return {
    id: 'kind',
    pass: r.device.kind === kind,
    expected: kind,
    found: r.device.kind,
    evidence: [r.device.kindReason, r.device.summary].filter(Boolean),
  };
}

function behaviourRules(r: Report, p: NonNullable<Policy['behaviours']>): RuleResult[] {
  const reported = r.device.behaviours.map((b) => b.id as string);
  const out: RuleResult[] = [];
  if (p.allowed !== undefined) {
    const extra = reported.filter((id) => !p.allowed!.includes(id as never));
    out.push({
      id: 'behaviours.allowed',
      pass: extra.length === 0,
      expected: `only ${p.allowed.join(', ') || '(none)'}`,
      found: extra.length === 0 ? `reported: ${reported.join(', ') || '(none)'}` : `also ${extra.join(', ')}`,
      evidence: extra.flatMap((id) => behaviourEvidence(r, id)),
    });
  }
  if (p.forbidden !== undefined) {
    const bad = reported.filter((id) => p.forbidden!.includes(id as never));
    out.push({
      id: 'behaviours.forbidden',
      pass: bad.length === 0,
      expected: `none of ${p.forbidden.join(', ')}`,
      found: bad.length === 0 ? 'none reported' : bad.join(', '),
      evidence: bad.flatMap((id) => behaviourEvidence(r, id)),
    });
  }
  if (p.required !== undefined) {
    const missing = p.required.filter((id) => !reported.includes(id));
    out.push({
      id: 'behaviours.required',
      pass: missing.length === 0,
      expected: `all of ${p.required.join(', ')}`,
      found: missing.length === 0 ? 'all reported' : `missing ${missing.join(', ')}`,
      evidence: missing.map((id) => {
        const u = r.device.undecided.find((x) => x.id === id);
        return u ? `${id} undecided: ${u.reason}` : `${id} not reported`;
      }),
    });
  }
  return out;
}

function latencyRule(r: Report, which: 'p50' | 'p99', limitNs: number): RuleResult {
  const key = which === 'p50' ? 'p50Ns' : 'p99Ns';
  let worst: { pair: number; dir: string; value: number; d: ReportDelay; source: string } | null = null;
  let measured = 0;
  for (const p of r.pairs) {
    for (const dir of ['c2s', 's2c'] as const) {
      const d = p.latency[dir];
      const v = d[key];
      if (d.count === 0 || v === null) continue;
      measured++;
      if (worst === null || v > worst.value)
        worst = { pair: p.id, dir, value: v, d, source: p.latency.source };
    }
  }
  const id = `latency.${which}`;
  if (worst === null)
    return {
      id,
      pass: false,
      expected: `at most ${ns(limitNs)}`,
      found: 'nothing measured',
      evidence: ['no pair has a measured added delay (no forwarded packet and no linked message)'],
    };
  const over = r.pairs.filter((p) =>
    (['c2s', 's2c'] as const).some((dir) => {
      const v = p.latency[dir][key];
      return p.latency[dir].count > 0 && v !== null && v > limitNs;
    }),
  ).length;
  return {
    id,
    pass: worst.value <= limitNs,
    expected: `every pair's ${which} added delay at most ${ns(limitNs)}`,
    found: `worst ${ns(worst.value)} (pair ${worst.pair} ${worst.dir})`,
    evidence: [
      `pair ${worst.pair} ${worst.dir}: ${worst.d.count} ${worst.source === 'packets' ? 'packets' : 'messages'}, p50 ${ns(worst.d.p50Ns ?? 0)}, p99 ${ns(worst.d.p99Ns ?? 0)}, max ${ns(worst.d.maxNs ?? 0)}`,
      `${over} of ${r.pairs.length} pairs over the limit; ${measured} pair directions measured`,
    ],
  };
}

function dropRule(r: Report, max: number): RuleResult {
  const dropped = r.packets.c2s.dropped + r.packets.s2c.dropped;
  const forwarded = r.packets.c2s.matched + r.packets.s2c.matched + dropped;
  if (forwarded === 0)
    return {
      id: 'maxDropRate',
      pass: false,
      expected: `at most ${max}`,
      found: 'nothing measured',
      evidence: [
        'no packet is forwarded one to one (the device terminates the connections): drops cannot be counted',
      ],
    };
  const rate = dropped / forwarded;
  const lossy = r.pairs.filter((p) => p.packets.c2s.dropped + p.packets.s2c.dropped > 0);
  const evidence = [
    `${dropped} of ${forwarded} packets dropped (c2s ${r.packets.c2s.dropped}, s2c ${r.packets.s2c.dropped})`,
  ];
  for (const p of lossy.slice(0, 3)) {
    const f = p.findings.find((x) => x.id === 'packet.dropped');
    evidence.push(`pair ${p.id}: ${f ? f.text : `${p.packets.c2s.dropped + p.packets.s2c.dropped} dropped`}`);
  }
  return {
    id: 'maxDropRate',
    pass: rate <= max,
    expected: `at most ${max}`,
    found: rate.toPrecision(3),
    evidence,
  };
}

function pairedRule(r: Report, min: number): RuleResult {
  const paired = new Set(r.pairs.map((p) => p.client.session)).size;
  const out = r.unpaired.client.filter((u) => u.reason === 'outside-other-capture').length;
  const missing = r.unpaired.client.filter((u) => u.reason !== 'outside-other-capture');
  const total = paired + missing.length;
  const share = total === 0 ? 0 : paired / total;
  const evidence = [
    `${paired} of ${total} client-side connections paired${out > 0 ? ` (${out} outside the server-side capture not counted)` : ''}`,
  ];
  for (const u of missing.slice(0, 3))
    evidence.push(`unpaired session ${u.session} (${u.reason}): ${u.detail}`);
  return {
    id: 'minPairedShare',
    pass: total > 0 && share >= min,
    expected: `at least ${min}`,
    found: total === 0 ? 'no client-side connection' : share.toPrecision(3),
    evidence,
  };
}

/** Checks a report against a policy, rule by rule, in a fixed order. */
export function checkPolicy(r: Report, policy: Policy): RuleResult[] {
  const out: RuleResult[] = [];
  if (policy.kind !== undefined) out.push(kindRule(r, policy.kind));
  if (policy.behaviours !== undefined) out.push(...behaviourRules(r, policy.behaviours));
  if (policy.latency?.p50 !== undefined) out.push(latencyRule(r, 'p50', policy.latency.p50));
  if (policy.latency?.p99 !== undefined) out.push(latencyRule(r, 'p99', policy.latency.p99));
  if (policy.maxDropRate !== undefined) out.push(dropRule(r, policy.maxDropRate));
  if (policy.minPairedShare !== undefined) out.push(pairedRule(r, policy.minPairedShare));
  return out;
}

export function verify(clientPath: string, serverPath: string, a: VerifyArgs): VerifyResult {
  const policy = verifyPolicy(a);
  const { report } = runAnalysis(clientPath, serverPath, correlateOptions(a));
  const rules = checkPolicy(report, policy);
  return {
    schema: VERIFY_SCHEMA,
    tool: { name: 'dualcap', version: VERSION },
    inputs: { client: clientPath, server: serverPath },
    pass: rules.every((x) => x.pass),
    device: { kind: report.device.kind, summary: report.device.summary },
    rules,
  };
}

export function renderVerifyText(v: VerifyResult): string {
  const out = [`dualcap verify: ${v.inputs.client} (client side) and ${v.inputs.server} (server side)`];
  for (const r of v.rules) {
    out.push(`  ${r.pass ? 'PASS' : 'FAIL'}  ${r.id}: expected ${r.expected}; found ${r.found}`);
    for (const e of r.evidence) out.push(`        ${e}`);
  }
  const failed = v.rules.filter((r) => !r.pass).length;
  out.push(
    v.pass
      ? `result: PASS (${v.rules.length} rule${v.rules.length === 1 ? '' : 's'})`
      : `result: FAIL (${failed} of ${v.rules.length} rules failed)`,
  );
  return `${out.join('\n')}\n`;
}
