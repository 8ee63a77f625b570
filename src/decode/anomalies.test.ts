import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@jest/globals';
import { allAnomalies } from '../common/anomaly.js';
import './anomalies.js';

test('every decode.* anomaly is documented in docs/anomalies.md with its severity, and nothing more', () => {
  const doc = readFileSync(join(process.cwd(), 'docs', 'anomalies.md'), 'utf8');
  const documented = [...doc.matchAll(/^\| `(decode\.[a-z0-9_]+)` \| (error|warning|note) \|/gm)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
  const defined = allAnomalies()
    .filter((a) => a.id.startsWith('decode.'))
    .map((a) => `${a.id} ${a.severity}`);
  expect(defined.length).toBeGreaterThan(10);
  expect(documented.sort()).toEqual(defined.sort());
});
