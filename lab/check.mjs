// Re-reads every capture pair with tshark and verifies its truth.json, so the truth cannot rot silently.
// Usage: node lab/check.mjs DIR   (DIR holds <scenario>/truth.json folders, or is one such folder)
// Exits 1 with one line per mismatch.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isSyn, isSynAck, packetKey, readPackets, synAttempts, tupleKey } from './lib/tshark.mjs';
import { handshakeAnomalies } from './truth/evidence.mjs';

export const BEHAVIOURS = new Set([
  'forwards-packets',
  'decrements-ttl',
  'rewrites-source-address',
  'rewrites-destination-address',
  'rewrites-source-port',
  'rewrites-destination-port',
  'rewrites-sequence',
  'terminates-tcp',
  'answers-syn',
  'splices-after-handshake',
  'delays-server-connect',
  'pools-connections',
  'modifies-payload',
  'rewrites-options',
  'resegments',
  'drops-packets',
  'injects-packets',
  'bogus-syn-ack',
  'ignores-handshake-ack',
  'terminates-tls',
]);
const KINDS = new Set(['transparent', 'nat', 'sequence-rewriter', 'syn-proxy', 'l4-proxy', 'l7-proxy']);
const ID_PATTERN = /[a-z][a-z-]*-\d{4}-\d+/g;

function checkScenario(dir) {
  const problems = [];
  const bad = (msg) => problems.push(msg);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8'));
  if (truth.schema !== 'dualcap.truth/1') bad(`schema is ${truth.schema}`);
  if (!KINDS.has(truth.device?.kind)) bad(`device.kind ${truth.device?.kind} is not in the vocabulary`);
  for (const b of truth.behaviours) if (!BEHAVIOURS.has(b)) bad(`behaviour ${b} is not in the vocabulary`);

  const pk = {};
  for (const side of ['client', 'server']) {
    const file = join(dir, truth.captures[side]);
    if (!existsSync(file)) {
      bad(`${side} capture ${truth.captures[side]} is missing`);
      return problems;
    }
    pk[side] = readPackets(file);
    const c = truth.counts[side];
    const packets = pk[side].length;
    const syns = pk[side].filter(isSyn).length;
    const synAcks = pk[side].filter(isSynAck).length;
    if (packets !== c.packets) bad(`${side}: ${packets} packets, truth says ${c.packets}`);
    if (syns !== c.syns) bad(`${side}: ${syns} SYNs, truth says ${c.syns}`);
    if (synAcks !== c.synAcks) bad(`${side}: ${synAcks} SYN-ACKs, truth says ${c.synAcks}`);
  }

  const synSet = (side) =>
    new Set(pk[side].filter(isSyn).map((p) => `${tupleKey([p.src, p.sport, p.dst, p.dport])}#${p.seq}`));
  const synAckSet = (side) =>
    new Set(pk[side].filter(isSynAck).map((p) => `${tupleKey([p.dst, p.dport, p.src, p.sport])}#${p.seq}`));
  const syns = { client: synSet('client'), server: synSet('server') };
  const synAcks = { client: synAckSet('client'), server: synAckSet('server') };
  const ids = {};
  for (const side of ['client', 'server']) {
    ids[side] = new Set();
    for (const p of pk[side])
      if (p.payload) for (const m of p.payload.matchAll(ID_PATTERN)) ids[side].add(m[0]);
  }
  const present = (side, tuple, isn, responderIsn) => {
    if (!syns[side].has(`${tupleKey(tuple)}#${isn}`))
      bad(`${side}: no SYN ${tuple.join(' ')} with ISN ${isn}`);
    if (responderIsn != null && !synAcks[side].has(`${tupleKey(tuple)}#${responderIsn}`))
      bad(`${side}: no SYN-ACK for ${tuple.join(' ')} with ISN ${responderIsn}`);
  };
  for (const c of truth.connections) {
    present('client', c.client.tuple, c.client.isn, c.client.responderIsn);
    // Behind TLS the ids are encrypted on the client side; the server side still shows them.
    if (!truth.device.terminatesTls)
      for (const id of c.requests) if (!ids.client.has(id)) bad(`client: request ${id} not found in payload`);
    for (const s of c.server) {
      present('server', s.tuple, s.isn, s.responderIsn);
      for (const id of s.requests) if (!ids.server.has(id)) bad(`server: request ${id} not found in payload`);
    }
  }
  const clientConns = synAttempts(pk.client).filter((a) => a.tuple[0] === truth.addresses.client).length;
  if (clientConns !== truth.connections.length)
    bad(`client side has ${clientConns} connection attempts, truth lists ${truth.connections.length}`);

  // A dropped packet was seen arriving and never left: present on its near side, absent on the far side.
  // Identical packets can legitimately occur twice (a SYN-ACK re-sent in the same millisecond, IP ID 0), so
  // occurrences are counted: the far side must lack one copy for every drop of that exact packet.
  const tally = (list) => {
    const m = new Map();
    for (const p of list) m.set(packetKey(p), (m.get(packetKey(p)) ?? 0) + 1);
    return m;
  };
  const keys = { client: tally(pk.client), server: tally(pk.server) };
  for (const [dir, near, far] of [
    ['c2s', 'client', 'server'],
    ['s2c', 'server', 'client'],
  ]) {
    const dropped = new Map();
    for (const d of truth.drops[dir]) {
      const k = packetKey({ src: d.tuple[0], sport: d.tuple[1], dst: d.tuple[2], dport: d.tuple[3], ...d });
      dropped.set(k, (dropped.get(k) ?? 0) + 1);
    }
    for (const [k, n] of dropped) {
      const onNear = keys[near].get(k) ?? 0;
      const onFar = keys[far].get(k) ?? 0;
      if (onNear < n) bad(`drop ${dir} ${k}: ${n} dropped but ${onNear} on the ${near} side`);
      else if (onFar > onNear - n)
        bad(`drop ${dir} ${k} is on the ${far} side (${onFar} of ${onNear} copies arrived)`);
    }
  }

  // Expected anomalies are re-derived from the captures and must match exactly.
  const fmt = (a) => `${a.id} ${a.side} ${tupleKey(a.tuple)}#${a.isn} x${a.count}`;
  const derived = [
    ...handshakeAnomalies('client', pk.client, synAttempts(pk.client)),
    ...handshakeAnomalies('server', pk.server, synAttempts(pk.server)),
  ]
    .map(fmt)
    .sort();
  const listed = truth.anomalies.map(fmt).sort();
  if (derived.join('\n') !== listed.join('\n'))
    bad(`anomalies differ: captures show [${derived.join('; ')}], truth lists [${listed.join('; ')}]`);
  return problems;
}

const root = process.argv[2];
if (!root) {
  console.error('usage: node lab/check.mjs DIR');
  process.exit(2);
}
const dirs = existsSync(join(root, 'truth.json'))
  ? [root]
  : readdirSync(root)
      .map((d) => join(root, d))
      .filter((d) => statSync(d).isDirectory() && existsSync(join(d, 'truth.json')))
      .sort();
if (!dirs.length) {
  console.error(`check: no truth.json under ${root}`);
  process.exit(1);
}
let failed = 0;
for (const dir of dirs) {
  const problems = checkScenario(dir);
  if (problems.length) {
    failed++;
    console.error(`check: ${dir}: ${problems.length} problem(s)`);
    for (const p of problems.slice(0, 50)) console.error(`  - ${p}`);
  } else console.log(`check: ${dir}: ok`);
}
process.exit(failed ? 1 : 0);
