#!/usr/bin/env node
// `npm run demo`: run `dualcap analyze` on a bundled pair of captures (the first seed thread: a middlebox
// answering a SYN with an ACK that does not acknowledge it), show the text report, and write the HTML report
// and the annotated merged pcapng next to it (demo-output/), saying where they are.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const samples = 'samples';
const dirs = existsSync(samples)
  ? readdirSync(samples, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];
const pick = process.argv[2] ?? (dirs.includes('seed-wrong-synack') ? 'seed-wrong-synack' : dirs[0]);
if (!pick || !existsSync(join(samples, pick))) {
  console.error(`demo: no samples/${pick ?? ''} found`);
  process.exit(2);
}
const files = readdirSync(join(samples, pick));
const side = (name) => files.find((f) => f.startsWith(`${name}-side.`));
const client = side('client');
const server = side('server');
if (!client || !server) {
  console.error(`demo: samples/${pick} needs a client-side and a server-side capture`);
  process.exit(2);
}
const run = (args) => {
  console.log(`$ dualcap ${args.join(' ')}\n`);
  return spawnSync(process.execPath, ['dist/cli.js', ...args], { stdio: 'inherit' }).status ?? 1;
};
const inputs = [join(samples, pick, client), join(samples, pick, server)];
let status = run(['analyze', ...inputs]);
if (status === 0) {
  const out = 'demo-output';
  mkdirSync(out, { recursive: true });
  const html = join(out, `${pick}.html`);
  const merged = join(out, `${pick}-merged.pcapng`);
  console.log('');
  status = run(['analyze', ...inputs, '--format', 'html', '-o', html, '--merge', merged]);
  if (status === 0) {
    console.log(`HTML report:           ${resolve(html)}  (open it in any browser)`);
    console.log(
      `merged pcapng:         ${resolve(merged)}  (open it in Wireshark; filter frame.comment contains "dropped")`,
    );
  }
}
process.exit(status);
