import { describe, expect, test } from '@jest/globals';
import type { DetailPacket, PairDetail } from '../correlate/detail.js';
import { noExtras } from './html-extras.js';
import { type LadderOptions, ladderRows, renderLadder } from './html-ladder.js';
import { clockPoints } from './html-plots.js';

const BASE = 1700000000;
const SYN = 0x002;
const ACK = 0x010;
const PSH = 0x008;

function packet(side: 'client' | 'server', n: number, over: Partial<DetailPacket>): DetailPacket {
  const clientClockNs = over.clientClockNs ?? n * 1_000_000;
  return {
    side,
    packet: n,
    session: 0,
    dir: 0,
    sec: BASE,
    nsec: clientClockNs,
    clientClockNs,
    flags: ACK,
    rawSeq: 1000,
    rawAck: 0,
    seq: 0,
    ack: 0,
    len: 0,
    ttl: 64,
    ipId: 1,
    window: 100,
    event: 'matched',
    otherPacket: 0,
    delayNs: null,
    changes: 0,
    findings: [],
    ...over,
  };
}

function detail(client: DetailPacket[], server: DetailPacket[], pair: number | null = 0): PairDetail {
  return {
    target: { pair, clientSessions: [0], serverSessions: server.length > 0 ? [0] : [] },
    client,
    server,
    links: [],
    omitted: [0, 0],
  };
}

const opts: LadderOptions = { id: 't', baseSec: BASE, maxRows: 300, extras: noExtras() };

function count(svg: string, needle: string): number {
  return svg.split(needle).length - 1;
}

/** The seed's failing attempt: SYN, bad ACK, SYN retransmitted; nothing on the server side. */
function failedAttempt(): PairDetail {
  const synSeq = 0x8ba2c748;
  const syn = (n: number, t: number) =>
    packet('client', n, { flags: SYN, rawSeq: synSeq, event: 'unpaired', clientClockNs: t });
  const badAck = (n: number, t: number) =>
    packet('client', n, {
      dir: 1,
      flags: ACK,
      rawSeq: 0x87726d4c,
      rawAck: 0x8ab20981,
      event: 'unpaired',
      clientClockNs: t,
      findings: ['tcp.handshake.synack_bad_ack'],
    });
  return detail(
    [
      syn(310, 0),
      badAck(311, 22_000),
      syn(312, 8_000_000),
      syn(313, 1_028_000_000),
      badAck(314, 1_028_020_000),
    ],
    [],
    null,
  );
}

describe('renderLadder', () => {
  test('a failed handshake: every packet an arrow, SYNs end in a cross, bad ACKs red with the expected ack', () => {
    const l = renderLadder(failedAttempt(), opts);
    const svg = l.svg.text;
    expect(l.arrows).toBe(5);
    expect(count(svg, '<g class="pkt')).toBe(5);
    expect(l.serverMissing).toBe(true);
    expect(l.start).toBe('1700000000.000000000');
    expect(svg).toContain('NOTHING ON THE SERVER SIDE');
    expect(l.counts).toEqual({ badAck: 2, dropped: 0, notForwarded: 3, injected: 0, retransmittedSyn: 2 });
    // The label gives the raw ack and the one the SYN called for: ISN + 1.
    expect(count(svg, '[.] ack 0x8ab20981 \u2260 ISN+1 0x8ba2c749')).toBe(2);
    expect(count(svg, 'BAD ACK')).toBe(2);
    expect(count(svg, 'not forwarded')).toBe(3);
    expect(count(svg, 'SYN retransmission')).toBe(2);
    // A pause of a second is drawn as a break with its length.
    expect(svg).toContain('1.020 s later');
    // Crosses at the device for the three SYNs.
    expect(count(svg, 'stroke-width="2.4"')).toBe(3);
  });

  test('a forwarded connection: one arrow per packet and its copy, each half labelled with its own numbers', () => {
    const c = [
      packet('client', 1, { flags: SYN, otherPacket: 11, delayNs: 5800, changes: 1 }),
      packet('client', 2, { dir: 1, flags: SYN | ACK, seq: 0, ack: 1, otherPacket: 12, delayNs: 6300 }),
      packet('client', 3, { flags: PSH | ACK, seq: 1, ack: 1, len: 100, otherPacket: 13, delayNs: 6000 }),
    ];
    const s = [
      packet('server', 11, { flags: SYN, otherPacket: 1, clientClockNs: 1_005_800 }),
      packet('server', 12, { dir: 1, flags: SYN | ACK, ack: 1, otherPacket: 2, clientClockNs: 1_993_700 }),
      packet('server', 13, {
        flags: PSH | ACK,
        seq: 5,
        ack: 1,
        len: 100,
        otherPacket: 3,
        clientClockNs: 3_006_000,
      }),
    ];
    const l = renderLadder(detail(c, s), opts);
    const svg = l.svg.text;
    expect(l.arrows).toBe(3);
    expect(l.serverMissing).toBe(false);
    expect(svg).not.toContain('NOTHING ON THE SERVER SIDE');
    expect(svg).toContain('[P.] seq 1:101 ack 1 len 100');
    expect(svg).toContain('[P.] seq 5:105 ack 1 len 100');
    expect(svg).toContain('+5.8us');
    expect(svg).toContain('server side packet #13');
  });

  test('a dropped packet ends at the device in a cross, an injected one starts there', () => {
    const c = [
      packet('client', 1, { event: 'dropped' }),
      packet('client', 2, { dir: 1, event: 'injected', clientClockNs: 3_000_000 }),
    ];
    const l = renderLadder(
      detail(c, [packet('server', 5, { event: 'injected', clientClockNs: 2_000_000 })]),
      opts,
    );
    expect(l.counts.dropped).toBe(1);
    expect(l.counts.injected).toBe(2);
    expect(l.svg.text).toContain('DROPPED');
    expect(count(l.svg.text, 'INJECTED')).toBe(2);
    expect(l.svg.text).toContain('<circle');
  });

  test('rows beyond maxRows are counted, not drawn', () => {
    const c = Array.from({ length: 50 }, (_, i) => packet('client', i + 1, { event: 'dropped' }));
    const l = renderLadder(detail(c, []), { ...opts, maxRows: 20 });
    expect(l.arrows).toBe(20);
    expect(l.rows).toBe(50);
    expect(l.hiddenRows).toBe(30);
    expect(count(l.svg.text, '<g class="pkt')).toBe(20);
  });

  test('hover text carries payload snippets and comments, escaped', () => {
    const extras = noExtras();
    extras.client.set(1, {
      payload: 'GET /<script>x</script>',
      payloadLength: 200,
      comments: ['"><img src=x>'],
    });
    const l = renderLadder(detail([packet('client', 1, { event: 'dropped', len: 200 })], []), {
      ...opts,
      extras,
    });
    expect(l.svg.text).toContain('payload: GET /&lt;script&gt;x&lt;/script&gt; ...');
    expect(l.svg.text).toContain('comment: &quot;&gt;&lt;img src=x&gt;');
    expect(l.svg.text).not.toContain('<script>');
  });

  test('fields every matched packet changed are said once, others per row', () => {
    const c = [1, 2].map((n) => packet('client', n, { otherPacket: n + 10, changes: n === 2 ? 0b11 : 0b01 }));
    const s = [1, 2].map((n) => packet('server', n + 10, { otherPacket: n }));
    const l = renderLadder(detail(c, s), opts);
    expect(l.constantChanges[0]).toHaveLength(1);
    expect(count(l.svg.text, 'changed: ')).toBe(1);
  });
});

describe('ladderRows', () => {
  test('a matched pair shares a row at the upstream time; unaligned server packets go last', () => {
    const c = [packet('client', 1, { otherPacket: 7 }), packet('client', 2, { dir: 1, otherPacket: 8 })];
    const s = [
      packet('server', 7, { otherPacket: 1, clientClockNs: 1_100_000 }),
      packet('server', 8, { dir: 1, otherPacket: 2, clientClockNs: 1_900_000 }),
      packet('server', 9, { event: 'injected', clientClockNs: Number.NaN }),
    ];
    const rows = ladderRows(detail(c, s));
    expect(rows.map((r) => [r.client?.packet ?? null, r.server?.packet ?? null, r.timeNs])).toEqual([
      [1, 7, 1_000_000],
      [2, 8, 1_900_000],
      [null, 9, Number.NaN],
    ]);
  });
});

describe('clockPoints', () => {
  test('client to server copies bound the offset from below, server to client from above', () => {
    const c = [
      packet('client', 1, { otherPacket: 11, clientClockNs: 1_000_000 }),
      packet('client', 2, { dir: 1, otherPacket: 12, clientClockNs: 2_000_000 }),
    ];
    // Server clock runs 500 us behind: own times are mapped +500 us.
    const s = [
      packet('server', 11, { otherPacket: 1, nsec: 1_000_000 - 500_000 + 6_000, clientClockNs: 1_006_000 }),
      packet('server', 12, {
        dir: 1,
        otherPacket: 2,
        nsec: 2_000_000 - 500_000 - 7_000,
        clientClockNs: 1_993_000,
      }),
    ];
    const pts = clockPoints([detail(c, s)], BASE);
    expect(pts.lower).toEqual([{ xNs: 1_000_000, yNs: 494_000 }]);
    expect(pts.upper).toEqual([{ xNs: 2_000_000, yNs: 507_000 }]);
    expect(pts.fit.map((p) => p.yNs)).toEqual([500_000, 500_000]);
  });

  test('message links of a terminating device give bounds too', () => {
    const d = detail(
      [packet('client', 1, { event: 'terminated', len: 100 })],
      [packet('server', 2, { event: 'terminated', nsec: 1_040_000, clientClockNs: 1_040_000 })],
    );
    d.links.push({ dir: 0, clientPacket: 1, serverPacket: 2, latencyNs: 40_000 });
    const pts = clockPoints([d], BASE);
    expect(pts.lower).toEqual([{ xNs: 1_000_000, yNs: -40_000 }]);
    expect(pts.upper).toEqual([]);
  });
});
