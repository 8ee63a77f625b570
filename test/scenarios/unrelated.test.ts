/**
 * Unrelated captures must not pair. The lab's scenarios run the same client and origin programs, so their
 * HTTP messages share many identical lines and chunks (Host, User-Agent, response headers, body framing)
 * and even similar timing; only the request ids (which carry the scenario's name) and the connections
 * themselves differ. The client side of one scenario against the server side of another shares no traffic,
 * so for each ordered combination (n x (n - 1) of n scenarios) the truth is zero pairs and the warning
 * that says so: being silent beats being wrong. Also: the same capture given as both sides pairs each
 * connection with itself.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { pairSessions } from '../../src/correlate/pair.js';
import { loadSide } from '../../src/correlate/side.js';
import type { SideData } from '../../src/correlate/types.js';
import { loadTruth, samplesDir, scenarios } from '../helpers/truth.js';

const all = scenarios();
const combinations = all.flatMap((a) => all.filter((b) => b !== a).map((b) => [a, b] as const));

// Each side is read once and reused: pairing only sets `shiftNs`, which every call sets afresh.
const clients = new Map<string, SideData>();
const servers = new Map<string, SideData>();
beforeAll(() => {
  for (const scenario of all) {
    const dir = join(samplesDir(), scenario);
    const truth = loadTruth(dir);
    clients.set(scenario, loadSide(join(dir, truth.captures.client), 'client'));
    servers.set(scenario, loadSide(join(dir, truth.captures.server), 'server'));
  }
});

function expectNoSharedTraffic(client: SideData, server: SideData, r: ReturnType<typeof pairSessions>) {
  expect(r.pairs).toEqual([]);
  const warning = r.warnings.find((w) => w.id === 'pair.no_shared_traffic');
  expect(warning?.text).toMatch(/share no traffic/);
  expect(r.unpaired).toHaveLength(client.sessions.length + server.sessions.length);
}

describe('client side of one scenario, server side of another', () => {
  (combinations.length > 0 ? test : test.skip)('the lab has scenarios to combine', () => {
    expect(combinations).toHaveLength(all.length * (all.length - 1));
  });

  test.each(combinations)('%s x %s: no pairs, no shared traffic', (a, b) => {
    const client = clients.get(a)!;
    const server = servers.get(b)!;
    const r = pairSessions(client, server);
    expectNoSharedTraffic(client, server, r);
    expect(r.coarse.found).toBe(false);
  });

  // Even on a clock told to line the captures up (a user offset), common content is not a counterpart.
  test.each(combinations)('%s x %s, starts lined up by a user offset: still no pairs', (a, b) => {
    const client = clients.get(a)!;
    const server = servers.get(b)!;
    const offsetNs = (client.baseSec - server.baseSec) * 1e9 + client.firstRelNs - server.firstRelNs;
    const r = pairSessions(client, server, { offsetNs });
    expectNoSharedTraffic(client, server, r);
  });
});

describe('the same capture as both sides', () => {
  test.each(all)('%s: one SideData given twice pairs every connection with itself', (scenario) => {
    const side = clients.get(scenario)!;
    const r = pairSessions(side, side);
    const withSyn = side.sessions.filter((s) => s.syn !== null).map((s) => s.index);
    const identity = r.pairs.filter(
      (p) => p.kind === 'same' && p.server.length === 1 && p.server[0] === p.client,
    );
    expect(identity.map((p) => p.client)).toEqual(withSyn);
    expect(r.pairs).toHaveLength(identity.length);
  });
});
