/**
 * Sequence-randomiser copies of lab captures for pairing and matching tests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '../../src/capture/index.js';
import { Decoder, TCP_ACK } from '../../src/decode/index.js';
import { internetChecksum, pseudoHeader, type RecordSpec, writePcap } from './packets.js';
import { scratchDir } from './scratch.js';

/**
 * A sequence randomiser made from a sample: the server-side capture rewritten as if the device had added
 * a constant per connection and direction to every sequence number and to the acknowledgements of it,
 * checksums recomputed; SACK blocks shifted the same way, or left as they were (`sackBug`: the known
 * randomiser bug). Everything else is what the real router forwarded.
 */
export function randomisedCopy(
  path: string,
  serverPort: number,
  delta: (clientPort: number) => [number, number],
  sackBug = false,
): { path: string; sackPackets: [Set<number>, Set<number>] } {
  const decoder = new Decoder();
  const records: RecordSpec[] = [];
  const sackPackets: [Set<number>, Set<number>] = [new Set(), new Set()];
  const result = readAll(path, (rec) => {
    const data = rec.buf.slice(rec.offset, rec.offset + rec.caplen);
    const v = decoder.decode(rec);
    if (v.isTcp && v.ipVersion === 4 && !v.truncated) {
      const c2s = v.dstPort === serverPort;
      const [dc, ds] = delta(c2s ? v.srcPort : v.dstPort);
      const own = c2s ? dc : ds;
      const other = c2s ? ds : dc;
      const tcp = v.l4Offset - rec.offset;
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      dv.setUint32(tcp + 4, (v.seq + own) >>> 0);
      if (v.flags & TCP_ACK) dv.setUint32(tcp + 8, (v.ack + other) >>> 0);
      // SACK blocks acknowledge the other direction's bytes.
      const end = tcp + v.tcpHeaderLength;
      for (let at = tcp + 20; at < end; ) {
        const kind = data[at]!;
        if (kind === 0) break;
        if (kind === 1) {
          at++;
          continue;
        }
        const len = data[at + 1]!;
        if (len < 2) break;
        if (kind === 5) {
          sackPackets[c2s ? 0 : 1].add(rec.index);
          if (!sackBug) {
            for (let e = at + 2; e + 4 <= at + len; e += 4) dv.setUint32(e, (dv.getUint32(e) + other) >>> 0);
          }
        }
        at += len;
      }
      const ip = v.l3Offset - rec.offset;
      const segmentEnd = ip + dv.getUint16(ip + 2);
      dv.setUint16(tcp + 16, 0);
      const segment = data.subarray(tcp, segmentEnd);
      const header = pseudoHeader(
        data.subarray(ip + 12, ip + 16),
        data.subarray(ip + 16, ip + 20),
        6,
        segment.length,
      );
      dv.setUint16(tcp + 16, internetChecksum(header, segment));
    }
    records.push({ tsSec: rec.tsSec, tsNsec: rec.tsNsec, data, origLen: rec.len });
  });
  const out = join(scratchDir('reseq-'), 'server-side.pcap');
  writeFileSync(out, writePcap(records, { precision: result.info.precisionDigits > 6 ? 'ns' : 'us' }));
  return { path: out, sackPackets };
}
