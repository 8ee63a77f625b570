#!/usr/bin/env node
/**
 * Generates the benchmark captures into bench-data/ (git-ignored), deterministically from a seed:
 *
 *   synth.pcap / synth.pcapng   >= 2,000,000 TCP packets in >= 100,000 connections (IPv4 and 15 % IPv6,
 *                               frames of 54..1514 bytes, rare retransmissions and reordering); classic
 *                               pcap in microseconds, pcapng in nanoseconds with a few packet comments
 *   synth-s128.pcap             the same packets cut to 128 bytes (tcpdump -s 128): every header, little
 *                               payload, so reading is bound by the decoder's CPU rather than by copying
 *   synth-1conn.pcap            one connection of >= 2,000,000 packets (sequence numbers wrap): the
 *                               memory-per-connection check
 *   nat-inside.pcap, nat-outside.pcap
 *                               >= 1,000,000 packets each: the same traffic on both sides of a source NAT
 *                               (address/port rewritten, TTL - 1, outside clock offset and skewed)
 *   nat-truth.json / .tsv       the NAT's parameters and every connection's mapping, for scoring
 *   synth.json                  what was generated, with which parameters, and how long it took
 *
 * Usage: node scripts/synth.mjs [--quick | --scale N] [--out DIR] [--seed N] [--only main,one,nat] [--force]
 * With --quick every file is a tenth of the size (names prefixed "quick-"); --scale N divides every count by
 * N (names prefixed "scaleN-"; tests use it for tiny sets). Files whose parameters match
 * the existing synth.json are not rewritten unless --force is given.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeFrame, PayloadPool } from './synth/frames.mjs';
import { NAT_V4, NAT_V6, natPair } from './synth/nat.mjs';
import { Prng } from './synth/prng.mjs';
import { runTraffic } from './synth/traffic.mjs';
import { PcapngWriter, PcapWriter } from './synth/writers.mjs';

/** 2026-01-01T00:00:00Z: the first packet's time. */
const BASE_SEC = 1_767_225_600;
const MAX_FRAME = 1514;

function parseArgs(argv) {
  const args = {
    scale: 1,
    out: 'bench-data',
    seed: 20261122,
    only: ['main', 'one', 'nat'],
    force: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.scale = 10;
    else if (a === '--scale') args.scale = Number(argv[++i]);
    else if (a === '--force') args.force = true;
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else if (a === '--only') args.only = argv[++i].split(',');
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        `${
          readFileSync(new URL(import.meta.url))
            .toString()
            .split('*/')[0]
        }*/\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument: ${a}`);
  }
  if (!Number.isInteger(args.seed)) throw new Error('--seed needs an integer');
  if (!Number.isInteger(args.scale) || args.scale < 1) throw new Error('--scale needs a positive integer');
  return args;
}

const prefixFor = (scale) => (scale === 1 ? '' : scale === 10 ? 'quick-' : `scale${scale}-`);

/** The three data sets and their sizes, every count divided by `scale`. */
function plans(scale) {
  const prefix = prefixFor(scale);
  return {
    main: {
      files: [`${prefix}synth.pcap`, `${prefix}synth.pcapng`, `${prefix}synth-s128.pcap`],
      headerSnaplen: 128,
      targetPackets: Math.ceil(2_000_000 / scale),
      minConnections: Math.ceil(100_000 / scale),
      concurrency: Math.min(512, Math.ceil(100_000 / scale / 8)),
      meanGapNs: 5_000,
      ipv6Share: 0.15,
    },
    one: {
      files: [`${prefix}synth-1conn.pcap`],
      targetPackets: Math.ceil(2_000_000 / scale),
      minConnections: 1,
      concurrency: 1,
      meanGapNs: 5_000,
      ipv6Share: 0,
      endless: true,
    },
    nat: {
      files: [
        `${prefix}nat-inside.pcap`,
        `${prefix}nat-outside.pcap`,
        `${prefix}nat-truth.json`,
        `${prefix}nat-truth.tsv`,
      ],
      targetPackets: Math.ceil(1_000_000 / scale),
      minConnections: Math.ceil(50_000 / scale),
      concurrency: Math.min(512, Math.ceil(50_000 / scale / 8)),
      meanGapNs: 10_000,
      ipv6Share: 0.15,
      latencyNs: [20_000, 120_000],
      // More than twice the largest latency, so that no packet is answered before the device has forwarded
      // what it answers, on either side.
      minSpacingNs: 250_000,
      offsetNs: 1_250_000_321,
      skewPpm: 35,
    },
  };
}

const split = (relNs) => [BASE_SEC + Math.floor(relNs / 1e9), relNs % 1e9];

function generateMain(dir, plan, seed) {
  const rng = new Prng(seed);
  const pool = new PayloadPool(rng);
  const pcap = new PcapWriter(join(dir, plan.files[0]), 'us');
  const pcapng = new PcapngWriter(join(dir, plan.files[1]));
  const headers = new PcapWriter(join(dir, plan.files[2]), 'us', plan.headerSnaplen);
  const frame = new Uint8Array(MAX_FRAME);
  const sizes = { min: Infinity, max: 0, bytes: 0, ipv6: 0, retransmissions: 0 };
  const result = runTraffic({ ...plan, rng, pool }, (d, relNs) => {
    const view = d.conn;
    const len = encodeFrame(frame, d, pool, {
      clientIp: view.clientIp,
      clientPort: view.clientPort,
      clientHops: 0,
      serverHops: 0,
    });
    const [sec, nsec] = split(relNs);
    pcap.write(sec, nsec, frame, len);
    const n = pcapng.packets + 1;
    pcapng.write(sec, nsec, frame, len, n % 100_000 === 0 ? `marker ${n}` : null);
    headers.write(sec, nsec, frame, len);
    trackSizes(sizes, d, len);
  });
  return { ...result, ...sizes, bytesOnDisk: [pcap.close(), pcapng.close(), headers.close()] };
}

function generateOne(dir, plan, seed) {
  const rng = new Prng(seed + 1);
  const pool = new PayloadPool(rng);
  const pcap = new PcapWriter(join(dir, plan.files[0]), 'us');
  const frame = new Uint8Array(MAX_FRAME);
  const sizes = { min: Infinity, max: 0, bytes: 0, ipv6: 0, retransmissions: 0 };
  const result = runTraffic({ ...plan, rng, pool }, (d, relNs) => {
    const view = d.conn;
    const len = encodeFrame(frame, d, pool, {
      clientIp: view.clientIp,
      clientPort: view.clientPort,
      clientHops: 0,
      serverHops: 0,
    });
    const [sec, nsec] = split(relNs);
    pcap.write(sec, nsec, frame, len);
    trackSizes(sizes, d, len);
  });
  return { ...result, ...sizes, bytesOnDisk: [pcap.close()] };
}

function generateNat(dir, plan, seed) {
  const rng = new Prng(seed + 2);
  const pool = new PayloadPool(rng);
  const inside = new PcapWriter(join(dir, plan.files[0]), 'ns');
  const outside = new PcapWriter(join(dir, plan.files[1]), 'ns');
  const pair = natPair(
    {
      rng: new Prng(seed + 3),
      pool,
      latencyNs: plan.latencyNs,
      offsetNs: plan.offsetNs,
      skewPpm: plan.skewPpm,
      scratch: new Uint8Array(MAX_FRAME),
    },
    (t, frame, len) => inside.write(...split(t), frame, len),
    (t, frame, len) => outside.write(...split(t), frame, len),
  );
  const result = runTraffic({ ...plan, rng, pool }, (d, relNs) => pair.packet(d, relNs));
  const truth = pair.finish();
  const ip = (b) => (b.length === 4 ? b.join('.') : formatV6(b));
  const rows = ['# id\tfamily\tclient\tclient_port\tnat\tnat_port\tserver\tserver_port'];
  for (const c of truth) {
    const nat = c.family === 4 ? NAT_V4 : NAT_V6;
    rows.push(
      `${c.id}\t${c.family}\t${ip(c.clientIp)}\t${c.clientPort}\t${ip(nat)}\t${c.natPort}\t${ip(c.serverIp)}\t${c.serverPort}`,
    );
  }
  writeFileSync(join(dir, plan.files[3]), `${rows.join('\n')}\n`);
  const params = {
    description: 'Source NAT between nat-inside (clients, side A) and nat-outside (servers, side B).',
    natAddresses: [ip(NAT_V4), ip(NAT_V6)],
    natPortRange: [1024, 65535],
    ttlDecrement: 1,
    deviceLatencyNs: plan.latencyNs,
    clock: {
      rule: 'outside_ns = inside_ns + offsetNs + round(inside_ns_since_start * skewPpm / 1e6)',
      startSec: BASE_SEC,
      offsetNs: plan.offsetNs,
      skewPpm: plan.skewPpm,
    },
    connections: truth.length,
    packetsPerSide: [inside.packets, outside.packets],
  };
  writeFileSync(join(dir, plan.files[2]), `${JSON.stringify(params, null, 2)}\n`);
  return { ...result, packetsPerSide: params.packetsPerSide, bytesOnDisk: [inside.close(), outside.close()] };
}

function formatV6(b) {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function trackSizes(s, d, len) {
  if (len < s.min) s.min = len;
  if (len > s.max) s.max = len;
  s.bytes += len;
  if (d.conn.family === 6) s.ipv6++;
  if (d.retransmission) s.retransmissions++;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = resolve(process.cwd(), args.out);
  mkdirSync(dir, { recursive: true });
  const all = plans(args.scale);
  const manifestPath = join(dir, `${prefixFor(args.scale)}synth.json`);
  const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : {};
  const generators = { main: generateMain, one: generateOne, nat: generateNat };
  for (const name of args.only) {
    const plan = all[name];
    if (!plan) throw new Error(`unknown data set '${name}' (main, one, nat)`);
    const key = JSON.stringify({ plan, seed: args.seed });
    const prev = manifest[name];
    if (
      !args.force &&
      prev?.key === key &&
      plan.files.every(
        (f, i) =>
          existsSync(join(dir, f)) &&
          (prev.bytesOnDisk[i] === undefined || statSync(join(dir, f)).size === prev.bytesOnDisk[i]),
      )
    ) {
      process.stdout.write(`${name}: up to date (${plan.files.join(', ')})\n`);
      continue;
    }
    const t0 = process.hrtime.bigint();
    const result = generators[name](dir, plan, args.seed);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    manifest[name] = { key, files: plan.files, seconds: Number(seconds.toFixed(2)), ...result };
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const mb = result.bytesOnDisk.reduce((a, b) => a + b, 0) / 2 ** 20;
    process.stdout.write(
      `${name}: ${result.packets.toLocaleString('en')} packets, ${result.connections.toLocaleString('en')} connections, ` +
        `${mb.toFixed(0)} MiB in ${seconds.toFixed(1)} s -> ${plan.files.join(', ')}\n`,
    );
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`synth: ${e instanceof Error ? e.message : e}\n`);
  process.exit(1);
}
