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

describe('progress', () => {
  test('moves through pass 2 as well as pass 1, never backwards, and ends at the total', () => {
    const [c, s] = pairOf('samples/routed');
    const calls: [number, number][] = [];
    correlate(c, s, { onProgress: (done, total) => calls.push([done, total]) });
    const total = calls[0]![1];
    expect(calls.every(([, t]) => t === total)).toBe(true);
    for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBeGreaterThanOrEqual(calls[i - 1]![0]);
    expect(calls.some(([done]) => done > total / 2 && done < total)).toBe(true);
    expect(calls[calls.length - 1]![0]).toBe(total);
  });
});

describe('files given the wrong way round', () => {
  test('are analysed the right way round, with a warning saying so', () => {
    const [c, s] = pairOf('samples/routed');
    const r = correlate(s, c);
    expect(r.swapped).toBe(true);
    expect(r.client.path).toBe(c);
    expect(r.server.path).toBe(s);
    expect(r.client.side).toBe('client');
    expect(r.warnings[0]?.id).toBe('pair.swapped');
    expect(r.pairs.length).toBe(r.client.sessions.length);
    expect(r.pairs.every((p) => p.kind === 'same')).toBe(true);
    const dropped = r.matches.reduce((n, m) => n + m.dropped[0] + m.dropped[1], 0);
    expect(dropped).toBe(0);
  });
  test.each(['haproxy-tls', 'haproxy-tls-pool'])(
    '%s (TLS terminated, no packet crosses): told by the TLS side, then paired the right way round',
    (scenario) => {
      const [c, s] = pairOf(`samples/${scenario}`);
      const r = correlate(s, c);
      expect(r.swapped).toBe(true);
      expect(r.client.path).toBe(c);
      expect(r.warnings[0]?.id).toBe('pair.swapped');
      expect(r.warnings[0]?.text).toContain('ClientHello');
      expect(r.unpaired).toEqual([]);
      expect(r.pairs.length).toBe(r.client.sessions.length);
    },
  );
  test('TLS on both given sides or on neither: not called swapped by TLS', () => {
    const [c] = pairOf('samples/haproxy-tls');
    const [, plain] = pairOf('samples/haproxy-tcp');
    expect(correlate(c, c).swapped).toBe(false);
    expect(correlate(plain, plain).warnings.some((w) => w.text.includes('ClientHello'))).toBe(false);
  });
  test('keepOrder analyses them as given and still warns', () => {
    const [c, s] = pairOf('samples/routed');
    const r = correlate(s, c, { keepOrder: true });
    expect(r.swapped).toBe(true);
    expect(r.client.path).toBe(s);
    expect(r.warnings.some((w) => w.id === 'pair.swapped')).toBe(true);
  });
});
