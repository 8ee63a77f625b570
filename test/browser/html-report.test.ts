/**
 * The HTML report in a real browser (Debian's Chromium, driven by playwright-core): reports of two lab
 * scenarios built through the whole pipeline (correlate -> diagnose -> buildReport -> details -> render),
 * opened from file://. Checks the verdict, the ladder diagrams (arrows counted against the lab's truth), the
 * table filter and sort, that nothing is fetched and no console error, page error or CSP violation happens,
 * and that a capture carrying script in its payload, packet comments and file name cannot run it.
 *
 * Screenshots go to test-artifacts/browser/ (git-ignored); UPDATE_SCREENSHOT=1 also rewrites
 * docs/img/report.png, the top of the seed-wrong-synack report. Skipped, visibly, without /usr/bin/chromium
 * (`apt-get install -y chromium`; never `npx playwright install`).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Correlation, correlate } from '../../src/correlate/index.js';
import { diagnose } from '../../src/diagnose/index.js';
import { buildHtmlReport, renderHtmlReport } from '../../src/report/html.js';
import { buildReport } from '../../src/report/report-json.js';
import type { Report } from '../../src/report/report-schema.js';
import { TcpConversation, writePcapng } from '../helpers/packets.js';
import { loadTruth, samplesDir } from '../helpers/truth.js';

const CHROMIUM = '/usr/bin/chromium';
const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'browser');
const DOC_SCREENSHOT = join(process.cwd(), 'docs', 'img', 'report.png');
const HOSTILE_SCRIPT = '<script>window.__pwned=1</script>';
const HOSTILE_ATTR = '"><img src=x onerror="window.__pwned=1">';

const present = existsSync(CHROMIUM);
if (!present)
  process.stdout.write(
    `\n[skip] HTML report in Chromium: ${CHROMIUM} not found (apt-get install -y chromium); skipped.\n`,
  );
const maybe = present ? test : test.skip;

const tmp = mkdtempSync(join(tmpdir(), 'dualcap-html-'));

interface Built {
  report: Report;
  correlation: Correlation;
  file: string;
}

function build(name: string, clientPath: string, serverPath: string): Built {
  const correlation = correlate(clientPath, serverPath, {});
  const report = buildReport(correlation, diagnose(correlation), { name: 'dualcap', version: '0.1.0' });
  const file = join(ARTIFACTS, `${name}.html`);
  writeFileSync(file, buildHtmlReport(correlation, report));
  return { report, correlation, file };
}

function scenario(name: string): Built {
  const t = loadTruth(join(samplesDir(), name));
  return build(name, join('samples', name, t.captures.client), join('samples', name, t.captures.server));
}

/** A routed connection whose request payload, packet comments and client file name all carry markup. */
function hostile(): Built {
  const packets = [];
  for (let i = 0; i < 3; i++) {
    const c = new TcpConversation({
      client: '10.0.0.1',
      server: '10.0.0.2',
      clientPort: 40000 + i,
      clientIsn: 1000 + i * 100000,
      startSec: 1_700_000_000 + i,
    });
    c.handshake().exchange(
      `GET /${HOSTILE_SCRIPT} HTTP/1.1\r\nX-Test: ${HOSTILE_ATTR}\r\n\r\n`,
      'HTTP/1.1 200 OK\r\n\r\n',
    );
    c.close();
    packets.push(...c.packets);
  }
  const client = packets.map((p, i) => ({ ...p, comments: i === 3 ? [HOSTILE_SCRIPT, HOSTILE_ATTR] : [] }));
  // The server side sees each packet 30 us later (a router that does not touch the packets).
  const server = packets.map((p) => ({ ...p, tsNsec: p.tsNsec + 30_000 }));
  const clientPath = join(tmp, `client-${HOSTILE_ATTR}.pcapng`);
  const serverPath = join(tmp, 'server.pcapng');
  writeFileSync(clientPath, writePcapng(client));
  writeFileSync(serverPath, writePcapng(server));
  return build('hostile', clientPath, serverPath);
}

let browser: Browser | null = null;
const built: Record<string, Built> = {};

beforeAll(async () => {
  if (!present) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  built.seed = scenario('seed-wrong-synack');
  built.nat = scenario('nat');
  built.hostile = hostile();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  /** Console errors and warnings, page errors, CSP violations and any request that is not the file itself. */
  problems: string[];
}

async function open(file: string): Promise<Opened> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (r.url() !== url) problems.push(`request: ${r.url()}`);
  });
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', function (e) {
      window.__violations = (window.__violations || []).concat(e.violatedDirective + ' ' + e.blockedURI);
    });`,
  });
  await page.goto(url);
  const violations = (await page.evaluate('window.__violations || []')) as string[];
  problems.push(...violations.map((v) => `CSP violation: ${v}`));
  return { page, problems };
}

async function arrowsMatchLadders(page: Page): Promise<number[]> {
  const ladders = page.locator('div.ladder');
  const counts: number[] = [];
  for (let i = 0; i < (await ladders.count()); i++) {
    const ladder = ladders.nth(i);
    const drawn = await ladder.locator('g.pkt').count();
    expect(drawn).toBe(Number(await ladder.getAttribute('data-arrows')));
    counts.push(drawn);
  }
  return counts;
}

describe('HTML report in Chromium', () => {
  maybe('seed-wrong-synack: the failed handshake is drawn with its bad ACKs and no server side', async () => {
    const { page, problems } = await open(built.seed!.file);
    const t = loadTruth(join(samplesDir(), 'seed-wrong-synack'));
    const failed = t.connections.find((c) => c.server.length === 0)!;
    const anomaly = t.anomalies.find((a) => a.isn === failed.client.isn)!;
    // The truth lists the frames of each anomaly (samples/README.md); its zod schema keeps them unchecked.
    const frames = anomaly.frames as number[];
    expect(await page.locator('#verdict-text').textContent()).toContain('never reached the server side');
    expect(await page.locator('.kind').textContent()).toBe('l4-proxy');

    const session = built.seed!.report.unpaired.client.find((u) => u.isn === failed.client.isn)!.session;
    const ladder = page.locator(`#ladder-c${session}`);
    await expect(ladder.locator('text.missing').textContent()).resolves.toBe('NOTHING ON THE SERVER SIDE');
    // One arrow per SYN of the attempt and per odd ACK, nothing else.
    const arrows = ladder.locator('g.pkt');
    expect(await arrows.count()).toBe(failed.client.synTimes.length + frames.length);
    const titles = await arrows.locator('title').allTextContents();
    const badAcks = titles
      .filter((x) => x.includes('finding: tcp.handshake.synack_bad_ack'))
      .map((x) => Number(/client side packet #(\d+)/.exec(x)![1]));
    expect(badAcks).toEqual(frames);
    expect(await ladder.locator('text.mark', { hasText: 'BAD ACK' }).count()).toBe(frames.length);
    expect(await ladder.locator('text.mark', { hasText: 'not forwarded' }).count()).toBe(
      failed.client.synTimes.length,
    );
    expect(await ladder.locator('.callout.bad').first().textContent()).toContain(
      'Nothing on the server side',
    );

    const counts = await arrowsMatchLadders(page);
    expect(counts.length).toBe(6);
    expect(counts.every((n) => n > 0)).toBe(true);
    // The problem links to its ladder.
    expect(await page.locator(`#problems a[href="#ladder-c${session}"]`).count()).toBe(1);
    expect(problems).toEqual([]);

    await page.screenshot({ path: join(ARTIFACTS, 'seed-wrong-synack.png'), fullPage: true });
    if (process.env.UPDATE_SCREENSHOT === '1') {
      const box = await ladder.boundingBox();
      mkdirSync(join(process.cwd(), 'docs', 'img'), { recursive: true });
      await page.screenshot({
        path: DOC_SCREENSHOT,
        fullPage: true,
        clip: { x: 0, y: 0, width: 1280, height: Math.ceil(box!.y + box!.height + 20) },
      });
    }
    await page.close();
  });

  maybe('nat: the table filters and sorts, every ladder has its arrows', async () => {
    const { page, problems } = await open(built.nat!.file);
    const t = loadTruth(join(samplesDir(), 'nat'));
    const pairs = built.nat!.report.pairs.length;
    expect(pairs).toBe(t.connections.length);
    expect(await page.locator('#verdict-text').textContent()).toContain('translates addresses');

    const visible = page.locator('#pairs-table tbody tr:not([hidden])');
    expect(await visible.count()).toBe(pairs);
    const [ip, port] = t.connections[5]!.client.tuple;
    await page.locator('#pairs-filter').fill(`${ip}:${port} `);
    expect(await visible.count()).toBe(1);
    expect(await page.locator('#pairs-count').textContent()).toBe(`1 of ${pairs} rows`);
    await page.locator('#pairs-filter').fill('translated ONE-TO-ONE');
    expect(await visible.count()).toBe(pairs);
    await page.locator('#pairs-filter').fill('no such connection');
    expect(await visible.count()).toBe(0);
    await page.locator('#pairs-filter').fill('');
    expect(await visible.count()).toBe(pairs);

    const firstId = async () => Number(await visible.first().locator('td').first().textContent());
    const header = page.locator('#pairs-table th', { hasText: 'pair' }).first();
    await header.click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    expect(await firstId()).toBe(0);
    await header.click();
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    expect(await firstId()).toBe(pairs - 1);

    const counts = await arrowsMatchLadders(page);
    expect(counts.length).toBe(6);
    // Every ladder of a pair forwarded one to one shows its handshake: at least SYN, SYN-ACK, ACK.
    expect(counts.every((n) => n >= 3)).toBe(true);
    expect(await page.locator('svg.plot').count()).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'nat.png'), fullPage: true });
    await page.close();
  });

  maybe('markup in payloads, comments and file names is shown as text and never runs', async () => {
    const { page, problems } = await open(built.hostile!.file);
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('header .files').first().textContent()).toContain(
      `client-${HOSTILE_ATTR}.pcapng`,
    );
    const titles = (await page.locator('g.pkt title').allTextContents()).join('\n');
    expect(titles).toContain(`payload: GET /${HOSTILE_SCRIPT} HTTP/1.1\\r\\nX-Test: "><img`);
    expect(titles).toContain(`comment: ${HOSTILE_SCRIPT}`);
    expect(titles).toContain(`comment: ${HOSTILE_ATTR}`);
    // The request's first line is visible beside its arrow, literally.
    expect(
      await page.locator('tspan.preview', { hasText: 'GET /<script>window.__pwned=1' }).count(),
    ).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'hostile.png'), fullPage: true });
    await page.close();
  });

  maybe('a 100,000-pair report opens as a bounded page whose table still filters', async () => {
    const nat = built.nat!.report;
    const big: Report = {
      ...nat,
      pairs: Array.from({ length: 100_000 }, (_, i) => ({ ...nat.pairs[i % nat.pairs.length]!, id: i })),
    };
    const started = process.hrtime.bigint();
    const html = renderHtmlReport(big, [], { baseSec: built.nat!.correlation.baseSec });
    const renderMs = Number(process.hrtime.bigint() - started) / 1e6;
    const file = join(ARTIFACTS, 'nat-100k.html');
    writeFileSync(file, html);
    const loadStart = Date.now();
    const { page, problems } = await open(file);
    const loadMs = Date.now() - loadStart;
    expect(await page.locator('#pairs-table tbody tr').count()).toBe(2000);
    expect(await page.locator('#pairs').textContent()).toContain('Showing 2,000 of 100,000 pairs');
    await page.locator('#pairs-filter').fill('no such connection');
    expect(await page.locator('#pairs-table tbody tr:not([hidden])').count()).toBe(0);
    expect(problems).toEqual([]);
    process.stdout.write(
      `[measure] 100,000-pair report: render ${renderMs.toFixed(0)} ms, ${(html.length / 1024).toFixed(0)} KiB, ` +
        `opened in Chromium in ${loadMs} ms\n`,
    );
    await page.close();
  });

  maybe('the policy is a second wall: markup spliced in unescaped still cannot run', async () => {
    const { readFileSync } = await import('node:fs');
    const page = readFileSync(built.hostile!.file, 'utf8').replace(
      '<main>',
      `<main>${HOSTILE_SCRIPT}<img src=x onerror="window.__pwned=1"><svg><a onclick="window.__pwned=1"></a></svg>`,
    );
    const file = join(tmp, 'spliced.html');
    writeFileSync(file, page);
    const opened = await open(file);
    expect(await opened.page.evaluate('typeof window.__pwned')).toBe('undefined');
    // The browser reports the refused inline script; the page's own script still ran (the table is live).
    expect(opened.problems.some((p) => p.includes('script-src'))).toBe(true);
    expect(await opened.page.locator('#pairs-count').textContent()).toMatch(/rows$/);
    await opened.page.close();
  });
});
