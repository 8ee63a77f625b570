/**
 * The HTML report of every lab scenario, built through the whole pipeline in Node: one ladder per chosen
 * connection with every collected packet drawn, bounded page sizes, and the scenario's device visible in the
 * verdict. The browser test (test/browser/) opens two of these pages in Chromium.
 */
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadTruth, samplesDir, scenarios } from '../../test/helpers/truth.js';
import { collectDetails } from '../correlate/detail.js';
import { correlate } from '../correlate/index.js';
import { diagnose } from '../diagnose/index.js';
import { htmlViews, renderHtmlReport } from './html.js';
import { collectPacketExtras } from './html-extras.js';
import { ladderRows } from './html-ladder.js';
import { buildReport } from './report-json.js';

describe.each(scenarios())('HTML report of %s', (scenario) => {
  test('every chosen connection is drawn in full, the page stays small', () => {
    const t = loadTruth(join(samplesDir(), scenario));
    const c = correlate(
      join('samples', scenario, t.captures.client),
      join('samples', scenario, t.captures.server),
    );
    const report = buildReport(c, diagnose(c), { name: 'dualcap', version: 'test' });
    const views = htmlViews(report);
    const details = collectDetails(c, views);
    const extras = collectPacketExtras(c.client.path, c.server.path, details);
    const page = renderHtmlReport(report, details, { baseSec: c.baseSec, extras });

    expect(views.length).toBe(Math.min(6, report.pairs.length + report.unpaired.client.length));
    const ladders = [...page.matchAll(/<div class="ladder" id="([^"]+)" data-arrows="(\d+)">/g)];
    expect(ladders.length).toBe(details.length);
    details.forEach((d, i) => {
      const rows = ladderRows(d).length;
      expect(Number(ladders[i]![2])).toBe(Math.min(rows, 300));
    });
    expect(page.split('<g class="pkt').length - 1).toBe(ladders.reduce((n, l) => n + Number(l[2]), 0));
    expect(page).toContain(`<span class="kind">${report.device.kind}</span>`);
    expect(page.length).toBeLessThan(1_000_000);
  });
});
