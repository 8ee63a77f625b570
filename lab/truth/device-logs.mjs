// Cross-checks the connection mapping (joined from client and origin logs) against what the device itself
// recorded: conntrack events, HAProxy's log (client port and server-side source port per connection) and
// nginx's log (client port and upstream per request). A disagreement stops the build: truth that two
// independent sources do not confirm is not truth.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const key = (t) => t.join('|');

function readText(runDir, file) {
  const f = join(runDir, file);
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
}

/** conntrack -E NEW events: original and reply tuples. */
export function conntrackNew(text) {
  const out = [];
  const re =
    /\[NEW\].*?src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+).*?src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    out.push({
      orig: [m[1], Number(m[3]), m[2], Number(m[4])],
      reply: [m[5], Number(m[7]), m[6], Number(m[8])],
    });
  }
  return out;
}

export function crossCheckDeviceLogs(runDir, run, connections, originLog) {
  const summary = {};
  const notes = [];
  const fail = (msg) => {
    throw new Error(`device log disagrees with client/origin logs: ${msg}`);
  };

  // conntrack: every connection was tracked; for a pass-through device its reply tuple is the server leg.
  const events = conntrackNew(readText(runDir, 'conntrack.log'));
  const byOrig = new Map();
  for (const e of events) {
    if (!byOrig.has(key(e.orig))) byOrig.set(key(e.orig), []);
    byOrig.get(key(e.orig)).push(e);
  }
  let mapped = 0;
  let present = 0;
  const passThrough = ![
    'haproxy-tcp',
    'haproxy-v6',
    'haproxy-tls',
    'haproxy-tls-pool',
    'nginx-pool',
    'seed-wrong-synack',
  ].includes(run.scenario);
  for (const c of connections) {
    const evs = byOrig.get(key(c.client.tuple));
    if (evs) present++;
    if (!passThrough || !evs) continue;
    for (const s of c.server) {
      const want = key([s.tuple[2], s.tuple[3], s.tuple[0], s.tuple[1]]);
      if (!evs.some((e) => key(e.reply) === want))
        fail(`conntrack maps ${c.client.tuple} elsewhere than ${s.tuple}`);
      mapped++;
    }
  }
  summary.conntrack = { newEvents: events.length, clientTuplesTracked: present, serverLegsConfirmed: mapped };
  if (present < connections.length)
    notes.push(
      `conntrack reported ${present} of ${connections.length} client tuples (a SYN dropped or answered locally creates no event)`,
    );

  // HAProxy: "ci=.. cp=.. bi=.. bp=.." per connection, written when the connection ends.
  const haproxy = readText(runDir, 'haproxy.log')
    .split('\n')
    .filter((l) => l.includes('dualcap ci='))
    .map((l) =>
      Object.fromEntries(
        l
          .slice(l.indexOf('dualcap ') + 8)
          .split(' ')
          .map((kv) => kv.split('=')),
      ),
    );
  if (haproxy.length) {
    let confirmed = 0;
    for (const h of haproxy) {
      const cands = connections.filter((c) => c.client.tuple[1] === Number(h.cp));
      if (!cands.length) fail(`HAProxy logged client port ${h.cp} which no client connection used`);
      if (h.bp === '-' || !h.bp) continue;
      const ok = cands.some((c) => c.server.some((s) => s.tuple[1] === Number(h.bp) && s.tuple[0] === h.bi));
      const noRequests = cands.every((c) => c.requests.length === 0 || c.server.length === 0);
      if (!ok && !noRequests) fail(`HAProxy paired client port ${h.cp} with ${h.bi}:${h.bp}`);
      if (ok) confirmed++;
    }
    summary.haproxy = { lines: haproxy.length, serverLegsConfirmed: confirmed };
  }

  // nginx: one JSON line per request with the client port and the upstream it used.
  const nginx = readText(runDir, 'nginx-access.log')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  if (nginx.length) {
    const connOf = new Map();
    for (const c of connections) for (const id of c.requests) connOf.set(id, c);
    let confirmed = 0;
    for (const n of nginx) {
      const c = connOf.get(n.id);
      if (!c) fail(`nginx logged request ${n.id} that no client connection sent`);
      if (Number(n.remotePort) !== c.client.tuple[1]) fail(`nginx saw ${n.id} from port ${n.remotePort}`);
      const o = originLog.find((e) => e.id === n.id);
      if (o && n.upstream !== `${o.localAddress}:${o.localPort}`) fail(`nginx sent ${n.id} to ${n.upstream}`);
      confirmed++;
    }
    summary.nginx = { lines: nginx.length, requestsConfirmed: confirmed };
  }
  return { summary, notes };
}
