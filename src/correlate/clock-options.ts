/** Options of clock alignment and their defaults; docs/alignment.md §8 lists them for users. */

export interface AlignOptions {
  /** Timestamp resolution of the client-side capture (1000 for microsecond pcap). Default 1000. */
  clientResolutionNs?: number;
  /** Timestamp resolution of the server-side capture. Default 1000. */
  serverResolutionNs?: number;
  /**
   * Time stamping error to allow on top of the resolutions (host stamps taken after interrupt coalescing
   * can be late by tens of microseconds): a constraint must violate the line by more before it counts as
   * a false match, and the bound grows by it. Default 0 (stamps honest).
   */
  toleranceNs?: number;
  /** Largest plausible relative skew; the bound holds for true skews within it. Default 500 ppm. */
  maxSkewPpm?: number;
  /** Spans shorter than this are fitted offset-only. Default 2 s. */
  minSkewSpanNs?: number;
  /** Jumps smaller than this are never treated as clock steps. Default 100 us. */
  minStepNs?: number;
  /** Fewest constraints for a segment of its own. Default 32. */
  minSegment?: number;
  /** One-sided data: minimum one-way delay assumed to place the line. Default 0. */
  assumedMinDelayNs?: number;
  /** User override: the skew is known (ppm); only the offset is fitted. */
  skewPpm?: number;
  /**
   * User override: the offset is known (ns to add to server-side times at `referenceNs`, default 0);
   * nothing is fitted, the constraints only measure how well it fits.
   */
  offsetNs?: number;
  referenceNs?: number;
}

export const ALIGN_DEFAULTS = {
  clientResolutionNs: 1000,
  serverResolutionNs: 1000,
  toleranceNs: 0,
  maxSkewPpm: 500,
  minSkewSpanNs: 2e9,
  minStepNs: 100_000,
  minSegment: 32,
  assumedMinDelayNs: 0,
};

/** Options with every default filled in. */
export type ResolvedOptions = typeof ALIGN_DEFAULTS & AlignOptions;
