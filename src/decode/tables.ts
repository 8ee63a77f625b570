/**
 * The dispatch tables, as data: which decoder handles which link type, EtherType and IP protocol. They are
 * filled in one place (`registry.ts`) so the whole protocol graph can be read at a glance; decoders only
 * look things up here, which keeps the modules free of import cycles.
 */
import type { DecodeState, LayerDecoder } from './state.js';

/**
 * Tables are dense arrays indexed by the 16-bit value rather than Maps: one bounds-checked array load per
 * layer is measurably cheaper than a Map lookup at millions of packets per second. Empty slots are
 * undefined (no decoder).
 */
const TABLE_SIZE = 0x10000;

/** LINKTYPE_ value -> decoder of the frame from its first byte. */
export const linkTypeDecoders: (LayerDecoder | undefined)[] = new Array(TABLE_SIZE).fill(undefined);
/** EtherType (also SLL protocol, VLAN inner type) -> decoder of what follows. */
export const etherTypeDecoders: (LayerDecoder | undefined)[] = new Array(TABLE_SIZE).fill(undefined);
/** IPv4 protocol / IPv6 next header -> decoder of the transport (or tunnelled IP) header. */
export const ipProtocolDecoders: (LayerDecoder | undefined)[] = new Array(256).fill(undefined);

/** The decoder of a link type's frames, or undefined when this stage does not decode that link type. */
export function linkDecoder(linktype: number): LayerDecoder | undefined {
  // Link types are 16 bits in pcap (upper bits are FCS flags) and pcapng; anything else has no decoder.
  return linktype >= 0 && linktype < TABLE_SIZE ? linkTypeDecoders[linktype] : undefined;
}

/** Hands the bytes at `off` to the decoder of `etherType`; unknown types (ARP, LLDP...) simply stop here. */
export function dispatchEtherType(s: DecodeState, etherType: number, off: number): void {
  s.view.etherType = etherType;
  const next = etherTypeDecoders[etherType];
  if (next !== undefined) next(s, off);
}

/** Hands the IP payload at `off` to the decoder of `proto`; unknown protocols keep `l4Offset` only. */
export function dispatchIpProtocol(s: DecodeState, proto: number, off: number): void {
  s.view.l4Offset = off;
  const next = ipProtocolDecoders[proto];
  if (next !== undefined) next(s, off);
}
