/**
 * Shared pieces of the CLI tests: a lab scenario's two capture paths, and what the commands write to
 * stderr during each test (captured, not printed).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, jest } from '@jest/globals';
import { loadTruth, samplesDir } from './truth.js';

/** The client-side and server-side capture of a lab scenario, relative to the repository root. */
export function sampleSides(scenario: string): [string, string] {
  const t = loadTruth(join(samplesDir(), scenario));
  return [join('samples', scenario, t.captures.client), join('samples', scenario, t.captures.server)];
}

export interface CapturedStderr {
  /** What was written since the test began or since the last `clear()`. */
  readonly text: string;
  clear(): void;
}

/** Captures process.stderr for every test of the calling file (call at the file's top level). */
export function captureStderr(): CapturedStderr {
  let text = '';
  beforeEach(() => {
    text = '';
    void jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      text += String(s);
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  return {
    get text() {
      return text;
    },
    clear() {
      text = '';
    },
  };
}
