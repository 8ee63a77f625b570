#!/usr/bin/env node
/**
 * Throughput report on the synthetic 2M-packet captures (scripts/synth.mjs makes them if missing):
 *
 *   raw limit    readSync in 1 MiB chunks (as the reader), touching every record header and nothing else
 *   ours         openCapture (+ Decoder) from dist/: classic pcap, pcapng, and the same packets cut to
 *                128 bytes (header-only capture), where copying no longer dominates
 *   pcap-parser  the npm baseline, classic pcap, touching the same record-header fields
 *   tshark       `tshark -r FILE -q -z conv,tcp`, when installed
 *   sessions     dist/tcp SessionTable end to end, with peak memory, on the 100k-connection file and on the
 *                one-connection file (memory must not grow with packets per connection)
 *   correlate    dist/correlate `correlate(inside, outside)` end to end on the NAT pair (>= 1M packets a
 *                side), with the time of each step, peak memory, and pairs and clock alignment checked
 *                against the generator's truth
 *
 * Every measurement runs in its own child process (a fresh V8, so one benchmark's JIT state or garbage
 * cannot slow the next), on page-cached files, as one warm-up round then the median of several rounds.
 * Ratios come from this same run. The exit code is 0 whether goals are met or not (this is a report); it is
 * non-zero only when something fails to run, reads the wrong number of packets, or pairs connections
 * otherwise than the NAT pair's truth file says.
 *
 * Usage: npm run bench [-- --quick] [-- --rounds N] [-- --json FILE] [-- --no-tshark]
 *        [-- --only raw,read,decode,pcapParser,tshark,sessions,correlate] [-- --chunk KIB (our reader's read size)]
 *        [-- --corr-rounds N (correlation rounds; default 2 without a warm-up, with --quick as --rounds)]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const DIST = join(ROOT, 'dist');
const CHUNK = 1 << 20; // the reader's own default, so the limit compares like with like

const GOALS = {
  readDecodeMpps: 5,
  sessionsMpps: 2,
  correlateMpps: 1,
  vsPcapParser: 5,
};

// ---------------------------------------------------------------------------------------------------------
// Child side: one benchmark, several rounds, JSON on stdout.

const childKinds = {
  /** The limit: record headers walked in 1 MiB chunks with a carry-over for records split across chunks. */
  raw(path) {
    return path.endsWith('.pcapng') ? rawPcapng(path) : rawPcap(path);
  },

  async read(path) {
    const { openCapture } = await import(distUrl('capture/index.js'));
    return () => {
      const reader = openCapture(path, readerOptions());
      let packets = 0;
      let touch = 0;
      for (let rec = reader.next(); rec !== null; rec = reader.next()) {
        packets++;
        touch += rec.caplen + rec.len + rec.tsSec + rec.tsNsec;
      }
      const error = reader.error;
      reader.close();
      if (error) throw error;
      return { packets, touch };
    };
  },

  async decode(path) {
    const { openCapture } = await import(distUrl('capture/index.js'));
    const { Decoder } = await import(distUrl('decode/index.js'));
    return () => {
      const reader = openCapture(path, readerOptions());
      const decoder = new Decoder();
      let packets = 0;
      let touch = 0;
      // Same for a pcap and a pcapng of the same packets (timestamps excluded: their precision differs).
      let content = 0;
      for (let rec = reader.next(); rec !== null; rec = reader.next()) {
        const v = decoder.decode(rec);
        packets++;
        touch += rec.tsNsec;
        content =
          (Math.imul(content, 31) + v.srcPort + v.dstPort + v.flags + v.payloadLength + v.seq + v.src[3]) | 0;
      }
      const error = reader.error;
      reader.close();
      if (error) throw error;
      return { packets, touch, content };
    };
  },

  async pcapParser(path) {
    const { createRequire } = await import('node:module');
    const pcapp = createRequire(join(ROOT, 'package.json'))('pcap-parser');
    return () =>
      new Promise((resolvePromise, reject) => {
        const parser = pcapp.parse(path);
        let packets = 0;
        let touch = 0;
        parser.on('packet', (p) => {
          const h = p.header;
          packets++;
          touch +=
            h.capturedLength + h.originalLength + h.timestampSeconds + h.timestampMicroseconds + p.data[0];
        });
        parser.on('error', reject);
        parser.on('end', () => resolvePromise({ packets, touch }));
      });
  },

  /**
   * Sessions end to end; memory is measured on the first (cold) round, the only one that allocates fresh.
   * What the table keeps is on the JS heap and in typed arrays (its per-table stores), which V8 counts
   * apart (`arrayBuffers`): the retained figure is both.
   */
  async sessions(path) {
    const { openCapture } = await import(distUrl('capture/index.js'));
    const { Decoder } = await import(distUrl('decode/index.js'));
    const { SessionTable } = await import(distUrl('tcp/index.js'));
    return () => {
      global.gc?.();
      const before = process.memoryUsage();
      const reader = openCapture(path, readerOptions());
      const decoder = new Decoder();
      const table = new SessionTable();
      let packets = 0;
      for (let rec = reader.next(); rec !== null; rec = reader.next()) {
        table.onPacket(decoder.decode(rec));
        packets++;
      }
      const error = reader.error;
      reader.close();
      if (error) throw error;
      table.finish();
      global.gc?.();
      const after = process.memoryUsage();
      const heapOnly = after.heapUsed - before.heapUsed;
      const arrayBuffers = after.arrayBuffers - before.arrayBuffers;
      return {
        packets,
        sessions: table.sessions.length,
        heapRetained: heapOnly + arrayBuffers,
        heapOnly,
        arrayBuffers,
      };
    };
  },

  /**
   * Correlation end to end on the NAT pair: `correlate(inside, outside)` (pass 1 on both files, pairing and
   * clock alignment, pass 2), with the time of each step from `onStep`. The check against the generator's
   * truth runs after the clock stops: it is a sanity check of what was timed, not part of it.
   */
  async correlate(clientPath, serverPath, truthJsonPath, truthTsvPath) {
    const { correlate, toClientNs } = await import(distUrl('correlate/index.js'));
    const truth = JSON.parse(readFileSync(truthJsonPath, 'utf8'));
    const truthRows = readTruthTsv(truthTsvPath);
    return () => {
      // The page cache of this machine does not keep every benchmark file between the parent's warm-up and
      // a round tens of seconds later: read both files again just before, and count what still came from
      // the disk during the round (ru_inblock, 512-byte blocks).
      warmPageCache([clientPath, serverPath]);
      global.gc?.();
      // What the result keeps is on the JS heap and in typed arrays (the TCP stage's per-table stores),
      // which V8 counts apart (`arrayBuffers`): memory figures are both.
      const kept = () => {
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
      };
      const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
      const heapBefore = kept();
      let heapPeakSampled = heapBefore;
      const marks = [];
      const blocks0 = process.resourceUsage().fsRead;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const corr = correlate(clientPath, serverPath, {
        onStep: (step) => {
          marks.push([step, process.hrtime.bigint(), process.cpuUsage()]);
          heapPeakSampled = Math.max(heapPeakSampled, kept());
        },
      });
      const t1 = process.hrtime.bigint();
      const cpu = process.cpuUsage(c0);
      const diskReadBytes = (process.resourceUsage().fsRead - blocks0) * 512;
      heapPeakSampled = Math.max(heapPeakSampled, kept());
      const stepsNs = {};
      const cpuEnd = process.cpuUsage();
      // Per step, wall time under the step's name and CPU time (user + system, the collector's threads
      // included) under `cpu:` and the name.
      for (let i = 0; i < marks.length; i++) {
        stepsNs[marks[i][0]] = Number((marks[i + 1]?.[1] ?? t1) - marks[i][1]);
        const a = marks[i][2];
        const b = marks[i + 1]?.[2] ?? cpuEnd;
        stepsNs[`cpu:${marks[i][0]}`] = (b.user - a.user + b.system - a.system) * 1000;
      }
      global.gc?.();
      const heapRetained = kept() - heapBefore;
      const arrayBuffersRetained = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
      return {
        timedNs: Number(t1 - t0),
        timedCpuNs: (cpu.user + cpu.system) * 1000,
        packets: corr.client.packets + corr.server.packets,
        packetsPerSide: [corr.client.packets, corr.server.packets],
        stepsNs,
        diskReadBytes,
        heapPeakSampled: heapPeakSampled - heapBefore,
        heapRetained,
        arrayBuffersRetained,
        ...checkAgainstTruth(corr, truth, truthRows, toClientNs),
      };
    };
  },
};

/** The generator's mapping of every connection: client tuple -> server-side tuple, both as strings. */
function readTruthTsv(path) {
  const byClient = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [, , client, clientPort, nat, natPort, server, serverPort] = line.split('\t');
    byClient.set(
      tupleKey(client, clientPort, server, serverPort),
      tupleKey(nat, natPort, server, serverPort),
    );
  }
  return byClient;
}

/** IPv6 text in one canonical form, so that two ways of compressing zeros compare equal. */
function canonicalIp(ip) {
  if (!ip.includes(':')) return ip;
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === null ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':');
}

const tupleKey = (srcIp, srcPort, dstIp, dstPort) =>
  `${canonicalIp(srcIp)} ${Number(srcPort)} ${canonicalIp(dstIp)} ${Number(dstPort)}`;

/**
 * Pairs against the generator's truth (every pair, by client tuple: one server-side tuple, the one the NAT
 * made), and the alignment against the generator's clock rule. The rule maps inside (client) time to
 * outside (server) time: outside = inside + offset + skew * (inside - start), so the true client time of a
 * server-side instant y is (y - offset + skew * start) / (1 + skew), and the true skew of the client clock
 * against the server clock, the alignment's direction, is 1 / (1 + skew) - 1.
 */
function checkAgainstTruth(corr, truth, truthRows, toClientNs) {
  let agree = 0;
  let wrongServerTuple = 0;
  let notInTruth = 0;
  const kinds = {};
  const examples = [];
  for (const p of corr.pairs) {
    kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
    const t = p.clientTuple;
    const expected = truthRows.get(tupleKey(t.srcIp, t.srcPort, t.dstIp, t.dstPort));
    const s = p.serverTuples;
    const got = s.length === 1 ? tupleKey(s[0].srcIp, s[0].srcPort, s[0].dstIp, s[0].dstPort) : null;
    if (expected === undefined) notInTruth++;
    else if (got === expected) agree++;
    else {
      wrongServerTuple++;
      if (examples.length < 3)
        examples.push(`${tupleKey(t.srcIp, t.srcPort, t.dstIp, t.dstPort)} -> ${got}, truth ${expected}`);
    }
  }
  const a = corr.alignment;
  const skew = truth.clock.skewPpm * 1e-6;
  // ns between the truth's start and the correlation's base second (both sides count from baseSec).
  const baseShiftNs = (corr.baseSec - truth.clock.startSec) * 1e9;
  const trueClientNs = (serverNs) =>
    (serverNs + baseShiftNs - truth.clock.offsetNs) / (1 + skew) - baseShiftNs;
  const segs = a.segments;
  const from = segs[0]?.fromNs ?? Number.NaN;
  const to = segs[segs.length - 1]?.toNs ?? Number.NaN;
  let maxErrorNs = 0;
  // The mapping is piecewise linear: its largest error over the server span is at a segment end.
  for (const g of segs)
    for (const y of [g.fromNs, g.toNs])
      maxErrorNs = Math.max(maxErrorNs, Math.abs(toClientNs(a, y) - trueClientNs(y)));
  return {
    truthConnections: truth.connections,
    pairs: corr.pairs.length,
    unpaired: corr.unpaired.length,
    pairKinds: kinds,
    mapping: { agree, wrongServerTuple, notInTruth, examples },
    clock: {
      method: a.method,
      segments: segs.length,
      offsetNs: a.offsetNs,
      trueOffsetNs: trueClientNs(a.referenceNs) - a.referenceNs,
      skewPpm: a.skewPpm,
      skewEstimated: a.skewEstimated,
      trueSkewPpm: (1 / (1 + skew) - 1) * 1e6,
      boundNs: a.boundNs,
      maxErrorNs,
      serverSpanNs: to - from,
      warnings: a.warnings.map((w) => w.id),
    },
  };
}

/** Reader options for our benchmarks: `--chunk KIB` overrides the reader's default read size. */
function readerOptions() {
  const kib = Number(process.env.DUALCAP_BENCH_CHUNK_KIB);
  return kib > 0 ? { chunkSize: kib * 1024 } : {};
}

function distUrl(rel) {
  const path = join(DIST, rel);
  if (!existsSync(path)) throw new Error(`${path} missing: run npm run build`);
  return pathToFileURL(path).href;
}

// The raw loops read with DataView getUint32, which V8 compiles to plain loads: the cheapest way JS has to
// touch a header field, so these are a fair upper bound for any reader of the same files.

function rawPcap(path) {
  return () => {
    const fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(CHUNK + 65536);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let filled = readSync(fd, buf, 0, CHUNK, null);
    let at = 24; // global header
    let packets = 0;
    let touch = 0;
    for (;;) {
      if (filled - at < 16 || filled - at < 16 + view.getUint32(at + 8, true)) {
        // Carry the partial record to the front and read more behind it.
        buf.copy(buf, 0, at, filled);
        filled -= at;
        at = 0;
        const n = readSync(fd, buf, filled, CHUNK, null);
        if (n === 0) break;
        filled += n;
        continue;
      }
      const caplen = view.getUint32(at + 8, true);
      touch +=
        view.getUint32(at, true) + view.getUint32(at + 4, true) + caplen + view.getUint32(at + 12, true);
      packets++;
      at += 16 + caplen;
    }
    closeSync(fd);
    return { packets, touch };
  };
}

function rawPcapng(path) {
  return () => {
    const fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(CHUNK + 65536);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let filled = readSync(fd, buf, 0, CHUNK, null);
    let at = 0;
    let packets = 0;
    let touch = 0;
    for (;;) {
      if (filled - at < 12 || filled - at < view.getUint32(at + 4, true)) {
        buf.copy(buf, 0, at, filled);
        filled -= at;
        at = 0;
        const n = readSync(fd, buf, filled, CHUNK, null);
        if (n === 0) break;
        filled += n;
        continue;
      }
      const type = view.getUint32(at, true);
      const total = view.getUint32(at + 4, true);
      if (type === 6) {
        touch += view.getUint32(at + 8, true) + view.getUint32(at + 12, true) + view.getUint32(at + 16, true);
        touch +=
          view.getUint32(at + 20, true) +
          view.getUint32(at + 24, true) +
          view.getUint32(at + total - 4, true);
        packets++;
      }
      at += total;
    }
    closeSync(fd);
    return { packets, touch };
  };
}

async function runChild(kind, paths, rounds, warmup) {
  const make = await childKinds[kind](...paths);
  const times = [];
  const cpuTimes = [];
  let result = null;
  let first = null;
  const stepTimes = [];
  const start = warmup ? 0 : 1;
  for (let r = start; r <= rounds; r++) {
    global.gc?.();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    result = await make();
    // A benchmark that checks its result after timing reports the timed part itself.
    const ns = result.timedNs ?? Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(c0);
    const cpuNs = result.timedCpuNs ?? (cpu.user + cpu.system) * 1000;
    if (r === start) first = result;
    if (r > 0) {
      // Round 0 is the warm-up.
      times.push(ns);
      cpuTimes.push(cpuNs);
      if (result.stepsNs) stepTimes.push({ ...result.stepsNs, diskReadBytes: result.diskReadBytes });
    }
  }
  const ru = process.resourceUsage();
  return { kind, path: paths[0], times, cpuTimes, stepTimes, result, first, maxRssBytes: ru.maxRSS * 1024 };
}

// ---------------------------------------------------------------------------------------------------------
// Parent side

function parseArgs(argv) {
  const args = { quick: false, rounds: null, json: null, tshark: true, data: join(ROOT, 'bench-data') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--rounds') args.rounds = Number(argv[++i]);
    else if (a === '--json') args.json = resolve(argv[++i]);
    else if (a === '--no-tshark') args.tshark = false;
    else if (a === '--chunk') args.chunkKib = Number(argv[++i]);
    else if (a === '--only') args.only = new Set(argv[++i].split(','));
    else if (a === '--data') args.data = resolve(argv[++i]);
    else if (a === '--corr-rounds') args.corrRounds = Number(argv[++i]);
    else throw new Error(`unknown argument: ${a}`);
  }
  args.rounds ??= args.quick ? 3 : 5;
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error('--rounds needs a positive integer');
  // One correlation of the full pair takes tens of seconds: JIT warm-up is lost in it, so the full run skips
  // the warm-up round and measures two.
  args.corrWarmup = args.quick;
  args.corrRounds ??= args.quick ? args.rounds : 2;
  if (!Number.isInteger(args.corrRounds) || args.corrRounds < 1)
    throw new Error('--corr-rounds needs a positive integer');
  return args;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mpps = (packets, ns) => (packets / ns) * 1e3;
const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function measure(kind, path, rounds, timeoutMs, chunkKib, { extraPaths = [], warmup = true } = {}) {
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      fileURLToPath(import.meta.url),
      '--child',
      kind,
      String(rounds),
      warmup ? 'warmup' : 'no-warmup',
      path,
      ...extraPaths,
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      timeout: timeoutMs,
      env: { ...process.env, DUALCAP_BENCH_CHUNK_KIB: String(chunkKib ?? '') },
    },
  );
  if (child.error?.code === 'ETIMEDOUT' || child.signal === 'SIGTERM') {
    return { kind, path, error: `did not finish within ${timeoutMs / 1000} s (a reader that never ends?)` };
  }
  if (child.status !== 0) {
    const why = (child.stderr || child.stdout || '').trim().split('\n').slice(-3).join(' | ');
    return { kind, path, error: why || `exit ${child.status}` };
  }
  const r = JSON.parse(child.stdout);
  const ns = median(r.times);
  return {
    ...r,
    medianNs: ns,
    mpps: mpps(r.result.packets, ns),
    // Per CPU second of this process (user + system): what an idle core would give, roughly, when other
    // work shares the machine (GC helper threads count too, so it can be below the wall-clock figure).
    cpuMpps: mpps(r.result.packets, median(r.cpuTimes)),
    rangeMpps: [mpps(r.result.packets, Math.max(...r.times)), mpps(r.result.packets, Math.min(...r.times))],
  };
}

function machine() {
  const cpu = cpus();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {}
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (${(freemem() / 2 ** 30).toFixed(1)} GiB free)`,
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    loadavg: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    commit,
    date: new Date().toISOString(),
  };
}

function tsharkVersion() {
  try {
    return execFileSync('tshark', ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n')[0];
  } catch {
    return null;
  }
}

/** One timed tshark run: wall clock, user CPU and peak RSS from GNU time when present. */
function runTshark(path) {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const cmd = ['tshark', '-r', path, '-q', '-z', 'conv,tcp'];
  const t0 = process.hrtime.bigint();
  const child = timeBin
    ? spawnSync(timeBin, ['-f', 'TIME %e %U %S %M', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallNs = Number(process.hrtime.bigint() - t0);
  if (child.status !== 0) return { error: (child.stderr || '').trim().split('\n').slice(-2).join(' | ') };
  const conversations = child.stdout.split('\n').filter((l) => l.includes('<->')).length;
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(child.stderr ?? '');
  return {
    wallNs,
    userS: m ? Number(m[2]) : null,
    cpuS: m ? Number(m[2]) + Number(m[3]) : null,
    maxRssBytes: m ? Number(m[4]) * 1024 : null,
    conversations,
  };
}

function ensureData(args) {
  const synth = spawnSync(
    process.execPath,
    [
      join(ROOT, 'scripts', 'synth.mjs'),
      '--out',
      args.data,
      '--only',
      !args.only || args.only.has('correlate') ? 'main,one,nat' : 'main,one',
      ...(args.quick ? ['--quick'] : []),
    ],
    { stdio: 'inherit' },
  );
  if (synth.status !== 0) throw new Error('generating the benchmark captures failed');
  const manifest = JSON.parse(
    readFileSync(join(args.data, args.quick ? 'quick-synth.json' : 'synth.json'), 'utf8'),
  );
  return manifest;
}

/** A source file of a benchmarked stage changed after the build being measured, or null. */
function staleBuild() {
  const built = join(DIST, 'capture', 'index.js');
  if (!existsSync(built)) return null;
  const since = statSync(built).mtimeMs;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        const found = walk(p);
        if (found) return found;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && statSync(p).mtimeMs > since) {
        return p.slice(ROOT.length + 1);
      }
    }
    return null;
  };
  // Only the stages the benchmark runs.
  for (const stage of ['common', 'capture', 'decode', 'tcp', 'correlate']) {
    const found = existsSync(join(ROOT, 'src', stage)) ? walk(join(ROOT, 'src', stage)) : null;
    if (found) return found;
  }
  return null;
}

/** Reads each file once so every measured round runs from the page cache. */
function warmPageCache(paths) {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (const p of paths) {
    const fd = openSync(p, 'r');
    while (readSync(fd, buf, 0, CHUNK, null) > 0) {}
    closeSync(fd);
  }
}

/** The correlation's steps, memory, and pairs and clock against the generator's truth. */
function printCorrelation(out, r, nat) {
  const f = r.first;
  const steps = ['client', 'server', 'pairing', 'matching'];
  const names = {
    client: 'pass 1, client file',
    server: 'pass 1, server file',
    pairing: 'pairing + clock alignment',
    matching: 'pass 2, packet matching',
  };
  const total = median(r.times);
  out();
  out(
    `correlation: ${f.packets.toLocaleString('en')} packets in the two files, ` +
      `${nat.connections.toLocaleString('en')} connections; steps, median of ${r.times.length} round(s)`,
  );
  for (const step of steps) {
    const ns = median(r.stepTimes.map((s) => s[step] ?? Number.NaN));
    // Pairing reads no packets (only session summaries): a packet rate would mean nothing there.
    const packets =
      step === 'client'
        ? f.packetsPerSide[0]
        : step === 'server'
          ? f.packetsPerSide[1]
          : step === 'matching'
            ? f.packets
            : null;
    const rate =
      packets === null
        ? `${f.pairs.toLocaleString('en')} pairs from the sessions of both files`
        : `${fmt(mpps(packets, ns))} Mpps (${packets.toLocaleString('en')} packets)`;
    const cpuNs = median(r.stepTimes.map((s) => s[`cpu:${step}`] ?? Number.NaN));
    out(
      `  ${names[step].padEnd(28)} ${`${fmt(ns / 1e9, 2)} s`.padStart(9)}  ${`${fmt((100 * ns) / total, 0)} %`.padStart(5)}  ` +
        `CPU ${`${fmt(cpuNs / 1e9, 2)} s`.padStart(7)}  ${rate}`,
    );
  }
  out(
    `  read from disk during the round(s), not the page cache: ${r.stepTimes.map((s) => mib(s.diskReadBytes ?? 0)).join(', ')}`,
  );
  out(
    `  memory: peak RSS ${mib(r.maxRssBytes)}, heap and typed arrays at step ends up to ${mib(f.heapPeakSampled)}, ` +
      `retained by the result ${mib(f.heapRetained)} (${fmt(f.heapRetained / nat.connections, 0)} B/connection; ` +
      `typed arrays ${mib(f.arrayBuffersRetained ?? 0)})`,
  );
  const m = f.mapping;
  const missing = f.truthConnections - m.agree - m.wrongServerTuple;
  out(
    `  pairs: ${f.pairs.toLocaleString('en')} for ${f.truthConnections.toLocaleString('en')} connections in the truth; ` +
      `server-side tuple as the NAT made it: ${m.agree.toLocaleString('en')}, wrong: ${m.wrongServerTuple}, ` +
      `not in the truth: ${m.notInTruth}; truth connections without a pair: ${missing}; unpaired sessions ${f.unpaired}; ` +
      `kinds ${Object.entries(f.pairKinds)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}`,
  );
  for (const e of m.examples) out(`    wrong: ${e}`);
  const c = f.clock;
  out(
    `  clock: ${c.method}, ${c.segments} segment(s) over ${fmt(c.serverSpanNs / 1e9, 2)} s; offset ${fmt(c.offsetNs, 0)} ns ` +
      `(truth ${fmt(c.trueOffsetNs, 0)}, error ${fmt(c.offsetNs - c.trueOffsetNs, 0)} ns); skew ${fmt(c.skewPpm, 3)} ppm ` +
      `${c.skewEstimated ? '' : '(not estimated) '}(truth ${fmt(c.trueSkewPpm, 3)}); largest mapping error over the span ` +
      `${fmt(c.maxErrorNs, 0)} ns, stated bound ${fmt(c.boundNs, 0)} ns` +
      `${c.warnings.length ? `; warnings ${c.warnings.join(', ')}` : ''}`,
  );
}

const verdict = (value, goal) => (Number.isFinite(value) ? (value >= goal ? 'PASS' : 'MISS') : 'n/a');

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const manifest = ensureData(args);
  const [pcapName, pcapngName, headersName] = manifest.main.files;
  const pcap = join(args.data, pcapName);
  const pcapng = join(args.data, pcapngName);
  const headers = join(args.data, headersName);
  const oneConn = join(args.data, manifest.one.files[0]);
  const expected = manifest.main.packets;

  const m = machine();
  out();
  out(`dualcap benchmark${args.quick ? ' (--quick)' : ''}: ${m.date}, commit ${m.commit}`);
  out(
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memory}, ${m.platform}, Node ${m.node} (V8 ${m.v8}), load ${m.loadavg}`,
  );
  out(
    `data: ${pcapName} ${mib(statSync(pcap).size)}, ${pcapngName} ${mib(statSync(pcapng).size)}: ` +
      `${expected.toLocaleString('en')} packets, ${manifest.main.connections.toLocaleString('en')} connections ` +
      `(the same cut to 128 bytes: ${headersName} ${mib(statSync(headers).size)}); ` +
      `${manifest.one.files[0]} ${manifest.one.packets.toLocaleString('en')} packets in 1 connection`,
  );
  out(
    `method: page-cached files, each benchmark in a fresh process, 1 warm-up + ${args.rounds} rounds, median (range); ` +
      `correlation ${args.corrWarmup ? '1 warm-up + ' : 'no warm-up, '}${args.corrRounds} round(s)`,
  );
  const stale = staleBuild();
  if (stale)
    out(`warning: ${stale} is newer than dist/: these figures are for an older build (npm run build)`);
  out();
  const runCorrelation = !args.only || args.only.has('correlate');
  const natPaths = manifest.nat?.files.map((f) => join(args.data, f)) ?? null;
  const mainKinds = ['raw', 'read', 'decode', 'pcapParser', 'tshark', 'sessions'];
  const runMain = !args.only || mainKinds.some((k) => args.only.has(k));
  warmPageCache([
    ...(runMain ? [pcap, pcapng, headers, oneConn] : []),
    ...(runCorrelation && natPaths ? natPaths.slice(0, 2) : []),
  ]);

  const haveDist =
    existsSync(join(DIST, 'capture', 'index.js')) && existsSync(join(DIST, 'decode', 'index.js'));
  const haveTcp = existsSync(join(DIST, 'tcp', 'index.js'));
  const results = { machine: m, args: { quick: args.quick, rounds: args.rounds }, data: manifest, runs: {} };
  const rows = [];
  /** Failures to run or wrong packet counts: reported, and the exit code is then 1. */
  const errors = [];
  const run = (label, kind, path) => {
    if (args.only && !args.only.has(kind)) return { error: 'not run (--only)' };
    process.stderr.write(`  running ${label} ...\n`);
    const r = measure(kind, path, args.rounds, args.quick ? 120_000 : 900_000, args.chunkKib);
    results.runs[label] = r;
    if (r.error) {
      rows.push([label, 'ERROR', r.error]);
      errors.push(`${label}: ${r.error}`);
    } else {
      const count =
        r.result.packets === expected || path === oneConn
          ? ''
          : ` (read ${r.result.packets} packets, expected ${expected})`;
      if (count) errors.push(`${label}:${count}`);
      rows.push([
        label,
        `${fmt(r.mpps)} Mpps`,
        `(${fmt(r.rangeMpps[0])}-${fmt(r.rangeMpps[1])}), ${fmt(r.medianNs / 1e9, 3)} s; per CPU second ${fmt(r.cpuMpps)} Mpps${count}`,
      ]);
    }
    return r;
  };

  const rawPcapRun = run('raw limit, pcap', 'raw', pcap);
  const rawNgRun = run('raw limit, pcapng', 'raw', pcapng);
  const rawHeadersRun = run('raw limit, pcap -s 128', 'raw', headers);
  let readPcap = null;
  let decodePcap = null;
  let decodeNg = null;
  let decodeHeaders = null;
  if (haveDist) {
    readPcap = run('ours read, pcap', 'read', pcap);
    run('ours read, pcapng', 'read', pcapng);
    decodePcap = run('ours read+decode, pcap', 'decode', pcap);
    decodeNg = run('ours read+decode, pcapng', 'decode', pcapng);
    decodeHeaders = run('ours read+decode, pcap -s 128', 'decode', headers);
  } else rows.push(['ours', 'SKIP', 'dist/capture or dist/decode missing: run npm run build']);
  const parser = run('pcap-parser, pcap', 'pcapParser', pcap);

  let tshark = null;
  const tv = args.tshark && (!args.only || args.only.has('tshark')) ? tsharkVersion() : null;
  if (tv) {
    process.stderr.write('  running tshark -q -z conv,tcp (one round) ...\n');
    tshark = runTshark(pcap);
    results.runs.tshark = { version: tv, ...tshark };
    if (tshark.error) {
      rows.push(['tshark conv,tcp', 'ERROR', tshark.error]);
      errors.push(`tshark: ${tshark.error}`);
    } else {
      tshark.mpps = mpps(expected, tshark.wallNs);
      rows.push([
        'tshark conv,tcp, pcap',
        `${fmt(tshark.mpps, 3)} Mpps`,
        `${fmt(tshark.wallNs / 1e9, 1)} s wall, ${tshark.cpuS ? fmt(tshark.cpuS, 1) : '?'} s CPU (${tshark.cpuS ? fmt(expected / tshark.cpuS / 1e6, 3) : '?'} Mpps per CPU second), ${tshark.maxRssBytes ? mib(tshark.maxRssBytes) : '?'} peak RSS, ` +
          `${tshark.conversations.toLocaleString('en')} conversations (${tv.replace(/ \(.*$/, '')})`,
      ]);
    }
  } else
    rows.push([
      'tshark',
      'SKIP',
      !args.tshark
        ? '--no-tshark'
        : args.only && !args.only.has('tshark')
          ? '--only'
          : 'tshark not installed',
    ]);

  let sessions = null;
  let sessionsOne = null;
  if (haveDist && haveTcp) {
    sessions = run('sessions end to end, pcap', 'sessions', pcap);
    sessionsOne = run('sessions, 1 connection', 'sessions', oneConn);
  } else rows.push(['sessions', 'SKIP', 'dist/tcp missing: run npm run build once src/tcp exists']);

  let correlation = null;
  const natPackets = manifest.nat ? manifest.nat.packetsPerSide[0] + manifest.nat.packetsPerSide[1] : 0;
  if (runCorrelation && !natPaths) rows.push(['correlation', 'SKIP', 'no NAT pair in the data manifest']);
  else if (runCorrelation && !existsSync(join(DIST, 'correlate', 'index.js')))
    rows.push(['correlation', 'SKIP', 'dist/correlate missing: run npm run build']);
  else if (runCorrelation) {
    const label = 'correlation end to end, NAT pair';
    process.stderr.write(`  running ${label} (${args.corrRounds} round(s)) ...\n`);
    const [inside, outside, truthJson, truthTsv] = natPaths;
    correlation = measure(
      'correlate',
      inside,
      args.corrRounds,
      args.quick ? 300_000 : 1_800_000,
      args.chunkKib,
      {
        extraPaths: [outside, truthJson, truthTsv],
        warmup: args.corrWarmup,
      },
    );
    results.runs[label] = correlation;
    if (correlation.error) {
      rows.push([label, 'ERROR', correlation.error]);
      errors.push(`${label}: ${correlation.error}`);
    } else {
      const count =
        correlation.result.packets === natPackets
          ? ''
          : ` (read ${correlation.result.packets} packets, expected ${natPackets})`;
      if (count) errors.push(`${label}:${count}`);
      // A fast wrong answer is no result: pairs that disagree with the truth fail the run like a wrong count.
      const m = correlation.first.mapping;
      const unpairedTruth = correlation.first.truthConnections - m.agree - m.wrongServerTuple;
      if (m.wrongServerTuple || m.notInTruth || unpairedTruth)
        errors.push(
          `${label}: ${m.wrongServerTuple} pairs with the wrong server-side tuple, ${m.notInTruth} not in the truth, ` +
            `${unpairedTruth} truth connections without a pair`,
        );
      rows.push([
        label,
        `${fmt(correlation.mpps)} Mpps`,
        `(${fmt(correlation.rangeMpps[0])}-${fmt(correlation.rangeMpps[1])}), ${fmt(correlation.medianNs / 1e9, 1)} s; per CPU second ${fmt(correlation.cpuMpps)} Mpps${count}`,
      ]);
    }
  }

  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [a, b, c] of rows) out(`  ${a.padEnd(width)}  ${b.padStart(12)}  ${c}`);

  out();
  out('memory');
  for (const [label, r] of [
    [`sessions, ${manifest.main.connections.toLocaleString('en')} connections`, sessions],
    ['sessions, 1 connection', sessionsOne],
  ]) {
    if (!r || r.error) continue;
    const f = r.first;
    out(
      `  ${label.padEnd(32)} ${f.sessions.toLocaleString('en')} sessions, peak RSS ${mib(r.maxRssBytes)}, ` +
        `retained ${mib(f.heapRetained)} (${fmt(f.heapRetained / f.packets, 1)} B/packet, ` +
        `${fmt(f.heapRetained / Math.max(1, f.sessions), 0)} B/session; JS heap ${mib(f.heapOnly ?? f.heapRetained)}, ` +
        `typed arrays ${mib(f.arrayBuffers ?? 0)})`,
    );
  }
  if (tshark && !tshark.error && tshark.maxRssBytes)
    out(`  ${'tshark conv,tcp'.padEnd(32)} peak RSS ${mib(tshark.maxRssBytes)}`);
  if (correlation && !correlation.error) printCorrelation(out, correlation, manifest.nat);

  out();
  out('ratios (same run; wall clock, and per CPU second)');
  const ok = (r) => r && !r.error;
  const ratio = (a, b) =>
    ok(a) && ok(b) ? [a.mpps / b.mpps, a.cpuMpps / b.cpuMpps] : [Number.NaN, Number.NaN];
  if (ok(tshark)) tshark.cpuMpps = tshark.cpuS ? expected / tshark.cpuS / 1e6 : Number.NaN;
  const ratios = {
    decodeVsParser: ratio(decodePcap, parser),
    readVsParser: ratio(readPcap, parser),
    decodeVsRaw: ratio(decodePcap, rawPcapRun),
    decodeNgVsRaw: ratio(decodeNg, rawNgRun),
    decodeHeadersVsRaw: ratio(decodeHeaders, rawHeadersRun),
    decodeVsTshark: ratio(decodePcap, tshark),
    sessionsVsTshark: ratio(sessions, tshark),
  };
  results.ratios = ratios;
  const line = (label, [wall, cpu], digits = 2, unit = 'x') =>
    out(
      `  ${label.padEnd(44)} ${`${fmt(wall, digits)}${unit}`.padStart(8)}  ${`${fmt(cpu, digits)}${unit}`.padStart(8)}`,
    );
  line('ours read+decode / pcap-parser (read only)', ratios.decodeVsParser);
  line('ours read only   / pcap-parser', ratios.readVsParser);
  line('ours read+decode / raw limit, pcap', ratios.decodeVsRaw, 2, '');
  line('ours read+decode / raw limit, pcapng', ratios.decodeNgVsRaw, 2, '');
  line('ours read+decode / raw limit, pcap -s 128', ratios.decodeHeadersVsRaw, 2, '');
  line('ours read+decode / tshark conv,tcp', ratios.decodeVsTshark, 0);
  line('ours sessions    / tshark conv,tcp', ratios.sessionsVsTshark, 0);

  out();
  out('goals');
  const limit = rawPcapRun && !rawPcapRun.error ? rawPcapRun.mpps : Number.NaN;
  if (limit < GOALS.readDecodeMpps) {
    out(
      `  (the full-frame files cannot reach ${GOALS.readDecodeMpps} Mpps here: copying them from the page cache alone ` +
        `runs at ${fmt(limit)} Mpps; the -s 128 file measures the reader and decoder themselves)`,
    );
  }
  // Verdicts go by wall clock, as a user would time it; the per-CPU-second verdict says what the same run
  // would give without the other load on the machine (see the load average printed above).
  const goal = (label, value, cpuValue, target, unit) => {
    const cpuPart = Number.isFinite(cpuValue)
      ? `per CPU second ${fmt(cpuValue)}${unit} ${verdict(cpuValue, target)}`
      : '';
    out(
      `  ${label.padEnd(40)} ${`${fmt(value)}${unit}`.padStart(10)}  goal >= ${target}${unit}  ` +
        `${verdict(value, target)}   ${cpuPart}`,
    );
    return {
      value,
      cpuValue,
      target,
      pass: verdict(value, target),
      passPerCpuSecond: verdict(cpuValue, target),
    };
  };
  const wall = (r) => (ok(r) ? r.mpps : Number.NaN);
  const cpu = (r) => (ok(r) ? r.cpuMpps : Number.NaN);
  const mppsGoal = (label, r, target) => goal(label, wall(r), cpu(r), target, ' Mpps');
  results.goals = {
    decodePcap: mppsGoal('read+decode, pcap (one core)', decodePcap, GOALS.readDecodeMpps),
    decodePcapng: mppsGoal('read+decode, pcapng (one core)', decodeNg, GOALS.readDecodeMpps),
    decodeHeaders: mppsGoal('read+decode, pcap -s 128 (one core)', decodeHeaders, GOALS.readDecodeMpps),
    vsParser: goal('read+decode vs pcap-parser', ...ratios.decodeVsParser, GOALS.vsPcapParser, 'x'),
    readVsParser: goal('read only vs pcap-parser', ...ratios.readVsParser, GOALS.vsPcapParser, 'x'),
    sessions: mppsGoal('sessions end to end', sessions, GOALS.sessionsMpps),
    correlate: mppsGoal('correlation end to end (one core)', correlation, GOALS.correlateMpps),
  };
  const f100k = sessions?.first;
  const f1 = sessionsOne?.first;
  if (f100k && f1) {
    // The one-connection file has as many packets as the 100k-connection file: if memory grew with packets
    // per connection, it would need at least as much.
    const flat = f1.heapRetained < f100k.heapRetained;
    results.goals.memoryFlat = {
      oneConnection: f1.heapRetained,
      manyConnections: f100k.heapRetained,
      pass: flat ? 'PASS' : 'MISS',
    };
    out(
      `  ${'memory flat in packets per connection'.padEnd(44)} ${mib(f1.heapRetained).padStart(10)}  ` +
        `< ${mib(f100k.heapRetained)} (${manifest.main.connections.toLocaleString('en')} connections)  ${flat ? 'PASS' : 'MISS'}`,
    );
  }
  if (decodePcap?.result && decodeNg?.result && !decodePcap.error && !decodeNg.error) {
    const same =
      decodePcap.result.content === decodeNg.result.content &&
      decodePcap.result.packets === decodeNg.result.packets;
    results.goals.sameContent = same;
    out(
      `  ${'pcap and pcapng decode to the same packets'.padEnd(44)} ${same ? 'yes' : 'NO: decoders disagree'}`,
    );
  }

  results.errors = errors;
  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
    out(`\nresults written to ${args.json}`);
  }
  if (errors.length) {
    out(`\nerrors:\n${errors.map((e) => `  ${e}`).join('\n')}`);
    process.exitCode = 1;
  }
}

if (process.argv[2] === '--child') {
  const [, , , kind, rounds, warmup, ...paths] = process.argv;
  runChild(kind, paths, Number(rounds), warmup === 'warmup').then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (e) => {
      process.stderr.write(`${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
} else {
  main().catch((e) => {
    process.stderr.write(`bench: ${e?.stack ?? e}\n`);
    process.exit(1);
  });
}
