/**
 * `dualcap analyze ... --merge FILE` end to end on the drop lab scenario: the file is written alongside the
 * report, our reader reads it with both interfaces and every packet of both inputs, its "dropped by device"
 * comments are exactly the drops the report counts (the merge ran with the analysis's match options), and
 * tshark reads it without a warning when installed. An output that would overwrite an input, or two outputs
 * on one file, are refused with exit 2 and nothing written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { readAll } from '../../src/capture/index.js';
import { main } from '../../src/cli/program.js';
import { type Report, reportSchema } from '../../src/report/report-schema.js';
import { captureStderr } from '../helpers/cli.js';
import { loadTruth, samplesDir } from '../helpers/truth.js';

const tmp = mkdtempSync(join(tmpdir(), 'dualcap-analyze-merge-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
if (!tshark) process.stdout.write('\n[skip] analyze --merge vs tshark: tshark not installed; skipped.\n');

const folder = join(samplesDir(), 'drop');
const present = existsSync(join(folder, 'truth.json'));
if (!present) process.stdout.write('\n[skip] analyze --merge: samples/drop not found; skipped.\n');
const sides = (): [string, string] => {
  const t = loadTruth(folder);
  return [join(folder, t.captures.client), join(folder, t.captures.server)];
};

const stderr = captureStderr();

function mergedPackets(path: string) {
  const perInterface = new Map<number, number>();
  let dropped = 0;
  const r = readAll(path, (rec) => {
    perInterface.set(rec.interfaceId, (perInterface.get(rec.interfaceId) ?? 0) + 1);
    if (rec.comments.some((c) => c.includes('dropped by device'))) dropped++;
  });
  return { ...r, perInterface, dropped };
}

describe('analyze --merge on the drop scenario', () => {
  let run: { code: number; report: Report; merged: string } | null = null;
  const get = async () => {
    if (run === null) {
      const [client, server] = sides();
      const merged = join(tmp, 'drop.pcapng');
      const out = join(tmp, 'drop.json');
      const code = await main(['analyze', client, server, '--format', 'json', '--merge', merged, '-o', out]);
      run = { code, report: reportSchema.parse(JSON.parse(readFileSync(out, 'utf8'))), merged };
    }
    return run;
  };

  (present ? test : test.skip)(
    'writes the report and a merged pcapng our reader reads: both interfaces, every packet',
    async () => {
      const { code, report, merged } = await get();
      expect(code).toBe(0);
      const m = mergedPackets(merged);
      expect(m.error).toBeNull();
      expect(m.anomalies.total).toBe(0);
      expect(m.info.format).toBe('pcapng');
      expect(m.info.interfaces.map((i) => i.name)).toEqual(['client-side', 'server-side']);
      const [c, s] = report.inputs;
      expect(m.packets).toBe(c.packets + s.packets);
      expect([m.perInterface.get(0), m.perInterface.get(1)]).toEqual([c.packets, s.packets]);
      // The same verdicts as the report: the merge matched with the analysis's options.
      expect(report.packets.c2s.dropped + report.packets.s2c.dropped).toBeGreaterThan(0);
      expect(m.dropped).toBe(report.packets.c2s.dropped + report.packets.s2c.dropped);
      // Written under a temporary name and renamed: nothing else is left in the folder.
      expect(readdirSync(tmp).filter((f) => f.includes('partial'))).toEqual([]);
    },
  );

  (present && tshark ? test : test.skip)('tshark reads the merged file without a warning', async () => {
    const { merged, report } = await get();
    const r = spawnSync('tshark', ['-n', '-r', merged, '-T', 'fields', '-e', 'frame.number'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    // tshark warns when run as root; that line is about the environment, not the file.
    const warnings = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/Running as user "root"/.test(l));
    expect(warnings).toEqual([]);
    expect(r.status).toBe(0);
    const frames = r.stdout.split('\n').filter((l) => l !== '').length;
    expect(frames).toBe(report.inputs[0].packets + report.inputs[1].packets);
  });

  (present ? test : test.skip)('with the text report too', async () => {
    const [client, server] = sides();
    const merged = join(tmp, 'drop-text.pcapng');
    const out = join(tmp, 'drop.txt');
    expect(await main(['analyze', client, server, '--merge', merged, '-o', out])).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^dualcap .* report\n/);
    expect(mergedPackets(merged).info.interfaces.length).toBe(2);
  });
});

describe('analyze --merge refuses to destroy an input', () => {
  (present ? test : test.skip)('--merge naming an input capture: exit 2, the input untouched', async () => {
    const [client, server] = sides();
    for (const target of [client, server]) {
      const before = readFileSync(target);
      const mtime = statSync(target).mtimeMs;
      stderr.clear();
      expect(await main(['analyze', client, server, '--merge', target, '-o', join(tmp, 'x.txt')])).toBe(2);
      expect(stderr.text).toMatch(/--merge .*: that is the (client|server)-side capture/);
      expect(readFileSync(target).equals(before)).toBe(true);
      expect(statSync(target).mtimeMs).toBe(mtime);
    }
    expect(existsSync(join(tmp, 'x.txt'))).toBe(false);
  });

  (present ? test : test.skip)('--output naming an input, or the --merge file: exit 2', async () => {
    const [client, server] = sides();
    const before = readFileSync(client);
    expect(await main(['analyze', client, server, '-o', client])).toBe(2);
    expect(stderr.text).toMatch(/--output .*: that is the client-side capture/);
    expect(readFileSync(client).equals(before)).toBe(true);
    stderr.clear();
    const both = join(tmp, 'both.out');
    expect(await main(['analyze', client, server, '--merge', both, '-o', both])).toBe(2);
    expect(stderr.text).toMatch(/--merge writes to the same file/);
    expect(existsSync(both)).toBe(false);
  });

  (present ? test : test.skip)(
    '--merge into a folder that does not exist, or onto a folder: exit 2 before any work, no report',
    async () => {
      const [client, server] = sides();
      const out = join(tmp, 'never.txt');
      const code = await main([
        'analyze',
        client,
        server,
        '--merge',
        join(tmp, 'no-such-dir', 'm.pcapng'),
        '-o',
        out,
      ]);
      expect(code).toBe(2);
      expect(stderr.text).toMatch(/--merge .*no-such-dir.*: no such directory/);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(tmp, 'no-such-dir'))).toBe(false);
      stderr.clear();
      expect(await main(['analyze', client, server, '--merge', tmp, '-o', out])).toBe(2);
      expect(stderr.text).toMatch(/--merge .*: is a directory/);
      expect(existsSync(out)).toBe(false);
    },
  );

  test('--merge without a file name and an empty --anonymize-key are usage errors', async () => {
    expect(await main(['analyze', 'a.pcap', 'b.pcap', '--merge', ''])).toBe(2);
    expect(stderr.text).toMatch(/--merge: give the file to write/);
    stderr.clear();
    expect(await main(['analyze', 'a.pcap', 'b.pcap', '--anonymize-key', ''])).toBe(2);
    expect(stderr.text).toMatch(/--anonymize-key: empty/);
  });
});
