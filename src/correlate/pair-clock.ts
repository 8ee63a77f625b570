/**
 * The clock pairing works with: server-side times mapped onto the client-side clock, and how far a mapped
 * time may be from the truth. First the coarse offset (window of a millisecond or more), then the fine
 * alignment (window = its bound); candidates whose timing falls outside the window are not the same
 * connection. Times are ns from the shared base second (`SideData.shiftNs` applied).
 */
import type { ClockAlignment } from './clock.js';
import { toClientNs, toServerNs } from './clock.js';
import type { CoarseOffset } from './coarse-offset.js';
import type { SideData } from './types.js';

export interface PairClock {
  /** Server-side time (shared base) on the client-side clock. */
  toClient(serverNs: number): number;
  /** Client-side time (shared base) on the server-side clock. */
  toServer(clientNs: number): number;
  /** How far a mapped time may be off (ns). */
  windowNs: number;
  /** Where the clock came from, for evidence. */
  source: 'coarse' | 'aligned' | 'user' | 'none';
}

/** Longest a device may hold a handshake or a message before passing it on (SYN retries, buffering). */
export const DEFAULT_MAX_LATENCY_NS = 30e9;

export function coarseClock(c: CoarseOffset): PairClock {
  const k = c.skewPpm * 1e-6;
  return {
    toClient: (s) => s + c.offsetNs + k * (s - c.referenceNs),
    toServer: (t) => (t - c.offsetNs + k * c.referenceNs) / (1 + k),
    windowNs: c.windowNs,
    source: 'coarse',
  };
}

/** A clock from a finished alignment; the window is its bound plus both resolutions (at least 10 us). */
export function alignedClock(a: ClockAlignment, resolutionNs: number, source: 'aligned' | 'user'): PairClock {
  return {
    toClient: (s) => toClientNs(a, s),
    toServer: (t) => toServerNs(a, t),
    windowNs: Math.max(10_000, (Number.isFinite(a.boundNs) ? a.boundNs : 1e6) + resolutionNs),
    source,
  };
}

/** A user-given offset (and skew) before any constraint measured it. */
export function userClock(offsetNs: number, skewPpm: number, referenceNs: number): PairClock {
  const k = skewPpm * 1e-6;
  return {
    toClient: (s) => s + offsetNs + k * (s - referenceNs),
    toServer: (t) => (t - offsetNs + k * referenceNs) / (1 + k),
    windowNs: 1e6,
    source: 'user',
  };
}

/** Shared-base time of a side's relNs. */
export function at(side: SideData, relNs: number): number {
  return relNs + side.shiftNs;
}
