/**
 * The lab's checker (plain JavaScript, run without a build) keeps its own copy of the behaviour vocabulary
 * and device kinds; this keeps that copy equal to the diagnosis stage's, so truth files and verdicts can
 * never drift apart.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { BEHAVIOUR_IDS, DEVICE_KINDS } from '../../src/diagnose/types.js';

function setLiteral(source: string, name: string): string[] {
  const m = new RegExp(`const ${name} = new Set\\(\\[([^\\]]*)\\]\\)`).exec(source);
  if (!m) throw new Error(`lab/check.mjs: no ${name} set`);
  return [...m[1]!.matchAll(/'([^']+)'/g)].map((x) => x[1]!);
}

const check = readFileSync('lab/check.mjs', 'utf8');

test('the lab checker knows exactly the diagnosis stage behaviour ids', () => {
  expect(setLiteral(check, 'BEHAVIOURS').sort()).toEqual([...BEHAVIOUR_IDS].sort());
});

test('the lab checker knows every device kind a scenario can have (all but unknown)', () => {
  expect(setLiteral(check, 'KINDS').sort()).toEqual(DEVICE_KINDS.filter((k) => k !== 'unknown').sort());
});
