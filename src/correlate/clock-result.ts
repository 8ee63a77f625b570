/** What clock alignment returns: the mapping per segment, its bound, counts and warnings. */
import type { FitMethod } from './clock-fit.js';

export type AlignMethod = FitMethod | 'user' | 'none';

export interface ConstraintCounts {
  forward: number;
  reverse: number;
  used: number;
  rejected: number;
}

export interface AlignSegment {
  /** Server-side time range covered (ns from the base second). */
  fromNs: number;
  toNs: number;
  referenceNs: number;
  offsetNs: number;
  skewPpm: number;
  /** Skews consistent with the constraints (within the prior). */
  skewRangePpm: [number, number];
  boundNs: number;
  method: AlignMethod;
  constraints: ConstraintCounts;
  minForwardDelayNs: number;
  minReverseDelayNs: number;
}

export interface AlignWarning {
  id: string;
  text: string;
}

export interface ClockAlignment {
  /** Add to a server-side time at referenceNs to get the client-side clock. */
  offsetNs: number;
  skewPpm: number;
  referenceNs: number;
  /** |true - fitted| over the main segment; Infinity when not identifiable (one-sided, none). */
  boundNs: number;
  method: AlignMethod;
  oneSided: boolean;
  skewEstimated: boolean;
  constraints: ConstraintCounts & { invalid: number };
  /** Ordered by server-side time; more than one after a clock step. */
  segments: AlignSegment[];
  minForwardDelayNs: number;
  minReverseDelayNs: number;
  warnings: AlignWarning[];
  /** Ids of the constraints dropped as false matches. */
  rejectedIds: Float64Array;
}
