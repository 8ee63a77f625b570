/**
 * Correlation: two captures of the same traffic, one on each side of a middlebox, in three steps
 * (see types.ts): pass 1 reads each file into sessions, pairing relates them and aligns the clocks, pass 2
 * reads both files again in aligned time order and matches packets within pairs.
 */

import { statSync } from 'node:fs';
import { type MatchOptions, matchPackets } from './match.js';
import { type PairingResult, type PairOptions, pairSessions } from './pair.js';
import { loadSide } from './side.js';
import type { Correlation, SideData } from './types.js';

export type { ClockAlignment } from './clock.js';
export { toClientNs, toServerNs } from './clock.js';
export type { MatchEvent, MatchOptions, MatchStats } from './match.js';
export type { PairOptions } from './pair.js';
export { loadSide } from './side.js';
export * from './types.js';

export interface CorrelateOptions extends PairOptions {
  match?: MatchOptions;
  /** Analyse the files in the order given even when they look swapped (a warning still says so). */
  keepOrder?: boolean;
  /** Called between steps, for progress output: 'client', 'server', 'pairing', 'matching'. */
  onStep?: (step: 'client' | 'server' | 'pairing' | 'matching') => void;
  /**
   * Called while the files are read, with work done and total work in bytes: pass 1 reads each file once,
   * pass 2 both again, so the total is twice the two files' sizes. Pairing, between the passes, reads
   * nothing and reports nothing.
   */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Correlate a client-side and a server-side capture. Throws the CaptureError of a file that cannot be
 * opened; a file cut short or corrupt part way is used up to the problem (see SideData.error).
 */
export function correlate(clientPath: string, serverPath: string, opts: CorrelateOptions = {}): Correlation {
  const progress = opts.onProgress;
  let total = 0;
  let clientSize = 0;
  if (progress) {
    try {
      clientSize = statSync(clientPath).size;
      total = 2 * (clientSize + statSync(serverPath).size);
    } catch {
      // the reader says what is wrong with the file
    }
  }
  opts.onStep?.('client');
  const client = loadSide(clientPath, 'client', progress ? { onProgress: (n) => progress(n, total) } : {});
  opts.onStep?.('server');
  const server = loadSide(
    serverPath,
    'server',
    progress ? { onProgress: (n) => progress(clientSize + n, total) } : {},
  );
  const half = total / 2;
  progress?.(half, total);
  const result = correlateSides(
    client,
    server,
    progress ? withMatchProgress(opts, half, total, progress) : opts,
  );
  progress?.(total, total);
  return result;
}

/** Pass 2's bytes read, after pass 1's half of the work (the caller's own match callback still called). */
function withMatchProgress(
  opts: CorrelateOptions,
  half: number,
  total: number,
  progress: (done: number, total: number) => void,
): CorrelateOptions {
  const own = opts.match?.onProgress;
  const onProgress = (bytes: number) => {
    own?.(bytes);
    progress(half + Math.min(bytes, half), total);
  };
  return { ...opts, match: { ...opts.match, onProgress } };
}

/** Pairing and pass 2 over sides already read by `loadSide`. */
export function correlateSides(client: SideData, server: SideData, opts: CorrelateOptions = {}): Correlation {
  opts.onStep?.('pairing');
  const { match, onStep: _onStep, onProgress: _onProgress, keepOrder, ...pairOpts } = opts;
  let paired = pairSessions(client, server, pairOpts);
  // Files given the wrong way round would be analysed into a confidently wrong verdict (every forwarded
  // packet "dropped" on one side and "injected" on the other). When the timing says so, and the user gave
  // no clock of their own for this order, analyse them the right way round and say so.
  if (paired.swapped && !keepOrder && pairOpts.offsetNs === undefined) {
    const asClient: SideData = { ...server, side: 'client' };
    const asServer: SideData = { ...client, side: 'server' };
    const again = pairSessions(asClient, asServer, pairOpts);
    if (!again.swapped) {
      client = asClient;
      server = asServer;
      again.warnings.unshift({
        id: 'pair.swapped',
        text: `the files were given in the wrong order: ${asServer.path} reads as the server-side capture and ${asClient.path} as the client-side one (${swapReason(paired)}); they were analysed that way round.`,
      });
      paired = { ...again, swapped: true };
    }
  }
  opts.onStep?.('matching');
  const matches = matchPackets(
    client.path,
    server.path,
    client,
    server,
    paired.pairs,
    paired.alignment,
    match ?? {},
  );
  const warnings = [...paired.warnings];
  return {
    client,
    server,
    baseSec: paired.baseSec,
    alignment: paired.alignment,
    swapped: paired.swapped,
    pairs: paired.pairs,
    unpaired: paired.unpaired,
    matches,
    warnings,
  };
}

/** Why the files read the other way round, in words. */
function swapReason(paired: PairingResult): string {
  return paired.swappedBy === 'tls'
    ? "its connections start with a TLS ClientHello: a device that terminates TLS has the clients' TLS on its client side"
    : 'packets are seen there first on the way in';
}
