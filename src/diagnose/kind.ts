/**
 * The device kind, from the behaviours alone (never from addresses or names), checked from the most
 * specific to the least: what a device does to connections decides what it is.
 */
import type { Behaviour, BehaviourId, DeviceKind } from './types.js';

export interface KindVerdict {
  kind: DeviceKind;
  kindReason: string;
}

export function deviceKind(behaviours: readonly Behaviour[]): KindVerdict {
  const has = (id: BehaviourId) => behaviours.some((b) => b.id === id);
  if (has('terminates-tcp')) {
    const l7 = (['modifies-payload', 'terminates-tls', 'pools-connections'] as const).filter(has);
    if (l7.length > 0) {
      return {
        kind: 'l7-proxy',
        kindReason: `terminates TCP and works on the application stream (${l7.join(', ')})`,
      };
    }
    return {
      kind: 'l4-proxy',
      kindReason: 'terminates TCP and relays the byte stream unchanged between its own connections',
    };
  }
  if (has('answers-syn') && has('splices-after-handshake')) {
    return {
      kind: 'syn-proxy',
      kindReason: 'answers SYNs itself, then splices the client to its own server-side connection',
    };
  }
  if (has('rewrites-sequence')) {
    return {
      kind: 'sequence-rewriter',
      kindReason: 'forwards packets one to one with shifted sequence numbers',
    };
  }
  const rewrites = (
    [
      'rewrites-source-address',
      'rewrites-destination-address',
      'rewrites-source-port',
      'rewrites-destination-port',
    ] as const
  ).filter(has);
  if (rewrites.length > 0) {
    return { kind: 'nat', kindReason: `forwards packets one to one and ${rewrites.join(', ')}` };
  }
  if (has('forwards-packets')) {
    return {
      kind: 'transparent',
      kindReason: 'forwards packets one to one with addresses, ports and sequence numbers unchanged',
    };
  }
  return { kind: 'unknown', kindReason: 'no connection could be followed through the device' };
}
