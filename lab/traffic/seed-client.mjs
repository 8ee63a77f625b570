// Client for seed-wrong-synack: reproduces "a SYN answered with an ACK that does not acknowledge it, SYN
// retransmitted, no server-side SYN" with real state. The client abandons a connection through the proxy
// without telling it (its RST is dropped inside the client namespace), then reuses the same local port:
// the proxy, still ESTABLISHED on that 4-tuple, answers each new SYN with an RFC 5961 challenge ACK of the
// old connection. While the client's RSTs keep being dropped, every SYN retransmission gets another
// challenge ACK until the client gives up (net.ipv4.tcp_syn_retries in the client namespace bounds it).
// Then the drop rules are removed and the same port recovers: challenge ACK, RST, SYN again, success.
// Usage: node seed-client.mjs --target HOST:PORT --prefix NAME --log FILE --port P [--before N] [--after N]
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runConnection, runPool } from './http-conn.mjs';

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i], process.argv[i + 1]);
// ADDR:PORT, or [IPV6]:PORT.
const [, host, port] = /^\[?(.*?)\]?:(\d+)$/.exec(args.get('--target') ?? '') ?? [];
const target = { host, port: Number(port) };
const prefix = args.get('--prefix') ?? 'seed';
const logFile = args.get('--log') ?? '/dev/stdout';
const reusedPort = Number(args.get('--port') ?? 61001);
const before = Math.min(200, Number(args.get('--before') ?? 30));
const after = Math.min(200, Number(args.get('--after') ?? 30));
const write = (entry) => appendFileSync(logFile, `${JSON.stringify(entry)}\n`);

let conn = 0;
const id = (c) => `${prefix}-${String(c).padStart(4, '0')}-1`;
const shortJobs = (n) =>
  Array.from({ length: n }, () => {
    conn++;
    return { conn, requests: [{ id: id(conn), kind: 'r' }] };
  });
const dropRules = ['RST', 'FIN'].map((flag) => [
  'OUTPUT',
  '-p',
  'tcp',
  '--sport',
  String(reusedPort),
  '--tcp-flags',
  flag,
  flag,
  '-j',
  'DROP',
]);
const iptables = (op, rule) => execFileSync('iptables', [op, ...rule], { timeout: 5000 });

await runPool(target, shortJobs(before), 3, write);

conn++;
write(
  await runConnection(target, {
    conn,
    localPort: reusedPort,
    requests: [{ id: id(conn), kind: 'r' }],
    note: 'abandoned: the client resets it but its RST is dropped in the client namespace, so the proxy keeps it ESTABLISHED',
    abandon: (socket) => {
      for (const rule of dropRules) iptables('-A', rule);
      socket.resetAndDestroy();
    },
  }),
);
await sleep(1000);

conn++;
const failed = await runConnection(target, {
  conn,
  localPort: reusedPort,
  requests: [{ id: id(conn), kind: 'r' }],
  timeoutMs: 30000,
  note: 'same 4-tuple reused: every SYN is answered by the proxy with a challenge ACK of the abandoned connection; the client RSTs are dropped, so it gives up (tcp_syn_retries)',
});
// Packet counters of the two drop rules: how many RSTs (and FINs) the mbox never saw.
failed.clientDropped = {};
for (const line of execFileSync('iptables-save', ['-c'], { timeout: 5000, encoding: 'utf8' }).split('\n')) {
  const m = new RegExp(`^\\[(\\d+):\\d+\\] -A OUTPUT .*--sport ${reusedPort} .*--tcp-flags (\\w+) `).exec(
    line,
  );
  if (m) failed.clientDropped[m[2]] = Number(m[1]);
}
write(failed);
for (const rule of dropRules) iptables('-D', rule);
await sleep(500);

conn++;
write(
  await runConnection(target, {
    conn,
    localPort: reusedPort,
    requests: [{ id: id(conn), kind: 'r' }],
    timeoutMs: 30000,
    note: 'same 4-tuple again, RSTs no longer dropped: challenge ACK, the client RST clears the stale connection, and the SYN retransmitted at once (Linux re-arms the SYN timer to its minimum after an unacceptable ACK) succeeds',
  }),
);
await sleep(500);

await runPool(target, shortJobs(after), 3, write);
