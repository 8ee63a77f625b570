#!/usr/bin/env node
// `npm run demo`: run `dualcap analyze` on a bundled pair of captures (the first seed thread: a middlebox
// answering a SYN with an ACK that does not acknowledge it) and show the text report.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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
const args = ['analyze', join(samples, pick, client), join(samples, pick, server)];
console.log(`$ dualcap ${args.join(' ')}\n`);
const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
