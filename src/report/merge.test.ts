/**
 * The merge on synthetic captures of a router, where the order of matching and the order of the merge
 * are made to differ on purpose: a non-TCP packet whose timestamp lies far ahead sits in the middle of the
 * client-side file, so the merge must take every server-side packet before it while their verdicts are
 * still to come (the reorder buffer). Checked: every input packet is written exactly once, each TCP packet
 * with the verdict matching reported, or, when the buffer is too small to wait, with "verdict unknown".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  type ConversationPacket,
  TcpConversation,
  udpPacket,
  writePcap,
} from '../../test/helpers/packets.js';
import { readAll } from '../capture/index.js';
import { type Correlation, correlate, type MatchEvent } from '../correlate/index.js';
import { writeMergedPcapng } from './merge.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEVICE_DELAY_NS = 40_000;

function build(): { client: string; server: string; droppedClientPacket: number } {
  const all: ConversationPacket[] = [];
  for (let i = 0; i < 6; i++) {
    const c = new TcpConversation({
      client: '10.0.0.1',
      server: '10.0.0.2',
      clientPort: 40000 + i,
      clientIsn: 1000 + i * 7919,
      startSec: 1_700_000_000,
      startNsec: i * 3_000_000,
      stepNs: 500_000,
    });
    c.handshake().exchange(300, 2000).exchange(120, 900).close();
    all.push(...c.packets);
  }
  all.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
  // The server-side copy of each packet is DEVICE_DELAY_NS later for client packets, earlier for server
  // packets (they pass the server side first); one client data packet never reaches the server side.
  const dropIndex = all.findIndex((p, i) => i > 20 && p.from === 'client' && p.payloadLength > 0);
  const server = all
    .filter((_, i) => i !== dropIndex)
    .map((p) => {
      const shift = p.from === 'client' ? DEVICE_DELAY_NS : -DEVICE_DELAY_NS;
      const ns = p.tsNsec + shift;
      return { ...p, tsSec: p.tsSec + Math.floor(ns / 1e9), tsNsec: ((ns % 1e9) + 1e9) % 1e9 };
    });
  const client = all.map((p) => ({ tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data }));
  // A DNS query stamped ten seconds ahead, a third of the way into the client-side file.
  const dns = udpPacket({ src: '10.0.0.1', dst: '10.0.0.53', srcPort: 5353, dstPort: 53, payload: 'q' });
  const at = Math.floor(client.length / 3);
  client.splice(at, 0, { tsSec: 1_700_000_010, tsNsec: 0, data: dns });
  const clientPath = join(dir, 'client.pcap');
  const serverPath = join(dir, 'server.pcap');
  writeFileSync(clientPath, writePcap(client, { precision: 'ns' }));
  writeFileSync(serverPath, writePcap(server, { precision: 'ns' }));
  return {
    client: clientPath,
    server: serverPath,
    droppedClientPacket: dropIndex < at ? dropIndex + 1 : dropIndex + 2,
  };
}

interface Out {
  iface: string;
  comment: string;
}

function readBack(path: string): Out[] {
  const out: Out[] = [];
  const r = readAll(path, (rec) =>
    out.push({ iface: String(rec.interfaceId), comment: rec.comments.join(' / ') }),
  );
  expect(r.error).toBeNull();
  for (const o of out) o.iface = r.info.interfaces[Number(o.iface)]!.name!;
  return out;
}

const inputs = build();
const events = new Map<string, { event: string; other: number }>();
const correlation: Correlation = correlate(inputs.client, inputs.server, {
  match: {
    onPacket: (e: MatchEvent) =>
      events.set(`${e.side}-side #${e.packet}`, { event: e.event, other: e.otherPacket }),
  },
});

describe('writeMergedPcapng, reorder buffer', () => {
  test('the scenario is what it says: one drop, everything else matched, one non-TCP packet', () => {
    const kinds = [...events.values()].map((e) => e.event);
    expect(kinds.filter((k) => k === 'dropped').length).toBe(1);
    expect(kinds.filter((k) => k === 'matched').length).toBe(correlation.client.tcpPackets * 2 - 2);
    expect(events.get(`client-side #${inputs.droppedClientPacket}`)?.event).toBe('dropped');
    expect(correlation.client.packets).toBe(correlation.client.tcpPackets + 1);
  });

  test('every packet once, each TCP packet with the verdict matching gave it', () => {
    const path = join(dir, 'merged.pcapng');
    const r = writeMergedPcapng(correlation, path);
    expect(r.forced).toBe(0);
    // The far-ahead packet makes the merge take server-side packets before their verdicts.
    expect(r.peakBuffered).toBeGreaterThan(10);
    const out = readBack(path);
    expect(out.length).toBe(correlation.client.packets + correlation.server.packets);
    const seen = new Set<string>();
    for (const o of out) {
      const own = /^dualcap: ((client|server)-side #\d+): /.exec(o.comment);
      expect(own).not.toBeNull();
      const key = own![1]!;
      expect(key.startsWith(o.iface)).toBe(true);
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      const e = events.get(key);
      if (e === undefined) {
        expect(o.comment).toContain('not TCP: copied, not matched');
      } else if (e.event === 'matched') {
        const other = key.startsWith('client') ? 'server-side' : 'client-side';
        expect(o.comment).toContain(`matches ${other} #${e.other}, transit delay 0.040 ms, unchanged`);
      } else {
        expect(e.event).toBe('dropped');
        expect(o.comment).toContain('client-to-server, dropped by device');
      }
    }
  });

  test('a buffer too small to wait writes packets without verdict, named so, still each once', () => {
    const path = join(dir, 'merged-small.pcapng');
    const r = writeMergedPcapng(correlation, path, { maxBufferedPackets: 4 });
    expect(r.forced).toBeGreaterThan(0);
    expect(r.peakBuffered).toBeLessThanOrEqual(4);
    const out = readBack(path);
    expect(out.length).toBe(correlation.client.packets + correlation.server.packets);
    const unknown = out.filter((o) => o.comment.includes('verdict unknown (reorder buffer full)'));
    expect(unknown.length).toBe(r.forced);
    const keys = new Set(out.map((o) => /#\d+/.exec(o.comment)![0] + o.iface));
    expect(keys.size).toBe(out.length);
    // Whatever was not forced still has the verdict matching gave it.
    const withVerdict = out.filter((o) => / matches | dropped by device/.test(o.comment));
    expect(withVerdict.length).toBe(correlation.client.tcpPackets + correlation.server.tcpPackets - r.forced);
  });

  test('refuses to overwrite an input capture', () => {
    expect(() => writeMergedPcapng(correlation, inputs.server)).toThrow(/would overwrite an input capture/);
    expect(readAll(inputs.server, () => {}).packets).toBe(correlation.server.packets);
  });
});
