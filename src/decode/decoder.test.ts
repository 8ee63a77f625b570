import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { tcpPacket } from '../../test/helpers/packets.js';
import type { PacketRecord } from '../capture/types.js';
import { AnomalyLog } from '../common/anomaly.js';
import { communityId, Decoder, type PacketView } from './index.js';

function record(
  buf: Uint8Array,
  linktype: number,
  offset: number,
  caplen: number,
  len = caplen,
): PacketRecord {
  return {
    index: 1,
    tsSec: 5,
    tsNsec: 6,
    hasTs: true,
    caplen,
    len,
    interfaceId: 0,
    linktype,
    buf,
    offset,
    comments: [],
    flags: null,
    fileOffset: 0,
  };
}

/** Everything a later stage can read from the view, as plain data (arrays cut to their counts). */
function snapshot(v: PacketView): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(v)) {
    if (k === 'buf') continue;
    out[k] =
      value instanceof Uint8Array || value instanceof Uint16Array || value instanceof Uint32Array
        ? Array.from(value)
        : value;
  }
  out.vlanIds = Array.from(v.vlanIds.subarray(0, v.vlanCount));
  out.sack = Array.from(v.sack.subarray(0, 2 * v.sackCount));
  out.optionKinds = Array.from(v.optionKinds.subarray(0, v.optionCount));
  return out;
}

/** The ranges types.ts documents; a decoder bug on hostile bytes shows up here first. */
function expectWithinContract(v: PacketView, start: number, end: number): void {
  const inFrameOrAbsent = (o: number) => o === -1 || (o >= start && o <= end);
  expect([0, 4, 6]).toContain(v.ipVersion);
  expect(inFrameOrAbsent(v.l3Offset)).toBe(true);
  expect(inFrameOrAbsent(v.l4Offset)).toBe(true);
  for (const port of [v.srcPort, v.dstPort]) expect(port >= -1 && port <= 0xffff).toBe(true);
  expect(v.proto >= -1 && v.proto <= 255).toBe(true);
  expect(v.ttl >= -1 && v.ttl <= 255).toBe(true);
  expect(v.vlanCount).toBeLessThanOrEqual(v.vlanIds.length);
  expect(v.sackCount).toBeLessThanOrEqual(4);
  expect(v.optionCount).toBeLessThanOrEqual(40);
  expect(v.flags >= 0 && v.flags <= 0xfff).toBe(true);
  for (const n of [v.seq, v.ack, v.tsval, v.tsecr])
    expect(Number.isInteger(n) && n >= 0 && n <= 0xffffffff).toBe(true);
  expect(v.payloadCaptured >= 0 && v.payloadCaptured <= v.payloadLength).toBe(true);
  if (v.isTcp) {
    expect(v.tcpHeaderLength >= 20 && v.tcpHeaderLength <= 60).toBe(true);
    if (v.payloadCaptured > 0) expect(v.payloadOffset + v.payloadCaptured).toBeLessThanOrEqual(end);
  }
}

const SUPPORTED_LINKTYPES = [0, 1, 12, 14, 101, 104, 108, 113, 228, 229, 242, 276];

describe('Decoder', () => {
  test('the view is reused and fully reset between packets', () => {
    const d = new Decoder();
    const rich = tcpPacket({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      srcPort: 1,
      dstPort: 2,
      flags: 'S',
      options: [
        { kind: 'mss', value: 1460 },
        { kind: 'sackPerm' },
        { kind: 'timestamps', tsval: 1, tsecr: 2 },
        { kind: 'wscale', shift: 7 },
      ],
      link: { vlans: [5] },
    });
    const first = d.decode(record(rich, 1, 0, rich.length));
    expect(first.mss).toBe(1460);
    const arp = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 6, 0, 1]);
    const second = d.decode(record(arp, 1, 0, arp.length));
    expect(second).toBe(first);
    const fresh = new Decoder().decode(record(arp, 1, 0, arp.length));
    expect(snapshot(second)).toEqual(snapshot(fresh));
  });

  test('anomalies that hit every packet are all counted, with a few examples', () => {
    const log = new AnomalyLog();
    const d = new Decoder(log);
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 500 });
    for (let i = 0; i < 20; i++) {
      d.decode(record(frame, 1, 0, 96, frame.length));
      d.decode(record(frame, 147, 0, frame.length));
    }
    const byId = new Map(log.list().map((a) => [a.id, a]));
    expect(byId.get('decode.truncated_payload')?.count).toBe(20);
    expect(byId.get('decode.truncated_payload')?.examples.length).toBe(5);
    expect(byId.get('decode.truncated_payload')?.examples[0]?.detail).toBe(
      '42 of 500 payload bytes captured (frame byte 34)',
    );
    expect(byId.get('decode.unsupported_linktype')?.count).toBe(20);
  });

  test('a record inside a larger buffer: offsets are positions in that buffer', () => {
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 4 });
    const buf = new Uint8Array(100 + frame.length + 50).fill(0xee);
    buf.set(frame, 100);
    const v = new Decoder().decode(record(buf, 1, 100, frame.length));
    expect(v.l3Offset).toBe(114);
    expect(v.payloadOffset).toBe(100 + 54);
    expect(v.payloadCaptured).toBe(4);
    expect(v.buf).toBe(buf);
  });

  test('record bounds beyond the buffer are clamped, never read', () => {
    const frame = tcpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 4 });
    const d = new Decoder();
    expect(() => d.decode(record(frame, 1, 0, frame.length + 1000, frame.length + 1000))).not.toThrow();
    expect(() => d.decode(record(frame, 1, frame.length + 5, 60))).not.toThrow();
    expect(() => d.decode(record(frame, 1, -3, 60))).not.toThrow();
    expect(() => d.decode(record(frame, 1, 0, -1, -1))).not.toThrow();
    expect(d.decode(record(frame, 1, Number.NaN, 60)).ipVersion).toBe(0);
    expect(d.decode(record(frame, 1, 0, Number.NaN, Number.NaN)).ipVersion).toBe(0);
    expect(d.decode(record(frame, 1, 0, Number.POSITIVE_INFINITY)).isTcp).toBe(true);
  });

  // Every prefix of a rich packet, on every link type that frames it: never throws, flags what is missing.
  const sample = tcpPacket({
    src: '2001:db8::1',
    dst: '2001:db8::2',
    srcPort: 443,
    dstPort: 50000,
    flags: 'PA',
    options: [
      { kind: 'timestamps', tsval: 7, tsecr: 8 },
      { kind: 'sack', blocks: [[1, 2]] },
    ],
    payload: 16,
    ip: { extensions: [{ kind: 'hopByHop' }, { kind: 'fragment', offset: 0, more: true, id: 1 }] },
    link: { vlans: [1, 2] },
  });
  const framings: [string, number, Uint8Array][] = [
    ['Ethernet + QinQ', 1, sample],
    ['raw IPv6', 101, sample.subarray(22)],
    [
      'SLL2',
      276,
      Uint8Array.from([
        ...[0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6],
        ...new Uint8Array(8),
        ...sample.subarray(22),
      ]),
    ],
    ['NULL', 0, Uint8Array.from([30, 0, 0, 0, ...sample.subarray(22)])],
  ];
  test.each(framings)(
    '%s cut at every byte: truncated and counted, never thrown',
    (_name, linktype, frame) => {
      const full = new Decoder().decode(record(frame, linktype, 0, frame.length));
      expect(full.truncated).toBe(false);
      expect(full.isTcp).toBe(true);
      for (let caplen = 0; caplen < frame.length; caplen++) {
        const log = new AnomalyLog();
        const v = new Decoder(log).decode(record(frame, linktype, 0, caplen, frame.length));
        expect(v.truncated).toBe(true);
        expect(log.total).toBeGreaterThan(0);
        expectWithinContract(v, 0, caplen);
        // Nothing past the snap length was used: the same prefix in a buffer of garbage decodes alike.
        const garbage = new Uint8Array(frame.length + 64).fill(0xa5);
        garbage.set(frame.subarray(0, caplen));
        const again = new Decoder().decode(record(garbage, linktype, 0, caplen, frame.length));
        expect(snapshot(again)).toEqual(snapshot(v));
      }
    },
  );

  test('arbitrary bytes under every supported link type: no throw, contract ranges, no reads past caplen', () => {
    const d1 = new Decoder();
    const d2 = new Decoder();
    fc.assert(
      fc.property(
        fc.constantFrom(...SUPPORTED_LINKTYPES),
        fc.uint8Array({ minLength: 0, maxLength: 160 }),
        fc.nat(40),
        fc.nat(3000),
        (linktype, bytes, lead, extraLen) => {
          // Same frame, surrounded by two different fillers: any read outside it would make them differ.
          const a = new Uint8Array(lead + bytes.length + 32).fill(0x00);
          const b = new Uint8Array(lead + bytes.length + 32).fill(0xff);
          a.set(bytes, lead);
          b.set(bytes, lead);
          const va = d1.decode(record(a, linktype, lead, bytes.length, bytes.length + extraLen));
          const vb = d2.decode(record(b, linktype, lead, bytes.length, bytes.length + extraLen));
          expectWithinContract(va, lead, lead + bytes.length);
          expect(snapshot(va)).toEqual(snapshot(vb));
          expect(communityId(va)).toBe(communityId(vb));
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('IP-shaped random packets reach the deeper decoders without throwing', () => {
    const d = new Decoder();
    const templates = [
      tcpPacket({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        srcPort: 1,
        dstPort: 2,
        options: [{ kind: 'mss', value: 1 }],
      }).subarray(14),
      tcpPacket({
        src: 'fd00::1',
        dst: 'fd00::2',
        srcPort: 1,
        dstPort: 2,
        ip: { extensions: [{ kind: 'destination' }] },
      }).subarray(14),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...templates),
        fc.array(fc.tuple(fc.nat(80), fc.nat(255)), { maxLength: 6 }),
        fc.nat(70),
        (template, edits, cut) => {
          const bytes = template.slice(0, Math.max(0, template.length - cut));
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          const v = d.decode(record(bytes, 101, 0, bytes.length, template.length));
          expectWithinContract(v, 0, bytes.length);
          communityId(v);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
