/**
 * Scratch directories for tests that write files: all of one test file's directories live under one root,
 * which test/setup/scratch-cleanup.ts removes after the file's tests, so runs leave nothing in the temporary
 * directory. Jest gives each test file its own module registry, hence its own root.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let root: string | null = null;

/** A new empty directory named after `prefix` (e.g. 'pair-'), removed after the test file. */
export function scratchDir(prefix: string): string {
  root ??= mkdtempSync(join(tmpdir(), 'dualcap-test-'));
  return mkdtempSync(join(root, prefix));
}

/** Removes every directory `scratchDir` made in this test file. */
export function removeScratch(): void {
  if (root !== null) rmSync(root, { recursive: true, force: true });
  root = null;
}
