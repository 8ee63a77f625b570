/**
 * Connections without a counterpart, each with the likeliest reason:
 *
 * - `outside-other-capture`: it starts before the other capture's first packet or after its last one
 *   (on the aligned clock, with the clock's window as margin), so its counterpart could not be captured;
 * - client side, `never-forwarded`: it began with a SYN inside the other capture's span and nothing on the
 *   server side carries its SYN or its bytes: the device did not pass it on;
 * - server side, `device-generated`: it began with a SYN inside the client capture's span without any
 *   client-side connection carrying its bytes: the device opened it on its own (health checks, pre-opened
 *   pool connections);
 * - `no-match`: no SYN was captured (it began before the capture), no clock relates the captures, or the
 *   device was likely not involved: the optional hints say so (not to the VIP, not from the device
 *   address, not to the server network), or, without hints, the connection uses an address none of the
 *   pairs uses (a client connection to another destination, a server-side connection from another host).
 */
import { H_SYNACK_BAD_ACK } from '../tcp/index.js';
import { at, type PairClock } from './pair-clock.js';
import { contains, type PairHints } from './pair-hints.js';
import { addressOf, durationText, hex32, tupleOf } from './pair-tuple.js';
import type { Side, SideData, Unpaired, UnpairedReason } from './types.js';

export function unpairedOf(
  side: SideData,
  other: SideData,
  paired: Uint8Array,
  clock: PairClock | null,
  hints: PairHints = {},
  pairedAddresses: ReadonlySet<string> = new Set(),
): Unpaired[] {
  const out: Unpaired[] = [];
  const map = (t: number) =>
    clock === null ? t : side.side === 'client' ? clock.toServer(t) : clock.toClient(t);
  const margin = clock?.windowNs ?? 0;
  const otherFirst = at(other, other.firstRelNs);
  const otherLast = at(other, other.lastRelNs);
  for (const s of side.sessions) {
    if (paired[s.index]) continue;
    const start = at(side, s.startRelNs);
    let reason: UnpairedReason;
    let detail: string;
    const mapped = map(start);
    if (clock !== null && (mapped < otherFirst - margin || mapped > otherLast + margin)) {
      reason = 'outside-other-capture';
      const gap = mapped < otherFirst ? otherFirst - mapped : mapped - otherLast;
      detail = `starts ${durationText(gap)} ${mapped < otherFirst ? 'before the first' : 'after the last'} packet of the ${otherName(side.side)} capture`;
    } else if (clock === null) {
      reason = 'no-match';
      detail = 'the captures share no traffic, so no clock relates them';
    } else if (side.side === 'client' && hints.vip && !contains(hints.vip, s.server)) {
      reason = 'no-match';
      detail = `addressed to ${addressOf(s.server)}, not to the VIP: not expected to cross the device`;
    } else if (side.side === 'server' && hints.deviceIp && !contains(hints.deviceIp, s.client)) {
      reason = 'no-match';
      detail = `opened from ${addressOf(s.client)}, not from the device address`;
    } else if (side.side === 'server' && hints.serverNet && !contains(hints.serverNet, s.server)) {
      reason = 'no-match';
      detail = `to ${addressOf(s.server)}, outside the server network`;
    } else if (side.side === 'client' && !hints.vip && strange(pairedAddresses, addressOf(s.server))) {
      reason = 'no-match';
      detail = `addressed to ${addressOf(s.server)}, where no paired connection goes: probably not through the device`;
    } else if (side.side === 'server' && !hints.deviceIp && strange(pairedAddresses, addressOf(s.client))) {
      reason = 'no-match';
      detail = `opened from ${addressOf(s.client)}, which no paired connection uses: probably not the device's`;
    } else if (s.syn === null) {
      reason = 'no-match';
      detail = 'no SYN captured (it began before the capture) and no content matched';
    } else if (side.side === 'client') {
      reason = 'never-forwarded';
      detail = neverForwardedDetail(side, s.index);
    } else {
      reason = 'device-generated';
      detail = `opened on the server side (SYN at packet ${s.syn.packet}) without a client-side connection carrying its bytes`;
    }
    out.push({
      side: side.side,
      session: s.index,
      tuple: tupleOf(s),
      isn: s.clientIsn,
      startRelNs: s.startRelNs,
      reason,
      detail,
    });
  }
  return out;
}

/** An address outside those the pairs use (nothing is strange before anything is paired). */
function strange(known: ReadonlySet<string>, address: string): boolean {
  return known.size > 0 && !known.has(address);
}

function otherName(side: Side): string {
  return side === 'client' ? 'server-side' : 'client-side';
}

function neverForwardedDetail(side: SideData, index: number): string {
  const s = side.sessions[index]!;
  const parts = [`${s.synCount} SYN(s) with ISN ${hex32(s.syn!.seq)} from packet ${s.syn!.packet}`];
  const bad = s.findings.find((f) => f.id === 'tcp.handshake.synack_bad_ack');
  if (s.count(H_SYNACK_BAD_ACK) > 0) {
    parts.push(
      `answered ${s.count(H_SYNACK_BAD_ACK)} time(s) by an ACK that does not acknowledge the ISN${bad ? ` (packet ${bad.packet})` : ''}`,
    );
  } else if (s.synAck === null) parts.push('no SYN-ACK');
  else parts.push(`SYN-ACK at packet ${s.synAck.packet}`);
  parts.push('no server-side SYN with its ISN or TSval and none of its bytes on the server side');
  return parts.join('; ');
}
