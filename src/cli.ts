#!/usr/bin/env node
import { main } from './cli/program.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // An internal error, not the user's fault: say so plainly and keep the stack for a bug report.
    process.stderr.write(
      `dualcap: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 70;
  },
);
