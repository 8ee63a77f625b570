import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { TcpConversation, writePcap } from '../../test/helpers/packets.js';
import { scratchDir } from '../../test/helpers/scratch.js';
import { CaptureError } from '../capture/index.js';
import { loadSide } from './side.js';

const dir = scratchDir('side-');

/** The conversation's file; `corrupt` overwrites the last record's captured length with an impossible one. */
function conversationFile(name: string, precision: 'us' | 'ns', corrupt = false): string {
  const c = new TcpConversation({
    client: '10.0.0.1',
    server: '10.0.0.2',
    startSec: 1_700_000_000,
    startNsec: 123_456_789,
  });
  c.handshake().exchange('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'HTTP/1.1 204 No Content\r\n\r\n').close();
  const bytes = writePcap(c.packets, { precision });
  if (corrupt) {
    const last = bytes.length - c.packets[c.packets.length - 1]!.data.length - 16;
    new DataView(bytes.buffer).setUint32(last + 8, 0xfffffff0, true);
  }
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('loadSide', () => {
  test('sessions, line hashes per message, packet times and resolution', () => {
    const side = loadSide(conversationFile('ns.pcap', 'ns'), 'client');
    expect(side.error).toBeNull();
    expect(side.packets).toBe(9);
    expect(side.tcpPackets).toBe(9);
    expect(side.sessions).toHaveLength(1);
    expect(side.baseSec).toBe(1_700_000_000);
    expect(side.firstRelNs).toBe(123_456_789);
    expect(side.lastRelNs).toBe(123_456_789 + 8 * 1_000_000);
    expect(side.resolutionNs).toBe(1);
    expect(side.shiftNs).toBe(0);
    const s = side.sessions[0]!;
    expect(side.lineHashes[0]!).toHaveLength(s.messages.length);
    expect(side.lineHashes[0]!.map((l) => l.length)).toEqual([2, 1]);
    expect(loadSide(conversationFile('us.pcap', 'us'), 'server').resolutionNs).toBe(1000);
  });

  test('a fatal error in the middle is kept, with everything before it', () => {
    const side = loadSide(conversationFile('bad.pcap', 'us', true), 'server');
    expect(side.error).toBeInstanceOf(CaptureError);
    expect(side.packets).toBe(8);
    expect(side.sessions).toHaveLength(1);
  });

  test('a file that is not a capture throws the CaptureError', () => {
    const path = join(dir, 'text.pcap');
    writeFileSync(path, 'not a capture at all');
    expect(() => loadSide(path, 'client')).toThrow(CaptureError);
    expect(() => loadSide(join(dir, 'missing.pcap'), 'client')).toThrow(CaptureError);
  });
});
