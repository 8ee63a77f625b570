/**
 * The capture reader against tshark 4.0.17 on the shared conformance corpus (../shared/corpus): every
 * capture with a NAME.expected.json, frame by frame. Differences from tshark that are right on our side are
 * listed below as explicit exceptions, each with its reason.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, test } from '@jest/globals';
import {
  CaptureError,
  type CaptureInfo,
  openCapture,
  type PacketRecord,
  readAll,
} from '../../src/capture/index.js';
import { formatTs } from '../../src/common/time.js';
import { announceSkip, corpusCaptures, corpusDir } from '../helpers/corpus.js';

const dir = corpusDir();
const captures = dir ? corpusCaptures(dir) : [];
if (!dir) announceSkip('capture reader conformance');
const run = dir ? test : test.skip;

interface Expected {
  header: {
    format?: string;
    compression: string | null;
    truncated_file_header?: boolean;
    first_records?: { ts_sec: number; ts_frac: number }[];
    timestamp_precision?: string;
    sections?: {
      byte_order: string;
      interfaces: {
        linktype: number;
        snaplen: number;
        packets: number;
        if_name?: string;
        if_tsresol?: number;
        if_fcslen?: number;
      }[];
    }[];
  };
  link_types: { linktype: number }[];
  packet_count: number;
  tshark: { exit_code: number };
  frames: { columns: string[]; rows: unknown[][] };
}

/** What we read of one packet, in tshark's terms. */
interface Seen {
  time: string | null;
  capLen: number;
  len: number;
  interfaceId: number | null;
  section: number | null;
  comments: string[] | null;
  flags: string | null;
}

/**
 * EXCEPTION (invalid timestamp fractions, tcpdump/timestamp_invalid_*.pcap): tshark prints fractions >= 1 s
 * unnormalised ("1418145370.1000000000") or misreads them as signed; we carry them into the seconds. For
 * these files time is compared with the raw header values in `header.first_records`, normalised the same way.
 */
const INVALID_FRACTION_FILES = new Set([
  'tcpdump/timestamp_invalid_micro.pcap',
  'tcpdump/timestamp_invalid_nano.pcap',
]);

/**
 * EXCEPTION (zstd, pcapplusplus/pcapng-example.pcapng.zst): Node.js 20 has no zstd decompressor, so opening
 * must refuse with a clear error; on a Node.js that has one, the file must read like its uncompressed twin.
 */
const hasZstd = typeof (zlib as unknown as Record<string, unknown>).createZstdDecompress === 'function';

function load(rel: string): Expected {
  return JSON.parse(readFileSync(join(dir!, `${rel}.expected.json`), 'utf8')) as Expected;
}

describe('capture reader vs tshark on the corpus', () => {
  if (!dir) {
    test.skip('corpus absent', () => {});
    return;
  }

  run.each(captures)('%s', (rel) => {
    const path = join(dir, rel);
    const exp = load(rel);

    if (exp.header.compression === 'zstd' && !hasZstd) {
      expect(() => openCapture(path)).toThrow(CaptureError);
      try {
        openCapture(path);
      } catch (e) {
        expect((e as CaptureError).id).toBe('capture.unsupported_compression');
        expect((e as CaptureError).message).toContain('zstd -d');
      }
      return;
    }
    if (exp.header.truncated_file_header) {
      expect(() => openCapture(path)).toThrow(CaptureError);
      try {
        openCapture(path);
      } catch (e) {
        expect((e as CaptureError).id).toBe('capture.truncated_header');
      }
      return;
    }

    const { seen, reader } = readSeen(path, exp.packet_count);
    const { info, anomalies } = reader;
    const result = { error: reader.error, anomalies };
    // Records straddling small reads must come out the same.
    expect(readSeen(path, exp.packet_count, 61).seen).toEqual(seen);

    const rows = packetRows(exp);
    expect(seen.length).toBe(exp.packet_count);
    expect(rows.length).toBe(exp.packet_count);

    // Truncated files: all complete packets, then one truncation warning, no fatal error.
    expect(result.error).toBeNull();
    expect(result.anomalies.count('capture.truncated_record') > 0).toBe(exp.tshark.exit_code === 2);

    const cols = exp.frames.columns;
    const col = (name: string) => cols.indexOf(name);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const got = seen[i]!;
      const want: Seen = {
        time: row[col('time_epoch')] as string | null,
        capLen: row[col('cap_len')] as number,
        len: row[col('len')] as number,
        interfaceId: row[col('interface_id')] as number | null,
        section: row[col('section_number')] as number | null,
        comments: col('comments') >= 0 ? (row[col('comments')] as string[] | null) : null,
        flags: col('packet_flags') >= 0 ? (row[col('packet_flags')] as string | null) : null,
      };
      if (INVALID_FRACTION_FILES.has(rel)) want.time = normalisedRaw(exp, i);
      expect({ frame: i + 1, ...got }).toEqual({ frame: i + 1, ...want });
    }

    const linktypes = new Set(info.interfaces.map((f) => f.linktype));
    expect([...linktypes].sort()).toEqual(exp.link_types.map((l) => l.linktype).sort());
    checkHeader(info, exp);
  });
});

function readSeen(path: string, expected: number, chunkSize?: number) {
  const reader = openCapture(path, chunkSize === undefined ? {} : { chunkSize });
  const seen: Seen[] = [];
  for (let rec = reader.next(); rec !== null && seen.length <= expected; rec = reader.next()) {
    seen.push(toSeen(rec, reader.info));
  }
  reader.close();
  return { seen, reader };
}

function toSeen(rec: PacketRecord, info: CaptureInfo): Seen {
  const iface = info.interfaces[rec.interfaceId]!;
  const pcapng = info.format === 'pcapng';
  const firstOfSection = info.interfaces.find((f) => f.section === iface.section)!.id;
  expect(rec.linktype).toBe(iface.linktype);
  return {
    time: rec.hasTs ? formatTs(rec.tsSec, rec.tsNsec) : null,
    capLen: rec.caplen,
    len: rec.len,
    interfaceId: pcapng ? rec.interfaceId - firstOfSection : null,
    section: pcapng ? iface.section + 1 : null,
    comments: rec.comments.length > 0 ? [...rec.comments] : null,
    flags: rec.flags === null ? null : `0x${rec.flags.toString(16).padStart(8, '0')}`,
  };
}

/** tshark numbers pcapng custom blocks as records; they are not packets. */
function packetRows(exp: Expected): unknown[][] {
  const t = exp.frames.columns.indexOf('record_type');
  return exp.frames.rows.filter((r) => r[t] === 'packet');
}

function normalisedRaw(exp: Expected, i: number): string {
  const raw = exp.header.first_records![i]!;
  const limit = exp.header.timestamp_precision === 'nanoseconds' ? 1e9 : 1e6;
  const carry = Math.floor(raw.ts_frac / limit);
  return formatTs(raw.ts_sec + carry, (raw.ts_frac - carry * limit) * (1e9 / limit));
}

/** Per-interface metadata against the corpus's own header scan (tshark mislabels later sections). */
function checkHeader(info: CaptureInfo, exp: Expected): void {
  if (exp.header.format !== 'pcapng') {
    expect(info.format).toBe('pcap');
    return;
  }
  const sections = exp.header.sections ?? [];
  expect(info.sections.map((s) => s.byteOrder)).toEqual(sections.map((s) => s.byte_order));
  const want = sections.flatMap((s, section) =>
    s.interfaces.map((f) => ({
      section,
      linktype: f.linktype,
      snaplen: f.snaplen,
      packets: f.packets,
      // The corpus scan keeps raw option bytes; the value ends at the first NUL (Wireshark: "-\0" is "-").
      name: f.if_name === undefined ? null : (f.if_name.split('\u0000')[0] ?? ''),
      tsresol: f.if_tsresol ?? 6,
      fcsLen: f.if_fcslen ?? null,
    })),
  );
  const got = info.interfaces.map((f) => ({
    section: f.section,
    linktype: f.linktype,
    snaplen: f.snaplen,
    packets: f.packets,
    name: f.name,
    tsresol: f.tsresol.base === 2 ? f.tsresol.exponent | 0x80 : f.tsresol.exponent,
    fcsLen: f.fcsLen,
  }));
  expect(got).toEqual(want);
}

/**
 * Differential: the npm `pcap-parser` package on every plain microsecond classic pcap in the corpus (it reads
 * nothing else). It must see the same packets: count, timestamp (in microseconds, so our carried invalid
 * fractions compare equal to its raw ones), lengths and bytes. It silently drops a cut-off last record, as
 * we do after counting a warning.
 */
interface ParserPacket {
  header: {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  };
  data: Buffer;
}
interface ParserEmitter {
  on(event: 'packet', cb: (p: ParserPacket) => void): ParserEmitter;
  on(event: 'end', cb: () => void): ParserEmitter;
  on(event: 'error', cb: (e: Error) => void): ParserEmitter;
}
const requireFromRoot = createRequire(join(process.cwd(), 'package.json'));

function parseWithPcapParser(
  path: string,
): Promise<{ us: number; caplen: number; len: number; hex: string }[]> {
  const pcapParser = requireFromRoot('pcap-parser') as { parse(path: string): ParserEmitter };
  return new Promise((resolve, reject) => {
    const out: { us: number; caplen: number; len: number; hex: string }[] = [];
    pcapParser
      .parse(path)
      .on('packet', (p) =>
        out.push({
          us: p.header.timestampSeconds * 1e6 + p.header.timestampMicroseconds,
          caplen: p.header.capturedLength,
          len: p.header.originalLength,
          hex: p.data.toString('hex'),
        }),
      )
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}

describe('capture reader vs the pcap-parser package', () => {
  const plainMicroPcaps = captures.filter((rel) => {
    const h = load(rel).header;
    return (
      h.format === 'pcap' &&
      h.compression === null &&
      h.timestamp_precision === 'microseconds' &&
      !h.truncated_file_header
    );
  });
  if (dir) {
    test('there are classic pcap files to compare', () => expect(plainMicroPcaps.length).toBeGreaterThan(40));
  }

  run.each(plainMicroPcaps)('%s', async (rel) => {
    const path = join(dir!, rel);
    const theirs = await parseWithPcapParser(path);
    const ours: { us: number; caplen: number; len: number; hex: string }[] = [];
    readAll(path, (r) =>
      ours.push({
        us: r.tsSec * 1e6 + r.tsNsec / 1000,
        caplen: r.caplen,
        len: r.len,
        hex: Buffer.from(r.buf.buffer, r.buf.byteOffset + r.offset, r.caplen).toString('hex'),
      }),
    );
    expect(ours.length).toBe(theirs.length);
    expect(ours).toEqual(theirs);
  });
});
