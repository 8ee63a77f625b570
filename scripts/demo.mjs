#!/usr/bin/env node
// `npm run demo`: run dualcap on the bundled sample captures.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const samples = 'samples';
const dirs = existsSync(samples)
  ? readdirSync(samples, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  : [];
const pick = dirs.includes('routed') ? 'routed' : dirs[0];
if (!pick) {
  console.error('demo: no samples/ found');
  process.exit(2);
}
const files = readdirSync(join(samples, pick)).filter((f) => /^(client|server)-side\./.test(f)).sort();
let status = 0;
for (const f of files) {
  const file = join(samples, pick, f);
  console.log(`\n$ dualcap inspect ${file}\n`);
  const r = spawnSync(process.execPath, ['dist/cli.js', 'inspect', file], { stdio: 'inherit' });
  status ||= r.status ?? 1;
}
process.exit(status);
