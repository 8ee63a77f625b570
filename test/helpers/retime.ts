/**
 * A copy of a capture as if stamped by another clock: t' = t + offset + skew * (t - t0), exactly (BigInt
 * nanoseconds), rounded to the nearest tick of the input's precision and written as classic pcap of that
 * precision (microseconds for microsecond files, nanoseconds otherwise) with the input's link type.
 * Clock-alignment tests use it: the lab's two captures share one clock, so after retiming one of them the
 * true offset and skew are exactly the ones applied.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../src/capture/index.js';
import { type RecordSpec, writePcap } from './packets.js';
import { scratchDir } from './scratch.js';

export interface Retiming {
  /** Added to every timestamp, ns (may exceed days). */
  offsetNs: bigint;
  /** Rate error in ppm: positive makes the new clock run fast. */
  skewPpm: number;
  /** Epoch ns where the skew term is zero (default: the file's first timestamp). */
  t0Ns?: bigint;
}

export interface RetimedFile {
  path: string;
  /** t0 actually used, epoch ns. */
  t0Ns: bigint;
  packets: number;
}

/** The retimed instant of epoch time `tNs` (exact up to the rounding of the skew term to 1 ns). */
export function retimeNs(tNs: bigint, r: Retiming & { t0Ns: bigint }): bigint {
  const since = Number(tNs - r.t0Ns);
  return tNs + r.offsetNs + BigInt(Math.round(r.skewPpm * 1e-6 * since));
}

/** Writes the retimed copy of `path` into a fresh temporary folder and returns where. */
export function retimeCapture(path: string, r: Retiming, name = 'retimed.pcap'): RetimedFile {
  const records: RecordSpec[] = [];
  let linktype = 1;
  let t0 = r.t0Ns;
  const result = readAll(path, (rec) => {
    const t = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec);
    if (t0 === undefined) t0 = t;
    linktype = rec.linktype;
    const shifted = retimeNs(t, { ...r, t0Ns: t0 });
    records.push({
      data: rec.buf.slice(rec.offset, rec.offset + rec.caplen),
      origLen: rec.len,
      ...split(shifted),
    });
  });
  if (result.error) throw result.error;
  const micro = result.info.precisionDigits <= 6;
  const tickNs = micro ? 1000n : 1n;
  for (const rec of records) {
    const t = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec);
    Object.assign(rec, split(((t + tickNs / 2n) / tickNs) * tickNs));
  }
  const dir = scratchDir('retime-');
  const out = join(dir, name);
  writeFileSync(out, writePcap(records, { precision: micro ? 'us' : 'ns', linktype }));
  return { path: out, t0Ns: t0 ?? 0n, packets: records.length };
}

function split(ns: bigint): { tsSec: number; tsNsec: number } {
  return { tsSec: Number(ns / 1_000_000_000n), tsNsec: Number(ns % 1_000_000_000n) };
}
