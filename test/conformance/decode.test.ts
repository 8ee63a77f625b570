/**
 * The decoders against tshark 4.0.17 on the shared conformance corpus (../shared/corpus): for every capture
 * with a NAME.expected.json, every TCP header tshark decoded is compared field by field (addresses, ports,
 * raw sequence/ack numbers, flags, lengths, window, options, SACK edges); every frame's IP header (the
 * innermost, as the view holds it), UDP ports, VLAN tags and Community ID too.
 *
 * Differences are not tolerated silently: each one must be listed in EXCEPTIONS below with its reason, and
 * every listed exception must still occur (so the list cannot go stale).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { CaptureError, readAll } from '../../src/capture/index.js';
import { communityId, Decoder, formatAddress, type PacketView } from '../../src/decode/index.js';
import { announceSkip, corpusCaptures, corpusDir } from '../helpers/corpus.js';

const dir = corpusDir();
const captures = dir ? corpusCaptures(dir) : [];
if (!dir) announceSkip('decoder conformance');
const run = dir ? test : test.skip;

interface Table {
  columns: string[];
  rows: unknown[][];
}

interface Expected {
  frames: Table;
  tcp?: Table;
}

type Row = Record<string, unknown>;

function rowsOf(table: Table | undefined): Row[] {
  if (!table) return [];
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]])));
}

/** What differs for a UDP frame on a link type we do not decode. */
const NOT_DECODED_UDP = ['communityid', 'ip_version', 'udp_dstport', 'udp_srcport'];

/**
 * Known differences, by capture and frame number. A key is "file#frame"; the value says what differs and why.
 * The test checks that exactly these frames differ, and in exactly the listed fields.
 */
const EXCEPTIONS: Record<string, { fields: string[]; reason: string }> = {
  // tshark 4.0 does not decode TCP over IPv6 with payload length 0 and no jumbo option (it marks the frame
  // malformed). That is how Linux BIG TCP packets look when captured; we take the length from the frame, as
  // tcpdump does, so we see a TCP header (and a Community ID) where tshark sees none.
  'tcpdump/bigtcp-ipv6.pcap#1': {
    fields: ['tcp', 'communityid'],
    reason: 'BIG TCP over IPv6, decoded like tcpdump',
  },
  // Data offset 28 bytes in a 20-byte segment: not a TCP header we can use (isTcp false, counted as
  // decode.bad_tcp_data_offset). tshark shows the fixed fields and marks the frame malformed; those fixed
  // fields are still compared below (see compareBadHeader).
  'pcapplusplus/tcp-malformed.pcap#1': { fields: ['isTcp'], reason: 'TCP data offset beyond the segment' },
  'pcapplusplus/tcp-malformed.pcap#2': { fields: ['isTcp'], reason: 'TCP data offset beyond the segment' },
  // FDDI (10) and Token Ring (6): obsolete link types this tool does not decode (counted as
  // decode.unsupported_linktype), so there is no IP, no UDP ports and no Community ID. No TCP in either file.
  'wireshark/nfs.pcap#1': { fields: NOT_DECODED_UDP, reason: 'FDDI link type not decoded' },
  'wireshark/nfs.pcap#2': { fields: NOT_DECODED_UDP, reason: 'FDDI link type not decoded' },
  'wireshark/tftp.pcap#1': { fields: NOT_DECODED_UDP, reason: 'Token Ring link type not decoded' },
};

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

/** Our view in the terms of tshark's `tcp` columns (null where tshark would show no field). */
function tcpFields(v: PacketView): Row {
  return {
    ip_version: v.ipVersion,
    src: formatAddress(v.ipVersion, v.src),
    dst: formatAddress(v.ipVersion, v.dst),
    srcport: v.srcPort,
    dstport: v.dstPort,
    seq_raw: v.seq,
    ack_raw: v.ack,
    flags: hex4(v.flags),
    len: v.payloadLength,
    hdr_len: v.tcpHeaderLength,
    window_size_value: v.window,
    mss_val: v.mss >= 0 ? v.mss : null,
    wscale_shift: v.wscale >= 0 ? v.wscale : null,
    sack_perm: v.sackPerm ? true : null,
    tsval: v.hasTimestamps ? v.tsval : null,
    tsecr: v.hasTimestamps ? v.tsecr : null,
  };
}

/** tshark prints sack_perm as 1 or true depending on the field type; only presence matters. */
function normalise(field: string, value: unknown): unknown {
  if (value === undefined) return null;
  if (field === 'sack_perm' && value !== null) return true;
  return value;
}

/**
 * SACK edges: tshark gives them relative to the peer's initial sequence number, the same base as its relative
 * ack number, so `ack_raw - ack` recovers that base from the same row and the raw edges follow exactly.
 */
function sackDiffs(v: PacketView, t: Row): string[] {
  const left = (t.sack_le as number[] | null) ?? [];
  const right = (t.sack_re as number[] | null) ?? [];
  if (left.length !== v.sackCount) return [`sack: ${left.length} blocks expected, ${v.sackCount} decoded`];
  if (left.length === 0) return [];
  const base = ((t.ack_raw as number) - (t.ack as number)) >>> 0;
  const out: string[] = [];
  for (let i = 0; i < left.length; i++) {
    const le = (left[i]! + base) >>> 0;
    const re = (right[i]! + base) >>> 0;
    if (le !== v.sack[2 * i] || re !== v.sack[2 * i + 1]) {
      out.push(`sack[${i}]: expected ${le}-${re}, decoded ${v.sack[2 * i]}-${v.sack[2 * i + 1]}`);
    }
  }
  return out;
}

/**
 * The frame-level fields of the IP header our view holds, compared with tshark's per-frame lists. Those
 * lists hold every header of a kind in order, including IP headers quoted inside ICMP errors; the view's
 * header is the innermost one before any ICMP, so its position in each list is counted from `protocols`.
 */
function frameDiffs(v: PacketView, f: Row, frameStart: number): [string, string][] {
  const out: [string, string][] = [];
  const layers = String(f.protocols ?? '').split(':');
  const icmpAt = layers.findIndex((l) => l === 'icmp' || l === 'icmpv6');
  const ours = icmpAt < 0 ? layers : layers.slice(0, icmpAt + 1);
  const v4Count = ours.filter((l) => l === 'ip').length;
  const v6Count = ours.filter((l) => l === 'ipv6').length;
  const lastIp = Math.max(ours.lastIndexOf('ip'), ours.lastIndexOf('ipv6'));
  const expectedVersion = lastIp < 0 ? 0 : ours[lastIp] === 'ip' ? 4 : 6;
  const at = (column: string, i: number) => ((f[column] as unknown[] | null | undefined) ?? [])[i];
  const check = (field: string, expected: unknown, actual: unknown) => {
    if (expected !== actual)
      out.push([field, `expected ${JSON.stringify(expected)}, decoded ${JSON.stringify(actual)}`]);
  };
  check('ip_version', expectedVersion, v.ipVersion);
  if (expectedVersion === 4 && v.ipVersion === 4) {
    const i = v4Count - 1;
    check('ip_src', at('ip_src', i), formatAddress(4, v.src));
    check('ip_dst', at('ip_dst', i), formatAddress(4, v.dst));
    check('ip_proto', at('ip_proto', i), v.proto);
    // Total length 0 (TSO / BIG TCP): the view keeps the field as on the wire; tshark shows the length it
    // derived from the frame, which is what we use for the payload too.
    const derived = v.ipLength === 0 ? v.len - (v.l3Offset - frameStart) : v.ipLength;
    check('ip_len', at('ip_len', i), derived);
    check('ip_df', ((at('ip_flags', i) as number) & 2) !== 0, v.dontFragment);
    check('ip_frag_offset', (at('ip_frag_offset', i) as number) * 8, v.fragOffset);
  } else if (expectedVersion === 6 && v.ipVersion === 6) {
    const i = v6Count - 1;
    check('ipv6_src', at('ipv6_src', i), formatAddress(6, v.src));
    check('ipv6_dst', at('ipv6_dst', i), formatAddress(6, v.dst));
    check('ipv6_plen', at('ipv6_plen', i), v.ipLength);
  }
  // UDP directly on our IP header (not one quoted in an ICMP error).
  const udpAt = ours.indexOf('udp');
  if (udpAt > lastIp && lastIp >= 0) {
    check('udp_srcport', at('udp_srcport', 0), v.srcPort);
    check('udp_dstport', at('udp_dstport', 0), v.dstPort);
  }
  // tshark lists 802.1Q ids and 802.1ad ids in separate columns; compare the tags as a set.
  const tags = [
    ...((f.vlan_id as number[] | null) ?? []),
    ...((f.ieee8021ad_id as number[] | null) ?? []),
  ].sort();
  check('vlan', JSON.stringify(tags), JSON.stringify(Array.from(v.vlanIds.subarray(0, v.vlanCount)).sort()));
  return out;
}

interface FileResult {
  tcpCompared: number;
  cidCompared: number;
  /** "frame field: detail" lines, and the set of differing fields per frame. */
  diffs: Map<number, Map<string, string>>;
}

function note(r: FileResult, frame: number, field: string, detail: string): void {
  let m = r.diffs.get(frame);
  if (!m) {
    m = new Map();
    r.diffs.set(frame, m);
  }
  m.set(field, detail);
}

function compareFile(rel: string): FileResult | null {
  const expected = JSON.parse(readFileSync(join(dir!, `${rel}.expected.json`), 'utf8')) as Expected;
  // tshark numbers pcapng custom blocks as frames; our reader does not deliver them. Pair packets in order.
  const packetFrames = rowsOf(expected.frames).filter((f) => f.record_type !== 'custom_block');
  const tcpByFrame = new Map(rowsOf(expected.tcp).map((t) => [t.frame as number, t]));
  const result: FileResult = { tcpCompared: 0, cidCompared: 0, diffs: new Map() };
  const decoder = new Decoder();
  let k = 0;
  try {
    readAll(join(dir!, rel), (rec) => {
      const frame = packetFrames[k++];
      if (!frame) {
        note(result, 0, 'packets', `the reader delivered packet ${k}, tshark shows ${packetFrames.length}`);
        return;
      }
      const n = frame.number as number;
      const v = decoder.decode(rec);
      for (const [field, detail] of frameDiffs(v, frame, rec.offset)) note(result, n, field, detail);
      const cid = communityId(v);
      const expectedCid = (frame.communityid as string | undefined) ?? null;
      result.cidCompared++;
      if (cid !== expectedCid) note(result, n, 'communityid', `expected ${expectedCid}, computed ${cid}`);
      const t = tcpByFrame.get(n);
      if (!t) {
        if (v.isTcp) note(result, n, 'tcp', 'decoded a TCP header where tshark shows none');
        return;
      }
      result.tcpCompared++;
      if (!v.isTcp) note(result, n, 'isTcp', 'tshark decoded a TCP header, we did not');
      const ours = tcpFields(v);
      // Without a usable header only the fixed fields tshark still shows are comparable.
      const fields = v.isTcp
        ? Object.keys(ours)
        : [
            'ip_version',
            'src',
            'dst',
            'srcport',
            'dstport',
            'seq_raw',
            'ack_raw',
            'flags',
            'hdr_len',
            'window_size_value',
          ];
      for (const f of fields) {
        const e = normalise(f, t[f]);
        if (e !== ours[f])
          note(result, n, f, `expected ${JSON.stringify(e)}, decoded ${JSON.stringify(ours[f])}`);
      }
      if (v.isTcp) for (const d of sackDiffs(v, t)) note(result, n, 'sack', d);
    });
    if (k < packetFrames.length)
      note(result, 0, 'packets', `${k} packets read, tshark shows ${packetFrames.length}`);
  } catch (e) {
    // Files the reader refuses as a whole (e.g. zstd without a decompressor) are the reader's concern.
    if (e instanceof CaptureError) return null;
    throw e;
  }
  return result;
}

describe('decoders against tshark on the conformance corpus', () => {
  const totals = { tcp: 0, cid: 0 };
  const seen = new Set<string>();

  run.each(captures)('%s', (rel) => {
    const r = compareFile(rel);
    if (r === null) return;
    totals.tcp += r.tcpCompared;
    totals.cid += r.cidCompared;
    const unexplained: string[] = [];
    for (const [frame, fields] of r.diffs) {
      const key = `${rel}#${frame}`;
      const exception = EXCEPTIONS[key];
      const differing = [...fields.keys()].sort();
      if (exception && JSON.stringify(differing) === JSON.stringify([...exception.fields].sort())) {
        seen.add(key);
        continue;
      }
      for (const [field, detail] of fields) unexplained.push(`frame ${frame} ${field}: ${detail}`);
    }
    expect(unexplained).toEqual([]);
  });

  run('every listed exception still occurs, and the corpus was really compared', () => {
    const stale = Object.keys(EXCEPTIONS).filter((k) => captures.includes(k.split('#')[0]!) && !seen.has(k));
    expect(stale).toEqual([]);
    // The corpus README counts 4,004 TCP packets (minus the zstd twin when it cannot be read) and 6,496 frames.
    expect(totals.tcp).toBeGreaterThan(3800);
    expect(totals.cid).toBeGreaterThan(6000);
  });
});
