/**
 * Pass 2's packet events and field changes carry the numbers their words show (PacketEvent flags, len,
 * seq, ack; FieldChange upstream and downstream): on lab scenarios with drops, injections and rewrites,
 * every example's numbers equal the ones its `detail` prints.
 */
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { loadTruth, samplesDir } from '../../test/helpers/truth.js';
import { tcpFlagsString } from '../decode/index.js';
import { TCP_ACK } from '../decode/types.js';
import { correlate } from './index.js';

const hex = (n: number) => `0x${n.toString(16)}`;

describe.each(['synproxy', 'drop', 'nat'])('numbers of %s', (scenario) => {
  const dir = join(samplesDir(), scenario);
  const truth = loadTruth(dir);
  const c = correlate(join(dir, truth.captures.client), join(dir, truth.captures.server));

  test('each dropped or injected packet: flags, seq, ack and length as its words', () => {
    const events = c.matches.flatMap((m) => m.examples);
    for (const e of events) {
      const ack = e.flags & TCP_ACK ? ` ack=${hex(e.ack)}` : '';
      expect(e.detail).toMatch(
        new RegExp(`^${tcpFlagsString(e.flags) || 'no flags'} seq=${hex(e.seq)}${ack} len=${e.len} `),
      );
      if (!(e.flags & TCP_ACK)) expect(e.ack).toBe(0);
    }
    if (scenario !== 'nat') expect(events.length).toBeGreaterThan(0);
  });

  test('each one-number field change: upstream and downstream as its words, delta their difference', () => {
    const changes = c.matches.flatMap((m) => m.changes);
    let numbers = 0;
    for (const ch of changes) {
      if (ch.upstream === null || ch.downstream === null) {
        expect(ch.upstream).toBeNull();
        expect(ch.downstream).toBeNull();
        continue;
      }
      numbers++;
      const shown = (n: number) => (ch.field === 'seq' || ch.field === 'ack' ? hex(n) : String(n));
      const [up, down] = ch.detail.slice(ch.field.length + 1).split(' -> ');
      expect(up).toMatch(new RegExp(`^${shown(ch.upstream)} `));
      expect(down).toMatch(new RegExp(`^${shown(ch.downstream)} `));
      if (ch.delta !== null && ch.field === 'ttl') expect(ch.delta).toBe(ch.downstream - ch.upstream);
    }
    expect(numbers).toBeGreaterThan(0);
  });
});
