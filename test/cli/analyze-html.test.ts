/**
 * `dualcap analyze --format html -o FILE`: the page the command writes is the self-contained report, and
 * with --anonymize it carries no address, request id or file name of the inputs (the full leak test over
 * every output is anonymize-leak.test.ts; this one covers the command's own HTML path).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { main } from '../../src/cli/program.js';

const tmp = mkdtempSync(join(tmpdir(), 'dualcap-html-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sample(name: string): [string, string] {
  const dir = join('samples', name);
  const files = readdirSync(dir);
  return [
    join(dir, files.find((f) => f.startsWith('client-side.'))!),
    join(dir, files.find((f) => f.startsWith('server-side.'))!),
  ];
}

describe('analyze --format html', () => {
  const [client, server] = sample('nat');

  test('writes one self-contained page with the verdict', async () => {
    const out = join(tmp, 'nat.html');
    expect(await main(['analyze', client, server, '--format', 'html', '-o', out])).toBe(0);
    const page = readFileSync(out, 'utf8');
    expect(page.startsWith('<!doctype html>') || page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('Content-Security-Policy');
    expect(page).toContain('rewrites-destination-address');
    expect(page).toMatch(/<svg[^>]*class="ladder/);
    expect(page).not.toMatch(/(src|href)="https?:/);
  });

  test('--anonymize leaves no input address, request id or file name in the page', async () => {
    const out = join(tmp, 'nat-anon.html');
    expect(await main(['analyze', client, server, '--format', 'html', '--anonymize', '-o', out])).toBe(0);
    const page = readFileSync(out, 'utf8');
    for (const secret of [
      '10.99.1.2',
      '10.99.1.10',
      '10.99.2.1',
      '10.99.2.2',
      'nat-0001-1',
      'client-side.pcapng',
      'X-Request-Id',
    ])
      expect(page).not.toContain(secret);
    expect(page).toContain('rewrites-destination-address');
  });

  test('--raw is refused for html (exit 2)', async () => {
    expect(await main(['analyze', client, server, '--format', 'html', '--raw'])).toBe(2);
  });
});
