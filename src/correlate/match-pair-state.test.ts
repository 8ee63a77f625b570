/**
 * ENDPOINT RECORD: address and port changes are counted per pair and direction while every packet carries
 * those of the pair's first server-side connection, and turn into one row per field when another set turns
 * up. Either way the results read as if every field had been counted in a row of its own.
 */
import { describe, expect, test } from '@jest/globals';
import type { Endpoint, Session } from '../tcp/index.js';
import { F_TTL, FIELD_NAMES } from './match-fields.js';
import { PairTable } from './match-pair-state.js';
import { MatchResults } from './match-results.js';
import { PacketWindow } from './match-window.js';
import type { SessionPair, SideData } from './types.js';

const v4 = (a: number, b: number, c: number, d: number): readonly number[] => [
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0,
  0,
  0,
  0,
];
const ep = (addr: readonly number[], port: number): Endpoint => ({ ipVersion: 4, addr, port });
const session = (client: Endpoint, server: Endpoint) => ({ client, server }) as unknown as Session;

const CLIENT = ep(v4(10, 0, 0, 2), 40000);
const SERVER = ep(v4(192, 0, 2, 80), 80);
/** The client side's connection; the server side's first one through a NAT, the second with the client's
 * own address and another port. */
const clientSessions = [session(CLIENT, SERVER)];
const serverSessions = [
  session(ep(v4(203, 0, 113, 1), 1024), SERVER),
  session(ep(v4(10, 0, 0, 2), 1025), SERVER),
];
const pairs = [
  { id: 7, kind: 'translated', client: 0, server: [0, 1], seqOffsets: null },
] as unknown as SessionPair[];

/** One matched packet of pair 0: client-side packet `c`, server-side packet `s`, TTL 64 -> 63. */
function record(table: PairTable, w: PacketWindow, dir: 0 | 1, serverSession: number, c: number, s: number) {
  const [up, down] = dir === 0 ? [0, 1] : [1, 0];
  w.side[0] = 0;
  w.side[1] = 1;
  w.packet[0] = c;
  w.packet[1] = s;
  w.ttl[up] = 64;
  w.ttl[down] = 63;
  const bits = F_TTL | table.endpointChangeBits(0, serverSession, dir);
  table.recordChanges(w, 0, up, down, dir, bits);
}

function changesOf(table: PairTable) {
  const side = (sessions: Session[]) => ({ sessions }) as unknown as SideData;
  const results = new MatchResults(
    table.seal(),
    pairs,
    side(clientSessions),
    side(serverSessions),
    (ns) => ns,
  );
  return results
    .fieldChanges(0)
    .map((c) => [c.dir, c.field, c.count, c.clientPacket, c.serverPacket, c.delta] as const);
}

describe('endpoint changes per pair and direction', () => {
  test('the same changes on every packet: counted once per direction, read as rows in field order', () => {
    const w = new PacketWindow(16);
    const table = new PairTable(pairs, clientSessions, serverSessions, 8);
    record(table, w, 0, 0, 1, 101);
    record(table, w, 1, 0, 2, 102);
    record(table, w, 0, 0, 3, 103);
    expect(changesOf(table)).toEqual([
      [0, 'ttl', 2, 1, 101, -1],
      [0, 'src-address', 2, 1, 101, null],
      [0, 'src-port', 2, 1, 101, null],
      [1, 'ttl', 1, 2, 102, -1],
      [1, 'dst-address', 1, 2, 102, null],
      [1, 'dst-port', 1, 2, 102, null],
    ]);
  });

  test('another set of changes (a second server-side connection) turns the record into rows', () => {
    const w = new PacketWindow(16);
    const table = new PairTable(pairs, clientSessions, serverSessions, 8);
    record(table, w, 0, 0, 1, 101);
    record(table, w, 0, 0, 2, 102);
    record(table, w, 0, 1, 3, 103);
    record(table, w, 0, 0, 4, 104);
    // Only the port changed on the second connection: 3 address changes, 4 port changes, first example kept.
    expect(changesOf(table)).toEqual([
      [0, 'ttl', 4, 1, 101, -1],
      [0, 'src-address', 3, 1, 101, null],
      [0, 'src-port', 4, 1, 101, null],
    ]);
  });

  test('another set first: rows from the start', () => {
    const w = new PacketWindow(16);
    const table = new PairTable(pairs, clientSessions, serverSessions, 8);
    record(table, w, 0, 1, 1, 101);
    record(table, w, 0, 0, 2, 102);
    expect(changesOf(table)).toEqual([
      [0, 'ttl', 2, 1, 101, -1],
      [0, 'src-address', 1, 2, 102, null],
      [0, 'src-port', 2, 1, 101, null],
    ]);
    expect(FIELD_NAMES.indexOf('src-address')).toBeLessThan(FIELD_NAMES.indexOf('src-port'));
  });
});
