/**
 * The diagnosis stage's contract: what the device did, in a fixed vocabulary, each behaviour with a
 * confidence, a count and its evidence. Input: a `Correlation` (src/correlate/types.ts). Output: a
 * `Diagnosis`, which the report stage renders as text, JSON and HTML.
 *
 * Rule: being silent beats being wrong. A behaviour the captures cannot decide is absent from
 * `behaviours` and, where a reader would ask about it, listed under `undecided` with the reason.
 */

/** The fixed behaviour vocabulary. Ids are stable: reports, policies and tests use them. */
export const BEHAVIOUR_IDS = [
  'forwards-packets',
  'decrements-ttl',
  'rewrites-source-address',
  'rewrites-destination-address',
  'rewrites-source-port',
  'rewrites-destination-port',
  'rewrites-sequence',
  'terminates-tcp',
  'answers-syn',
  'splices-after-handshake',
  'delays-server-connect',
  'pools-connections',
  'modifies-payload',
  'rewrites-options',
  'resegments',
  'drops-packets',
  'injects-packets',
  'bogus-syn-ack',
  'ignores-handshake-ack',
  'terminates-tls',
] as const;

export type BehaviourId = (typeof BEHAVIOUR_IDS)[number];

export const DEVICE_KINDS = [
  'transparent',
  'nat',
  'sequence-rewriter',
  'syn-proxy',
  'l4-proxy',
  'l7-proxy',
  'unknown',
] as const;

export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Packets on each side (1-based packet numbers in each file) and the values that prove a point. */
export interface EvidenceItem {
  /** Pair id (SessionPair.id) the evidence comes from, or null for capture-wide evidence. */
  pair: number | null;
  clientPackets: number[];
  serverPackets: number[];
  /** Values seen, e.g. { ttlClient: 64, ttlServer: 63 } or { ack: '0x61cd666a' }. */
  values: Record<string, string | number | boolean | null>;
  /** One plain sentence. */
  text: string;
}

export interface Behaviour {
  id: BehaviourId;
  /** 0..1: how sure the captures make us. */
  confidence: number;
  /** How many pairs (or packets, as `detail` says) show it. */
  count: number;
  /** Plain words: what, how often, with which values (e.g. "MSS clamped from 1460 to 1380 on 82 SYNs"). */
  detail: string;
  /** 1-3 representative examples, each with packet numbers on both sides. */
  evidence: EvidenceItem[];
}

export interface Undecided {
  id: BehaviourId;
  reason: string;
}

export type Severity = 'error' | 'warning' | 'note';

/**
 * A problem worth a user's attention (failed handshakes, drops, injected packets, seed-thread answers),
 * with stable dotted ids like `handshake.bogus_ack`, `device.dropped_packets`.
 */
export interface Problem {
  id: string;
  severity: Severity;
  /** Plain words, complete enough to paste into a ticket. */
  text: string;
  pair: number | null;
  /** Client-side / server-side session index, when the problem is about one unpaired session. */
  clientSession: number | null;
  serverSession: number | null;
  evidence: EvidenceItem[];
}

export interface DeviceVerdict {
  kind: DeviceKind;
  /** Why this kind: which behaviours decided it. */
  kindReason: string;
  /** The verdict paragraph, in plain words. */
  summary: string;
  behaviours: Behaviour[];
  undecided: Undecided[];
}

export interface Diagnosis {
  device: DeviceVerdict;
  problems: Problem[];
}
