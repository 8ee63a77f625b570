/**
 * The command-line program: commander wiring only. Each command lives in its own module under src/cli/.
 */
import { Command, CommanderError, Option } from 'commander';
import { SORT_KEYS } from '../report/sessions-select.js';
import { type AnalyzeArgs, analyze, analyzeOptions, checkOutputPath } from './analyze.js';
import { inspect, renderInspectText } from './inspect.js';
import { EXIT_OK, EXIT_USAGE, EXIT_VERIFY_FAILED, TextSink, UsageError } from './output.js';
import { EXPECTABLE_KINDS } from './policy.js';
import { type SessionsArgs, sessions, sessionsOptions } from './sessions.js';
import { renderVerifyText, type VerifyArgs, verify } from './verify.js';
import { VERSION } from './version.js';

/** What a run of the program reports back; commands set `exitCode` instead of touching `process`. */
export interface RunState {
  exitCode: number;
}

export function buildProgram(state: RunState = { exitCode: EXIT_OK }): Command {
  const program = new Command();
  program
    .name('dualcap')
    .description(
      'Correlate packet captures taken on both sides of a middlebox and say, with evidence, what the device did.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('inspect')
    .description(
      'Summarise a capture file (pcap, pcapng, gzip-compressed), or list its packets as JSON lines.',
    )
    .argument('<file>', 'capture file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'jsonl']))
    .option('--packets', 'one JSON object per packet (implies --format jsonl)')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action((file: string, o: { format?: string; packets?: boolean; output?: string }) => {
      const format = (o.format ?? (o.packets ? 'jsonl' : 'text')) as 'text' | 'json' | 'jsonl';
      if (o.packets && format !== 'jsonl')
        throw new UsageError('--packets writes JSON lines: use --format jsonl');
      if (format === 'jsonl' && !o.packets)
        throw new UsageError('--format jsonl lists packets: add --packets');
      const sink = new TextSink(o.output);
      const summary = inspect(file, sink, { format, packets: Boolean(o.packets) });
      if (format === 'text') sink.write(renderInspectText(summary));
      else if (format === 'json') sink.line(JSON.stringify(summary, null, 2));
      sink.close();
      for (const a of summary.anomalies) {
        if (a.severity !== 'note' && format === 'jsonl')
          process.stderr.write(`dualcap: ${file}: ${a.id}: ${a.count}\n`);
      }
      if (summary.error) {
        process.stderr.write(`dualcap: ${summary.error.message}\n`);
        state.exitCode = EXIT_USAGE;
      }
    });

  program
    .command('sessions')
    .description(
      'List the TCP sessions of a capture (endpoints, history, bytes, handshake, close, anomalies), or the packets of one session.',
    )
    .argument('<file>', 'capture file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'jsonl']))
    .addOption(
      new Option('--sort <key>', 'order (default start; bytes, duration, anomalies: largest first)').choices(
        SORT_KEYS,
      ),
    )
    .option('--host <addr>', 'only sessions with this IPv4/IPv6 address at either end')
    .option('--port <n>', 'only sessions with this port at either end')
    .option('--anomaly <id>', 'only sessions that raised this analysis id or id prefix (e.g. tcp.handshake)')
    .option('--since <time>', 'only sessions still active at or after this time')
    .option('--until <time>', 'only sessions started at or before this time')
    .option('--limit <n>', 'show at most n sessions')
    .option('--session <n>', "list the packets of session n (tshark's tcp.stream n)")
    .option('--raw', 'with --session: also raw sequence and acknowledgement numbers')
    .option('--utc', 'print and read times in UTC instead of local time')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action((file: string, o: SessionsArgs & { output?: string }) => {
      const opts = sessionsOptions(o);
      const sink = new TextSink(o.output);
      let result: ReturnType<typeof sessions>;
      try {
        result = sessions(file, sink, opts);
      } finally {
        sink.close();
      }
      for (const w of result.warnings) process.stderr.write(`dualcap: ${file}: ${w}\n`);
      if (result.error) {
        process.stderr.write(`dualcap: ${result.error}\n`);
        state.exitCode = EXIT_USAGE;
      }
    });

  program
    .command('analyze')
    .description(
      'Correlate a capture taken on the client side of a middlebox with one taken on its server side, and report what the device did.',
    )
    .argument('<client-side>', 'capture taken between the clients and the device')
    .argument('<server-side>', 'capture taken between the device and the servers')
    .addOption(
      new Option(
        '-f, --format <format>',
        'output format (html: one self-contained page, use with -o)',
      ).choices(['text', 'json', 'html']),
    )
    .option('--vip <addr>', 'address (or prefix) the clients connect to')
    .option('--device-ip <addr>', 'address (or prefix) the device connects to the servers from')
    .option('--server-net <prefix>', 'where the servers are, e.g. 10.0.2.0/24')
    .option(
      '--offset <duration>',
      'add to server-side times to get client-side times: "3h17m", "-250ms", "11820.5" (s)',
    )
    .option('--skew <ppm>', 'server-side clock rate error in parts per million (with or without --offset)')
    .option('--pair <id>', 'show this pair side by side (ids as in the JSON report)')
    .option('--client-port <n>', 'show the connections from this client-side port side by side')
    .option('--raw', 'side-by-side view: raw sequence and acknowledgement numbers')
    .option(
      '--merge <file>',
      'also write both captures merged into one annotated pcapng (docs/merged-pcapng.md)',
    )
    .option(
      '--anonymize',
      'pseudonymise addresses, cut payloads, withhold file names in every output (docs/anonymize.md)',
    )
    .option(
      '--anonymize-key <key>',
      '64 hex digits or a passphrase: the same pseudonyms in every run with this key (implies --anonymize)',
    )
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action((clientSide: string, serverSide: string, o: AnalyzeArgs & { output?: string }) => {
      const opts = analyzeOptions(o);
      if (o.output !== undefined && o.output !== '-')
        checkOutputPath('--output', o.output, clientSide, serverSide, [
          { name: '--merge', path: opts.merge },
        ]);
      const result = analyze(clientSide, serverSide, opts);
      const sink = new TextSink(o.output);
      try {
        result.render((text) => sink.write(text));
      } finally {
        sink.close();
      }
      for (const w of result.warnings) process.stderr.write(`dualcap: warning: ${w}\n`);
    });

  program
    .command('verify')
    .description(
      'Check what the device did against an expected kind or a policy file: each rule with pass or fail and its evidence; exit 0 pass, 1 fail, 2 bad input.',
    )
    .argument('<client-side>', 'capture taken between the clients and the device')
    .argument('<server-side>', 'capture taken between the device and the servers')
    .option('--expect <kind>', `expected device kind: ${EXPECTABLE_KINDS.join(', ')}`)
    .option('--policy <file>', 'policy file (JSON or YAML, see docs/verify.md)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']))
    .option('--vip <addr>', 'address (or prefix) the clients connect to')
    .option('--device-ip <addr>', 'address (or prefix) the device connects to the servers from')
    .option('--server-net <prefix>', 'where the servers are, e.g. 10.0.2.0/24')
    .option(
      '--offset <duration>',
      'add to server-side times to get client-side times: "3h17m", "-250ms", "11820.5" (s)',
    )
    .option('--skew <ppm>', 'server-side clock rate error in parts per million')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action((clientSide: string, serverSide: string, o: VerifyArgs & { output?: string }) => {
      const result = verify(clientSide, serverSide, o);
      const sink = new TextSink(o.output);
      try {
        sink.write(o.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderVerifyText(result));
      } finally {
        sink.close();
      }
      if (!result.pass) state.exitCode = EXIT_VERIFY_FAILED;
    });

  return program;
}

/** Runs the program; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const state: RunState = { exitCode: EXIT_OK };
  const program = buildProgram(state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are "errors" to commander with exit code 0
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`dualcap: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && err.syscall) {
      process.stderr.write(`dualcap: ${err.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
