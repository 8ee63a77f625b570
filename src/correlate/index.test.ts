import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { correlate } from './index.js';

function pairOf(dir: string): [string, string] {
  const files = readdirSync(dir);
  const c = files.find((f) => f.startsWith('client-side.'))!;
  const s = files.find((f) => f.startsWith('server-side.'))!;
  return [join(dir, c), join(dir, s)];
}

describe('correlate (pass 1, pairing, pass 2)', () => {
  test('routed sample: every connection paired, packets matched, none dropped', () => {
    const [c, s] = pairOf('samples/routed');
    const r = correlate(c, s);
    expect(r.unpaired).toEqual([]);
    expect(r.pairs.length).toBe(r.client.sessions.length);
    expect(r.matches.length).toBe(r.pairs.length);
    const dropped = r.matches.reduce((n, m) => n + m.dropped[0] + m.dropped[1], 0);
    const matched = r.matches.reduce((n, m) => n + m.matched[0] + m.matched[1], 0);
    expect(dropped).toBe(0);
    expect(matched).toBe(r.client.tcpPackets);
    expect(Number.isFinite(r.alignment.boundNs)).toBe(true);
  });
});
