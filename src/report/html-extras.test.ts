import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { TcpConversation, writePcapng } from '../../test/helpers/packets.js';
import type { DetailPacket, PairDetail } from '../correlate/detail.js';
import { COMMENT_CHARS, collectPacketExtras, SNIPPET_BYTES, snippet } from './html-extras.js';

const dir = mkdtempSync(join(tmpdir(), 'dualcap-html-extras-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snippet', () => {
  test('printable ASCII as is, CR LF as visible marks, other bytes as dots, at most SNIPPET_BYTES', () => {
    const bytes = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: <x>\r\n');
    expect(snippet(bytes, 0, bytes.length)).toBe('GET / HTTP/1.1\\r\\nHost: <x>\\r\\n');
    expect(snippet(Uint8Array.of(0x00, 0x41, 0xff), 0, 3)).toBe('\u00b7A\u00b7');
    expect(snippet(new Uint8Array(500).fill(0x61), 0, 500)).toHaveLength(SNIPPET_BYTES);
  });
});

function detailOf(clientPackets: number[], serverPackets: number[]): PairDetail {
  const p = (side: 'client' | 'server', packet: number) => ({ side, packet }) as DetailPacket;
  return {
    target: { pair: 0, clientSessions: [0], serverSessions: [0] },
    client: clientPackets.map((n) => p('client', n)),
    server: serverPackets.map((n) => p('server', n)),
    links: [],
    omitted: [0, 0],
  };
}

describe('collectPacketExtras', () => {
  const c = new TcpConversation({ client: '10.0.0.1', server: '10.0.0.2' });
  c.handshake().exchange(
    'GET /<script>window.__pwned=1</script> HTTP/1.1\r\n\r\n',
    'HTTP/1.1 200 OK\r\n\r\n',
  );
  const long = 'x'.repeat(COMMENT_CHARS + 50);
  const packets = c.packets.map((p, i) => ({
    ...p,
    comments: i === 3 ? ['"><img src=x onerror="window.__pwned=1">', long] : [],
  }));
  const client = join(dir, 'client.pcapng');
  const server = join(dir, 'server.pcapng');
  writeFileSync(client, writePcapng(packets));
  writeFileSync(server, writePcapng(c.packets));

  test('keeps the payload start and comments of the wanted packets only', () => {
    const extras = collectPacketExtras(client, server, [detailOf([1, 4], [5])]);
    // Packet 1 is the SYN: no payload, no comment, nothing kept.
    expect([...extras.client.keys()]).toEqual([4]);
    const request = extras.client.get(4)!;
    expect(request.payload.startsWith('GET /<script>window.__pwned=1</script> HTTP/1.1\\r\\n')).toBe(true);
    expect(request.comments[0]).toBe('"><img src=x onerror="window.__pwned=1">');
    expect(request.comments[1]).toHaveLength(COMMENT_CHARS + 3);
    expect(extras.server.get(5)?.payload.startsWith('HTTP/1.1 200 OK')).toBe(true);
  });

  test('a file that cannot be read gives no extras instead of an error', () => {
    const missing = join(dir, 'missing.pcapng');
    const garbage = join(dir, 'garbage.pcapng');
    writeFileSync(garbage, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const extras = collectPacketExtras(missing, garbage, [detailOf([4], [4])]);
    expect(extras.client.size).toBe(0);
    expect(extras.server.size).toBe(0);
  });
});
