/**
 * Where the shared third-party conformance corpus lives: `../shared/corpus` beside the repository. A lone
 * clone has no `../shared`; tests then skip with a visible message instead of failing.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function corpusDir(): string | null {
  const dir = resolve(process.cwd(), '..', 'shared', 'corpus');
  return existsSync(join(dir, 'MANIFEST.tsv')) ? dir : null;
}

/** Print once, visibly, why a conformance suite is skipped. */
export function announceSkip(suite: string): void {
  process.stdout.write(`\n[skip] ${suite}: ../shared/corpus not found next to the repository; skipped.\n`);
}

/** Every capture in the corpus that has a NAME.expected.json beside it, as paths relative to the corpus. */
export function corpusCaptures(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const full = join(dir, r);
      if (statSync(full).isDirectory()) walk(r);
      else if (!name.endsWith('.expected.json') && existsSync(`${full}.expected.json`)) out.push(r);
    }
  };
  walk('');
  return out;
}
