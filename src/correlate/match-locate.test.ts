/**
 * The session locator must give every TCP packet the session index and direction the SessionTable gave it
 * in pass 1: checked packet by packet on every lab capture and on hand-made port reuse.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { TcpConversation, tcpPacket, writePcap } from '../../test/helpers/packets.js';
import { readAll } from '../capture/index.js';
import { Decoder } from '../decode/index.js';
import { SessionTable } from '../tcp/index.js';
import { SessionLocator } from './match-locate.js';

/** Packets whose locator answer differs from the table's, as "packet: table -> locator". */
function differences(path: string): { packets: number; sessions: number; diffs: string[] } {
  const seen = new Map<number, [number, number]>();
  const table = new SessionTable({ onPacket: (r) => seen.set(r.packet, [r.session, r.dir]) });
  const decoder = new Decoder();
  readAll(path, (rec) => table.onPacket(decoder.decode(rec)));
  const locator = new SessionLocator(table.sessions);
  const diffs: string[] = [];
  const again = new Decoder();
  readAll(path, (rec) => {
    const v = again.decode(rec);
    const want = seen.get(rec.index);
    const found = v.isTcp && locator.locate(v);
    const got = found ? [locator.session, locator.dir] : undefined;
    if (JSON.stringify(want) !== JSON.stringify(got) && diffs.length < 5) {
      diffs.push(`${rec.index}: ${JSON.stringify(want)} -> ${JSON.stringify(got)}`);
    }
  });
  return { packets: seen.size, sessions: table.sessions.length, diffs };
}

const samplesDir = resolve(process.cwd(), 'samples');
const captures = existsSync(samplesDir)
  ? readdirSync(samplesDir).flatMap((d) =>
      existsSync(join(samplesDir, d, 'truth.json'))
        ? readdirSync(join(samplesDir, d))
            .filter((f) => f.includes('-side.'))
            .map((f) => `${d}/${f}`)
        : [],
    )
  : [];

describe('session locator', () => {
  if (captures.length === 0) test.skip('no samples/ (regenerate with npm run lab)', () => {});
  test.each(captures)('%s: same session and direction as the SessionTable', (file) => {
    const { packets, diffs } = differences(join(samplesDir, file));
    expect(packets).toBeGreaterThan(0);
    expect(diffs).toEqual([]);
  });

  test('port reuse from either end, and a pair first seen from the responder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dualcap-locate-'));
    try {
      const first = new TcpConversation({
        client: '10.0.0.1',
        server: '10.0.0.2',
        clientPort: 5000,
        serverPort: 80,
      });
      first.handshake().exchange(100, 200).close();
      // Same pair, new ISN: a new session.
      const second = new TcpConversation({
        client: '10.0.0.1',
        server: '10.0.0.2',
        clientPort: 5000,
        serverPort: 80,
        clientIsn: 77777,
        startSec: 1_700_000_010,
      });
      second.handshake().exchange(10, 20);
      // The other end opens a connection on the same address/port pair.
      const third = new TcpConversation({
        client: '10.0.0.2',
        server: '10.0.0.1',
        clientPort: 80,
        serverPort: 5000,
        clientIsn: 99999,
        startSec: 1_700_000_020,
      });
      third.handshake().exchange(5, 5);
      // A late packet of the first connection after the reuse belongs to the latest session.
      const late = tcpPacket({
        src: '10.0.0.1',
        dst: '10.0.0.2',
        srcPort: 5000,
        dstPort: 80,
        seq: 1001,
        flags: 'A',
      });
      // A mid-stream pair (no SYN), server first.
      const mid = new TcpConversation({
        client: '10.0.0.9',
        server: '10.0.0.8',
        clientPort: 6000,
        serverPort: 443,
        startSec: 1_700_000_030,
      });
      mid.send('server', 50).send('client', 60);
      const records = [
        ...first.packets,
        ...second.packets,
        ...third.packets,
        { tsSec: 1_700_000_025, tsNsec: 0, data: late },
        ...mid.packets,
      ];
      const path = join(dir, 'reuse.pcap');
      writeFileSync(path, writePcap(records));
      const { packets, sessions, diffs } = differences(path);
      expect(packets).toBe(records.length);
      expect(sessions).toBe(4);
      expect(diffs).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
