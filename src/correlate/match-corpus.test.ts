/**
 * Packet matching over the third-party conformance corpus: each capture matched against itself (every
 * session paired with itself, one clock). Whatever the file holds (VLANs, IPv6, tunnels, odd timestamps,
 * cut frames, reading errors), nothing may throw, and since the "device" changed nothing, every TCP packet
 * of a paired session is matched, with delay 0 and no field changed: no drops, no injections.
 */
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { announceSkip, corpusCaptures, corpusDir } from '../../test/helpers/corpus.js';
import { SAME_CLOCK } from '../../test/helpers/side-data.js';
import { CaptureError } from '../capture/index.js';
import { type MatchEvent, matchPackets } from './match.js';
import { loadSide } from './side.js';
import type { SessionPair, SideData } from './types.js';

function selfPairs(side: SideData): SessionPair[] {
  const tuple = { srcIp: '', srcPort: 0, dstIp: '', dstPort: 0 };
  return side.sessions.map((_, i) => ({
    id: i,
    client: i,
    server: [i],
    mapping: 'one-to-one',
    kind: 'same',
    score: 1,
    evidence: [],
    clientTuple: tuple,
    serverTuples: [tuple],
    seqOffsets: { c2s: 0, s2c: 0 },
    messages: [],
  }));
}

/** Pass 1, or null when the file is not a capture at all (the reader's own tests cover those). */
function load(path: string, side: 'client' | 'server'): SideData | null {
  try {
    return loadSide(path, side);
  } catch (e) {
    if (e instanceof CaptureError) return null;
    throw e;
  }
}

const dir = corpusDir();

describe('packet matching: every corpus capture against itself', () => {
  if (dir === null) {
    announceSkip('packet matching over the corpus');
    test.skip('corpus not found', () => {});
    return;
  }
  const files = corpusCaptures(dir);

  test('the corpus is there', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  test.each(files)('%s', (file) => {
    const path = join(dir, file);
    const client = load(path, 'client');
    const server = load(path, 'server');
    if (client === null || server === null) return;
    const pairs = selfPairs(client);
    const events: MatchEvent[] = [];
    const matches = matchPackets(path, path, client, server, pairs, SAME_CLOCK, {
      onPacket: (e) => events.push({ ...e }),
    });
    expect(matches).toHaveLength(pairs.length);
    expect(events).toHaveLength(client.tcpPackets * 2);
    const notMatched = events.filter((e) => e.event !== 'matched' || e.otherPacket !== e.packet);
    expect(notMatched.slice(0, 3)).toEqual([]);
    expect(events.filter((e) => e.delayNs !== 0 || e.changes !== 0).slice(0, 3)).toEqual([]);
  });
});
