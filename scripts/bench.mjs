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
 *
 * Every measurement runs in its own child process (a fresh V8, so one benchmark's JIT state or garbage
 * cannot slow the next), on page-cached files, as one warm-up round then the median of several rounds.
 * Ratios come from this same run. The exit code is 0 whether goals are met or not (this is a report); it is
 * non-zero only when something fails to run or reads the wrong number of packets.
 *
 * Usage: npm run bench [-- --quick] [-- --rounds N] [-- --json FILE] [-- --no-tshark]
 *        [-- --only raw,read,decode,pcapParser,tshark,sessions] [-- --chunk KIB (our reader's read size)]
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

  /** Sessions end to end; memory is measured on the first (cold) round, the only one that allocates fresh. */
  async sessions(path) {
    const { openCapture } = await import(distUrl('capture/index.js'));
    const { Decoder } = await import(distUrl('decode/index.js'));
    const { SessionTable } = await import(distUrl('tcp/index.js'));
    return () => {
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
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
      const heapRetained = process.memoryUsage().heapUsed - heapBefore;
      return { packets, sessions: table.sessions.length, heapRetained };
    };
  },
};

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

async function runChild(kind, path, rounds) {
  const make = await childKinds[kind](path);
  const times = [];
  const cpuTimes = [];
  let result = null;
  let first = null;
  for (let r = 0; r <= rounds; r++) {
    global.gc?.();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    result = await make();
    const ns = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(c0);
    if (r === 0) first = result;
    else {
      // Round 0 is the warm-up.
      times.push(ns);
      cpuTimes.push((cpu.user + cpu.system) * 1000);
    }
  }
  const ru = process.resourceUsage();
  return { kind, path, times, cpuTimes, result, first, maxRssBytes: ru.maxRSS * 1024 };
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
    else throw new Error(`unknown argument: ${a}`);
  }
  args.rounds ??= args.quick ? 3 : 5;
  if (!Number.isInteger(args.rounds) || args.rounds < 1) throw new Error('--rounds needs a positive integer');
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

function measure(kind, path, rounds, timeoutMs, chunkKib) {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--child', kind, path, String(rounds)],
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
      'main,one',
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
  for (const stage of ['common', 'capture', 'decode', 'tcp']) {
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
    `method: page-cached files, each benchmark in a fresh process, 1 warm-up + ${args.rounds} rounds, median (range)`,
  );
  const stale = staleBuild();
  if (stale)
    out(`warning: ${stale} is newer than dist/: these figures are for an older build (npm run build)`);
  out();
  warmPageCache([pcap, pcapng, headers, oneConn]);

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
        `heap retained ${mib(f.heapRetained)} (${fmt(f.heapRetained / f.packets, 1)} B/packet, ` +
        `${fmt(f.heapRetained / Math.max(1, f.sessions), 0)} B/session)`,
    );
  }
  if (tshark && !tshark.error && tshark.maxRssBytes)
    out(`  ${'tshark conv,tcp'.padEnd(32)} peak RSS ${mib(tshark.maxRssBytes)}`);

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
  const [, , , kind, path, rounds] = process.argv;
  runChild(kind, path, Number(rounds)).then(
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
