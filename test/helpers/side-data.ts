/**
 * A correlation side made by hand from sessions (and handshake packets for them), for unit tests of pairing and alignment: a nanosecond
 * pcap with no packets read, whose sessions and messages are the test's. `overrides` sets any other field
 * (clock shift, times, packet counts).
 */
import { AnomalyLog } from '../../src/common/anomaly.js';
import type { ClockAlignment } from '../../src/correlate/clock.js';
import type { Side, SideData } from '../../src/correlate/types.js';
import type { HandshakePacket, Session } from '../../src/tcp/index.js';

export function sideData(which: Side, sessions: Session[], overrides: Partial<SideData> = {}): SideData {
  return {
    side: which,
    path: which,
    info: {
      path: which,
      format: 'pcap',
      compression: 'none',
      byteOrder: 'little',
      precisionDigits: 9,
      version: '2.4',
      snaplen: null,
      interfaces: [],
      sections: [],
    },
    anomalies: new AnomalyLog(),
    error: null,
    packets: 0,
    tcpPackets: 0,
    baseSec: 0,
    shiftNs: 0,
    firstRelNs: 0,
    lastRelNs: 0,
    resolutionNs: 1,
    sessions,
    lineHashes: sessions.map((s) => s.messages.map(() => new Uint32Array(0))),
    ...overrides,
  };
}

/** A handshake packet at `relNs` with sequence number `seq`: MSS 1460, wscale 7, SACK permitted, no timestamps. */
export function handshakePacket(
  relNs: number,
  seq: number,
  overrides: Partial<HandshakePacket> = {},
): HandshakePacket {
  return {
    packet: 1,
    sec: 0,
    nsec: 0,
    relNs,
    seq,
    ack: 0,
    window: 1000,
    ttl: 64,
    ipId: 1,
    mss: 1460,
    wscale: 7,
    sackPerm: true,
    hasTimestamps: false,
    tsval: 0,
    tsecr: 0,
    tfo: false,
    optionKinds: [2],
    ...overrides,
  };
}

/** The alignment of two captures stamped by one clock (the lab's): no offset, no skew, as if given by the user. */
export const SAME_CLOCK: ClockAlignment = {
  offsetNs: 0,
  skewPpm: 0,
  referenceNs: 0,
  boundNs: 0,
  method: 'user',
  oneSided: false,
  skewEstimated: false,
  constraints: { forward: 0, reverse: 0, used: 0, rejected: 0, invalid: 0 },
  segments: [],
  minForwardDelayNs: 0,
  minReverseDelayNs: 0,
  warnings: [],
  rejectedIds: new Float64Array(0),
};
