/**
 * Timing constraints from pairs, for clock alignment (docs/alignment.md §1). Only causal facts are used:
 *
 * - a pass-through pair: the SYN and the handshake ACK go forward (client side first), the SYN-ACK goes
 *   back (server side first), and so does each message's first new byte in its direction: messages are
 *   matched by direction and stream offset, which a pass-through device keeps even when it shifts
 *   sequence numbers;
 * - a spliced pair (SYN proxy): the device answered the SYN itself, so the client-side SYN-ACK is not the
 *   server's; the client's SYN and handshake ACK still precede the server-side SYN they caused;
 * - a terminated pair: per linked message, a request's first byte leaves the client side before it
 *   reaches the server side (forward), a response's first byte leaves the server side before it reaches
 *   the client side (reverse).
 *
 * A drop or retransmission only lengthens a delay, so every constraint stays true; false links are
 * removed by the alignment's outlier rules.
 */
import type { Message, Session } from '../tcp/index.js';
import { type AlignOptions, alignClocks, type ClockAlignment, ClockConstraints } from './clock.js';
import { type OrientationScore, scoreOrientation } from './coarse-offset.js';
import type { Link } from './pair-content.js';
import { H_HANDSHAKE_ACK, H_SYN, H_SYN_ACK, HandshakeTable } from './pair-syns.js';
import type { PairKind, SideData } from './types.js';

export interface PassThroughPair {
  client: number;
  server: number;
  kind: PairKind;
}

/** Weight of a link found through its neighbour only (its content did not confirm it). */
const STRUCTURAL_WEIGHT = 0.5;

/**
 * The constraints of the pairs; `tc` and `ts` are the sides' handshake tables at their current shifts (made
 * here when not given).
 */
export function pairConstraints(
  client: SideData,
  server: SideData,
  passThrough: readonly PassThroughPair[],
  links: readonly Link[],
  tc: HandshakeTable = new HandshakeTable(client),
  ts: HandshakeTable = new HandshakeTable(server),
): ClockConstraints {
  // At most three handshake constraints a pair and one per client message with a same-start partner:
  // arrays of the right size at once, not doubled (and copied) a dozen times.
  let capacity = links.length;
  for (const p of passThrough) {
    const cm = client.sessions[p.client]!.messages.length;
    capacity += 3 + Math.min(cm, server.sessions[p.server]!.messages.length);
  }
  const k = new ClockConstraints(capacity);
  const cs = client.shiftNs;
  const ss = server.shiftNs;
  for (const p of passThrough) {
    const i = p.client;
    const j = p.server;
    const hc = tc.has[i]!;
    const hs = ts.has[j]!;
    if ((hc & H_SYN) !== 0 && (hs & H_SYN) !== 0) k.addForward(tc.synNs[i]!, ts.synNs[j]!);
    if (p.kind === 'spliced') {
      if ((hc & H_HANDSHAKE_ACK) !== 0 && (hs & H_SYN) !== 0)
        k.addForward(tc.handshakeAckNs[i]!, ts.synNs[j]!);
    } else {
      if ((hc & H_SYN_ACK) !== 0 && (hs & H_SYN_ACK) !== 0) k.addReverse(tc.synAckNs[i]!, ts.synAckNs[j]!);
      if ((hc & H_HANDSHAKE_ACK) !== 0 && (hs & H_HANDSHAKE_ACK) !== 0)
        k.addForward(tc.handshakeAckNs[i]!, ts.handshakeAckNs[j]!);
    }
    sameStartConstraints(client.sessions[i]!.messages, server.sessions[j]!.messages, cs, ss, k);
  }
  for (const l of links) {
    const a = client.sessions[l.c]!.messages[l.cm]!;
    const b = server.sessions[l.s]!.messages[l.sm]!;
    const w = l.structural ? STRUCTURAL_WEIGHT : Math.max(STRUCTURAL_WEIGHT, l.sim.score);
    if (a.dir === 0) k.addForward(a.firstRelNs + cs, b.firstRelNs + ss, w);
    else k.addReverse(a.firstRelNs + cs, b.firstRelNs + ss, w);
  }
  return k;
}

/**
 * `forEachSameStart` adding each pair of messages as a constraint, without a callback: this runs for every
 * pass-through pair.
 */
function sameStartConstraints(
  cm: readonly Message[],
  sm: readonly Message[],
  cs: number,
  ss: number,
  k: ClockConstraints,
): void {
  for (let dir = 0; dir < 2; dir++) {
    let j = 0;
    for (let i = 0; i < cm.length; i++) {
      const a = cm[i]!;
      if (a.dir !== dir) continue;
      while (j < sm.length && (sm[j]!.dir !== dir || sm[j]!.start < a.start)) j++;
      if (j >= sm.length) break;
      const b = sm[j]!;
      if (b.start !== a.start) continue;
      if (dir === 0) k.addForward(a.firstRelNs + cs, b.firstRelNs + ss);
      else k.addReverse(a.firstRelNs + cs, b.firstRelNs + ss);
    }
  }
}

/** Messages of the two sessions that start at the same stream offset in the same direction. */
export function forEachSameStart(c: Session, s: Session, fn: (a: Message, b: Message) => void): void {
  for (const dir of [0, 1] as const) {
    let j = 0;
    const sm = s.messages;
    for (const a of c.messages) {
      if (a.dir !== dir) continue;
      while (j < sm.length && (sm[j]!.dir !== dir || sm[j]!.start < a.start)) j++;
      if (j >= sm.length) break;
      if (sm[j]!.start === a.start) fn(a, sm[j]!);
    }
  }
}

/** Constraints enough to judge which way round the files are (a fraction, not a fit). */
const ORIENTATION_SAMPLE = 20_000;

/** Every k-th constraint, at most `max` of them. */
function sampled(c: ClockConstraints, max: number): ClockConstraints {
  if (c.size <= max) return c;
  const stride = Math.ceil(c.size / max);
  const out = new ClockConstraints();
  for (let i = 0; i < c.size; i += stride) {
    if (c.forward[i] === 1) out.addForward(c.clientNs[i]!, c.serverNs[i]!, c.weight[i]!, c.id[i]!);
    else out.addReverse(c.clientNs[i]!, c.serverNs[i]!, c.weight[i]!, c.id[i]!);
  }
  return out;
}

export interface AlignResult {
  alignment: ClockAlignment;
  orientation: OrientationScore;
}

export function alignPairs(
  client: SideData,
  server: SideData,
  constraints: ClockConstraints,
  opts: Pick<AlignOptions, 'offsetNs' | 'skewPpm' | 'referenceNs' | 'toleranceNs'>,
  orient = true,
): AlignResult {
  const options: AlignOptions = {
    clientResolutionNs: client.resolutionNs,
    serverResolutionNs: server.resolutionNs,
  };
  if (opts.offsetNs !== undefined) options.offsetNs = opts.offsetNs;
  if (opts.skewPpm !== undefined) options.skewPpm = opts.skewPpm;
  if (opts.referenceNs !== undefined) options.referenceNs = opts.referenceNs;
  if (opts.toleranceNs !== undefined) options.toleranceNs = opts.toleranceNs;
  const alignment = alignClocks(constraints, options);
  const orientation =
    orient && constraints.size > 0
      ? scoreOrientation(sampled(constraints, ORIENTATION_SAMPLE))
      : { verdict: 'undecided' as const, asGivenRejected: 0, swappedRejected: 0 };
  return { alignment, orientation };
}
