/**
 * One decoded packet as the JSON object of `dualcap inspect --packets --format jsonl`. The key set is a
 * documented contract (docs/inspect.md): every key is always present, `null` where it does not apply. Keys
 * are only ever appended, so that consumers reading by position keep working.
 */
import { formatTs } from '../common/time.js';
import { communityId, formatAddress } from '../decode/index.js';
import type { PacketView } from '../decode/types.js';
import { flagNames, type TcpPacketResult } from '../tcp/index.js';

export interface TcpJson {
  srcport: number;
  dstport: number;
  seq: number;
  ack: number;
  flags: number;
  len: number;
  window: number;
  mss: number | null;
  wscale: number | null;
  sackPerm: boolean;
  tsval: number | null;
  tsecr: number | null;
  sack: [number, number][];
}

export interface PacketJson {
  frame: number;
  ts: string | null;
  caplen: number;
  len: number;
  interface: number;
  linktype: number;
  ipVersion: 4 | 6 | null;
  src: string | null;
  dst: string | null;
  proto: number | null;
  ipId: number | null;
  ttl: number | null;
  communityId: string | null;
  tcp: TcpJson | null;
  /** Analysis ids raised on this packet (tcp.analysis.*, tcp.handshake.*); empty for non-TCP packets. */
  analysis: string[];
  /** Index of the TCP session (tshark's tcp.stream); null for non-TCP packets. */
  stream: number | null;
}

/** `tcpResult`: the TCP stage's result for this packet, or null when the packet is not TCP. */
export function packetJson(v: PacketView, hasTs: boolean, tcpResult: TcpPacketResult | null): PacketJson {
  const ip = v.ipVersion !== 0;
  let tcp: TcpJson | null = null;
  if (v.isTcp) {
    const sack: [number, number][] = [];
    for (let i = 0; i < v.sackCount; i++) sack.push([v.sack[2 * i]!, v.sack[2 * i + 1]!]);
    tcp = {
      srcport: v.srcPort,
      dstport: v.dstPort,
      seq: v.seq,
      ack: v.ack,
      flags: v.flags,
      len: v.payloadLength,
      window: v.window,
      mss: v.mss >= 0 ? v.mss : null,
      wscale: v.wscale >= 0 ? v.wscale : null,
      sackPerm: v.sackPerm,
      tsval: v.hasTimestamps ? v.tsval : null,
      tsecr: v.hasTimestamps ? v.tsecr : null,
      sack,
    };
  }
  return {
    frame: v.index,
    ts: hasTs ? formatTs(v.tsSec, v.tsNsec) : null,
    caplen: v.caplen,
    len: v.len,
    interface: v.interfaceId,
    linktype: v.linktype,
    ipVersion: ip ? (v.ipVersion as 4 | 6) : null,
    src: ip ? formatAddress(v.ipVersion, v.src) : null,
    dst: ip ? formatAddress(v.ipVersion, v.dst) : null,
    proto: ip && v.proto >= 0 ? v.proto : null,
    ipId: ip && v.ipId >= 0 ? v.ipId : null,
    ttl: ip && v.ttl >= 0 ? v.ttl : null,
    communityId: communityId(v),
    tcp,
    analysis: tcpResult ? flagNames(tcpResult.analysis) : [],
    stream: tcpResult ? tcpResult.session : null,
  };
}
