import { describe, expect, test } from '@jest/globals';
import type { DetailPacket, PairDetail } from '../correlate/detail.js';
import { compactFlags, renderSideBySide, shortDuration } from './report-side-by-side.js';

const SYN = 0x002;
const ACK = 0x010;
const PSH = 0x008;
const TTL_BIT = 1 << 0;
const WINDOW_BIT = 1 << 4;

function packet(
  p: Partial<DetailPacket> & Pick<DetailPacket, 'side' | 'packet' | 'dir' | 'clientClockNs'>,
): DetailPacket {
  return {
    session: 0,
    sec: 0,
    nsec: 0,
    flags: ACK,
    rawSeq: 1000,
    rawAck: 2000,
    seq: 1,
    ack: 1,
    len: 0,
    ttl: 64,
    ipId: 1,
    window: 512,
    event: 'matched',
    otherPacket: 0,
    delayNs: null,
    changes: 0,
    findings: [],
    ...p,
  };
}

/** A SYN forwarded with a TTL change, a data packet forwarded with TTL and window changed, a dropped ACK,
 * and a packet the device injected on the server side. */
function detail(): PairDetail {
  return {
    target: { pair: 7, clientSessions: [0], serverSessions: [0] },
    client: [
      packet({
        side: 'client',
        packet: 1,
        dir: 0,
        clientClockNs: 1_000_000_000,
        flags: SYN,
        seq: 0,
        len: 0,
        otherPacket: 1,
        delayNs: 40_000,
        changes: TTL_BIT,
      }),
      packet({
        side: 'client',
        packet: 3,
        dir: 0,
        clientClockNs: 1_000_500_000,
        flags: PSH | ACK,
        len: 100,
        otherPacket: 2,
        delayNs: 12_500,
        changes: TTL_BIT | WINDOW_BIT,
      }),
      packet({ side: 'client', packet: 4, dir: 0, clientClockNs: 1_000_600_000, event: 'dropped' }),
    ],
    server: [
      packet({
        side: 'server',
        packet: 1,
        dir: 0,
        clientClockNs: 1_000_040_000,
        flags: SYN,
        seq: 0,
        otherPacket: 1,
      }),
      packet({
        side: 'server',
        packet: 2,
        dir: 0,
        clientClockNs: 1_000_512_500,
        flags: PSH | ACK,
        len: 100,
        otherPacket: 3,
      }),
      packet({
        side: 'server',
        packet: 5,
        dir: 1,
        clientClockNs: 1_000_550_000,
        event: 'injected',
        findings: ['tcp.analysis.retransmission'],
      }),
    ],
    links: [],
    omitted: [0, 3],
  };
}

describe('side-by-side view', () => {
  const lines = renderSideBySide(detail(), ['Pair 7'], { raw: false, maxRows: null, baseSec: 1_795_000_000 });
  const rows = lines.filter((l) => /^\s+\d+\.\d{6}\s/.test(l));

  test('a forwarded packet and its copy share one row, with the transit delay', () => {
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^\s+0\.000000\s+1 S\s+0\s+-\s+0\s+->\s+\+40\.0us\s+1 S\s+0\s+-\s+0$/);
    expect(rows[1]).toMatch(/ 3 P\.\s+1\s+1\s+100\s+->\s+\+12\.5us\s+2 P\.\s+1\s+1\s+100\s+~window$/);
  });
  test('rows follow the client clock; dropped and injected packets leave the other cell empty', () => {
    expect(rows[2]).toMatch(/^\s+0\.000550\s+<-\s+5 \.\s+1\s+1\s+0\s+INJECTED analysis\.retransmission$/);
    expect(rows[3]).toMatch(/^\s+0\.000600\s+4 \.\s+1\s+1\s+0\s+->\s+DROPPED$/);
  });
  test('a change on every matched packet is said once, above the rows, not on each row', () => {
    expect(lines).toContain('  every matched client-to-server packet changed: ttl');
    expect(rows.some((r) => r.includes('~ttl'))).toBe(false);
  });
  test('what was not collected is counted; a row limit is said', () => {
    expect(lines.at(-1)).toContain('3 server-side packets beyond the per-connection limit');
    const short = renderSideBySide(detail(), [], { raw: true, maxRows: 2, baseSec: 0 });
    expect(short.some((l) => l.includes('... 2 more rows'))).toBe(true);
    expect(short.some((l) => / 1000 /.test(l))).toBe(true);
  });
  test('fits in 120 columns', () => {
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(120);
  });
  test('an empty view says so', () => {
    const empty: PairDetail = { ...detail(), client: [], server: [], omitted: [0, 0] };
    expect(renderSideBySide(empty, ['t'], { raw: false, maxRows: null, baseSec: 0 })).toEqual([
      't',
      '  (no packets of this connection in either capture)',
    ]);
  });
});

describe('short forms', () => {
  test.each([
    [SYN, 'S'],
    [SYN | ACK, 'S.'],
    [PSH | ACK, 'P.'],
    [0x001 | ACK, 'F.'],
    [0x004, 'R'],
    [ACK, '.'],
    [0, 'none'],
  ])('flags %i -> %s', (flags, text) => {
    expect(compactFlags(flags)).toBe(text);
  });
  test.each([
    [500, '+500ns'],
    [136_400, '+136.4us'],
    [-2_100, '-2.1us'],
    [12_345_678, '+12.35ms'],
    [12_345_678_901, '+12.346s'],
  ])('duration %d -> %s', (ns, text) => {
    expect(shortDuration(ns)).toBe(text);
  });
});
