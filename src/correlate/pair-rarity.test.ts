import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { TcpConversation, writePcap } from '../../test/helpers/packets.js';
import { scratchDir } from '../../test/helpers/scratch.js';
import { MessageIndex } from './candidates.js';
import { DISTINCT_ALIKE, DISTINCT_LINK, Rarity } from './pair-rarity.js';
import { loadSide } from './side.js';
import type { Side, SideData } from './types.js';

const dir = scratchDir('rarity-');
let files = 0;

/** One connection per request, each answered by `response(i)`, in one capture. */
function sideOf(side: Side, requests: string[], response: (i: number) => string): SideData {
  const records = requests.flatMap((request, i) =>
    new TcpConversation({
      client: '10.0.0.1',
      server: '10.0.1.1',
      clientPort: 40000 + i,
      serverPort: 80,
      clientIsn: 1000 * (i + 1),
      startSec: 1_700_000_000 + i,
    })
      .handshake()
      .exchange(request, response(i))
      .close()
      .packets.map((p) => ({ data: p.data, tsSec: p.tsSec, tsNsec: p.tsNsec })),
  );
  const path = join(dir, `${side}-${files++}.pcap`);
  writeFileSync(path, writePcap(records, { precision: 'ns' }));
  return loadSide(path, side);
}

const request = (id: string, extra = '') =>
  `GET /item/${id} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: t/1\r\n${extra}X-Request-Id: ${id}\r\n\r\n`;
const ok = (i: number) => `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n${i % 10}\n`;

/** Rarity of the two sides and the global message numbers of each side's first message per connection. */
function rarityOf(client: SideData, server: SideData) {
  const mc = new MessageIndex(client);
  const ms = new MessageIndex(server);
  const rarity = new Rarity(mc, ms);
  return { rarity, mc, ms, alike: (c: number, s: number) => rarity.alike(mc.firstOf[c]!, ms.firstOf[s]!) };
}

describe('distinctiveness of shared content', () => {
  test('a key held by several messages weighs 1 / their number, on the side where it is most common', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const client = sideOf(
      'client',
      ids.map((id) => request(id)),
      ok,
    );
    const server = sideOf('server', [request('a')], ok);
    const { rarity, mc } = rarityOf(client, server);
    const keys = Array.from(mc.keyList.subarray(mc.keyStart[0]!, mc.keyStart[1]!));
    const weights = keys.map((k) => rarity.weight(k)).sort();
    // Host and User-Agent are in all five requests; the request line, the id line and the bytes are not.
    expect(weights.filter((w) => w === 0.2)).toHaveLength(2);
    expect(weights.filter((w) => w === 1).length).toBeGreaterThanOrEqual(2);
  });

  test('identical messages are alike (1) even when every connection carries them', () => {
    const same = Array.from({ length: 6 }, () => request('x'));
    const { alike } = rarityOf(
      sideOf('client', same, () => 'OK\n'),
      sideOf('server', same, () => 'OK\n'),
    );
    expect(alike(2, 4)).toBe(1);
  });

  test('shared common headers around other ids: not alike', () => {
    const client = sideOf(
      'client',
      ['a-1', 'a-2', 'a-3'].map((id) => request(id)),
      ok,
    );
    const server = sideOf(
      'server',
      ['b-1', 'b-2', 'b-3'].map((id) => request(id)),
      ok,
    );
    const { alike } = rarityOf(client, server);
    // Host and User-Agent (1/3 each) shared; the request line and the id line (1 each) differ.
    expect(alike(0, 0)).toBeCloseTo(2 / 3 / (2 + 2 / 3), 9);
    expect(alike(0, 0)).toBeLessThan(DISTINCT_ALIKE);
  });

  test('rare lines shared, as many rare lines different: alike, but not enough to carry a connection', () => {
    const upload = 'Content-Type: application/octet-stream\r\nExpect: 100-continue\r\n';
    const client = sideOf('client', [request('a-1'), request('a-2', upload)], ok);
    const server = sideOf('server', [request('b-1'), request('b-2', upload)], ok);
    const v = rarityOf(client, server).alike(1, 1);
    expect(v).toBeGreaterThanOrEqual(DISTINCT_ALIKE);
    expect(v).toBeLessThan(DISTINCT_LINK);
  });

  test('a header inserted on the way keeps the request distinctively alike', () => {
    const ids = ['a-1', 'a-2', 'a-3'];
    const client = sideOf(
      'client',
      ids.map((id) => request(id)),
      ok,
    );
    const server = sideOf(
      'server',
      ids.map((id) => request(id, 'X-Forwarded-For: 10.0.0.1\r\n')),
      ok,
    );
    const { alike } = rarityOf(client, server);
    expect(alike(1, 1)).toBeGreaterThanOrEqual(DISTINCT_LINK);
    expect(alike(1, 2)).toBeLessThan(DISTINCT_ALIKE);
  });
});
