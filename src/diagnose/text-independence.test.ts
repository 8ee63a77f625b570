/**
 * The diagnosis reads numbers, never other stages' words: on every lab scenario, a correlation whose every
 * text (finding, packet event, field change, pairing evidence and unpaired details) is blanked out gives
 * the same verdict, behaviours, counts, confidences, evidence packets and values, and problems as the
 * correlation as made. Only sentences may differ (they quote those texts).
 */
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadTruth, samplesDir, scenarios } from '../../test/helpers/truth.js';
import { type Correlation, correlate } from '../correlate/index.js';
import { diagnose } from './index.js';
import type { Diagnosis, EvidenceItem } from './types.js';

/** Replace every text the earlier stages wrote for people (what a rewording would change). */
function blankTexts(c: Correlation): number {
  let blanked = 0;
  const blank = (o: { detail: string }) => {
    o.detail = '';
    blanked++;
  };
  for (const side of [c.client, c.server]) for (const s of side.sessions) s.findings.forEach(blank);
  for (const m of c.matches) {
    m.examples.forEach(blank);
    m.changes.forEach(blank);
  }
  for (const p of c.pairs) p.evidence.forEach(blank);
  c.unpaired.forEach(blank);
  return blanked;
}

/**
 * Everything but sentences. Loss evidence quotes the event's words as `values.packet` (for people, like
 * `text`), so string values under that key are left out too.
 */
function facts(d: Diagnosis) {
  const item = (e: EvidenceItem) => ({
    pair: e.pair,
    clientPackets: e.clientPackets,
    serverPackets: e.serverPackets,
    values: Object.fromEntries(
      Object.entries(e.values).filter(([k, v]) => !(k === 'packet' && typeof v === 'string')),
    ),
  });
  return {
    kind: d.device.kind,
    behaviours: d.device.behaviours.map((b) => ({
      id: b.id,
      confidence: b.confidence,
      count: b.count,
      detail: b.detail,
      evidence: b.evidence.map(item),
    })),
    undecided: d.device.undecided.map((u) => u.id),
    problems: d.problems.map((p) => ({
      id: p.id,
      severity: p.severity,
      pair: p.pair,
      clientSession: p.clientSession,
      serverSession: p.serverSession,
      evidence: p.evidence.map(item),
    })),
  };
}

describe.each(scenarios())('diagnosis of %s without the earlier stages’ texts', (scenario) => {
  test('is the same', () => {
    const dir = join(samplesDir(), scenario);
    const truth = loadTruth(dir);
    const c = correlate(join(dir, truth.captures.client), join(dir, truth.captures.server));
    const before = facts(diagnose(c));
    expect(blankTexts(c)).toBeGreaterThan(0);
    const after = facts(diagnose(c));
    expect(after).toEqual(before);
    expect(after.behaviours.map((b) => b.id).sort()).toEqual([...truth.behaviours].sort());
  });
});
