/**
 * Properties over generated files: truncation at any byte, random corruption, and claimed sizes that must
 * not turn into allocations. Files are written to a temporary folder; each run is small.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { buildPcap, PcapngBuilder } from './build.js';
import { CaptureError, openCapture } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(bytes: Uint8Array): string {
  const path = join(dir, `p${n++}`);
  writeFileSync(path, bytes);
  return path;
}

interface Generated {
  bytes: Uint8Array;
  /** Byte offset where each packet's record ends, in order. */
  ends: number[];
  /** Opening fails on a cut before this (the pcap file header, the pcapng first SHB). */
  headerEnd: number;
  /** Every offset where a record or block ends: a cut there leaves no partial record. */
  boundaries: number[];
}

const packetArb = fc.record({
  sec: fc.integer({ min: 0, max: 0xffffffff }),
  frac: fc.integer({ min: 0, max: 999999 }),
  data: fc.uint8Array({ minLength: 0, maxLength: 80 }),
});

const pcapArb = fc
  .record({ little: fc.boolean(), nano: fc.boolean(), packets: fc.array(packetArb, { maxLength: 12 }) })
  .map(({ little, nano, packets }): Generated => {
    const ends: number[] = [];
    let at = 24;
    for (const p of packets) {
      at += 16 + p.data.length;
      ends.push(at);
    }
    return { bytes: buildPcap({ little, nano }, packets), ends, headerEnd: 24, boundaries: [24, ...ends] };
  });

const pcapngArb = fc
  .record({
    little: fc.boolean(),
    packets: fc.array(packetArb, { maxLength: 12 }),
    spbEvery: fc.integer({ min: 2, max: 5 }),
  })
  .map(({ little, packets, spbEvery }): Generated => {
    const b = new PcapngBuilder().section(little);
    const headerEnd = b.bytes().length;
    b.idb(1, 0);
    const idbEnd = b.bytes().length;
    const ends: number[] = [];
    packets.forEach((p, i) => {
      if (i % spbEvery === 1) b.spb(p.data.length, p.data);
      else b.epb(0, BigInt(p.sec) * 1_000_000n + BigInt(p.frac), p.data);
      ends.push(b.bytes().length);
    });
    return { bytes: b.bytes(), ends, headerEnd, boundaries: [headerEnd, idbEnd, ...ends] };
  });

const fileArb = fc.oneof(pcapArb, pcapngArb);

/** Reads everything with a hard bound on iterations: a reader that loops forever fails here, not hangs. */
function drain(path: string, chunkSize: number) {
  let reader: ReturnType<typeof openCapture>;
  try {
    reader = openCapture(path, { chunkSize });
  } catch (e) {
    expect(e).toBeInstanceOf(CaptureError);
    return null;
  }
  const bound = reader.fileSize / 12 + 2;
  let packets = 0;
  while (reader.next() !== null) {
    packets++;
    if (packets > bound) throw new Error(`more than ${bound} packets from ${reader.fileSize} bytes`);
  }
  expect(reader.next()).toBeNull();
  reader.close();
  return { packets, error: reader.error, anomalies: reader.anomalies };
}

describe('reader properties', () => {
  test('any truncation yields exactly the complete records, then one warning', () => {
    fc.assert(
      fc.property(fileArb, fc.nat(), fc.constantFrom(7, 13, 4096), (g, cutSeed, chunkSize) => {
        const cut = cutSeed % (g.bytes.length + 1);
        const res = drain(file(g.bytes.subarray(0, cut)), chunkSize);
        if (cut < g.headerEnd) {
          expect(res).toBeNull(); // opening refused with a CaptureError
          return;
        }
        expect(res).not.toBeNull();
        const complete = g.ends.filter((e) => e <= cut).length;
        expect(res!.packets).toBe(complete);
        expect(res!.error).toBeNull();
        const partial = !g.boundaries.includes(cut);
        expect(res!.anomalies.count('capture.truncated_record')).toBe(partial ? 1 : 0);
      }),
      { numRuns: 400 },
    );
  });

  test('random corruption never throws, never hangs, never invents packets', () => {
    fc.assert(
      fc.property(
        fileArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(7, 4096),
        (g, edits, chunkSize) => {
          const bytes = g.bytes.slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const res = drain(file(bytes), chunkSize);
          if (res) expect(res.packets).toBeLessThanOrEqual(Math.ceil(bytes.length / 12));
        },
      ),
      { numRuns: 400 },
    );
  });

  test('random bytes after a valid header never throw or hang', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(buildPcap({}, []), new PcapngBuilder().section(true).idb(1, 0).bytes()),
        fc.uint8Array({ minLength: 0, maxLength: 400 }),
        (head, tail) => {
          const bytes = new Uint8Array(head.length + tail.length);
          bytes.set(head);
          bytes.set(tail, head.length);
          drain(file(bytes), 13);
        },
      ),
      { numRuns: 300 },
    );
  });
});
