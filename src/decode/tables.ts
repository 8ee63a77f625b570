/**
 * The dispatch tables, as data: which decoder handles which link type, EtherType and IP protocol. They are
 * filled in one place (`registry.ts`) so the whole protocol graph can be read at a glance; decoders only
 * look things up here, which keeps the modules free of import cycles.
 */
import type { DecodeState, LayerDecoder } from './state.js';

/** LINKTYPE_ value -> decoder of the frame from its first byte. */
export const linkTypeDecoders = new Map<number, LayerDecoder>();
/** EtherType (also SLL protocol, VLAN inner type) -> decoder of what follows. */
export const etherTypeDecoders = new Map<number, LayerDecoder>();
/** IPv4 protocol / IPv6 next header -> decoder of the transport (or tunnelled IP) header. */
export const ipProtocolDecoders = new Map<number, LayerDecoder>();

/** Hands the bytes at `off` to the decoder of `etherType`; unknown types (ARP, LLDP...) simply stop here. */
export function dispatchEtherType(s: DecodeState, etherType: number, off: number): void {
  s.view.etherType = etherType;
  const next = etherTypeDecoders.get(etherType);
  if (next !== undefined) next(s, off);
}

/** Hands the IP payload at `off` to the decoder of `proto`; unknown protocols keep `l4Offset` only. */
export function dispatchIpProtocol(s: DecodeState, proto: number, off: number): void {
  s.view.l4Offset = off;
  const next = ipProtocolDecoders.get(proto);
  if (next !== undefined) next(s, off);
}
