/**
 * The TCP stage against tshark 4.0.17 on the shared conformance corpus (../shared/corpus): reader + decoder +
 * SessionTable over every capture with a NAME.expected.json, compared per TCP packet (stream index, relative
 * seq/ack/nxtseq, scaled window and scale factor, analysis flags, duplicate-ACK number and frame) and per
 * stream (packets and payload bytes each way, SYN/SYN-ACK/FIN/RST counts, Community ID, reassembled bytes).
 * Every difference left is listed below with its reason; anything else fails.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { CaptureError, captureAnomalies, readAll } from '../../src/capture/index.js';
import { communityId, Decoder } from '../../src/decode/index.js';
import { flagNames, type Session, SessionTable, type TcpPacketResult } from '../../src/tcp/index.js';
import { announceSkip, corpusCaptures, corpusDir } from '../helpers/corpus.js';

const dir = corpusDir();
if (!dir) announceSkip('TCP analysis conformance');
const run = dir ? test : test.skip;

interface ExpectedStream {
  stream: number;
  endpoint_a: string;
  packets: number;
  packets_a_to_b: number;
  packets_b_to_a: number;
  payload_bytes_a_to_b: number;
  payload_bytes_b_to_a: number;
  syn: number;
  syn_ack: number;
  fin: number;
  rst: number;
  first_frame: number;
  last_frame: number;
  follow_raw?: {
    node0: string;
    node0_to_node1: ExpectedFollow;
    node1_to_node0: ExpectedFollow;
  };
}

interface ExpectedFollow {
  bytes: number;
  sha256: string;
  gaps: { at: number; missing: number }[];
}

interface Expected {
  tcp?: { columns: string[]; rows: unknown[][] } | null;
  tcp_streams?: ExpectedStream[];
}

/** What we produced for one packet. */
interface Ours {
  stream: number;
  seq: number;
  ack: number;
  nxtseq: number;
  window: number;
  scale: number | null;
  analysis: string[];
  dupNum: number;
  dupFrame: number;
  communityId: string | null;
}

/** One direction's reconstructed bytes and gaps; gap positions in delivered bytes, as tshark prints them. */
interface Followed {
  parts: Uint8Array[];
  delivered: number;
  gaps: { at: number; missing: number; reason: string }[];
}

interface Outcome {
  packets: Map<number, Ours>;
  sessions: Session[];
  streams: Map<string, Followed>;
}

function runCapture(path: string): Outcome {
  const decoder = new Decoder();
  const packets = new Map<number, Ours>();
  const streams = new Map<string, Followed>();
  const followed = (s: Session, d: 0 | 1) => {
    const key = `${s.index}/${d}`;
    let f = streams.get(key);
    if (!f) {
      f = { parts: [], delivered: 0, gaps: [] };
      streams.set(key, f);
    }
    return f;
  };
  const table = new SessionTable({
    communityId: (v) => communityId(v) ?? '',
    onPacket: (r: TcpPacketResult, s: Session) => {
      packets.set(r.packet, {
        stream: r.session,
        seq: r.seq,
        ack: r.ack,
        nxtseq: r.nxtSeq,
        window: r.window,
        scale: r.windowScaleFactor,
        analysis: flagNames(r.analysis)
          .filter((n) => n.startsWith('tcp.analysis.'))
          .map((n) => n.slice('tcp.analysis.'.length)),
        dupNum: r.dupAckNum,
        dupFrame: r.dupAckFrame,
        communityId: s.communityId,
      });
    },
    onStreamData: (s, d, _offset, buf, start, end) => {
      const f = followed(s, d);
      f.parts.push(buf.slice(start, end));
      f.delivered += end - start;
    },
    onStreamGap: (s, d, _offset, missing, reason) => {
      const f = followed(s, d);
      f.gaps.push({ at: f.delivered, missing, reason });
    },
  });
  readAll(path, (rec) => table.onPacket(decoder.decode(rec)));
  table.finish();
  return { packets, sessions: table.sessions, streams };
}

interface Difference {
  file: string;
  frame: number;
  field: string;
  expected: unknown;
  actual: unknown;
}

const ANALYSIS_FLAGS = [
  'retransmission',
  'fast_retransmission',
  'spurious_retransmission',
  'out_of_order',
  'lost_segment',
  'ack_lost_segment',
  'duplicate_ack',
  'zero_window',
  'zero_window_probe',
  'zero_window_probe_ack',
  'keep_alive',
  'keep_alive_ack',
  'window_update',
  'window_full',
  'reused_ports',
  'tfo_syn',
  'tfo_ack',
  'tfo_ignored',
];

/**
 * Differences from tshark that remain, each with its reason. A difference not listed here fails its file.
 */
const KNOWN_DIFFERENCES: { file: string; frames: number[]; fields: string[]; reason: string }[] = [
  {
    file: 'pcapplusplus/tcp-malformed.pcap',
    frames: [1, 2],
    fields: ['packet', 'session'],
    reason:
      'The TCP data offset (28 bytes) runs past the IP payload (20 bytes). tshark still shows the fixed header, ' +
      'opens stream 0 and marks the frame malformed; our decoder does not report a TCP header it cannot ' +
      'read whole, so the TCP stage never sees these two packets.',
  },
];

function isKnown(d: Difference): boolean {
  return KNOWN_DIFFERENCES.some(
    (k) => k.file === d.file && k.frames.includes(d.frame) && k.fields.includes(d.field),
  );
}

const files = dir
  ? corpusCaptures(dir).filter((f) => {
      const e = JSON.parse(readFileSync(join(dir, `${f}.expected.json`), 'utf8')) as Expected;
      return (
        (e.tcp?.rows.length ?? 0) > 0 &&
        (!process.env.TCP_CONFORMANCE_ONLY || f.includes(process.env.TCP_CONFORMANCE_ONLY))
      );
    })
  : [];

describe('TCP analysis vs tshark 4.0.17', () => {
  const diffs: Difference[] = [];
  const flagStats = new Map<string, { expected: number; matched: number; extra: number }>();
  for (const f of ANALYSIS_FLAGS) flagStats.set(f, { expected: 0, matched: 0, extra: 0 });
  let comparedPackets = 0;

  // jest rejects an empty table; without the corpus the single placeholder row is skipped.
  run.each(files.length > 0 ? files : ['(corpus absent)'])('%s', (file) => {
    const expected = JSON.parse(readFileSync(join(dir!, `${file}.expected.json`), 'utf8')) as Expected;
    let ours: Outcome;
    try {
      ours = runCapture(join(dir!, file));
    } catch (e) {
      // zstd needs a Node.js with zlib zstd; the reader says so by name. The same packets are covered by
      // the uncompressed pcapplusplus/pcapng-example.pcapng.
      if (e instanceof CaptureError && e.id === captureAnomalies.UNSUPPORTED_COMPRESSION) {
        process.stdout.write(`[skip] ${file}: ${e.message}\n`);
        return;
      }
      throw e;
    }
    const before = diffs.length;
    const cols = expected.tcp!.columns;
    const col = (name: string) => cols.indexOf(name);
    const c = {
      frame: col('frame'),
      stream: col('stream'),
      seq: col('seq'),
      ack: col('ack'),
      nxtseq: col('nxtseq'),
      window: col('window_size'),
      scale: col('window_size_scalefactor'),
      analysis: col('analysis'),
      dupNum: col('duplicate_ack_num'),
      dupFrame: col('duplicate_ack_frame'),
      communityId: col('communityid'),
    };
    const diff = (frame: number, field: string, e: unknown, a: unknown) => {
      if (e !== a) diffs.push({ file, frame, field, expected: e, actual: a });
    };
    for (const row of expected.tcp!.rows) {
      const frame = row[c.frame] as number;
      const o = ours.packets.get(frame);
      comparedPackets++;
      const want = (row[c.analysis] as string[] | null) ?? [];
      const got = o?.analysis ?? [];
      for (const flag of ANALYSIS_FLAGS) {
        const st = flagStats.get(flag)!;
        const w = want.includes(flag);
        const g = got.includes(flag);
        if (w) st.expected++;
        if (w && g) st.matched++;
        if (g && !w) st.extra++;
      }
      if (!o) {
        diffs.push({ file, frame, field: 'packet', expected: 'tcp', actual: 'missing' });
        continue;
      }
      diff(frame, 'analysis', [...want].sort().join(','), [...got].sort().join(','));
      diff(frame, 'stream', row[c.stream], o.stream);
      diff(frame, 'seq', row[c.seq], o.seq);
      if (row[c.ack] !== null) diff(frame, 'ack', row[c.ack], o.ack);
      if (row[c.nxtseq] !== null) diff(frame, 'nxtseq', row[c.nxtseq], o.nxtseq);
      diff(frame, 'window_size', row[c.window], o.window);
      diff(frame, 'window_size_scalefactor', row[c.scale] ?? null, o.scale);
      diff(frame, 'duplicate_ack_num', row[c.dupNum] ?? 0, o.dupNum);
      diff(frame, 'duplicate_ack_frame', row[c.dupFrame] ?? 0, o.dupFrame);
      if (c.communityId >= 0 && row[c.communityId] !== null) {
        diff(frame, 'communityid', row[c.communityId], o.communityId);
      }
    }
    for (const es of expected.tcp_streams ?? []) {
      const s = ours.sessions[es.stream];
      if (!s) {
        diffs.push({ file, frame: es.first_frame, field: 'session', expected: es.stream, actual: 'missing' });
        continue;
      }
      const aIsInit = s.initiator === 'a';
      const ab = s.dirs[aIsInit ? 0 : 1];
      const ba = s.dirs[aIsInit ? 1 : 0];
      const f0 = es.first_frame;
      diff(f0, 'stream.first_frame', es.first_frame, s.firstPacket);
      diff(f0, 'stream.last_frame', es.last_frame, s.lastPacket);
      diff(f0, 'stream.packets_a_to_b', es.packets_a_to_b, ab.packets);
      diff(f0, 'stream.packets_b_to_a', es.packets_b_to_a, ba.packets);
      diff(f0, 'stream.payload_bytes_a_to_b', es.payload_bytes_a_to_b, ab.payloadBytes);
      diff(f0, 'stream.payload_bytes_b_to_a', es.payload_bytes_b_to_a, ba.payloadBytes);
      diff(f0, 'stream.syn', es.syn, ab.syn + ba.syn);
      diff(f0, 'stream.syn_ack', es.syn_ack, ab.synAck + ba.synAck);
      diff(f0, 'stream.fin', es.fin, ab.fin + ba.fin);
      diff(f0, 'stream.rst', es.rst, ab.rst + ba.rst);
      const fr = es.follow_raw;
      if (fr) {
        for (const [key, fromA] of [
          ['node0_to_node1', true],
          ['node1_to_node0', false],
        ] as const) {
          const d = fromA === aIsInit ? 0 : 1;
          const f = ours.streams.get(`${s.index}/${d}`) ?? { parts: [], delivered: 0, gaps: [] };
          const ef = fr[key];
          // tshark's follow never prints data buffered behind a hole nobody acknowledged; we deliver it
          // after declaring an 'end' gap. Compare tshark's output with what we delivered before that.
          const endGap = f.gaps.find((g) => g.reason === 'end');
          const limit = endGap ? endGap.at : f.delivered;
          const h = createHash('sha256');
          let n = 0;
          for (const p of f.parts) {
            const take = Math.min(p.length, limit - n);
            if (take <= 0) break;
            h.update(p.subarray(0, take));
            n += take;
          }
          diff(f0, `follow.${key}.bytes`, ef.bytes, n);
          diff(f0, `follow.${key}.sha256`, ef.sha256, h.digest('hex'));
          const gaps = f.gaps
            .filter((g) => g.reason !== 'end')
            .map((g) => `${g.at}+${g.missing}`)
            .join(',');
          diff(f0, `follow.${key}.gaps`, ef.gaps.map((g) => `${g.at}+${g.missing}`).join(','), gaps);
        }
      }
    }
    expect(diffs.slice(before).filter((d) => !isKnown(d))).toEqual([]);
  });

  run('summary: every flag agrees on >= 99% of flagged packets, both ways', () => {
    if (process.env.TCP_CONFORMANCE_VERBOSE) {
      for (const d of diffs) process.stdout.write(`${JSON.stringify(d)}\n`);
      for (const [f, st] of flagStats) process.stdout.write(`${f} ${JSON.stringify(st)}\n`);
    }
    expect(comparedPackets).toBeGreaterThan(3800);
    for (const [flag, st] of flagStats) {
      // Misses: expected flags we did not raise; extras: flags we raised that tshark did not.
      expect({ flag, misses: st.expected - st.matched <= st.expected * 0.01 }).toEqual({
        flag,
        misses: true,
      });
      expect({ flag, extras: st.extra <= st.expected * 0.01 }).toEqual({ flag, extras: true });
    }
    expect(diffs.filter((d) => !isKnown(d))).toEqual([]);
  });
});
