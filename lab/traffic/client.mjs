// Lab client: a bounded mix of short HTTP/1.1 connections and a few long uploads/downloads, a few at a
// time. Every request id is unique over all scenarios (prefix + connection + request number) and appears in
// the path and in X-Request-Id. Logs one JSON line per connection.
// Usage: node client.mjs --target HOST:PORT --prefix NAME --log FILE [--short N] [--concurrency C]
//   [--multi-every K] [--down BYTES,...] [--up BYTES,...] [--silent-every K --silent-ms MS]
//   [--tls-ca CERT_FILE] [--pad-max N]
// --tls-ca speaks TLS, trusting CERT_FILE; --pad-max adds an X-Pad header of 0..N bytes, varied per connection.
import { appendFileSync, readFileSync } from 'node:fs';
import { runPool } from './http-conn.mjs';

const args = new Map();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i], process.argv[i + 1]);
// ADDR:PORT, or [IPV6]:PORT.
const [, host, port] = /^\[?(.*?)\]?:(\d+)$/.exec(args.get('--target') ?? '') ?? [];
const prefix = args.get('--prefix') ?? 'lab';
const logFile = args.get('--log') ?? '/dev/stdout';
const short = Math.min(1000, Number(args.get('--short') ?? 50));
const concurrency = Math.max(1, Math.min(16, Number(args.get('--concurrency') ?? 4)));
const multiEvery = Number(args.get('--multi-every') ?? 0);
const silentEvery = Number(args.get('--silent-every') ?? 0);
const silentMs = Number(args.get('--silent-ms') ?? 3000);
const sizes = (name) => (args.get(name) ? args.get(name).split(',').map(Number) : []);
const downs = sizes('--down');
const padMax = Math.max(0, Math.min(4000, Number(args.get('--pad-max') ?? 0)));
const ca = args.get('--tls-ca') ? readFileSync(args.get('--tls-ca')) : undefined;
const ups = sizes('--up');

const id = (conn, req) => `${prefix}-${String(conn).padStart(4, '0')}-${req}`;
const jobs = [];
const longs = [
  ...downs.map((bytes) => ({ kind: 'down', bytes })),
  ...ups.map((bytes) => ({ kind: 'up', bytes })),
];
// Long transfers are spread through the run so they overlap short connections.
const longEvery = longs.length ? Math.max(1, Math.floor(short / (longs.length + 1))) : 0;
for (let n = 1, longIndex = 0; n <= short; n++) {
  const conn = jobs.length + 1;
  const count = multiEvery && n % multiEvery === 0 ? 3 : 1;
  // Pad sizes step by 7919 mod (padMax + 1) from one connection to the next: varied, and the same every run.
  const pad = (k) => (padMax ? (conn * 7919 + k * 104729) % (padMax + 1) : 0);
  const requests = Array.from({ length: count }, (_, k) => ({ id: id(conn, k + 1), kind: 'r', pad: pad(k) }));
  const job = { conn, requests };
  if (silentEvery && n % silentEvery === 0) job.silentMs = silentMs;
  jobs.push(job);
  if (longEvery && n % longEvery === 0 && longIndex < longs.length) {
    const long = longs[longIndex++];
    const c = jobs.length + 1;
    jobs.push({ conn: c, requests: [{ id: id(c, 1), ...long }], timeoutMs: 60000 });
  }
}

await runPool({ host, port: Number(port), ca }, jobs, concurrency, (entry) =>
  appendFileSync(logFile, `${JSON.stringify(entry)}\n`),
);
