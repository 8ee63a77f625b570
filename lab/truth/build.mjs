// Builds OUT/truth.json for one lab run from independent sources: the client's and the origin's logs
// (joined on request ids), the device's own logs (conntrack events, HAProxy and nginx logs), NFLOG copies
// of dropped packets, iptables counters and tshark's reading of both captures. Copies the captures to OUT,
// gzip-compressed when the scenario asks for it.
// Usage: node lab/truth/build.mjs RUN_DIR OUT_DIR
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FLAG, isSyn, isSynAck, readPackets, synAttempts, tupleKey } from '../lib/tshark.mjs';
import { crossCheckDeviceLogs } from './device-logs.mjs';
import { DEVICES } from './devices.mjs';
import { attemptPackets, handshakeAnomalies, segments } from './evidence.mjs';

const [runDir, outDir] = process.argv.slice(2);
if (!runDir || !outDir) throw new Error('usage: build.mjs RUN_DIR OUT_DIR');
const MOD = 2 ** 32;
const readJson = (f) => JSON.parse(readFileSync(join(runDir, f), 'utf8'));
const readLines = (f) =>
  existsSync(join(runDir, f))
    ? readFileSync(join(runDir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

const run = readJson('run.json');
const spec = DEVICES[run.scenario];
if (!spec) throw new Error(`no device description for scenario ${run.scenario}`);
const ext = (format) => (format === 'pcapng' ? 'pcapng' : 'pcap');
const files = {
  client: `client-side.${ext(run.clientFormat)}`,
  server: `server-side.${ext(run.serverFormat)}`,
};
const formatName = { 'pcap-us': 'pcap (microsecond)', 'pcap-ns': 'pcap (nanosecond)', pcapng: 'pcapng' };

const packets = {
  client: readPackets(join(runDir, files.client)),
  server: readPackets(join(runDir, files.server)),
};
const clientLog = readLines('client.log');
// The origin of seed-synack-retransmit is nginx (TCP_DEFER_ACCEPT); its access log plays the origin log.
const originLog = readLines(
  existsSync(join(runDir, 'origin-nginx.log')) ? 'origin-nginx.log' : 'origin.log',
).filter((e) => e.id);
const originById = new Map(originLog.map((e) => [e.id, e]));

/** Pairs SYN attempts with client log entries: same local port, in time order. */
function pairClientAttempts() {
  const attempts = synAttempts(packets.client).filter((a) => a.tuple[0] === run.addresses.client);
  const byPort = new Map();
  for (const e of clientLog) {
    const port = e.localPort ?? e.boundPort;
    if (!byPort.has(port)) byPort.set(port, []);
    byPort.get(port).push(e);
  }
  for (const list of byPort.values()) list.sort((a, b) => a.start - b.start);
  const used = new Map();
  const out = [];
  for (const a of attempts) {
    const list = byPort.get(a.tuple[1]) ?? [];
    const k = used.get(a.tuple[1]) ?? 0;
    used.set(a.tuple[1], k + 1);
    const entry = list[k];
    if (!entry)
      throw new Error(
        `client-side SYN from port ${a.tuple[1]} (frame ${a.synFrame}) has no client log entry`,
      );
    if (entry.remoteAddress !== a.tuple[2] || entry.remotePort !== a.tuple[3])
      throw new Error(
        `client log entry ${entry.conn} targets ${entry.remoteAddress}:${entry.remotePort}, SYN ${a.tuple}`,
      );
    out.push({ attempt: a, entry });
  }
  const loggedConnections = clientLog.length;
  if (out.length !== loggedConnections)
    throw new Error(`${loggedConnections} client log connections but ${out.length} client-side SYN attempts`);
  return out;
}

function responderIsn(side, attempt) {
  const p = packets[side].find(
    (q) =>
      isSynAck(q) &&
      q.src === attempt.tuple[2] &&
      q.sport === attempt.tuple[3] &&
      q.dst === attempt.tuple[0] &&
      q.dport === attempt.tuple[1] &&
      q.ack === (attempt.isn + 1) % MOD &&
      q.t >= attempt.first,
  );
  return p ? p.seq : null;
}

const serverAttempts = synAttempts(packets.server).filter((a) => a.tuple[2] === run.addresses.server);
const serverKey = (a) => `${tupleKey(a.tuple)}#${a.isn}`;

/** The server-side attempt that carried a request the origin logged (latest SYN on that tuple before it). */
function serverAttemptForRequest(id) {
  const o = originById.get(id);
  if (!o) return null;
  const tuple = [o.peerAddress, o.peerPort, o.localAddress, o.localPort];
  let best = null;
  for (const a of serverAttempts)
    if (tupleKey(a.tuple) === tupleKey(tuple) && a.first <= o.time + 0.001) best = a;
  if (!best) throw new Error(`request ${id}: origin saw ${tuple} but no server-side SYN has that tuple`);
  return best;
}

const terminating = spec.device.terminatesTcp;
const pairs = pairClientAttempts();
const connections = [];
for (const { attempt, entry } of pairs) {
  const ids = entry.requests.map((r) => r.id);
  const servers = new Map();
  for (const id of ids) {
    const s = serverAttemptForRequest(id);
    if (!s) continue;
    if (!servers.has(serverKey(s))) servers.set(serverKey(s), { attempt: s, requests: [] });
    servers.get(serverKey(s)).requests.push(id);
  }
  // A pass-through device keeps the client's ISN on the server side (c2s sequence unchanged in every
  // non-terminating scenario), so connections without requests are still paired, by ISN.
  if (!terminating && servers.size === 0) {
    const s = serverAttempts.find((a) => a.isn === attempt.isn && Math.abs(a.first - attempt.first) < 5);
    if (s) servers.set(serverKey(s), { attempt: s, requests: [] });
  }
  if (!terminating)
    for (const { attempt: s } of servers.values())
      if (s.isn !== attempt.isn)
        throw new Error(`pass-through device but ISN ${attempt.isn} became ${s.isn}`);
  const conn = {
    client: {
      tuple: attempt.tuple,
      isn: attempt.isn,
      responderIsn: responderIsn('client', attempt),
      synTimes: attempt.synTimeStrings,
    },
    server: [...servers.values()].map(({ attempt: s, requests }) => ({
      tuple: s.tuple,
      isn: s.isn,
      responderIsn: responderIsn('server', s),
      requests,
    })),
    requests: ids,
    log: {
      conn: entry.conn,
      start: entry.start,
      connected: entry.connected,
      end: entry.end,
      error: entry.error,
    },
  };
  if (entry.note) conn.note = entry.note;
  if (entry.clientDropped) conn.clientDropped = entry.clientDropped;
  connections.push({ conn, attempt });
}

// ---- behaviours confirmed by evidence
const evidence = {};
const clientAttempts = connections.map((c) => c.attempt);
const nextOnTuple = (a) =>
  clientAttempts.find((b) => b.first > a.first && tupleKey(b.tuple) === tupleKey(a.tuple))?.first ??
  Number.POSITIVE_INFINITY;
const serverNextOnTuple = (a) =>
  serverAttempts.find((b) => b.first > a.first && tupleKey(b.tuple) === tupleKey(a.tuple))?.first ??
  Number.POSITIVE_INFINITY;

let ttlPairs = 0;
let ttlDecremented = 0;
let resegmented = 0;
let segmentPairs = 0;
let tsTranslated = 0;
// Handshake order of pass-through connections (one clock: both captures are taken on the mbox).
const handshake = { pairs: 0, synAckBeforeServerSyn: 0, serverSynAfterClientAck: 0, seqShifted: 0 };
for (const { conn, attempt } of connections) {
  const cp = attemptPackets(packets.client, attempt, nextOnTuple(attempt));
  for (const s of conn.server) {
    const sa = serverAttempts.find((a) => serverKey(a) === `${tupleKey(s.tuple)}#${s.isn}`);
    const sp = attemptPackets(packets.server, sa, serverNextOnTuple(sa));
    if (!terminating) {
      // Answered locally: the client-side SYN-ACK precedes the server-side SYN. Delayed connect: the
      // server-side SYN follows the client's handshake ACK (a router forwards the SYN at once).
      const synAck = cp.find((p) => isSynAck(p) && p.ack === (attempt.isn + 1) % MOD);
      const clientAck =
        synAck &&
        cp.find(
          (p) =>
            p.src === attempt.tuple[0] &&
            p.t >= synAck.t &&
            p.flags === FLAG.ACK &&
            p.ack === (synAck.seq + 1) % MOD,
        );
      if (synAck) {
        handshake.pairs++;
        if (synAck.t < sa.first) handshake.synAckBeforeServerSyn++;
        if (clientAck && clientAck.t < sa.first) handshake.serverSynAfterClientAck++;
      }
      // TTL of the first client data segment on each side (same seq: c2s numbering is kept).
      const c = cp.find((p) => p.len > 0 && p.src === attempt.tuple[0]);
      const v = c && sp.find((p) => p.len > 0 && p.src === s.tuple[0] && p.seq === c.seq);
      if (c && v) {
        ttlPairs++;
        if (v.ttl === c.ttl - 1) ttlDecremented++;
      }
      // Server-to-client numbering differs by the two SYN-ACKs' ISNs (SYNPROXY's cookie vs the server's).
      if (conn.client.responderIsn != null && s.responderIsn != null) {
        const offset = (conn.client.responderIsn - s.responderIsn + MOD) % MOD;
        s.seqOffset = { c2s: 0, s2c: offset };
        if (offset !== 0) handshake.seqShifted++;
        // Timestamps are translated when none of the server's data segments reaches the client side with
        // its TSval unchanged (one surviving twin is enough: drops and retransmissions do not count).
        const clientSide = new Set(
          cp
            .filter((p) => p.len > 0 && p.src !== attempt.tuple[0])
            .map((p) => `${p.seq}|${p.len}|${p.tsval}`),
        );
        const serverData = sp.filter((p) => p.len > 0 && p.src !== s.tuple[0]);
        if (
          serverData.length &&
          !serverData.some((p) => clientSide.has(`${(p.seq + offset) % MOD}|${p.len}|${p.tsval}`))
        )
          tsTranslated++;
      }
    } else if (spec.device.kind === 'l4-proxy' && conn.server.length === 1) {
      // Resegmentation: the same stream bytes cut into different segment sizes on the two legs (L4 only:
      // an L7 proxy edits the bytes, so its segment sizes cannot be compared).
      for (const forward of [true, false]) {
        const a = segments(cp, attempt.tuple, forward).map((x) => x[1]);
        const b = segments(sp, s.tuple, forward).map((x) => x[1]);
        if (!a.length && !b.length) continue;
        segmentPairs++;
        if (a.join(',') !== b.join(',')) resegmented++;
      }
    }
  }
}
evidence.ttl = { pairs: ttlPairs, decremented: ttlDecremented };
evidence.segments = { directions: segmentPairs, differing: resegmented };
evidence.timestampsTranslated = tsTranslated;
evidence.handshake = handshake;
const everyPair = (n) => handshake.pairs > 0 && n === handshake.pairs;

const anomalies = [
  ...handshakeAnomalies('client', packets.client, synAttempts(packets.client)),
  ...handshakeAnomalies('server', packets.server, serverAttempts),
];

// Dropped packets, as NFLOG copied them just before the DROP verdict.
const drops = { c2s: [], s2c: [] };
run.nflogGroups.forEach((group, i) => {
  const dir = i === 0 ? 'c2s' : 's2c';
  const file = join(runDir, `nflog-${group}.pcap`);
  if (!existsSync(file)) return;
  for (const p of readPackets(file, false))
    if (p.tcp)
      drops[dir].push({
        tuple: [p.src, p.sport, p.dst, p.dport],
        seq: p.seq,
        ack: p.ack,
        flags: p.flags,
        len: p.len,
        ipId: p.ipId,
        tsval: p.tsval,
        time: p.time,
      });
});

const serverUse = new Map();
for (const { conn } of connections)
  for (const s of conn.server)
    serverUse.set(`${tupleKey(s.tuple)}#${s.isn}`, (serverUse.get(`${tupleKey(s.tuple)}#${s.isn}`) ?? 0) + 1);
const pooled = [...serverUse.values()].filter((n) => n > 1).length;
evidence.serverConnectionsSharedByClientConnections = pooled;

const firstClientRequest = Math.min(...packets.client.filter((p) => p.len > 0).map((p) => p.t));
const firstServerSyn = serverAttempts[0]?.first ?? Number.POSITIVE_INFINITY;
const deviceLogs = crossCheckDeviceLogs(
  runDir,
  run,
  connections.map((c) => c.conn),
  originLog,
);
evidence.deviceLogs = deviceLogs.summary;
// X-Forwarded-For can only reach the origin if the device inserted it: the client never sends one.
evidence.requestsWithXForwardedFor = originLog.filter((e) => e.xForwardedFor).length;

const seen = {
  'decrements-ttl': ttlPairs > 0 && ttlDecremented === ttlPairs,
  'rewrites-source-port': connections.some(({ conn }) =>
    conn.server.some((s) => s.tuple[1] !== conn.client.tuple[1]),
  ),
  resegments: resegmented > 0,
  'pools-connections': pooled > 0,
  // A pass-through device delays the connect if it waits for the client's ACK on every connection; a
  // terminating one if it waits for the request (its handshake alone is part of terminating).
  'delays-server-connect': terminating
    ? firstServerSyn > firstClientRequest
    : everyPair(handshake.serverSynAfterClientAck),
  'answers-syn': everyPair(handshake.synAckBeforeServerSyn),
  'rewrites-sequence': handshake.seqShifted > 0,
  'rewrites-options': tsTranslated > 0,
  'modifies-payload': evidence.requestsWithXForwardedFor > 0,
  'ignores-handshake-ack': anomalies.some(
    (a) => a.side === 'server' && a.id === 'tcp.handshake.synack_retransmitted_after_ack',
  ),
  'bogus-syn-ack': anomalies.some((a) => a.side === 'client' && a.id === 'tcp.handshake.synack_bad_ack'),
  'drops-packets': drops.c2s.length + drops.s2c.length > 0,
};
if (!terminating && ttlPairs > 0 && ttlDecremented !== ttlPairs)
  throw new Error(`TTL decremented on ${ttlDecremented} of ${ttlPairs} forwarded segments`);
const behaviours = [...spec.always, ...spec.whenSeen.filter((b) => seen[b])].sort();
// Evidence of a behaviour this device is not expected to show is reported, never silently dropped.
const expected = new Set([...spec.always, ...spec.whenSeen]);
// Through a terminating device the legs are different connections: their ports and connect times differ
// by construction, which is no rewrite and no extra delay.
const impliedByTermination = new Set(['rewrites-source-port', 'delays-server-connect']);
const unexpected = Object.keys(seen).filter(
  (b) => seen[b] && !expected.has(b) && !(terminating && impliedByTermination.has(b)),
);
for (const b of unexpected)
  deviceLogs.notes.push(
    `evidence of ${b} in this run although the device is not expected to show it: investigate`,
  );
if (unexpected.length) console.error(`${run.scenario}: unexpected evidence of ${unexpected.join(', ')}`);

// ---- counts and files
const countSide = (list) => ({
  packets: list.length,
  tcp: list.filter((p) => p.tcp).length,
  syns: list.filter(isSyn).length,
  synAcks: list.filter(isSynAck).length,
  rsts: list.filter((p) => p.flags & FLAG.RST).length,
});
const allRequests = clientLog.flatMap((e) => e.requests);
const counts = {
  client: countSide(packets.client),
  server: countSide(packets.server),
  connections: connections.length,
  requests: allRequests.length,
  requestsAnswered: allRequests.filter((r) => r.status === 200 && r.echoedId === r.id).length,
  requestsLoggedByOrigin: originLog.length,
};

const out = { client: files.client, server: files.server };
for (const side of ['client', 'server']) {
  const src = join(runDir, files[side]);
  if (run.gzip) {
    out[side] = `${files[side]}.gz`;
    writeFileSync(join(outDir, out[side]), gzipSync(readFileSync(src), { level: 9 }));
  } else copyFileSync(src, join(outDir, files[side]));
}

const truth = {
  schema: 'dualcap.truth/1',
  scenario: run.scenario,
  description: readFileSync(join(runDir, 'description.txt'), 'utf8').trim(),
  generated: new Date(run.trafficStart * 1000).toISOString(),
  software: readJson('versions.json'),
  addresses: run.addresses,
  captures: {
    client: out.client,
    server: out.server,
    formats: { client: formatName[run.clientFormat], server: formatName[run.serverFormat] },
    interfaces: { client: 'mc (mbox, client-facing)', server: 'ms (mbox, server-facing)' },
  },
  device: spec.device,
  behaviours,
  evidence: { ...evidence, notes: deviceLogs.notes },
  connections: connections.map((c) => c.conn),
  drops,
  anomalies,
  counts,
  iptables: readIptablesCounters(),
};
writeFileSync(join(outDir, 'truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
console.log(
  `${run.scenario}: ${connections.length} connections, ${counts.requests} requests, behaviours ${behaviours.join(' ')}, ` +
    `${anomalies.length} anomaly entries, drops ${drops.c2s.length}/${drops.s2c.length}`,
);

/** Rules with packet counters from `iptables-save -c` in the mbox (and the client, for the seed). */
function readIptablesCounters() {
  const out = {};
  for (const [ns, file] of [
    ['mbox', 'iptables-mbox.txt'],
    ['client', 'iptables-client.txt'],
  ]) {
    if (!existsSync(join(runDir, file))) continue;
    const rules = [];
    let table = '';
    for (const line of readFileSync(join(runDir, file), 'utf8').split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      const m = /^\[(\d+):(\d+)\] (-A .*)$/.exec(line);
      if (m) rules.push({ table, rule: m[3], packets: Number(m[1]), bytes: Number(m[2]) });
    }
    if (rules.length) out[ns] = rules;
  }
  return out;
}
