import { describe, expect, test } from '@jest/globals';
import type { PacketView } from '../decode/index.js';
import { HandshakeStore } from './handshake-store.js';
import { MessageRecord, MessageStore } from './message-store.js';

describe('MessageStore', () => {
  test('packet numbers past 2^31 read back exactly', () => {
    const store = new MessageStore(2);
    const row = store.add(1, 3_000_000_000, 1_500, 0, 10);
    store.seen(row, 4_294_967_295, 2, 1);
    const m = new MessageRecord(store, row);
    expect(m.firstPacket).toBe(3_000_000_000);
    expect(m.lastPacket).toBe(4_294_967_295);
    expect(m.dir).toBe(1);
    expect(m.packets).toBe(1);
  });

  test('rows keep their values when the store grows; stream offsets past 2^32 are exact', () => {
    const store = new MessageStore(1);
    const rows: number[] = [];
    for (let k = 0; k < 100; k++)
      rows.push(store.add((k & 1) as 0 | 1, k + 1, k * 1000, 2 ** 33 + k, 2 ** 33 + k + 7));
    for (let k = 0; k < 100; k++) {
      const row = rows[k]!;
      expect(store.dir(row)).toBe(k & 1);
      expect(store.start(row)).toBe(2 ** 33 + k);
      expect(store.end(row)).toBe(2 ** 33 + k + 7);
      expect(new MessageRecord(store, row).firstPacket).toBe(k + 1);
    }
    store.trim();
    expect(new MessageRecord(store, rows[99]!).firstPacket).toBe(100);
  });
});

describe('HandshakeStore', () => {
  test('packet numbers past 2^31 read back exactly', () => {
    const store = new HandshakeStore(1);
    const view = {
      index: 3_500_000_000,
      tsSec: 1_700_000_000,
      tsNsec: 5,
      seq: 0xfffffff0 | 0,
      ack: 0,
      window: 65535,
      ttl: 64,
      ipId: 1,
      mss: 1460,
      wscale: 7,
      sackPerm: true,
      hasTimestamps: false,
      tfo: false,
      tsval: 0,
      tsecr: 0,
    } as unknown as PacketView;
    const row = store.add(view, 0, []);
    expect(store.packet(row)).toBe(3_500_000_000);
    expect(store.seq(row)).toBe(0xfffffff0);
  });
});
